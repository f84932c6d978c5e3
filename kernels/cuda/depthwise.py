"""Wrappers for depthwise.cu (direct depthwise convolution and its gradients)."""
from ..shapes import conv_output_shape, pair
from .arrays import contiguous, like_input
from .loader import indexed_function, ints, launch_1d, launch_blocks


@like_input
def depthwise_conv2d(x, weight, stride, padding, dilation):
    """x (N, C, H, W), weight (C*m, 1, kh, kw) -> y (N, C*m, oh, ow)."""
    import cupy

    (sh, sw), (ph, pw), (dh, dw) = map(pair, (stride, padding, dilation))
    x, weight = contiguous(x.dtype, x, weight)
    N, C, H, W = x.shape
    OC, _, kh, kw = weight.shape
    oh, ow = conv_output_shape((H, W), (kh, kw), (sh, sw), (ph, pw), (dh, dw))
    y = cupy.empty((N, OC, oh, ow), dtype=x.dtype)
    geometry = ints(N, C, H, W, OC, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow)
    launch_1d(indexed_function("depthwise", "depthwise_forward", x.dtype, x.size, y.size,
                               *geometry), y.size, (x, weight, y) + geometry)
    return y


@like_input
def depthwise_conv2d_grad_input(grad_out, weight, input_shape, stride, padding, dilation):
    """dL/dx (N, C, H, W) from grad_out (N, C*m, oh, ow)."""
    import cupy

    (sh, sw), (ph, pw), (dh, dw) = map(pair, (stride, padding, dilation))
    grad_out, weight = contiguous(grad_out.dtype, grad_out, weight)
    N, C, H, W = map(int, input_shape)
    OC, _, kh, kw = weight.shape
    oh, ow = grad_out.shape[2:]
    dx = cupy.empty((N, C, H, W), dtype=grad_out.dtype)
    geometry = ints(N, C, H, W, OC, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow)
    launch_1d(indexed_function("depthwise", "depthwise_grad_input", grad_out.dtype,
                               grad_out.size, dx.size, *geometry), dx.size,
              (grad_out, weight, dx) + geometry)
    return dx


@like_input
def depthwise_conv2d_grad_weight(x, grad_out, weight_shape, stride, padding, dilation):
    """dL/dw (C*m, 1, kh, kw) from x (N, C, H, W) and grad_out (N, C*m, oh, ow)."""
    import cupy

    (sh, sw), (ph, pw), (dh, dw) = map(pair, (stride, padding, dilation))
    x, grad_out = contiguous(x.dtype, x, grad_out)
    N, C, H, W = x.shape
    OC, _, kh, kw = map(int, weight_shape)
    oh, ow = grad_out.shape[2:]
    dw_out = cupy.empty((OC, 1, kh, kw), dtype=x.dtype)
    geometry = ints(N, C, H, W, OC, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow)
    launch_blocks(indexed_function("depthwise", "depthwise_grad_weight", x.dtype, x.size,
                                   grad_out.size, *geometry), dw_out.size,
                  (x, grad_out, dw_out) + geometry)
    return dw_out
