// Training-mode BatchNorm over x viewed as (N, C, L). Each channel's reductions are split
// over a grid of (C, P) blocks of 256 threads: block (c, p) takes the p-th of P equal slices
// of channel c's N·L elements and writes its partial sums to a scratch array, and each block
// of the next kernel adds the P partial sums of its channel in order (a fixed reduction
// order and no atomics: deterministic). The sums are compensated, in the arrays' own
// precision (block_sum.cuh). With n = N·L:
//
// forward, three passes over x
//   batch_norm_sums           S_p = Σ x over the slice
//   batch_norm_centred_sums   with μ = Σ_p S_p / n: D_p = Σ (x − μ) and Q_p = Σ (x − μ)²
//   batch_norm_normalize      δ = Σ_p D_p / n, mean = μ + δ, var = Σ_p Q_p / n − δ² (the
//                             corrected two-pass variance: δ undoes the rounding of μ, and
//                             nothing cancels as in E[x²] − E[x]²), and
//                             y = (x − μ − δ)·weight/√(var + eps) + bias
// backward, two passes over g and x
//   batch_norm_backward_sums  G_p = Σ g and X_p = Σ g·(x − mean) over the slice
//   batch_norm_backward_dx    with invstd = 1/√(var + eps): db = Σ g,
//                             dw = Σ g·(x − mean)·invstd and
//                             dx = weight·invstd·(g − db/n − (x − mean)·dw·invstd/n)
//
// Float (_f32) and double (_f64) entry points with 32-bit index arithmetic, and _i64_ ones
// with 64-bit index arithmetic for arrays too large for it (see thread_index.cuh).

#define THREADS 256   // must equal loader.THREADS

#include "block_sum.cuh"

__device__ inline float square_root(float a) { return sqrtf(a); }
__device__ inline double square_root(double a) { return sqrt(a); }

// visit(i) for the flat index i of every element of block (c, p)'s slice that this thread
// takes: elements e = begin + threadIdx.x, + THREADS, ... < end of the channel, element e
// being x[e / L, c, e % L]. One division per thread; each step then moves the flat index by
// additions.
template <typename I, typename F>
__device__ void for_each_in_slice(I N, I C, I L, F visit) {
    long long count = (long long)N * L;
    I begin = (I)(count * blockIdx.y / gridDim.y);
    I end = (I)(count * (blockIdx.y + 1) / gridDim.y);
    I e = begin + (I)threadIdx.x;
    if (e >= end) return;
    I pos = e % L;
    I i = (e / L * C + (I)blockIdx.x) * L + pos;
    for (;;) {
        visit(i);
        e += THREADS;
        if (e >= end) return;
        pos += THREADS % L;
        i += THREADS / L * C * L + THREADS % L;
        if (pos >= L) {                         // into the next run of the channel
            pos -= L;
            i += (C - 1) * L;
        }
    }
}

// Where block (c, p) keeps value k of its `width` partial sums in the scratch array (C, P, width).
template <typename I>
__device__ I slot(I width, I k) {
    return ((I)blockIdx.x * (I)gridDim.y + (I)blockIdx.y) * width + k;
}

// Σ_p of value k of the partial sums of this block's channel, over p = 0 .. P − 1 in order.
template <typename T, typename I>
__device__ T channel_total(const T* parts, I width, I k) {
    CompensatedSum<T> acc;
    for (unsigned p = 0; p < gridDim.y; ++p)
        acc.add(parts[((I)blockIdx.x * (I)gridDim.y + (I)p) * width + k]);
    return acc.total();
}

template <typename T, typename I>
__device__ void sums_impl(const T* x, T* sums, I N, I C, I L) {
    __shared__ T partial[THREADS];
    CompensatedSum<T> acc;
    for_each_in_slice(N, C, L, [&](I i) { acc.add(x[i]); });
    T total = block_sum(acc.total(), partial);
    if (threadIdx.x == 0) sums[slot<I>(1, 0)] = total;
}

