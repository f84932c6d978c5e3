// Softmax and log-softmax along the rows of an (R, K) array. A row gets `lanes` threads, a
// power of two from one warp up to the whole block of 256 that the wrapper sizes to K, and a
// block holds 256 / lanes rows. The row maximum (a NaN propagates) is subtracted before exp,
// so logits of 1e4 stay finite; Σ exp is a compensated sum in the arrays' precision. Both
// reductions are fixed trees in shared memory (block_sum.cuh): deterministic.
//
// Float (_f32) and double (_f64) entry points with 32-bit index arithmetic, and _i64_ ones
// with 64-bit index arithmetic for arrays too large for it (see thread_index.cuh).

#define THREADS 256   // must equal loader.THREADS

#include "block_sum.cuh"

__device__ inline float exponential(float a) { return expf(a); }
__device__ inline double exponential(double a) { return exp(a); }
__device__ inline float logarithm(float a) { return logf(a); }
__device__ inline double logarithm(double a) { return log(a); }

template <typename T> __device__ T minus_infinity();
template <> __device__ float minus_infinity<float>() { return -__int_as_float(0x7f800000); }
template <> __device__ double minus_infinity<double>() {
    return -__longlong_as_double(0x7ff0000000000000LL);
}

struct NanMax {
    template <typename T> __device__ T operator()(T a, T b) const {
        return (a > b || a != a) ? a : b;
    }
};

// This thread's place among the rows: the row's first element, its lane, and the count of
// its elements to visit (0 for the threads of the last block past row R − 1, which still
// reach every barrier).
template <typename I>
struct RowLane {
    I start, length;
    unsigned lane, lanes;

    __device__ RowLane(I R, I K, unsigned lanes_per_row) : lanes(lanes_per_row) {
        lane = threadIdx.x & (lanes - 1);
        I row = (I)blockIdx.x * (I)(THREADS / lanes) + (I)(threadIdx.x / lanes);
        start = row < R ? row * K : 0;
        length = row < R ? K : 0;
    }
};

template <typename T, typename I>
__device__ T row_max(const T* x, const RowLane<I>& at, T* partial) {
    T m = minus_infinity<T>();
    for (I k = at.lane; k < at.length; k += at.lanes) m = NanMax()(m, x[at.start + k]);
    return group_reduce(m, partial, at.lanes, NanMax());
}

template <typename T, typename I>
__device__ T row_exp_sum(const T* x, T top, const RowLane<I>& at, T* partial) {
    CompensatedSum<T> acc;
    for (I k = at.lane; k < at.length; k += at.lanes) acc.add(exponential(x[at.start + k] - top));
    return group_sum(acc.total(), partial, at.lanes);
}

template <typename T, typename I>
__device__ void softmax_impl(const T* x, T* y, I R, I K, unsigned lanes, bool log_form) {
    __shared__ T partial[THREADS];
    RowLane<I> at(R, K, lanes);
    T top = row_max(x, at, partial);
    T total = row_exp_sum(x, top, at, partial);
    if (log_form) {
        T log_total = logarithm(total);
        for (I k = at.lane; k < at.length; k += at.lanes) {
            I i = at.start + k;
            y[i] = (x[i] - top) - log_total;
        }
    } else {
        T inv = T(1) / total;
        for (I k = at.lane; k < at.length; k += at.lanes) {
            I i = at.start + k;
            y[i] = exponential(x[i] - top) * inv;
        }
    }
}

// Attention weights: each row's softmax in place; a row of -inf only (every key masked)
// becomes 0.
template <typename T, typename I>
__device__ void masked_softmax_impl(T* x, I R, I K, unsigned lanes) {
    __shared__ T partial[THREADS];
    RowLane<I> at(R, K, lanes);
    T top = row_max(x, at, partial);
    bool masked = top == minus_infinity<T>();
    RowLane<I> live = at;
    if (masked) live.length = 0;                // exp(−inf − (−inf)) would be NaN
    T inv = T(1) / row_exp_sum(x, top, live, partial);
    for (I k = at.lane; k < at.length; k += at.lanes) {
        I i = at.start + k;
        x[i] = masked ? T(0) : exponential(x[i] - top) * inv;
    }
}

// The softmax gradient along rows: out = s * (g - sum_k g*s).
template <typename T, typename I>
__device__ void softmax_backward_impl(const T* s, const T* g, T* out, I R, I K, unsigned lanes) {
    __shared__ T partial[THREADS];
    RowLane<I> at(R, K, lanes);
    CompensatedSum<T> acc;
    for (I k = at.lane; k < at.length; k += at.lanes) acc.add(g[at.start + k] * s[at.start + k]);
    T total = group_sum(acc.total(), partial, at.lanes);
    for (I k = at.lane; k < at.length; k += at.lanes) {
        I i = at.start + k;
        out[i] = s[i] * (g[i] - total);
    }
}

#define SIZES long long R, long long K, long long lanes
#define PASS R, K, (unsigned)lanes

extern "C" __global__ void softmax_rows_f32(const float* x, float* y, SIZES) {
    softmax_impl<float, int>(x, y, PASS, false);
}
extern "C" __global__ void softmax_rows_f64(const double* x, double* y, SIZES) {
    softmax_impl<double, int>(x, y, PASS, false);
}
extern "C" __global__ void softmax_rows_i64_f32(const float* x, float* y, SIZES) {
    softmax_impl<float, long long>(x, y, PASS, false);
}
extern "C" __global__ void softmax_rows_i64_f64(const double* x, double* y, SIZES) {
    softmax_impl<double, long long>(x, y, PASS, false);
}
extern "C" __global__ void log_softmax_rows_f32(const float* x, float* y, SIZES) {
    softmax_impl<float, int>(x, y, PASS, true);
}
extern "C" __global__ void log_softmax_rows_f64(const double* x, double* y, SIZES) {
    softmax_impl<double, int>(x, y, PASS, true);
}
extern "C" __global__ void log_softmax_rows_i64_f32(const float* x, float* y, SIZES) {
    softmax_impl<float, long long>(x, y, PASS, true);
}
extern "C" __global__ void log_softmax_rows_i64_f64(const double* x, double* y, SIZES) {
    softmax_impl<double, long long>(x, y, PASS, true);
}

extern "C" __global__ void masked_softmax_rows_f32(float* x, SIZES) {
    masked_softmax_impl<float, int>(x, PASS);
}
extern "C" __global__ void masked_softmax_rows_f64(double* x, SIZES) {
    masked_softmax_impl<double, int>(x, PASS);
}
extern "C" __global__ void masked_softmax_rows_i64_f32(float* x, SIZES) {
    masked_softmax_impl<float, long long>(x, PASS);
}
extern "C" __global__ void masked_softmax_rows_i64_f64(double* x, SIZES) {
    masked_softmax_impl<double, long long>(x, PASS);
}
extern "C" __global__ void softmax_backward_rows_f32(const float* s, const float* g, float* out,
                                                     SIZES) {
    softmax_backward_impl<float, int>(s, g, out, PASS);
}
extern "C" __global__ void softmax_backward_rows_f64(const double* s, const double* g,
                                                     double* out, SIZES) {
    softmax_backward_impl<double, int>(s, g, out, PASS);
}
extern "C" __global__ void softmax_backward_rows_i64_f32(const float* s, const float* g,
                                                         float* out, SIZES) {
    softmax_backward_impl<float, long long>(s, g, out, PASS);
}
extern "C" __global__ void softmax_backward_rows_i64_f64(const double* s, const double* g,
                                                         double* out, SIZES) {
    softmax_backward_impl<double, long long>(s, g, out, PASS);
}
