"""Convolutions: conv2d and its adjoint conv_transpose2d.

conv2d checks its arguments, asks the selector (conv_select.py: its table of rules says
which algorithm each call takes, and why) and runs that algorithm: im2col + GEMM (here),
Winograd for stride-1 3×3 and, without gradients, for strided windows of three strides,
per-image GEMMs for 1×1, direct kernels for depthwise convolutions and groups of few
channels (conv_direct.py), or the textbook loops (conv_naive.py).
`conv_algorithm(input, weight, ...)` names the algorithm a call takes.

The general path turns a chunk of images into columns with im2col, laid out
(C*kh*kw, n, oh*ow) so that one GEMM per group covers the whole chunk (forward, dW and the
column gradient alike). On the CPU the chunks run on threads, each chunk's columns kept
about one core's cache in size and built and multiplied on that core (BLAS on one thread
meanwhile), so the GEMM reads what im2col has just written; each thread sums its own dW. A
chunk of one image gets NCHW output straight from its GEMM, which is why the forward takes
one image at a time where an image has ONE_IMAGE_COLUMNS output pixels. Every chunk stays
under the workspace limit (`mc.set_workspace_limit`). Under set_kernels("reference") the
chunks run in turn on the calling thread (workspace.threaded).
"""
from .. import cuda, grad_mode
from ..allocation import check_fits
from ..autograd import Function
from ..kernels.shapes import conv_output_shape
from ..threads import ThreadSums, parallel_for
from . import _validate as validate
from ._common import check_same_device, require_floating, require_tensor, shape_str, xp
from ._float16 import computed_in_float32
from .conv_direct import DirectConv2d
from .conv_gemm import (MIN_GEMM_COLUMNS, _batch_first, _channels_first, _columns, _uncolumns,
                        gemm_grads)
from .conv_naive import Conv2dNaive
from .conv_pointwise import Conv2dPointwise
from .conv_measured import benchmarking, fastest, key_of, trial
from .conv_select import ConvCall, select
from .conv_space_to_depth import Conv2dSpaceToDepth
from .conv_winograd import Conv2dWinograd
from .shape import pad as pad_op
from .workspace import get_workspace_limit, over_batch_chunks, set_workspace_limit, threaded


# Output pixels from which a forward GEMM per image beats one over a chunk of images on
# NumPy arrays: its product is already NCHW, where a chunk's must be transposed back. On
# smaller maps the per-image GEMMs grow too thin for the saved transpose to pay for them.
ONE_IMAGE_COLUMNS = 256


