"""The table of kernels: for each name, where each of its three forms lives, and for each
form it lacks, what runs instead and why.

A form lives in a module of its form's package (``reference``, ``cpu`` or ``cuda``) as a
function named like the kernel. Nothing here imports a form: ``load`` imports its module on
first use, so reading the table needs neither Numba nor CuPy.
"""
import difflib
import importlib
from dataclasses import dataclass
from types import MappingProxyType

FORMS = ("reference", "cpu", "cuda")


@dataclass(frozen=True)
class Location:
    """Where a form lives: `function` in `module` (dotted, relative to this package)."""

    module: str
    function: str


@dataclass(frozen=True)
class Fallback:
    """A form a kernel lacks. `to` is the form that runs in its place, or None where the
    callers never ask for it (asking fails with `reason`); `reason` says why."""

    to: str | None
    reason: str


@dataclass(frozen=True)
class Kernel:
    """One entry of the table: `forms` maps each form the kernel has to its Location,
    `fallbacks` each form it lacks to its Fallback."""

    name: str
    forms: MappingProxyType
    fallbacks: MappingProxyType


CUPY_EXPRESSIONS = Fallback("reference", "broadcast arithmetic and row reductions: the "
                                         "reference's array expressions run on CuPy arrays "
                                         "as CuPy's own GPU kernels")
NO_CUDA_WINOGRAD = Fallback(None, "CuPy arrays take im2col + cuBLAS instead; conv2d's "
                                  "selector never asks for the Winograd transforms on them")
CUBLAS_MATMUL = Fallback("reference", "the reference's matrix product runs on CuPy arrays as "
                                       "cuBLAS's GEMM")
NO_CUDA_GROUPED = Fallback(None, "CuPy arrays take im2col + cuBLAS instead; conv2d's "
                                 "selector never asks for the direct grouped kernels on them")

# (kernel names, module of each form); a Fallback stands where a form is missing.
_GROUPS = (
    (("add", "multiply", "subtract"),
     {"reference": "arithmetic", "cpu": "arithmetic", "cuda": CUPY_EXPRESSIONS}),
    (("batch_norm_forward", "batch_norm_backward"),
     {"reference": "batchnorm", "cpu": "batchnorm", "cuda": "batchnorm"}),
    (("channel_affine",),
     {"reference": "channel_affine", "cpu": "channel_affine", "cuda": CUPY_EXPRESSIONS}),
    (("depthwise_conv2d", "depthwise_conv2d_grad_input", "depthwise_conv2d_grad_weight"),
     {"reference": "depthwise", "cpu": "depthwise", "cuda": "depthwise"}),
    (("erf",),
     {"reference": "elementwise", "cpu": "elementwise", "cuda": "elementwise"}),
    (("gelu", "gelu_backward"),
     {"reference": "elementwise", "cpu": "gelu", "cuda": "elementwise"}),
    (("grouped_conv2d", "grouped_conv2d_grad_input", "grouped_conv2d_grad_weight"),
     {"reference": "grouped", "cpu": "grouped", "cuda": NO_CUDA_GROUPED}),
    (("im2col", "col2im"),
     {"reference": "im2col", "cpu": "im2col", "cuda": "im2col"}),
    (("layer_norm_forward", "layer_norm_backward"),
     {"reference": "layernorm", "cpu": "layernorm", "cuda": CUPY_EXPRESSIONS}),
    (("linear_few_rows",),
     {"reference": "linear", "cpu": "linear", "cuda": CUBLAS_MATMUL}),
    (("lrn", "lrn_backward"),
     {"reference": "lrn", "cpu": "lrn", "cuda": "lrn"}),
    (("max_abs",),
     {"reference": "max_abs", "cpu": "max_abs", "cuda": CUPY_EXPRESSIONS}),
    (("max_pool2d", "max_pool2d_backward", "avg_pool2d", "avg_pool2d_backward"),
     {"reference": "pooling", "cpu": "pooling", "cuda": "pooling"}),
    (("relu", "relu_backward"),
     {"reference": "relu", "cpu": "relu", "cuda": "elementwise"}),
    (("sgd_update",),
     {"reference": "optim", "cpu": "optim", "cuda": CUPY_EXPRESSIONS}),
    (("softmax_rows", "log_softmax_rows"),
     {"reference": "softmax", "cpu": "softmax", "cuda": "softmax"}),
    (("masked_softmax_rows", "softmax_backward_rows"),
     {"reference": "softmax", "cpu": "attention_softmax", "cuda": "softmax"}),
    (("winograd_input", "winograd_input_grad", "winograd_output", "winograd_output_grad"),
     {"reference": "winograd", "cpu": "winograd", "cuda": NO_CUDA_WINOGRAD}),
    (("winograd_weight", "winograd_weight_grad"),
     {"reference": "winograd", "cpu": "winograd_filters", "cuda": NO_CUDA_WINOGRAD}),
    (("winograd4_input", "winograd4_output"),
     {"reference": "winograd4", "cpu": "winograd6", "cuda": NO_CUDA_WINOGRAD}),
    (("winograd4_weight",),
     {"reference": "winograd4", "cpu": "winograd_filters", "cuda": NO_CUDA_WINOGRAD}),
    (("winograd5_input", "winograd5_output"),
     {"reference": "winograd5", "cpu": "winograd6", "cuda": NO_CUDA_WINOGRAD}),
    (("winograd5_weight",),
     {"reference": "winograd5", "cpu": "winograd_filters", "cuda": NO_CUDA_WINOGRAD}),
)


def _entry(name, modules):
    forms, fallbacks = {}, {}
    for form in FORMS:
        where = modules[form]
        if isinstance(where, Fallback):
            fallbacks[form] = where
        else:
            forms[form] = Location(f"{form}.{where}", name)
    return Kernel(name, MappingProxyType(forms), MappingProxyType(fallbacks))


TABLE = MappingProxyType({name: _entry(name, modules)
                          for names, modules in _GROUPS for name in names})


def names():
    """Every kernel name, sorted."""
    return tuple(sorted(TABLE))


def forms(name):
    """The entry for `name`: where its forms live, and the fallbacks of those it lacks. An
    unknown name fails, naming the close matches."""
    kernel = TABLE.get(name)
    if kernel is None:
        close = difflib.get_close_matches(str(name), TABLE, n=3)
        hint = f"; close matches: {', '.join(close)}" if close else ""
        raise LookupError(f"no kernel named {name!r}{hint} (kernels.names() lists them all)")
    return kernel


def load(name, form):
    """The function that runs kernel `name` in `form`: its own, or its fallback's."""
    kernel = forms(name)
    location = kernel.forms.get(form)
    if location is None:
        fallback = kernel.fallbacks[form]
        if fallback.to is None:
            raise LookupError(f"kernel {name!r} has no {form} form: {fallback.reason}")
        return load(name, fallback.to)
    module = importlib.import_module(f"{__package__}.{location.module}")
    return getattr(module, location.function)


def functions_of(form):
    """{name: function} of every kernel that runs in `form` (its own or a fallback)."""
    return {name: load(name, form) for name in names()
            if form in TABLE[name].forms or TABLE[name].fallbacks[form].to is not None}
