// Local response normalisation across channels (PyTorch's convention) on arrays viewed as
// (N, C, L). One thread per element; float (_f32) and double (_f64) entry points with 32-bit
// index arithmetic, and _i64_ ones with 64-bit index arithmetic for arrays too large for it
// (see thread_index.cuh).
//
// forward:  scale = k + coef · Σ_{c' = c − size/2 .. c + (size−1)/2} x[c']², y = x · scale^negbeta
// backward: dx = g · scale^negbeta − coef · x · Σ_{c' = c − (size−1)/2 .. c + size/2} g·y/scale
//           (the transposed window), gathered per element: no atomics.

#include "thread_index.cuh"

__device__ inline float power(float a, float b) { return powf(a, b); }
__device__ inline double power(double a, double b) { return pow(a, b); }

template <typename T, typename I>
__device__ void forward_impl(const T* x, T* y, T* scale, I N, I C, I L, I size, T coef,
                             T negbeta, T k) {
    I t = thread_index<I>();
    if (t >= N * C * L) return;
    I p = t % L;
    I c = (t / L) % C;
    const T* plane = x + (t / (L * C)) * C * L + p;   // x[n, 0, p], channel stride L
    I c0 = max(c - size / 2, I(0)), c1 = min(c + (size - 1) / 2 + 1, C);
    T sum = 0;
    for (I c2 = c0; c2 < c1; ++c2) sum += plane[c2 * L] * plane[c2 * L];
    T s = k + coef * sum;
    scale[t] = s;
    y[t] = x[t] * power(s, negbeta);
}

template <typename T, typename I>
__device__ void backward_impl(const T* x, const T* y, const T* scale, const T* g, T* dx, I N,
                              I C, I L, I size, T coef, T negbeta) {
    I t = thread_index<I>();
    if (t >= N * C * L) return;
    I p = t % L;
    I c = (t / L) % C;
    I base = (t / (L * C)) * C * L + p;               // offset of [n, 0, p]
    I c0 = max(c - (size - 1) / 2, I(0)), c1 = min(c + size / 2 + 1, C);
    T sum = 0;
    for (I c2 = c0; c2 < c1; ++c2) {
        I e = base + c2 * L;
        sum += g[e] * y[e] / scale[e];
    }
    dx[t] = g[t] * power(scale[t], negbeta) - coef * x[t] * sum;
}

#define SIZES long long N, long long C, long long L, long long size

extern "C" __global__ void lrn_forward_f32(const float* x, float* y, float* scale,
                                           SIZES, float coef, float negbeta, float k) {
    forward_impl<float, int>(x, y, scale, N, C, L, size, coef, negbeta, k);
}
extern "C" __global__ void lrn_forward_f64(const double* x, double* y, double* scale,
                                           SIZES, double coef, double negbeta,
                                           double k) {
    forward_impl<double, int>(x, y, scale, N, C, L, size, coef, negbeta, k);
}
extern "C" __global__ void lrn_forward_i64_f32(const float* x, float* y, float* scale,
                                               SIZES, float coef, float negbeta,
                                               float k) {
    forward_impl<float, long long>(x, y, scale, N, C, L, size, coef, negbeta, k);
}
extern "C" __global__ void lrn_forward_i64_f64(const double* x, double* y, double* scale,
                                               SIZES, double coef, double negbeta,
                                               double k) {
    forward_impl<double, long long>(x, y, scale, N, C, L, size, coef, negbeta, k);
}
extern "C" __global__ void lrn_backward_f32(const float* x, const float* y, const float* scale,
                                            const float* g, float* dx, SIZES,
                                            float coef, float negbeta) {
    backward_impl<float, int>(x, y, scale, g, dx, N, C, L, size, coef, negbeta);
}
extern "C" __global__ void lrn_backward_f64(const double* x, const double* y,
                                            const double* scale, const double* g, double* dx,
                                            SIZES, double coef, double negbeta) {
    backward_impl<double, int>(x, y, scale, g, dx, N, C, L, size, coef, negbeta);
}
extern "C" __global__ void lrn_backward_i64_f32(const float* x, const float* y,
                                                const float* scale, const float* g, float* dx,
                                                SIZES, float coef, float negbeta) {
    backward_impl<float, long long>(x, y, scale, g, dx, N, C, L, size, coef, negbeta);
}
extern "C" __global__ void lrn_backward_i64_f64(const double* x, const double* y,
                                                const double* scale, const double* g,
                                                double* dx, SIZES, double coef,
                                                double negbeta) {
    backward_impl<double, long long>(x, y, scale, g, dx, N, C, L, size, coef, negbeta);
}