class Conv2dGemm(Function):
    """y = W · im2col(x) per group, one GEMM over each cache-sized batch chunk."""

    fresh_input_grads = True

    @staticmethod
    def forward(ctx, x, w, b, stride, padding, dilation, groups):
        m = xp(x)
        N, C, H, W = x.shape
        OC, Cg, kh, kw = w.shape
        G, K = groups, Cg * kh * kw
        oh, ow = conv_output_shape((H, W), (kh, kw), stride, padding, dilation)
        P = oh * ow
        window = ((kh, kw), stride, padding, dilation)
        wg = w.reshape(G, OC // G, K)                                  # (G, OCg, K)
        out = m.empty((N, OC, P), dtype=x.dtype)                       # (N, OC, P)

        def convolve(part):
            cols = _columns(x[part], *window)                          # (G*K, n, P)
            n = cols.shape[1]
            cols = cols.reshape(G, K, n * P)                           # (G, K, n*P)
            if n == 1:                                                 # already NCHW rows
                m.matmul(wg, cols, out=out[part].reshape(G, OC // G, P))
            else:
                out[part] = _batch_first(m.matmul(wg, cols), (n, OC, P))
            if b is not None:                                          # while in cache
                out[part] += b.reshape(1, OC, 1)

        if threaded(m) and P >= ONE_IMAGE_COLUMNS:
            parallel_for(convolve, [slice(n, n + 1) for n in range(N)])
        else:
            columns_per_image = C * kh * kw * P * x.itemsize           # bytes
            over_batch_chunks(m, convolve, N, columns_per_image, -(-MIN_GEMM_COLUMNS // P),
                              work_bytes=N * columns_per_image + w.nbytes)  # GEMMs read w
        out = out.reshape(N, OC, oh, ow)
        ctx.save_for_backward(x, w)
        ctx.params = window, G
        return out

    @staticmethod
    def backward(ctx, g):
        """dW = dY · colsᵀ (over every image at once), dX = col2im(Wᵀ · dY), db = Σ dY."""
        x, w = ctx.saved_arrays
        window, G = ctx.params
        return gemm_grads(x, w, g, window, G, ctx.needs_input_grad)


class ConvTranspose2dGemm(Function):
    """The adjoint of Conv2dGemm: y = col2im(Wᵀ · x), weight (C_in, C_out / G, kh, kw).

    col2im fills the full, uncropped output (every window inside it); the result is its
    crop starting at `padding`, zero-extended where output_padding reaches past it.
    """

    @staticmethod
    def forward(ctx, x, w, b, stride, padding, dilation, groups, output_shape):
        m = xp(x)
        N, C, H, W = x.shape
        G = groups
        OCg, kh, kw = w.shape[1:]
        K = OCg * kh * kw
        window = ((kh, kw), stride, (0, 0), dilation)
        full = tuple((n - 1) * s + d * (k - 1) + 1
                     for n, s, d, k in zip((H, W), stride, dilation, (kh, kw)))
        crop = _crop(full, padding, output_shape)
        wg = m.swapaxes(w.reshape(G, C // G, K), 1, 2)                 # (G, K, Cg)
        out = m.zeros((N, OCg * G) + output_shape, dtype=x.dtype)

        def transpose_convolve(part):
            xs = _channels_first(x[part])                              # (C, n, P)
            n = xs.shape[1]
            cols = m.matmul(wg, xs.reshape(G, C // G, n * H * W))      # (G, K, n*P)
            y_full = _uncolumns(cols.reshape(G * K, n, H * W), (n, OCg * G) + full, *window)
            out[part][crop[1]] = y_full[crop[0]]

        over_batch_chunks(m, transpose_convolve, N, G * K * H * W * x.itemsize)
        if b is not None:
            out += b.reshape(1, -1, 1, 1)
        ctx.save_for_backward(x, w)
        ctx.params = window, G, full, crop
        return out

    @staticmethod
    def backward(ctx, g):
        """dX = W · im2col(dY) (a convolution of dY), dW = x · im2col(dY)ᵀ, db = Σ dY."""
        x, w = ctx.saved_arrays
        window, G, full, crop = ctx.params
        m = xp(g)
        N, C, H, W = x.shape
        K = w[0].size
        wg = w.reshape(G, C // G, K)                                   # (G, Cg, K)
        need_x, need_w, need_b = ctx.needs_input_grad
        dx = m.empty_like(x) if need_x else None
        dw = ThreadSums(lambda: m.empty((G, C // G, K), dtype=w.dtype))

        def grads(part):
            g_full = m.zeros(g[part].shape[:2] + full, dtype=g.dtype)
            g_full[crop[0]] = g[part][crop[1]]
            cols = _columns(g_full, *window)                           # (G*K, n, P)
            n = cols.shape[1]
            cols = cols.reshape(G, K, n * H * W)                       # (G, K, n*P)
            if need_x:
                dx[part] = _batch_first(m.matmul(wg, cols), (n, C, H, W))
            if need_w:
                xs = _channels_first(x[part]).reshape(G, C // G, n * H * W)  # (G, Cg, n*P)
                dw.add(lambda out: m.matmul(xs, cols.swapaxes(1, 2), out=out))

        over_batch_chunks(m, grads, N, G * K * H * W * x.itemsize)
        db = g.sum(axis=(0, 2, 3)) if need_b else None
        return dx, (dw.total().reshape(w.shape) if need_w else None), db


def _crop(full, padding, output_shape):
    """(index into the full output, index into the result) of the region they share."""
    kept = [max(0, min(out, f - p)) for f, p, out in zip(full, padding, output_shape)]
    src = (Ellipsis,) + tuple(slice(p, p + k) for p, k in zip(padding, kept))
    dst = (Ellipsis,) + tuple(slice(0, k) for k in kept)
    return src, dst


def _check_common(op, x, w, b, groups, transposed):
    """Rank, kernel size, dtype, groups and bias checks shared by conv2d and
    conv_transpose2d; returns groups as an int."""
    require_floating(op, "input", x)
    require_tensor(op, "weight", w)
    if b is not None:
        require_tensor(op, "bias", b)
    if w.ndim != 4:
        raise ValueError(f"{op}: weight must be 4-D, got shape {shape_str(w.shape)}")
    w_shape = w._data.shape
    if min(w_shape[2:]) < 1:
        raise ValueError(f"{op}: kernel size {tuple(w.shape[2:])} must be positive (weight "
                         f"shape {shape_str(w.shape)})")
    check_same_device(op, x, w, b)
    groups = validate.integer(op, "groups", groups, 1)
    if x.dtype != w.dtype:
        raise TypeError(f"{op}: input dtype {x.dtype} does not match weight dtype {w.dtype}")
    channels = x._data.shape[1]
    if channels % groups:
        raise ValueError(f"{op}: input channels {channels} are not divisible by groups={groups}")
    out_channels = w_shape[1] * groups if transposed else w_shape[0]
    if b is not None and b._data.shape != (out_channels,):
        raise ValueError(f"{op}: bias must have shape ({out_channels},), got "
                         f"{shape_str(b.shape)} (weight shape {shape_str(w.shape)})")
    return groups


def _same_padding(op, kernel_size, stride, dilation):
    """'same' padding per side: (before, after) for h and w; extra on the bottom/right."""
    if stride != (1, 1):
        raise ValueError(f"{op}: padding='same' needs stride 1, got stride {stride}")
    totals = [d * (k - 1) for k, d in zip(kernel_size, dilation)]
    return [(t // 2, t - t // 2) for t in totals]


def _batched(op, input):
    """(input as 4-D, whether a batch dim was added) for (C, H, W) inputs."""
    validate.spatial_input(op, input)
    if input.ndim == 3:
        return input.unsqueeze(0), True
    return input, False


def _conv2d_call(input, weight, bias, stride, padding, dilation, groups):
    """conv2d's checks: (x as 4-D, padded at the bottom/right for an uneven 'same', whether a
    batch dim was added, the ConvCall the selector reads)."""
    op = "conv2d"
    x, unbatched = _batched(op, input)
    groups = _check_common(op, x, weight, bias, groups, transposed=False)
    stride = validate.int_pair(op, "stride", stride, 1)
    dilation = validate.int_pair(op, "dilation", dilation, 1)
    w_shape = weight._data.shape
    kernel_size = w_shape[2:]
    if w_shape[1] * groups != x._data.shape[1]:
        raise ValueError(f"{op}: input has {x.shape[1]} channels but weight expects "
                         f"{weight.shape[1] * groups} (weight shape {shape_str(weight.shape)}, "
                         f"groups={groups})")
    if w_shape[0] % groups:
        raise ValueError(f"{op}: out channels {weight.shape[0]} are not divisible by "
                         f"groups={groups}")
    if w_shape[0] == 0:
        raise ValueError(f"{op}: weight has 0 output channels (weight shape "
                         f"{shape_str(weight.shape)})")
    if padding == "valid":
        padding = (0, 0)
    elif padding == "same":
        sides = _same_padding(op, kernel_size, stride, dilation)
        if any(lo != hi for lo, hi in sides):
            (top, bottom), (left, right) = sides
            x = pad_op(x, (0, right - left, 0, bottom - top))
        padding = (sides[0][0], sides[1][0])
    elif isinstance(padding, str):
        raise ValueError(f"{op}: padding must be an int, a pair, 'valid' or 'same', got "
                         f"{padding!r}")
    else:
        padding = validate.int_pair(op, "padding", padding, 0)
    x_shape = x._data.shape
    padded = (x_shape[2] + 2 * padding[0], x_shape[3] + 2 * padding[1])
    spans = tuple(d * (k - 1) + 1 for k, d in zip(kernel_size, dilation))
    if spans[0] > padded[0] or spans[1] > padded[1]:
        raise ValueError(f"{op}: kernel of size {kernel_size} (dilated {spans}) is larger than "
                         f"the padded input {padded} (input shape {shape_str(x.shape)}, padding "
                         f"{padding})")
    out_hw = conv_output_shape(x_shape[2:], kernel_size, stride, padding, dilation)
    check_fits(op, "the output", (x_shape[0], w_shape[0], *out_hw), x.dtype, x.device)
    needs_grad = grad_mode.state.enabled and (x.requires_grad or weight.requires_grad or (
        bias is not None and bias.requires_grad))
    call = ConvCall(x._data, weight._data, stride, padding, dilation, groups, needs_grad,
                    out_hw)
    return x, unbatched, call


def _run_im2col(x, w, b, call):
    columns = (x.shape[1] * call.kernel_size[0] * call.kernel_size[1], *call.output_hw)
    check_fits("conv2d", "the column buffer of one image", columns, x.dtype, x.device)
    return Conv2dGemm.apply(x, w, b, stride=call.stride, padding=call.padding,
                            dilation=call.dilation, groups=call.groups)


def _run_pointwise(x, w, b, call):
    if call.stride != (1, 1):
        x = x[:, :, ::call.stride[0], ::call.stride[1]]
    return Conv2dPointwise.apply(x, w, b)


def _run_direct(algorithm, x, w, b, call):
    return DirectConv2d.apply(x, w, b, algorithm=algorithm, stride=call.stride,
                              padding=call.padding, dilation=call.dilation, groups=call.groups)


# algorithm name -> how conv2d runs it on (x, weight, bias, call)
RUNNERS = {
    "naive": lambda x, w, b, call: Conv2dNaive.apply(
        x, w, b, stride=call.stride, padding=call.padding, dilation=call.dilation,
        groups=call.groups),
    "im2col": _run_im2col,
    "winograd_f2": lambda x, w, b, call: Conv2dWinograd.apply(
        x, w, b, padding=call.padding, groups=call.groups, tile=2,
        magnitudes=call.magnitudes),
    "winograd_f4": lambda x, w, b, call: Conv2dWinograd.apply(
        x, w, b, padding=call.padding, groups=call.groups, tile=4),
    "winograd_5x5": lambda x, w, b, call: Conv2dWinograd.apply(
        x, w, b, padding=call.padding, groups=call.groups, tile=2),
    "space_to_depth": lambda x, w, b, call: Conv2dSpaceToDepth.apply(
        x, w, b, stride=call.stride, padding=call.padding),
    "pointwise": _run_pointwise,
    "depthwise": lambda x, w, b, call: _run_direct("depthwise", x, w, b, call),
    "grouped": lambda x, w, b, call: _run_direct("grouped", x, w, b, call),
}


def _measure(x, w, b, call):
    """select's `measure` for this call: the fastest of the candidates by timed trials of
    their RUNNERS on the call's tensors, kept per call shape (conv_measured.py)."""
    needs = tuple(call.needs_grad and t is not None and t.requires_grad for t in (x, w, b))

    def run(name, *tensors):
        return RUNNERS[name](*tensors, call)

    synchronize = cuda.synchronize if call.on_cuda else lambda: None
    return lambda names: fastest(key_of(call, needs), names,
                                 trial(run, x, w, b, call, needs, synchronize))


def _select(x, w, b, call):
    return select(call, _measure(x, w, b, call) if benchmarking() else None)


@computed_in_float32("input", "weight", "bias")
def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution (cross-correlation) with torch.nn.functional.conv2d's arguments;
    padding is an int, a pair, 'valid' or 'same'. The algorithm is conv_algorithm's."""
    x, unbatched, call = _conv2d_call(input, weight, bias, stride, padding, dilation, groups)
    out = RUNNERS[_select(x, weight, bias, call)](x, weight, bias, call)
    return out.squeeze(0) if unbatched else out


@computed_in_float32("input", "weight", "bias")
def conv_algorithm(input, weight, stride=1, padding=0, dilation=1, groups=1, bias=None):
    """The name of the algorithm conv2d takes for these arguments ("naive", "im2col",
    "winograd_f2", "winograd_f4", "winograd_5x5", "space_to_depth", "pointwise", "depthwise"
    or "grouped"; see conv_select.py for the rules), in the present grad mode and
    `mc.conv_algorithm` setting; raises where conv2d would (a forced algorithm that cannot
    compute the call included; under mc.backends.cudnn.benchmark, the measured choice, which
    this call measures where its shape is new). `bias` counts only in whether a gradient is
    recorded."""
    x, _, call = _conv2d_call(input, weight, bias, stride, padding, dilation, groups)
    return _select(x, weight, bias, call)


@computed_in_float32("input", "weight", "bias")
def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """Transposed convolution (the gradient of conv2d with respect to its input), with
    torch.nn.functional.conv_transpose2d's arguments; weight (C_in, C_out / groups, kh, kw)."""
    op = "conv_transpose2d"
    x, unbatched = _batched(op, input)
    groups = _check_common(op, x, weight, bias, groups, transposed=True)
    if weight.shape[0] != x.shape[1]:
        raise ValueError(f"{op}: input has {x.shape[1]} channels but weight expects "
                         f"{weight.shape[0]} (weight shape {shape_str(weight.shape)})")
    stride = validate.int_pair(op, "stride", stride, 1)
    dilation = validate.int_pair(op, "dilation", dilation, 1)
    padding = validate.int_pair(op, "padding", padding, 0)
    output_padding = validate.int_pair(op, "output_padding", output_padding, 0)
    if any(o >= max(s, d) for o, s, d in zip(output_padding, stride, dilation)):
        raise ValueError(f"{op}: output_padding {output_padding} must be smaller than either "
                         f"stride {stride} or dilation {dilation}")
    kernel_size = tuple(weight.shape[2:])
    output_shape = tuple((n - 1) * s - 2 * p + d * (k - 1) + o + 1 for n, s, p, d, k, o in
                         zip(x.shape[2:], stride, padding, dilation, kernel_size, output_padding))
    if min(output_shape) <= 0:
        raise ValueError(f"{op}: output size {output_shape} is not positive (input shape "
                         f"{shape_str(x.shape)}, weight shape {shape_str(weight.shape)})")
    check_fits(op, "the output", (x.shape[0], weight.shape[1] * groups, *output_shape), x.dtype, x.device)
    out = ConvTranspose2dGemm.apply(x, weight, bias, stride=stride, padding=padding,
                                    dilation=dilation, groups=groups,
                                    output_shape=output_shape)
    return out.squeeze(0) if unbatched else out
