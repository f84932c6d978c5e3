// Max and average pooling, NCHW. Float (_f32) and double (_f64) entry points over one
// template; all but max backward's use 32-bit index arithmetic and have _i64_ twins with
// 64-bit index arithmetic for arrays too large for it (see thread_index.cuh). The rules
// match the cpu and reference forms:
//
// max forward:   one thread per output; the first maximum wins, a NaN beats everything
//                but an earlier NaN, a window of −inf reports its first real pixel;
//                indices are flat h*W + w within the input plane.
// max backward:  gather, one thread per input pixel over the windows that can hold it,
//                adding the gradients of those whose index names the pixel, in the order
//                the cpu form adds them (no atomics, deterministic).
// avg forward:   one thread per output.
// avg backward:  gather, one thread per input pixel over the windows that hold it, in
//                the order the cpu form adds them (no atomics, deterministic).

#include "thread_index.cuh"

#define MAX_SIZES long long NC, long long H, long long W, long long kh, long long kw, \
    long long sh, long long sw, long long ph, long long pw, long long dh, long long dw, \
    long long oh, long long ow
#define MAX_PASS NC, H, W, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow
#define AVG_SIZES long long NC, long long H, long long W, long long kh, long long kw, \
    long long sh, long long sw, long long ph, long long pw, long long oh, long long ow, \
    long long count_include_pad, long long divisor_override
#define AVG_PASS NC, H, W, kh, kw, sh, sw, ph, pw, oh, ow, count_include_pad, divisor_override

template <typename T> __device__ T minus_infinity();
template <> __device__ float minus_infinity<float>() { return -__int_as_float(0x7f800000); }
template <> __device__ double minus_infinity<double>() {
    return -__longlong_as_double(0x7ff0000000000000LL);
}

template <typename I>
__device__ I first_inside(I start, I dilation) {
    if (start < 0) start += (-start + dilation - 1) / dilation * dilation;
    return start;
}

template <typename T, typename I>
__device__ void max_forward_impl(const T* x, T* y, long long* idx, I NC, I H, I W, I kh, I kw,
                                 I sh, I sw, I ph, I pw, I dh, I dw, I oh, I ow) {
    I t = thread_index<I>();
    if (t >= NC * oh * ow) return;
    I ox = t % ow;
    I oy = (t / ow) % oh;
    const T* src = x + t / (ow * oh) * H * W;
    I h0 = first_inside(oy * sh - ph, dh);
    I h1 = min(oy * sh - ph + (kh - 1) * dh + 1, H);
    I w0 = first_inside(ox * sw - pw, dw);
    I w1 = min(ox * sw - pw + (kw - 1) * dw + 1, W);
    T best = minus_infinity<T>();
    I best_at = h0 * W + w0;
    for (I ih = h0; ih < h1; ih += dh) {
        for (I iw = w0; iw < w1; iw += dw) {
            T v = src[ih * W + iw];
            if (v > best || (v != v && best == best)) {
                best = v;
                best_at = ih * W + iw;
            }
        }
    }
    y[t] = best;
    idx[t] = best_at;
}

// The outputs [*first, *last) whose windows along one axis can hold input position i:
// o*s − p <= i <= o*s − p + (k − 1)*d, cut to 0 .. out.
__device__ void windows_holding(long long i, long long k, long long s, long long p,
                                long long d, long long out, long long* first,
                                long long* last) {
    long long a = i + p - (k - 1) * d;          // o*s >= a
    *first = a > 0 ? (a + s - 1) / s : 0;
    *last = min((i + p) / s + 1, out);
}

template <typename T>
__device__ void max_backward_impl(const T* g, const long long* idx, T* dx, MAX_SIZES) {
    long long t = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (t >= NC * H * W) return;
    long long pixel = t % (H * W);
    long long plane = t / (H * W) * oh * ow;
    long long oy0, oy1, ox0, ox1;
    windows_holding(pixel / W, kh, sh, ph, dh, oh, &oy0, &oy1);
    windows_holding(pixel % W, kw, sw, pw, dw, ow, &ox0, &ox1);
    T acc = 0;
    for (long long oy = oy0; oy < oy1; ++oy)
        for (long long ox = ox0; ox < ox1; ++ox) {
            long long o = plane + oy * ow + ox;
            if (idx[o] == pixel) acc += g[o];
        }
    dx[t] = acc;
}

// The part of window o that the divisor counts, by PyTorch's rules.
template <typename I>
__device__ I window_count(I o, I k, I s, I p, I size, I count_include_pad) {
    I start = o * s - p;
    I end = min(start + k, size + p);           // a ceil_mode window stops at the padding
    if (!count_include_pad) {
        start = max(start, I(0));
        end = min(end, size);
    }
    return end - start;
}

template <typename T, typename I>
__device__ T divisor(I oy, I ox, I H, I W, I kh, I kw, I sh, I sw, I ph, I pw,
                     I count_include_pad, I divisor_override) {
    if (divisor_override > 0) return (T)divisor_override;
    return (T)window_count(oy, kh, sh, ph, H, count_include_pad) *
           (T)window_count(ox, kw, sw, pw, W, count_include_pad);
}

