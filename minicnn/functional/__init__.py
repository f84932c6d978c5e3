"""Differentiable ops (torch.nn.functional's names and arguments); also `mc.nn.functional`."""
from . import tensor_methods
from .activation import (elu, elu_, gelu, hardtanh, hardtanh_, leaky_relu, leaky_relu_,
                         log_softmax, relu, relu_, relu6, sigmoid, silu, softmax, softplus, tanh)
from .attention import multi_head_attention_forward, scaled_dot_product_attention
from .arithmetic import add, clone, div, maximum, minimum, mul, neg, pow, sub, where
from .conversion import astype, to_device
from .conv import (conv2d, conv_algorithm, conv_transpose2d, get_workspace_limit,
                   set_workspace_limit)
from .comparison import (allclose, bitwise_and, bitwise_not, bitwise_or, bitwise_xor, eq, equal,
                         ge, gt, isfinite, le, logical_and, logical_not, logical_or, logical_xor,
                         lt, ne)
from .dropout import dropout
from .embedding import embedding
from .indexing import getitem, index_select
from .linalg import bmm, linear, matmul, mm
from .loss import (binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy,
                   huber_loss, kl_div, l1_loss, mse_loss, nll_loss, one_hot, smooth_l1_loss)
from .normalization import batch_norm, group_norm, layer_norm, local_response_norm
from .pooling import (adaptive_avg_pool2d, adaptive_max_pool2d, avg_pool2d, global_avg_pool2d,
                      max_pool2d, max_unpool2d)
from .resample import dropout2d, interpolate
from .reduction import (all, amax, amin, any, argmax, argmin, logsumexp, max, mean, min, norm, std,
                        sum, var)
from .shape import (cat, chunk, concat, concatenate, contiguous, expand, flatten, meshgrid, pad,
                    permute, repeat, reshape, split, squeeze, stack, t, transpose, unbind,
                    unsqueeze, view)
from .unary import abs, clamp, clip, cos, cosh, exp, log, log1p, rsqrt, sin, sinh, sqrt

tensor_methods.bind()
