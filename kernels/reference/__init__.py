"""The readable NumPy form of every kernel."""
from .batchnorm import batch_norm_backward, batch_norm_forward
from .channel_affine import channel_affine
from .depthwise import (depthwise_conv2d, depthwise_conv2d_grad_input,
                        depthwise_conv2d_grad_weight)
from .elementwise import erf, gelu, gelu_backward
from .im2col import col2im, im2col
from .layernorm import layer_norm_backward, layer_norm_forward
from .lrn import lrn, lrn_backward
from .pooling import avg_pool2d, avg_pool2d_backward, max_pool2d, max_pool2d_backward
from .relu import relu, relu_backward
from .softmax import (log_softmax_rows, masked_softmax_rows, softmax_backward_rows,
                      softmax_rows)
from .winograd4 import winograd4_input, winograd4_output, winograd4_weight
from .winograd import (winograd_input, winograd_input_grad, winograd_output,
                       winograd_output_grad, winograd_weight, winograd_weight_grad)

__all__ = ["avg_pool2d", "avg_pool2d_backward", "batch_norm_backward", "batch_norm_forward",
           "channel_affine", "col2im", "depthwise_conv2d", "depthwise_conv2d_grad_input",
           "depthwise_conv2d_grad_weight", "erf", "gelu", "gelu_backward", "im2col",
           "layer_norm_backward", "layer_norm_forward",
           "log_softmax_rows", "lrn", "lrn_backward", "masked_softmax_rows", "max_pool2d",
           "max_pool2d_backward", "relu", "relu_backward", "softmax_backward_rows",
           "softmax_rows",
           "winograd4_input", "winograd4_output", "winograd4_weight",
           "winograd_input", "winograd_input_grad", "winograd_output", "winograd_output_grad",
           "winograd_weight", "winograd_weight_grad"]