template <typename T, typename I>
__device__ void avg_forward_impl(const T* x, T* y, I NC, I H, I W, I kh, I kw, I sh, I sw,
                                 I ph, I pw, I oh, I ow, I count_include_pad,
                                 I divisor_override) {
    I t = thread_index<I>();
    if (t >= NC * oh * ow) return;
    I ox = t % ow;
    I oy = (t / ow) % oh;
    const T* src = x + t / (ow * oh) * H * W;
    I h0 = max(oy * sh - ph, I(0)), h1 = min(oy * sh - ph + kh, H);
    I w0 = max(ox * sw - pw, I(0)), w1 = min(ox * sw - pw + kw, W);
    T total = 0;
    for (I ih = h0; ih < h1; ++ih)
        for (I iw = w0; iw < w1; ++iw) total += src[ih * W + iw];
    y[t] = total / divisor<T, I>(oy, ox, H, W, kh, kw, sh, sw, ph, pw, count_include_pad,
                              divisor_override);
}

template <typename T, typename I>
__device__ void avg_backward_impl(const T* g, T* dx, I NC, I H, I W, I kh, I kw, I sh, I sw,
                                  I ph, I pw, I oh, I ow, I count_include_pad,
                                  I divisor_override) {
    I t = thread_index<I>();
    if (t >= NC * H * W) return;
    I x = t % W;
    I y = (t / W) % H;
    const T* go = g + t / (W * H) * oh * ow;
    // the windows that hold (y, x): oy*sh − ph <= y < oy*sh − ph + kh, likewise for x
    I a = y + ph - kh + 1;                      // oy*sh >= a
    I oy0 = a > 0 ? (a + sh - 1) / sh : 0;
    I oy1 = min((y + ph) / sh + 1, oh);
    I b = x + pw - kw + 1;                      // ox*sw >= b
    I ox0 = b > 0 ? (b + sw - 1) / sw : 0;
    I ox1 = min((x + pw) / sw + 1, ow);
    T acc = 0;
    for (I oy = oy0; oy < oy1; ++oy)
        for (I ox = ox0; ox < ox1; ++ox)
            acc += go[oy * ow + ox] / divisor<T, I>(oy, ox, H, W, kh, kw, sh, sw, ph, pw,
                                                 count_include_pad, divisor_override);
    dx[t] = acc;
}

extern "C" __global__ void max_forward_f32(const float* x, float* y, long long* idx,
                                           MAX_SIZES) {
    max_forward_impl<float, int>(x, y, idx, MAX_PASS);
}
extern "C" __global__ void max_forward_f64(const double* x, double* y, long long* idx,
                                           MAX_SIZES) {
    max_forward_impl<double, int>(x, y, idx, MAX_PASS);
}
extern "C" __global__ void max_forward_i64_f32(const float* x, float* y, long long* idx,
                                               MAX_SIZES) {
    max_forward_impl<float, long long>(x, y, idx, MAX_PASS);
}
extern "C" __global__ void max_forward_i64_f64(const double* x, double* y, long long* idx,
                                               MAX_SIZES) {
    max_forward_impl<double, long long>(x, y, idx, MAX_PASS);
}
extern "C" __global__ void max_backward_f32(const float* g, const long long* idx, float* dx,
                                            MAX_SIZES) {
    max_backward_impl<float>(g, idx, dx, MAX_PASS);
}
extern "C" __global__ void max_backward_f64(const double* g, const long long* idx, double* dx,
                                            MAX_SIZES) {
    max_backward_impl<double>(g, idx, dx, MAX_PASS);
}
extern "C" __global__ void avg_forward_f32(const float* x, float* y, AVG_SIZES) {
    avg_forward_impl<float, int>(x, y, AVG_PASS);
}
extern "C" __global__ void avg_forward_f64(const double* x, double* y, AVG_SIZES) {
    avg_forward_impl<double, int>(x, y, AVG_PASS);
}
extern "C" __global__ void avg_forward_i64_f32(const float* x, float* y, AVG_SIZES) {
    avg_forward_impl<float, long long>(x, y, AVG_PASS);
}
extern "C" __global__ void avg_forward_i64_f64(const double* x, double* y, AVG_SIZES) {
    avg_forward_impl<double, long long>(x, y, AVG_PASS);
}
extern "C" __global__ void avg_backward_f32(const float* g, float* dx, AVG_SIZES) {
    avg_backward_impl<float, int>(g, dx, AVG_PASS);
}
extern "C" __global__ void avg_backward_f64(const double* g, double* dx, AVG_SIZES) {
    avg_backward_impl<double, int>(g, dx, AVG_PASS);
}
extern "C" __global__ void avg_backward_i64_f32(const float* g, float* dx, AVG_SIZES) {
    avg_backward_impl<float, long long>(g, dx, AVG_PASS);
}
extern "C" __global__ void avg_backward_i64_f64(const double* g, double* dx, AVG_SIZES) {
    avg_backward_impl<double, long long>(g, dx, AVG_PASS);
}
