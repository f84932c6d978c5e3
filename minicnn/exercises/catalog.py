"""The exercises: what each function computes, its signature and layout conventions, the
random cases it is checked on, and the engine's answer to each case.

Every case is float64 and drawn from a seeded generator; the cases go from the smallest up,
so that the first case a wrong solution fails on is a small one. The engine's answers come
from minicnn's own ops (conv2d, pooling, batch_norm, local_response_norm, softmax and their
backward passes, im2col and col2im kernels), on the same float64 arrays.
"""
from dataclasses import dataclass

import numpy as np

from .. import functional as F
from .. import grad_mode, kernels
from ..creation import tensor
from ..kernels.shapes import conv_output_shape


@dataclass(frozen=True)
class Exercise:
    """One exercise: the function `name(parameters...)` returns `outputs`; `description` says
    what it computes and how its arrays are laid out; `cases(rng)` gives the argument tuples
    it is checked on (smallest first); `answer(*args)` the engine's outputs for them."""

    name: str
    parameters: tuple
    defaults: dict          # parameter -> its default, as the signature writes it
    outputs: tuple
    description: str
    cases: object
    answer: object

    @property
    def signature(self):
        """The signature a solution defines, e.g. `im2col(x, kh, kw, stride=1, padding=0)`."""
        params = [p if p not in self.defaults else f"{p}={self.defaults[p]}"
                  for p in self.parameters]
        returns = self.outputs[0] if len(self.outputs) == 1 else f"({', '.join(self.outputs)})"
        return f"{self.name}({', '.join(params)}) -> {returns}"


# ---------------------------------------------------------------- the engine's answers

def _grads(op, arrays, grad_out, wanted):
    """The gradients of the arrays at positions `wanted` when op(*tensors) is given grad_out."""
    tensors = [tensor(a, requires_grad=i in wanted) for i, a in enumerate(arrays)]
    with grad_mode.enable_grad():
        op(*tensors).backward(tensor(grad_out))
    return tuple(tensors[i].grad.numpy() for i in wanted)


def _conv2d_forward(x, w, b, stride, padding):
    with grad_mode.no_grad():
        return (F.conv2d(tensor(x), tensor(w), tensor(b), stride=stride,
                         padding=padding).numpy(),)


def _conv2d_backward(x, w, grad_out, stride, padding):
    b = np.zeros(w.shape[0])
    return _grads(lambda x, w, b: F.conv2d(x, w, b, stride=stride, padding=padding),
                  (x, w, b), grad_out, (0, 1, 2))


def _im2col(x, kh, kw, stride, padding):
    cols = kernels.get("im2col", x)(x, (kh, kw), (stride, stride), (padding, padding), (1, 1))
    return (cols.reshape(cols.shape[0], -1),)


def _col2im(cols, x_shape, kh, kw, stride, padding):
    N = x_shape[0]
    cols = np.ascontiguousarray(cols).reshape(cols.shape[0], N, -1)
    return (kernels.get("col2im", cols)(cols, tuple(x_shape), (kh, kw), (stride, stride),
                                        (padding, padding), (1, 1)),)


def _max_pool2d_backward(x, grad_out, kernel, stride):
    return _grads(lambda x: F.max_pool2d(x, kernel, stride), (x,), grad_out, (0,))


def _avg_pool2d_backward(x_shape, grad_out, kernel, stride):
    return _grads(lambda x: F.avg_pool2d(x, kernel, stride), (np.zeros(x_shape),), grad_out,
                  (0,))


def _batch_norm_backward(x, gamma, grad_out, eps):
    beta = np.zeros_like(gamma)
    return _grads(lambda x, g, b: F.batch_norm(x, None, None, g, b, training=True, eps=eps),
                  (x, gamma, beta), grad_out, (0, 1, 2))


def _lrn_backward(x, grad_out, size, alpha, beta, k):
    return _grads(lambda x: F.local_response_norm(x, size, alpha, beta, k), (x,), grad_out,
                  (0,))


def _softmax_backward(y, grad_out):
    # softmax is invariant to shifts, so log(y) is a valid input with softmax(log y) = y
    return _grads(lambda x: F.softmax(x, -1), (np.log(y),), grad_out, (0,))