template <typename T, typename I>
__device__ void centred_sums_impl(const T* x, const T* sums, T* centred, I N, I C, I L) {
    __shared__ T partial[THREADS];
    T mu = channel_total<T, I>(sums, 1, 0) / (T)((long long)N * L);
    CompensatedSum<T> acc_d, acc_q;
    for_each_in_slice(N, C, L, [&](I i) {
        T d = x[i] - mu;
        acc_d.add(d);
        acc_q.add(d * d);
    });
    T sum_d = block_sum(acc_d.total(), partial);
    T sum_q = block_sum(acc_q.total(), partial);
    if (threadIdx.x == 0) {
        centred[slot<I>(2, 0)] = sum_d;
        centred[slot<I>(2, 1)] = sum_q;
    }
}

template <typename T, typename I>
__device__ void normalize_impl(const T* x, const T* sums, const T* centred, const T* weight,
                               const T* bias, T eps, T* y, T* mean, T* var, I N, I C, I L) {
    I c = blockIdx.x;
    T n = (T)((long long)N * L);
    T mu = channel_total<T, I>(sums, 1, 0) / n;
    T delta = channel_total<T, I>(centred, 2, 0) / n;
    T v = channel_total<T, I>(centred, 2, 1) / n - delta * delta;
    if (v < T(0)) v = T(0);                     // a rounding below 0; a NaN stays NaN
    T scale = weight[c] / square_root(v + eps);
    T shift = bias[c];
    for_each_in_slice(N, C, L, [&](I i) { y[i] = (x[i] - mu - delta) * scale + shift; });
    if (blockIdx.y == 0 && threadIdx.x == 0) {
        mean[c] = mu - mu != T(0) ? mu : mu + delta;  // ±∞ or NaN: δ would be NaN
        var[c] = v;
    }
}

template <typename T, typename I>
__device__ void backward_sums_impl(const T* g, const T* x, const T* mean, T* sums, I N, I C,
                                   I L) {
    __shared__ T partial[THREADS];
    T mu = mean[blockIdx.x];
    CompensatedSum<T> acc_g, acc_gx;
    for_each_in_slice(N, C, L, [&](I i) {
        acc_g.add(g[i]);
        acc_gx.add(g[i] * (x[i] - mu));
    });
    T sum_g = block_sum(acc_g.total(), partial);
    T sum_gx = block_sum(acc_gx.total(), partial);
    if (threadIdx.x == 0) {
        sums[slot<I>(2, 0)] = sum_g;
        sums[slot<I>(2, 1)] = sum_gx;
    }
}

template <typename T, typename I>
__device__ void backward_dx_impl(const T* g, const T* x, const T* mean, const T* var,
                                 const T* weight, const T* sums, T eps, T* dx, T* dw, T* db,
                                 I N, I C, I L) {
    I c = blockIdx.x;
    T n = (T)((long long)N * L);
    T mu = mean[c];
    T invstd = T(1) / square_root(var[c] + eps);
    T sum_g = channel_total<T, I>(sums, 2, 0);
    T sum_gx = channel_total<T, I>(sums, 2, 1);
    T k = weight[c] * invstd;
    T mean_g = sum_g / n;
    T slope = sum_gx * invstd * invstd / n;     // mean(g·x̂)/σ
    for_each_in_slice(N, C, L, [&](I i) {
        dx[i] = k * (g[i] - mean_g - (x[i] - mu) * slope);
    });
    if (blockIdx.y == 0 && threadIdx.x == 0) {
        dw[c] = sum_gx * invstd;
        db[c] = sum_g;
    }
}

#define SIZES long long N, long long C, long long L
#define PASS N, C, L

extern "C" __global__ void batch_norm_sums_f32(const float* x, float* sums, SIZES) {
    sums_impl<float, int>(x, sums, PASS);
}
extern "C" __global__ void batch_norm_sums_f64(const double* x, double* sums, SIZES) {
    sums_impl<double, int>(x, sums, PASS);
}
extern "C" __global__ void batch_norm_sums_i64_f32(const float* x, float* sums, SIZES) {
    sums_impl<float, long long>(x, sums, PASS);
}
extern "C" __global__ void batch_norm_sums_i64_f64(const double* x, double* sums, SIZES) {
    sums_impl<double, long long>(x, sums, PASS);
}

