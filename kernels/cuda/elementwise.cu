// Elementwise special functions, the exact GELU and ReLU, one thread per element.

extern "C" __global__ void erf_f32(const float* x, float* out, long long n) {
    long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) out[i] = erff(x[i]);
}

extern "C" __global__ void erf_f64(const double* x, double* out, long long n) {
    long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) out[i] = erf(x[i]);
}

// GELU(x) = x * Phi(x); its gradient g * (Phi(x) + x * phi(x)); Phi(x) = erfc(-x/sqrt2)/2,
// which keeps its precision in the left tail where 1 + erf(x) cancels.
extern "C" __global__ void gelu_f32(const float* x, float* out, long long n) {
    long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) out[i] = 0.5f * x[i] * erfcf(-x[i] * 0.70710678118654752f);
}

extern "C" __global__ void gelu_f64(const double* x, double* out, long long n) {
    long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) out[i] = 0.5 * x[i] * erfc(-x[i] * 0.70710678118654752);
}

// dGELU: the same math for both precisions (CUDA's C++ math overloads pick erfcf/expf for float).
template <typename T>
__device__ void gelu_backward_at(const T* x, const T* g, T* out, long long n) {
    long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) {
        T v = x[i];
        T cdf = T(0.5) * erfc(-v * T(0.70710678118654752));
        T pdf = exp(T(-0.5) * v * v) * T(0.39894228040143268);
        out[i] = g[i] * (cdf + v * pdf);
    }
}

extern "C" __global__ void gelu_backward_f32(const float* x, const float* g, float* out,
                                             long long n) {
    gelu_backward_at(x, g, out, n);
}

extern "C" __global__ void gelu_backward_f64(const double* x, const double* g, double* out,
                                             long long n) {
    gelu_backward_at(x, g, out, n);
}

// ReLU: max(x, 0) with NaN passed through (NaN < 0 is false); its gradient 0 where y <= 0,
// else g (a NaN output lets g through, as PyTorch's threshold_backward).
template <typename T>
__device__ void relu_at(const T* x, T* out, long long n) {
    long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) out[i] = x[i] < T(0) ? T(0) : x[i];
}

template <typename T>
__device__ void relu_backward_at(const T* g, const T* y, T* out, long long n) {
    long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) out[i] = y[i] <= T(0) ? T(0) : g[i];
}

extern "C" __global__ void relu_f32(const float* x, float* out, long long n) {
    relu_at(x, out, n);
}

extern "C" __global__ void relu_f64(const double* x, double* out, long long n) {
    relu_at(x, out, n);
}

extern "C" __global__ void relu_backward_f32(const float* g, const float* y, float* out,
                                             long long n) {
    relu_backward_at(g, y, out, n);
}

extern "C" __global__ void relu_backward_f64(const double* g, const double* y, double* out,
                                             long long n) {
    relu_backward_at(g, y, out, n);
}
