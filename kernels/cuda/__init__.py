"""The CUDA form of every kernel: Python wrappers over the CUDA C in this folder (LayerNorm's
rows and the channel affine map are the reference's CuPy expressions)."""
from .batchnorm import batch_norm_backward, batch_norm_forward
# evaluation-mode BatchNorm on CuPy arrays: the readable form's array expression
from ..reference.channel_affine import channel_affine
from .depthwise import (depthwise_conv2d, depthwise_conv2d_grad_input,
                        depthwise_conv2d_grad_weight)
from .elementwise import erf, gelu, gelu_backward, relu, relu_backward
from .im2col import col2im, im2col
# LayerNorm on CuPy arrays: the readable form's array expressions
from ..reference.layernorm import layer_norm_backward, layer_norm_forward
from .lrn import lrn, lrn_backward
from .pooling import avg_pool2d, avg_pool2d_backward, max_pool2d, max_pool2d_backward
from .softmax import (log_softmax_rows, masked_softmax_rows, softmax_backward_rows,
                      softmax_rows)

__all__ = ["avg_pool2d", "avg_pool2d_backward", "batch_norm_backward", "batch_norm_forward",
           "channel_affine", "col2im", "depthwise_conv2d", "depthwise_conv2d_grad_input",
           "depthwise_conv2d_grad_weight", "erf", "gelu", "gelu_backward", "im2col",
           "layer_norm_backward", "layer_norm_forward",
           "log_softmax_rows", "masked_softmax_rows", "lrn",
           "lrn_backward", "max_pool2d", "max_pool2d_backward", "relu", "relu_backward",
           "softmax_backward_rows", "softmax_rows"]