# ---------------------------------------------------------------- the cases

# (x shape, weight shape, stride, padding), smallest first; then drawn ones
_CONV_GEOMETRIES = [((1, 1, 4, 4), (1, 1, 3, 3), 1, 0),
                    ((1, 2, 5, 4), (3, 2, 3, 2), 1, 1),
                    ((2, 3, 7, 6), (2, 3, 3, 3), 2, 1),
                    ((2, 2, 8, 9), (4, 2, 2, 4), 3, 2)]
# (x shape, kernel, stride): non-overlapping, overlapping, and stride above the kernel
_POOL_GEOMETRIES = [((1, 1, 4, 4), 2, 2), ((1, 2, 5, 5), 3, 2), ((2, 2, 7, 6), 2, 3),
                    ((1, 3, 6, 7), 3, 1)]
DRAWN = 4


def _drawn_conv_geometry(rng):
    kh, kw = (int(v) for v in rng.integers(1, 5, 2))
    stride, padding = int(rng.integers(1, 4)), int(rng.integers(0, 3))
    h, w = (int(rng.integers(max(1, k - 2 * padding), 11)) for k in (kh, kw))
    n, c, oc = (int(v) for v in rng.integers(1, 4, 3))
    return (n, c, h, w), (oc, c, kh, kw), stride, padding


def _conv_geometries(rng):
    return _CONV_GEOMETRIES + [_drawn_conv_geometry(rng) for _ in range(DRAWN)]


def _conv_out(x_shape, w_shape, stride, padding):
    oh, ow = conv_output_shape(x_shape[2:], w_shape[2:], (stride, stride), (padding, padding),
                               (1, 1))
    return (x_shape[0], w_shape[0], oh, ow)


def _untied(rng, shape):
    """Distinct values in a shuffled order: a max-pooling window has one winner."""
    n = int(np.prod(shape))
    return rng.permutation(np.linspace(-3, 3, n)).reshape(shape)


def _pool_geometries(rng):
    drawn = []
    for _ in range(DRAWN):
        kernel, stride = int(rng.integers(1, 4)), int(rng.integers(1, 4))
        h, w = (int(v) for v in rng.integers(kernel, 10, 2))
        drawn.append(((int(rng.integers(1, 3)), int(rng.integers(1, 4)), h, w), kernel, stride))
    return _POOL_GEOMETRIES + drawn


