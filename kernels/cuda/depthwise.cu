// Direct depthwise convolution, NCHW, weight (C*m, 1, kh, kw); output channel o reads
// input channel o / m. Float (_f32) and double (_f64) entry points over one template.
//
// forward:      one thread per output element;
// grad_input:   gather, one thread per input pixel over the m output channels of its
//               channel and every tap that read it (no atomics, deterministic);
// grad_weight:  one block of 256 threads per weight element, a double accumulator per
//               thread and a tree reduction in shared memory (deterministic).

#define THREADS 256   // must equal loader.THREADS

#include "block_sum.cuh"

template <typename T>
__device__ void forward_impl(const T* x, const T* w, T* y, long long N, long long C,
                             long long H, long long W, long long OC, long long kh,
                             long long kw, long long sh, long long sw, long long ph,
                             long long pw, long long dh, long long dw, long long oh,
                             long long ow) {
    long long t = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (t >= N * OC * oh * ow) return;
    long long ox = t % ow;
    long long oy = (t / ow) % oh;
    long long o = (t / (ow * oh)) % OC;
    long long n = t / (ow * oh * OC);
    const T* src = x + (n * C + o / (OC / C)) * H * W;
    const T* wo = w + o * kh * kw;
    T acc = 0;
    for (long long i = 0; i < kh; ++i) {
        long long iy = oy * sh - ph + i * dh;
        if (iy < 0 || iy >= H) continue;
        for (long long j = 0; j < kw; ++j) {
            long long ix = ox * sw - pw + j * dw;
            if (ix < 0 || ix >= W) continue;
            acc += wo[i * kw + j] * src[iy * W + ix];
        }
    }
    y[t] = acc;
}

template <typename T>
__device__ void grad_input_impl(const T* g, const T* w, T* dx, long long N, long long C,
                                long long H, long long W, long long OC, long long kh,
                                long long kw, long long sh, long long sw, long long ph,
                                long long pw, long long dh, long long dw, long long oh,
                                long long ow) {
    long long t = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (t >= N * C * H * W) return;
    long long x = t % W;
    long long y = (t / W) % H;
    long long c = (t / (W * H)) % C;
    long long n = t / (W * H * C);
    long long m = OC / C;
    T acc = 0;
    for (long long o = c * m; o < c * m + m; ++o) {
        const T* go = g + (n * OC + o) * oh * ow;
        for (long long i = 0; i < kh; ++i) {
            long long ty = y + ph - i * dh;     // = oy * sh for the output that read y
            if (ty < 0 || ty % sh != 0 || ty / sh >= oh) continue;
            long long oy = ty / sh;
            for (long long j = 0; j < kw; ++j) {
                long long tx = x + pw - j * dw;
                if (tx < 0 || tx % sw != 0 || tx / sw >= ow) continue;
                acc += w[(o * kh + i) * kw + j] * go[oy * ow + tx / sw];
            }
        }
    }
    dx[t] = acc;
}

template <typename T>
__device__ void grad_weight_impl(const T* x, const T* g, T* dw_out, long long N, long long C,
                                 long long H, long long W, long long OC, long long kh,
                                 long long kw, long long sh, long long sw, long long ph,
                                 long long pw, long long dh, long long dw, long long oh,
                                 long long ow) {
    __shared__ double partial[THREADS];
    long long b = blockIdx.x;                   // weight element (o, i, j)
    long long j = b % kw;
    long long i = (b / kw) % kh;
    long long o = b / (kw * kh);
    long long c = o / (OC / C);
    double acc = 0;
    for (long long e = threadIdx.x; e < N * oh * ow; e += THREADS) {
        long long ox = e % ow;
        long long oy = (e / ow) % oh;
        long long n = e / (ow * oh);
        long long iy = oy * sh - ph + i * dh;
        long long ix = ox * sw - pw + j * dw;
        if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
        acc += (double)g[((n * OC + o) * oh + oy) * ow + ox] *
               (double)x[((n * C + c) * H + iy) * W + ix];
    }
    double total = block_sum(acc, partial);
    if (threadIdx.x == 0) dw_out[b] = (T)total;
}

#define SIZES long long N, long long C, long long H, long long W, long long OC, long long kh, \
    long long kw, long long sh, long long sw, long long ph, long long pw, long long dh, \
    long long dw, long long oh, long long ow
#define PASS N, C, H, W, OC, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow

extern "C" __global__ void depthwise_forward_f32(const float* x, const float* w, float* y,
                                                 SIZES) {
    forward_impl<float>(x, w, y, PASS);
}
extern "C" __global__ void depthwise_forward_f64(const double* x, const double* w, double* y,
                                                 SIZES) {
    forward_impl<double>(x, w, y, PASS);
}
extern "C" __global__ void depthwise_grad_input_f32(const float* g, const float* w, float* dx,
                                                    SIZES) {
    grad_input_impl<float>(g, w, dx, PASS);
}
extern "C" __global__ void depthwise_grad_input_f64(const double* g, const double* w,
                                                    double* dx, SIZES) {
    grad_input_impl<double>(g, w, dx, PASS);
}
extern "C" __global__ void depthwise_grad_weight_f32(const float* x, const float* g,
                                                     float* dw_out, SIZES) {
    grad_weight_impl<float>(x, g, dw_out, PASS);
}
extern "C" __global__ void depthwise_grad_weight_f64(const double* x, const double* g,
                                                     double* dw_out, SIZES) {
    grad_weight_impl<double>(x, g, dw_out, PASS);
}
