"""minicnn: a from-scratch autograd tensor library on NumPy/CuPy with hand-written kernels.

    import minicnn as mc
    x = mc.randn(4, 3, requires_grad=True)
    (x * x).sum().backward()
"""
from ._source_layout import use_source_kernels
from .cuda_emulator import install_if_requested

use_source_kernels()                     # minicnn.kernels, which minicnn.runtime reports on
install_if_requested()                   # MINICNN_CUDA_EMULATE=1: CuPy and a GPU on the CPU
from . import runtime  # noqa: E402

runtime.apply_tuning()                   # before NumPy loads its BLAS, where it can
from . import (accelerator, backends, cuda, distributed, functional, io, kernels,  # noqa: E402
               models, nn, onnx, train, utils, vision, viz)
from . import data
from . import optim
from .backend import Device as device
from .creation import (arange, empty, empty_like, eye, from_dlpack, from_numpy, full, full_like,
                       linspace, normal, ones, ones_like, rand, rand_like, randint, randint_like,
                       randn,
                       randn_like, randperm, tensor, zeros, zeros_like)
from .dtypes import (bool_, double, float16, float32, float64, get_default_dtype, half, int8,
                     int16, int32, int64, long, set_default_dtype, short, uint8)
from .functional import (abs, add, all, allclose, amax, amin, any, argmax, argmin,
                         bitwise_and, bitwise_not, bitwise_or, bitwise_xor, bmm, cat, chunk,
                         clamp, clip, clone, concat, cos, cosh, div, eq, equal, exp, expand,
                         flatten, ge, gt, isfinite, le, log, log1p, log_softmax, logical_and,
                         logical_not, logical_or, logical_xor, logsumexp, lt, matmul, max,
                         maximum, mean, meshgrid, min, minimum, mm, mul, ne, neg, norm, permute,
                         pow, relu, repeat, reshape, rsqrt, sigmoid, sin, sinh, softmax, split,
                         sqrt, squeeze, stack, std, sub, sum, t, tanh, transpose, unbind,
                         unsqueeze, var, where)
from .functional.conv import get_workspace_limit, set_workspace_limit
from .functional.conv_select import get_conv_algorithm
from .functional.conv_select import set_conv_algorithm as conv_algorithm
from .functional.indexing import index_select
from .dtypes import channels_last, contiguous_format, memory_format, preserve_format
from .io import load, save
from .grad_mode import (enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled,
                        no_grad, set_grad_enabled)
from .kernels import set_kernels
from .random import Generator, get_rng_state, initial_seed, manual_seed, set_rng_state
from .size import Size
from .tensor import Tensor
from .threads import (are_deterministic_algorithms_enabled, get_num_threads,
                      is_deterministic_algorithms_warn_only_enabled, set_num_threads,
                      use_deterministic_algorithms)
from .version import __version__
from .utils import summary

float = float32
int = int32
bool = bool_

