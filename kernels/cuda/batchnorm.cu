// Training-mode BatchNorm over x viewed as (N, C, L). One block of 256 threads per channel.
// Forward: mean, then Σ(x − mean)² (two passes, double accumulators, no E[x²] − E[x]²
// cancellation), then y = x·scale + shift. Backward: Σ g and Σ g·(x − mean), then dx.
// Every sum is a fixed tree reduction in shared memory: accurate and deterministic.

#define THREADS 256   // must equal loader.THREADS

#include "block_sum.cuh"

// the flat index of element e (0 .. N·L − 1) of channel c
__device__ long long at(long long e, long long c, long long C, long long L) {
    return (e / L * C + c) * L + e % L;
}

template <typename T>
__device__ void forward_impl(const T* x, const T* weight, const T* bias, double eps, T* y,
                             T* mean, T* var, long long N, long long C, long long L) {
    __shared__ double partial[THREADS];
    long long c = blockIdx.x;
    long long count = N * L;
    double acc = 0;
    for (long long e = threadIdx.x; e < count; e += THREADS)
        acc += (double)x[at(e, c, C, L)];
    double mu = block_sum(acc, partial) / (double)count;
    acc = 0;
    for (long long e = threadIdx.x; e < count; e += THREADS) {
        double d = (double)x[at(e, c, C, L)] - mu;
        acc += d * d;
    }
    double v = block_sum(acc, partial) / (double)count;
    double scale = (double)weight[c] / sqrt(v + eps);
    double shift = (double)bias[c] - mu * scale;
    for (long long e = threadIdx.x; e < count; e += THREADS) {
        long long i = at(e, c, C, L);
        y[i] = (T)((double)x[i] * scale + shift);
    }
    if (threadIdx.x == 0) {
        mean[c] = (T)mu;
        var[c] = (T)v;
    }
}

template <typename T>
__device__ void backward_impl(const T* g, const T* x, const T* mean, const T* var,
                              const T* weight, double eps, T* dx, T* dw, T* db,
                              long long N, long long C, long long L) {
    __shared__ double partial[THREADS];
    long long c = blockIdx.x;
    long long count = N * L;
    double mu = (double)mean[c];
    double invstd = 1.0 / sqrt((double)var[c] + eps);
    double acc_g = 0, acc_gx = 0;
    for (long long e = threadIdx.x; e < count; e += THREADS) {
        long long i = at(e, c, C, L);
        acc_g += (double)g[i];
        acc_gx += (double)g[i] * ((double)x[i] - mu);
    }
    double sum_g = block_sum(acc_g, partial);
    double sum_gx = block_sum(acc_gx, partial);
    double k = (double)weight[c] * invstd;
    double mean_g = sum_g / (double)count;
    double slope = sum_gx * invstd * invstd / (double)count;    // mean(g·x̂)/σ
    for (long long e = threadIdx.x; e < count; e += THREADS) {
        long long i = at(e, c, C, L);
        dx[i] = (T)(k * ((double)g[i] - mean_g - ((double)x[i] - mu) * slope));
    }
    if (threadIdx.x == 0) {
        dw[c] = (T)(sum_gx * invstd);
        db[c] = (T)sum_g;
    }
}

extern "C" __global__ void batch_norm_forward_f32(
        const float* x, const float* weight, const float* bias, double eps, float* y,
        float* mean, float* var, long long N, long long C, long long L) {
    forward_impl<float>(x, weight, bias, eps, y, mean, var, N, C, L);
}
extern "C" __global__ void batch_norm_forward_f64(
        const double* x, const double* weight, const double* bias, double eps, double* y,
        double* mean, double* var, long long N, long long C, long long L) {
    forward_impl<double>(x, weight, bias, eps, y, mean, var, N, C, L);
}
extern "C" __global__ void batch_norm_backward_f32(
        const float* g, const float* x, const float* mean, const float* var,
        const float* weight, double eps, float* dx, float* dw, float* db,
        long long N, long long C, long long L) {
    backward_impl<float>(g, x, mean, var, weight, eps, dx, dw, db, N, C, L);
}
extern "C" __global__ void batch_norm_backward_f64(
        const double* g, const double* x, const double* mean, const double* var,
        const double* weight, double eps, double* dx, double* dw, double* db,
        long long N, long long C, long long L) {
    backward_impl<double>(g, x, mean, var, weight, eps, dx, dw, db, N, C, L);
}