extern "C" __global__ void batch_norm_centred_sums_f32(const float* x, const float* sums,
                                                       float* centred, SIZES) {
    centred_sums_impl<float, int>(x, sums, centred, PASS);
}
extern "C" __global__ void batch_norm_centred_sums_f64(const double* x, const double* sums,
                                                       double* centred, SIZES) {
    centred_sums_impl<double, int>(x, sums, centred, PASS);
}
extern "C" __global__ void batch_norm_centred_sums_i64_f32(const float* x, const float* sums,
                                                           float* centred, SIZES) {
    centred_sums_impl<float, long long>(x, sums, centred, PASS);
}
extern "C" __global__ void batch_norm_centred_sums_i64_f64(const double* x, const double* sums,
                                                           double* centred, SIZES) {
    centred_sums_impl<double, long long>(x, sums, centred, PASS);
}

extern "C" __global__ void batch_norm_normalize_f32(
        const float* x, const float* sums, const float* centred, const float* weight,
        const float* bias, double eps, float* y, float* mean, float* var, SIZES) {
    normalize_impl<float, int>(x, sums, centred, weight, bias, (float)eps, y, mean, var, PASS);
}
extern "C" __global__ void batch_norm_normalize_f64(
        const double* x, const double* sums, const double* centred, const double* weight,
        const double* bias, double eps, double* y, double* mean, double* var, SIZES) {
    normalize_impl<double, int>(x, sums, centred, weight, bias, eps, y, mean, var, PASS);
}
extern "C" __global__ void batch_norm_normalize_i64_f32(
        const float* x, const float* sums, const float* centred, const float* weight,
        const float* bias, double eps, float* y, float* mean, float* var, SIZES) {
    normalize_impl<float, long long>(x, sums, centred, weight, bias, (float)eps, y, mean, var,
                                     PASS);
}
extern "C" __global__ void batch_norm_normalize_i64_f64(
        const double* x, const double* sums, const double* centred, const double* weight,
        const double* bias, double eps, double* y, double* mean, double* var, SIZES) {
    normalize_impl<double, long long>(x, sums, centred, weight, bias, eps, y, mean, var, PASS);
}

extern "C" __global__ void batch_norm_backward_sums_f32(const float* g, const float* x,
                                                        const float* mean, float* sums, SIZES) {
    backward_sums_impl<float, int>(g, x, mean, sums, PASS);
}
extern "C" __global__ void batch_norm_backward_sums_f64(const double* g, const double* x,
                                                        const double* mean, double* sums,
                                                        SIZES) {
    backward_sums_impl<double, int>(g, x, mean, sums, PASS);
}
extern "C" __global__ void batch_norm_backward_sums_i64_f32(const float* g, const float* x,
                                                            const float* mean, float* sums,
                                                            SIZES) {
    backward_sums_impl<float, long long>(g, x, mean, sums, PASS);
}
extern "C" __global__ void batch_norm_backward_sums_i64_f64(const double* g, const double* x,
                                                            const double* mean, double* sums,
                                                            SIZES) {
    backward_sums_impl<double, long long>(g, x, mean, sums, PASS);
}

extern "C" __global__ void batch_norm_backward_dx_f32(
        const float* g, const float* x, const float* mean, const float* var,
        const float* weight, const float* sums, double eps, float* dx, float* dw, float* db,
        SIZES) {
    backward_dx_impl<float, int>(g, x, mean, var, weight, sums, (float)eps, dx, dw, db, PASS);
}
extern "C" __global__ void batch_norm_backward_dx_f64(
        const double* g, const double* x, const double* mean, const double* var,
        const double* weight, const double* sums, double eps, double* dx, double* dw,
        double* db, SIZES) {
    backward_dx_impl<double, int>(g, x, mean, var, weight, sums, eps, dx, dw, db, PASS);
}
extern "C" __global__ void batch_norm_backward_dx_i64_f32(
        const float* g, const float* x, const float* mean, const float* var,
        const float* weight, const float* sums, double eps, float* dx, float* dw, float* db,
        SIZES) {
    backward_dx_impl<float, long long>(g, x, mean, var, weight, sums, (float)eps, dx, dw, db,
                                       PASS);
}
extern "C" __global__ void batch_norm_backward_dx_i64_f64(
        const double* g, const double* x, const double* mean, const double* var,
        const double* weight, const double* sums, double eps, double* dx, double* dw,
        double* db, SIZES) {
    backward_dx_impl<double, long long>(g, x, mean, var, weight, sums, eps, dx, dw, db, PASS);
}
