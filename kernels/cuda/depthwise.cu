// Direct depthwise convolution, NCHW, weight (C*m, 1, kh, kw); output channel o reads
// input channel o / m. Float (_f32) and double (_f64) entry points over one template, with
// 32-bit index arithmetic, and _i64_ ones with 64-bit index arithmetic for arrays too large
// for it (see thread_index.cuh).
//
// forward:      one thread per output element;
// grad_input:   gather, one thread per input pixel over the m output channels of its
//               channel and every tap that read it (no atomics, deterministic);
// grad_weight:  one block of 256 threads per weight element, a compensated sum per thread
//               and a tree reduction in shared memory (block_sum.cuh, deterministic).

#define THREADS 256   // must equal loader.THREADS

#include "block_sum.cuh"
#include "thread_index.cuh"

#define SIZES_OF(I) I N, I C, I H, I W, I OC, I kh, I kw, I sh, I sw, I ph, I pw, I dh, I dw, \
    I oh, I ow

template <typename T, typename I>
__device__ void forward_impl(const T* x, const T* w, T* y, SIZES_OF(I)) {
    I t = thread_index<I>();
    if (t >= N * OC * oh * ow) return;
    I ox = t % ow;
    I oy = (t / ow) % oh;
    I o = (t / (ow * oh)) % OC;
    I n = t / (ow * oh * OC);
    const T* src = x + (n * C + o / (OC / C)) * H * W;
    const T* wo = w + o * kh * kw;
    T acc = 0;
    for (I i = 0; i < kh; ++i) {
        I iy = oy * sh - ph + i * dh;
        if (iy < 0 || iy >= H) continue;
        for (I j = 0; j < kw; ++j) {
            I ix = ox * sw - pw + j * dw;
            if (ix < 0 || ix >= W) continue;
            acc += wo[i * kw + j] * src[iy * W + ix];
        }
    }
    y[t] = acc;
}

template <typename T, typename I>
__device__ void grad_input_impl(const T* g, const T* w, T* dx, SIZES_OF(I)) {
    I t = thread_index<I>();
    if (t >= N * C * H * W) return;
    I x = t % W;
    I y = (t / W) % H;
    I c = (t / (W * H)) % C;
    I n = t / (W * H * C);
    I m = OC / C;
    T acc = 0;
    for (I o = c * m; o < c * m + m; ++o) {
        const T* go = g + (n * OC + o) * oh * ow;
        for (I i = 0; i < kh; ++i) {
            I ty = y + ph - i * dh;             // = oy * sh for the output that read y
            if (ty < 0 || ty % sh != 0 || ty / sh >= oh) continue;
            I oy = ty / sh;
            for (I j = 0; j < kw; ++j) {
                I tx = x + pw - j * dw;
                if (tx < 0 || tx % sw != 0 || tx / sw >= ow) continue;
                acc += w[(o * kh + i) * kw + j] * go[oy * ow + tx / sw];
            }
        }
    }
    dx[t] = acc;
}

template <typename T, typename I>
__device__ void grad_weight_impl(const T* x, const T* g, T* dw_out, SIZES_OF(I)) {
    __shared__ T partial[THREADS];
    I b = blockIdx.x;                           // weight element (o, i, j)
    I j = b % kw;
    I i = (b / kw) % kh;
    I o = b / (kw * kh);
    I c = o / (OC / C);
    CompensatedSum<T> acc;
    for (I e = threadIdx.x; e < N * oh * ow; e += THREADS) {
        I ox = e % ow;
        I oy = (e / ow) % oh;
        I n = e / (ow * oh);
        I iy = oy * sh - ph + i * dh;
        I ix = ox * sw - pw + j * dw;
        if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
        acc.add(g[((n * OC + o) * oh + oy) * ow + ox] * x[((n * C + c) * H + iy) * W + ix]);
    }
    T total = block_sum(acc.total(), partial);
    if (threadIdx.x == 0) dw_out[b] = total;
}

#define SIZES SIZES_OF(long long)
#define PASS N, C, H, W, OC, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow

extern "C" __global__ void depthwise_forward_f32(const float* x, const float* w,
                                                 float* y, SIZES) {
    forward_impl<float, int>(x, w, y, PASS);
}
extern "C" __global__ void depthwise_forward_f64(const double* x, const double* w,
                                                 double* y, SIZES) {
    forward_impl<double, int>(x, w, y, PASS);
}
extern "C" __global__ void depthwise_forward_i64_f32(const float* x, const float* w,
                                                     float* y, SIZES) {
    forward_impl<float, long long>(x, w, y, PASS);
}
extern "C" __global__ void depthwise_forward_i64_f64(const double* x, const double* w,
                                                     double* y, SIZES) {
    forward_impl<double, long long>(x, w, y, PASS);
}
extern "C" __global__ void depthwise_grad_input_f32(const float* g, const float* w,
                                                    float* dx, SIZES) {
    grad_input_impl<float, int>(g, w, dx, PASS);
}
extern "C" __global__ void depthwise_grad_input_f64(const double* g, const double* w,
                                                    double* dx, SIZES) {
    grad_input_impl<double, int>(g, w, dx, PASS);
}
extern "C" __global__ void depthwise_grad_input_i64_f32(const float* g, const float* w,
                                                        float* dx, SIZES) {
    grad_input_impl<float, long long>(g, w, dx, PASS);
}
extern "C" __global__ void depthwise_grad_input_i64_f64(const double* g, const double* w,
                                                        double* dx, SIZES) {
    grad_input_impl<double, long long>(g, w, dx, PASS);
}
extern "C" __global__ void depthwise_grad_weight_f32(const float* x, const float* g,
                                                     float* dw_out, SIZES) {
    grad_weight_impl<float, int>(x, g, dw_out, PASS);
}
extern "C" __global__ void depthwise_grad_weight_f64(const double* x, const double* g,
                                                     double* dw_out, SIZES) {
    grad_weight_impl<double, int>(x, g, dw_out, PASS);
}
extern "C" __global__ void depthwise_grad_weight_i64_f32(const float* x, const float* g,
                                                         float* dw_out, SIZES) {
    grad_weight_impl<float, long long>(x, g, dw_out, PASS);
}
extern "C" __global__ void depthwise_grad_weight_i64_f64(const double* x, const double* g,
                                                         double* dw_out, SIZES) {
    grad_weight_impl<double, long long>(x, g, dw_out, PASS);
}
