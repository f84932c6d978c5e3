// Elementwise special functions, one thread per element.

extern "C" __global__ void erf_f32(const float* x, float* out, long long n) {
    long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) out[i] = erff(x[i]);
}

extern "C" __global__ void erf_f64(const double* x, double* out, long long n) {
    long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) out[i] = erf(x[i]);
}
