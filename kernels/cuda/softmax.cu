// Softmax and log-softmax along the rows of an (R, K) array: one block of 256 threads per
// row. The row maximum (a NaN propagates) is subtracted before exp, so logits of 1e4 stay
// finite; Σ exp is accumulated in double. Fixed tree reductions: deterministic.

#define THREADS 256   // must equal loader.THREADS

#include "block_sum.cuh"

__device__ inline float exponential(float a) { return expf(a); }
__device__ inline double exponential(double a) { return exp(a); }

template <typename T> __device__ T minus_infinity();
template <> __device__ float minus_infinity<float>() { return -__int_as_float(0x7f800000); }
template <> __device__ double minus_infinity<double>() {
    return -__longlong_as_double(0x7ff0000000000000LL);
}

template <typename T> __device__ T nan_max(T a, T b) { return (a > b || a != a) ? a : b; }

template <typename T>
__device__ T row_max(const T* row, long long K, T* partial) {
    T m = minus_infinity<T>();
    for (long long k = threadIdx.x; k < K; k += THREADS) m = nan_max(m, row[k]);
    partial[threadIdx.x] = m;
    __syncthreads();
    for (unsigned s = THREADS / 2; s > 0; s >>= 1) {
        if (threadIdx.x < s) partial[threadIdx.x] = nan_max(partial[threadIdx.x],
                                                            partial[threadIdx.x + s]);
        __syncthreads();
    }
    T top = partial[0];
    __syncthreads();
    return top;
}

template <typename T>
__device__ void softmax_impl(const T* x, T* y, long long K, bool log_form) {
    __shared__ T top_partial[THREADS];
    __shared__ double sum_partial[THREADS];
    const T* row = x + blockIdx.x * K;
    T* out = y + blockIdx.x * K;
    T top = row_max(row, K, top_partial);
    double acc = 0;
    for (long long k = threadIdx.x; k < K; k += THREADS) acc += (double)exponential(row[k] - top);
    double total = block_sum(acc, sum_partial);
    if (log_form) {
        T log_total = (T)log(total);
        for (long long k = threadIdx.x; k < K; k += THREADS) out[k] = (row[k] - top) - log_total;
    } else {
        T inv = (T)(1.0 / total);
        for (long long k = threadIdx.x; k < K; k += THREADS)
            out[k] = exponential(row[k] - top) * inv;
    }
}

extern "C" __global__ void softmax_rows_f32(const float* x, float* y, long long K) {
    softmax_impl<float>(x, y, K, false);
}
extern "C" __global__ void softmax_rows_f64(const double* x, double* y, long long K) {
    softmax_impl<double>(x, y, K, false);
}
extern "C" __global__ void log_softmax_rows_f32(const float* x, float* y, long long K) {
    softmax_impl<float>(x, y, K, true);
}
extern "C" __global__ void log_softmax_rows_f64(const double* x, double* y, long long K) {
    softmax_impl<double>(x, y, K, true);
}

// Attention weights: each row's softmax in place; a row of -inf only (every key masked)
// becomes 0. `top` is the same in every thread of the block, so the early return is uniform.
template <typename T>
__device__ void masked_softmax_impl(T* x, long long K) {
    __shared__ T top_partial[THREADS];
    __shared__ double sum_partial[THREADS];
    T* row = x + blockIdx.x * K;
    T top = row_max(row, K, top_partial);
    if (top == minus_infinity<T>()) {
        for (long long k = threadIdx.x; k < K; k += THREADS) row[k] = T(0);
        return;
    }
    double acc = 0;
    for (long long k = threadIdx.x; k < K; k += THREADS) acc += (double)exponential(row[k] - top);
    T inv = (T)(1.0 / block_sum(acc, sum_partial));
    for (long long k = threadIdx.x; k < K; k += THREADS) row[k] = exponential(row[k] - top) * inv;
}

// The softmax gradient along rows: out = s * (g - sum_k g*s), the sum in double.
template <typename T>
__device__ void softmax_backward_impl(const T* s, const T* g, T* out, long long K) {
    __shared__ double sum_partial[THREADS];
    long long base = blockIdx.x * K;
    double acc = 0;
    for (long long k = threadIdx.x; k < K; k += THREADS) acc += (double)g[base + k] * s[base + k];
    T total = (T)block_sum(acc, sum_partial);
    for (long long k = threadIdx.x; k < K; k += THREADS)
        out[base + k] = s[base + k] * (g[base + k] - total);
}

extern "C" __global__ void masked_softmax_rows_f32(float* x, long long K) {
    masked_softmax_impl<float>(x, K);
}
extern "C" __global__ void masked_softmax_rows_f64(double* x, long long K) {
    masked_softmax_impl<double>(x, K);
}
extern "C" __global__ void softmax_backward_rows_f32(const float* s, const float* g, float* out,
                                                     long long K) {
    softmax_backward_impl<float>(s, g, out, K);
}
extern "C" __global__ void softmax_backward_rows_f64(const double* s, const double* g,
                                                     double* out, long long K) {
    softmax_backward_impl<double>(s, g, out, K);
}
