// im2col / col2im, NCHW. Sizes are long long; every kernel has a float (_f32) and a
// double (_f64) entry point over one template.
//
// im2col: one thread per column entry (c, i, j, n, oy, ox) of cols (C*kh*kw, N, oh*ow).
// col2im: the gather form, one thread per input pixel summing every column entry that
// read it (no atomics, deterministic, the same summation order as the cpu form).

template <typename T>
__device__ void im2col_impl(const T* x, T* cols, long long N, long long C, long long H,
                            long long W, long long kh, long long kw, long long sh,
                            long long sw, long long ph, long long pw, long long dh,
                            long long dw, long long oh, long long ow) {
    long long t = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (t >= N * C * kh * kw * oh * ow) return;
    long long r = t;
    long long ox = r % ow; r /= ow;
    long long oy = r % oh; r /= oh;
    long long n = r % N;   r /= N;
    long long j = r % kw;  r /= kw;
    long long i = r % kh;  r /= kh;             // r = c
    long long iy = oy * sh - ph + i * dh;
    long long ix = ox * sw - pw + j * dw;
    T v = 0;
    if (iy >= 0 && iy < H && ix >= 0 && ix < W) v = x[((n * C + r) * H + iy) * W + ix];
    cols[t] = v;
}

template <typename T>
__device__ void col2im_impl(const T* cols, T* dx, long long N, long long C, long long H,
                            long long W, long long kh, long long kw, long long sh,
                            long long sw, long long ph, long long pw, long long dh,
                            long long dw, long long oh, long long ow) {
    long long t = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (t >= N * C * H * W) return;
    long long x = t % W;
    long long y = (t / W) % H;
    long long nc = t / (W * H);                 // n * C + c
    long long n = nc / C, c = nc % C;
    T acc = 0;
    for (long long i = 0; i < kh; ++i) {
        long long ty = y + ph - i * dh;         // = oy * sh for the window that reads y
        if (ty < 0 || ty % sh != 0) continue;
        long long oy = ty / sh;
        if (oy >= oh) continue;
        for (long long j = 0; j < kw; ++j) {
            long long tx = x + pw - j * dw;
            if (tx < 0 || tx % sw != 0) continue;
            long long ox = tx / sw;
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
    im2col_impl<float>(x, cols, PASS);
}
extern "C" __global__ void im2col_f64(const double* x, double* cols, SIZES) {
    im2col_impl<double>(x, cols, PASS);
}
extern "C" __global__ void col2im_f32(const float* cols, float* dx, SIZES) {
    col2im_impl<float>(cols, dx, PASS);
}
extern "C" __global__ void col2im_f64(const double* cols, double* dx, SIZES) {
    col2im_impl<double>(cols, dx, PASS);
}
