// im2col / col2im, NCHW. Every kernel has float (_f32) and double (_f64) entry points over
// one template, with 32-bit index arithmetic, and _i64_ ones with 64-bit index arithmetic
// for arrays too large for it (see thread_index.cuh); all take sizes as long long.
//
// im2col: one thread per column entry (c, i, j, n, oy, ox) of cols (C*kh*kw, N, oh*ow).
// col2im: the gather form, one thread per input pixel summing every column entry that
// read it (no atomics, deterministic, the same summation order as the cpu form).

#include "thread_index.cuh"

template <typename T, typename I>
__device__ void im2col_impl(const T* x, T* cols, I N, I C, I H, I W, I kh, I kw, I sh, I sw,
                            I ph, I pw, I dh, I dw, I oh, I ow) {
    I t = thread_index<I>();
    if (t >= N * C * kh * kw * oh * ow) return;
    I r = t;
    I ox = r % ow; r /= ow;
    I oy = r % oh; r /= oh;
    I n = r % N;   r /= N;
    I j = r % kw;  r /= kw;
    I i = r % kh;  r /= kh;                     // r = c
    I iy = oy * sh - ph + i * dh;
    I ix = ox * sw - pw + j * dw;
    T v = 0;
    if (iy >= 0 && iy < H && ix >= 0 && ix < W) v = x[((n * C + r) * H + iy) * W + ix];
    cols[t] = v;
}

template <typename T, typename I>
__device__ void col2im_impl(const T* cols, T* dx, I N, I C, I H, I W, I kh, I kw, I sh, I sw,
                            I ph, I pw, I dh, I dw, I oh, I ow) {
    I t = thread_index<I>();
    if (t >= N * C * H * W) return;
    I x = t % W;
    I y = (t / W) % H;
    I nc = t / (W * H);                         // n * C + c
    I n = nc / C, c = nc % C;
    T acc = 0;
    for (I i = 0; i < kh; ++i) {
        I ty = y + ph - i * dh;                 // = oy * sh for the window that reads y
        if (ty < 0 || ty % sh != 0) continue;
        I oy = ty / sh;
        if (oy >= oh) continue;
        for (I j = 0; j < kw; ++j) {
            I tx = x + pw - j * dw;
            if (tx < 0 || tx % sw != 0) continue;
            I ox = tx / sw;
            if (ox >= ow) continue;
            acc += cols[(((c * kh + i) * kw + j) * N + n) * oh * ow + oy * ow + ox];
        }
    }
    dx[t] = acc;
}

#define SIZES long long N, long long C, long long H, long long W, long long kh, long long kw, \
    long long sh, long long sw, long long ph, long long pw, long long dh, long long dw, \
    long long oh, long long ow
#define PASS N, C, H, W, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow

extern "C" __global__ void im2col_f32(const float* x, float* cols, SIZES) {
    im2col_impl<float, int>(x, cols, PASS);
}
extern "C" __global__ void im2col_f64(const double* x, double* cols, SIZES) {
    im2col_impl<double, int>(x, cols, PASS);
}
extern "C" __global__ void im2col_i64_f32(const float* x, float* cols, SIZES) {
    im2col_impl<float, long long>(x, cols, PASS);
}
extern "C" __global__ void im2col_i64_f64(const double* x, double* cols, SIZES) {
    im2col_impl<double, long long>(x, cols, PASS);
}
extern "C" __global__ void col2im_f32(const float* cols, float* dx, SIZES) {
    col2im_impl<float, int>(cols, dx, PASS);
}
extern "C" __global__ void col2im_f64(const double* cols, double* dx, SIZES) {
    col2im_impl<double, int>(cols, dx, PASS);
}
extern "C" __global__ void col2im_i64_f32(const float* cols, float* dx, SIZES) {
    col2im_impl<float, long long>(cols, dx, PASS);
}
extern "C" __global__ void col2im_i64_f64(const double* cols, double* dx, SIZES) {
    col2im_impl<double, long long>(cols, dx, PASS);
}