def _pool_out(x_shape, kernel, stride):
    return x_shape[:2] + tuple((n - kernel) // stride + 1 for n in x_shape[2:])


def _conv2d_forward_cases(rng):
    return [(rng.standard_normal(xs), rng.standard_normal(ws), rng.standard_normal(ws[0]), s, p)
            for xs, ws, s, p in _conv_geometries(rng)]


def _conv2d_backward_cases(rng):
    return [(rng.standard_normal(xs), rng.standard_normal(ws),
             rng.standard_normal(_conv_out(xs, ws, s, p)), s, p)
            for xs, ws, s, p in _conv_geometries(rng)]


def _im2col_cases(rng):
    return [(rng.standard_normal(xs), ws[2], ws[3], s, p)
            for xs, ws, s, p in _conv_geometries(rng)]


def _col2im_cases(rng):
    cases = []
    for xs, ws, s, p in _conv_geometries(rng):
        n, _, oh, ow = _conv_out(xs, ws, s, p)
        cols = rng.standard_normal((xs[1] * ws[2] * ws[3], n * oh * ow))
        cases.append((cols, xs, ws[2], ws[3], s, p))
    return cases


def _max_pool_cases(rng):
    return [(_untied(rng, xs), rng.standard_normal(_pool_out(xs, k, s)), k, s)
            for xs, k, s in _pool_geometries(rng)]


def _avg_pool_cases(rng):
    return [(xs, rng.standard_normal(_pool_out(xs, k, s)), k, s)
            for xs, k, s in _pool_geometries(rng)]


def _batch_norm_cases(rng):
    shapes = [(2, 1, 2, 2), (3, 2, 3, 3), (4, 3, 2, 5)] + [
        (int(rng.integers(2, 5)),) + tuple(int(v) for v in rng.integers(1, 5, 3))
        for _ in range(DRAWN)]
    return [(rng.standard_normal(s) * 2 + 0.5, rng.standard_normal(s[1]), rng.standard_normal(s),
             0.5 if i == 1 else 1e-5) for i, s in enumerate(shapes)]


# (x shape, size, alpha, beta, k): an odd and an even window, alpha large enough that a
# window off by one channel shows
_LRN_SETTINGS = [((1, 3, 2, 2), 3, 1.0, 0.75, 2.0), ((2, 5, 3, 3), 5, 1e-4, 0.75, 2.0),
                 ((1, 6, 2, 3), 2, 1.0, 0.75, 1.0), ((2, 7, 2, 2), 5, 2.0, 0.5, 1.0)]


def _lrn_cases(rng):
    drawn = [((int(rng.integers(1, 3)), int(rng.integers(1, 9)), 2, 3), int(rng.integers(1, 7)),
              1.0, 0.75, 2.0) for _ in range(DRAWN)]
    return [(rng.standard_normal(xs), rng.standard_normal(xs), size, alpha, beta, k)
            for xs, size, alpha, beta, k in _LRN_SETTINGS + drawn]


def _softmax_cases(rng):
    shapes = [(1, 3), (4, 5), (2, 3, 6), (5, 10)] + [
        tuple(int(v) for v in rng.integers(1, 7, 2)) for _ in range(DRAWN)]
    cases = []
    for shape in shapes:
        logits = rng.standard_normal(shape) * 2
        y = np.exp(logits - logits.max(axis=-1, keepdims=True))
        cases.append((y / y.sum(axis=-1, keepdims=True), rng.standard_normal(shape)))
    return cases


# ---------------------------------------------------------------- the exercises

_PADDED = """\
xp is x zero-padded by `padding` on every side, and
    oh = (H + 2·padding − kh) // stride + 1,  ow = (W + 2·padding − kw) // stride + 1."""

CONV2D_FORWARD = """\
The forward pass of a convolution (a cross-correlation, as in every framework).
x: (N, C, H, W), w: (OC, C, kh, kw), b: (OC,); stride and padding are ints, the
same for rows and columns. Returns y: (N, OC, oh, ow),
    y[n, o, i, j] = b[o] + Σ_{c, a, e} xp[n, c, i·stride + a, j·stride + e] · w[o, c, a, e]
where """ + _PADDED

CONV2D_BACKWARD = """\
The backward pass of conv2d_forward. grad_out = ∂L/∂y: (N, OC, oh, ow). Returns
(dx, dw, db) = (∂L/∂x, ∂L/∂w, ∂L/∂b), shaped like x (N, C, H, W), w (OC, C, kh, kw)
and b (OC,). Every product xp·w of the forward sends grad_out back to both of its
factors; what reaches the padding of xp is dropped from dx."""

IM2COL = """\
Every kh×kw window of x (N, C, H, W) as a column, so that a convolution is one
matrix product, y = w.reshape(OC, -1) @ cols. Returns cols: (C·kh·kw, N·oh·ow).
Row r = (c·kh + a)·kw + e holds channel c at window offset (a, e); column
q = (n·oh + i)·ow + j holds output position (i, j) of image n:
    cols[r, q] = xp[n, c, i·stride + a, j·stride + e]
where """ + _PADDED

COL2IM = """\
The adjoint of im2col, which turns the gradient of the columns into the input's.
cols: (C·kh·kw, N·oh·ow) in im2col's layout; x_shape: (N, C, H, W). Returns dx of
shape x_shape, every entry cols[r, q] added onto the pixel of x that im2col copied
to (r, q): a pixel read by several windows collects several entries, and entries
read from the padding are dropped."""

MAX_POOL2D_BACKWARD = """\
The backward pass of max-pooling x (N, C, H, W) over kernel×kernel windows at
stride `stride`, without padding: oh = (H − kernel) // stride + 1, and likewise
ow. grad_out: (N, C, oh, ow). Returns dx shaped like x: every grad_out[n, c, i, j]
goes to the position of its window's maximum, adding up where windows overlap.
The checker's x has no ties."""

AVG_POOL2D_BACKWARD = """\
The backward pass of average-pooling an input of shape x_shape (N, C, H, W) over
kernel×kernel windows at stride `stride`, without padding. grad_out: (N, C, oh, ow).
Returns dx of shape x_shape: every grad_out[n, c, i, j] / kernel² goes to each pixel
of its window, adding up where windows overlap (pixels no window reads get 0)."""

BATCH_NORM_BACKWARD = """\
The backward pass of batch normalisation in training mode. Per channel c of x
(N, C, H, W), μ[c] and σ²[c] are the mean and the biased variance (divided by
N·H·W) over n, h and w, and
    x̂ = (x − μ) / √(σ² + eps),   y = gamma[c] · x̂ + beta[c].
grad_out = ∂L/∂y: (N, C, H, W). Returns (dx, dgamma, dbeta), shaped like x, gamma
(C,) and (C,). μ and σ² depend on x, so dx has terms through them."""

LRN_BACKWARD = """\
The backward pass of local response normalisation across channels, in PyTorch's
convention (alpha divided by the window size). For x (N, C, H, W),
    s[n, c, h, w] = k + alpha / size · Σ_{c'} x[n, c', h, w]²
over c' = c − size // 2 … c + (size − 1) // 2 (channels past either end count 0),
and y = x / s^beta. grad_out = ∂L/∂y, shaped like x. Returns dx shaped like x:
x[c'] reaches y[c] directly for c' = c, and through s[c] for every window holding c'."""

SOFTMAX_BACKWARD = """\
The backward pass of softmax along the last axis, given its output y = softmax(x)
(any shape, every row along the last axis summing to 1) and grad_out = ∂L/∂y of
the same shape. Returns dx = ∂L/∂x, shaped like y, through each row's Jacobian
    ∂y[i] / ∂x[j] = y[i] · (δ[i, j] − y[j])."""

EXERCISES = {e.name: e for e in (
    Exercise("conv2d_forward", ("x", "w", "b", "stride", "padding"),
             {"stride": "1", "padding": "0"}, ("y",), CONV2D_FORWARD,
             _conv2d_forward_cases, _conv2d_forward),
    Exercise("conv2d_backward", ("x", "w", "grad_out", "stride", "padding"),
             {"stride": "1", "padding": "0"}, ("dx", "dw", "db"), CONV2D_BACKWARD,
             _conv2d_backward_cases, _conv2d_backward),
    Exercise("im2col", ("x", "kh", "kw", "stride", "padding"),
             {"stride": "1", "padding": "0"}, ("cols",), IM2COL, _im2col_cases, _im2col),
    Exercise("col2im", ("cols", "x_shape", "kh", "kw", "stride", "padding"),
             {"stride": "1", "padding": "0"}, ("dx",), COL2IM, _col2im_cases, _col2im),
    Exercise("max_pool2d_backward", ("x", "grad_out", "kernel", "stride"), {}, ("dx",),
             MAX_POOL2D_BACKWARD, _max_pool_cases, _max_pool2d_backward),
    Exercise("avg_pool2d_backward", ("x_shape", "grad_out", "kernel", "stride"), {}, ("dx",),
             AVG_POOL2D_BACKWARD, _avg_pool_cases, _avg_pool2d_backward),
    Exercise("batch_norm_backward", ("x", "gamma", "grad_out", "eps"), {"eps": "1e-5"},
             ("dx", "dgamma", "dbeta"), BATCH_NORM_BACKWARD, _batch_norm_cases,
             _batch_norm_backward),
    Exercise("lrn_backward", ("x", "grad_out", "size", "alpha", "beta", "k"),
             {"size": "5", "alpha": "1e-4", "beta": "0.75", "k": "2.0"}, ("dx",),
             LRN_BACKWARD, _lrn_cases, _lrn_backward),
    Exercise("softmax_backward", ("y", "grad_out"), {}, ("dx",), SOFTMAX_BACKWARD,
             _softmax_cases, _softmax_backward),
)}
