"""Plain NumPy solutions of every exercise of `minicnn exercises`, as a learner would write
them: `minicnn check NAME tests/exercises/solutions.py` passes for each NAME."""
import numpy as np


def _out_size(n, k, stride, padding):
    return (n + 2 * padding - k) // stride + 1


def im2col(x, kh, kw, stride=1, padding=0):
    N, C, H, W = x.shape
    oh, ow = _out_size(H, kh, stride, padding), _out_size(W, kw, stride, padding)
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    cols = np.empty((C, kh, kw, N, oh, ow))
    for a in range(kh):
        for e in range(kw):
            taps = xp[:, :, a:a + stride * (oh - 1) + 1:stride, e:e + stride * (ow - 1) + 1:stride]
            cols[:, a, e] = taps.transpose(1, 0, 2, 3)
    return cols.reshape(C * kh * kw, N * oh * ow)


def col2im(cols, x_shape, kh, kw, stride=1, padding=0):
    N, C, H, W = x_shape
    oh, ow = _out_size(H, kh, stride, padding), _out_size(W, kw, stride, padding)
    cols = cols.reshape(C, kh, kw, N, oh, ow)
    dxp = np.zeros((N, C, H + 2 * padding, W + 2 * padding))
    for a in range(kh):
        for e in range(kw):
            dxp[:, :, a:a + stride * (oh - 1) + 1:stride, e:e + stride * (ow - 1) + 1:stride] += \
                cols[:, a, e].transpose(1, 0, 2, 3)
    return dxp[:, :, padding:padding + H, padding:padding + W]


def conv2d_forward(x, w, b, stride=1, padding=0):
    N, _, H, W = x.shape
    OC, _, kh, kw = w.shape
    oh, ow = _out_size(H, kh, stride, padding), _out_size(W, kw, stride, padding)
    y = w.reshape(OC, -1) @ im2col(x, kh, kw, stride, padding) + b[:, None]
    return y.reshape(OC, N, oh, ow).transpose(1, 0, 2, 3)


def conv2d_backward(x, w, grad_out, stride=1, padding=0):
    OC, _, kh, kw = w.shape
    g = grad_out.transpose(1, 0, 2, 3).reshape(OC, -1)                 # (OC, N·oh·ow)
    dw = (g @ im2col(x, kh, kw, stride, padding).T).reshape(w.shape)
    dx = col2im(w.reshape(OC, -1).T @ g, x.shape, kh, kw, stride, padding)
    return dx, dw, grad_out.sum(axis=(0, 2, 3))


def max_pool2d_backward(x, grad_out, kernel, stride):
    dx = np.zeros_like(x)
    N, C, oh, ow = grad_out.shape
    n, c = np.indices((N, C))
    for i in range(oh):
        for j in range(ow):
            window = x[:, :, i * stride:i * stride + kernel, j * stride:j * stride + kernel]
            a, e = np.divmod(window.reshape(N, C, -1).argmax(axis=-1), kernel)
            np.add.at(dx, (n, c, i * stride + a, j * stride + e), grad_out[:, :, i, j])
    return dx


def avg_pool2d_backward(x_shape, grad_out, kernel, stride):
    dx = np.zeros(x_shape)
    for i in range(grad_out.shape[2]):
        for j in range(grad_out.shape[3]):
            dx[:, :, i * stride:i * stride + kernel, j * stride:j * stride + kernel] += \
                grad_out[:, :, i:i + 1, j:j + 1] / kernel ** 2
    return dx


def batch_norm_backward(x, gamma, grad_out, eps=1e-5):
    axes = (0, 2, 3)
    mean, var = x.mean(axis=axes, keepdims=True), x.var(axis=axes, keepdims=True)
    x_hat = (x - mean) / np.sqrt(var + eps)
    dx_hat = grad_out * gamma.reshape(1, -1, 1, 1)
    dx = (dx_hat - dx_hat.mean(axis=axes, keepdims=True)
          - x_hat * (dx_hat * x_hat).mean(axis=axes, keepdims=True)) / np.sqrt(var + eps)
    return dx, (grad_out * x_hat).sum(axis=axes), grad_out.sum(axis=axes)


def _window_sums(a, before, after, size):
    """Σ over the channel window [c − before, c + after] of a, for every channel c."""
    padded = np.pad(a, ((0, 0), (before, after), (0, 0), (0, 0)))
    return sum(padded[:, i:i + a.shape[1]] for i in range(size))


def lrn_backward(x, grad_out, size=5, alpha=1e-4, beta=0.75, k=2.0):
    before, after = size // 2, (size - 1) // 2
    s = k + alpha / size * _window_sums(x ** 2, before, after, size)
    through_s = _window_sums(grad_out * x * s ** (-beta - 1), after, before, size)
    return grad_out * s ** -beta - 2 * alpha / size * beta * x * through_s


def softmax_backward(y, grad_out):
    return y * (grad_out - (grad_out * y).sum(axis=-1, keepdims=True))
