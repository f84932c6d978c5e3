"""Neural-network building blocks with torch.nn's names, arguments and state_dict keys:
Module, Parameter, layers, losses, containers; `mc.nn.functional` is minicnn.functional,
`mc.nn.init` the weight initialisers, `mc.nn.utils` gradient clipping, `mc.nn.parallel`
data-parallel training across processes."""
import sys as _sys

from .. import functional
from . import init, parallel, utils
from .activation import (ELU, GELU, Hardtanh, LeakyReLU, LogSoftmax, ReLU, ReLU6, Sigmoid, SiLU,
                         Softmax, Softplus, Tanh)
from .attention import MultiheadAttention
from .container import ModuleDict, ModuleList, ParameterList, Sequential
from .conv import Conv2d, ConvTranspose2d
from .dropout import Dropout, Dropout2d
from .lazy import LazyConv2d, LazyLinear
from .linear import Flatten, Identity, Linear, Unflatten
from .loss import (BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, KLDivLoss, L1Loss,
                   MSELoss, NLLLoss, SmoothL1Loss)
from .module import Module
from .parallel import DataParallel
from .normalization import (BatchNorm1d, BatchNorm2d, BatchNorm3d, GroupNorm, LayerNorm,
                            LocalResponseNorm)
from .parameter import Parameter, UninitializedParameter
from .pooling import AdaptiveAvgPool2d, AdaptiveMaxPool2d, AvgPool2d, MaxPool2d, MaxUnpool2d
from .sparse import Embedding
from .squeeze_excitation import SqueezeExcitation
from .sync_batchnorm import SyncBatchNorm, convert_sync_batchnorm

# `import minicnn.nn.functional as F` works, as `import torch.nn.functional as F` does
_sys.modules.setdefault(__name__ + ".functional", functional)

__all__ = [
    "functional", "init", "parallel", "utils", "Module", "Parameter", "UninitializedParameter",
    "Sequential", "ModuleList", "ModuleDict", "ParameterList",
    "Identity", "Linear", "LazyLinear", "Flatten", "Unflatten", "Conv2d", "LazyConv2d",
    "ConvTranspose2d",
    "MaxPool2d", "MaxUnpool2d", "AvgPool2d", "AdaptiveAvgPool2d", "AdaptiveMaxPool2d",
    "BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "SyncBatchNorm", "convert_sync_batchnorm",
    "LayerNorm", "GroupNorm", "LocalResponseNorm",
    "Dropout", "Dropout2d", "ReLU", "ReLU6", "Hardtanh", "LeakyReLU", "ELU", "Tanh", "Sigmoid",
    "GELU", "SiLU", "Softplus", "Softmax", "LogSoftmax", "Embedding", "MultiheadAttention",
    "SqueezeExcitation", "DataParallel",
    "CrossEntropyLoss", "NLLLoss", "MSELoss", "L1Loss", "SmoothL1Loss", "HuberLoss",
    "KLDivLoss", "BCELoss", "BCEWithLogitsLoss",
]
