// Per-channel mean and biased variance of x viewed as (N, C, L), for BatchNorm.
// One block of 256 threads per channel; two passes (mean, then Σ(x − mean)²), each with
// double accumulators and a fixed tree reduction in shared memory: accurate (no
// E[x²] − E[x]² cancellation) and deterministic.

#define THREADS 256   // must equal loader.THREADS

#include "block_sum.cuh"

template <typename T>
__device__ void stats_impl(const T* x, T* mean, T* var, long long N, long long C, long long L) {
    __shared__ double partial[THREADS];
    long long c = blockIdx.x;
    long long count = N * L;
    double acc = 0;
    for (long long e = threadIdx.x; e < count; e += THREADS)
        acc += (double)x[(e / L * C + c) * L + e % L];
    double mu = block_sum(acc, partial) / (double)count;
    acc = 0;
    for (long long e = threadIdx.x; e < count; e += THREADS) {
        double d = (double)x[(e / L * C + c) * L + e % L] - mu;
        acc += d * d;
    }
    double v = block_sum(acc, partial) / (double)count;
    if (threadIdx.x == 0) {
        mean[c] = (T)mu;
        var[c] = (T)v;
    }
}

extern "C" __global__ void batch_norm_stats_f32(const float* x, float* mean, float* var,
                                                long long N, long long C, long long L) {
    stats_impl<float>(x, mean, var, N, C, L);
}
extern "C" __global__ void batch_norm_stats_f64(const double* x, double* mean, double* var,
                                                long long N, long long C, long long L) {
    stats_impl<double>(x, mean, var, N, C, L);
}
