"""Every differentiable op on small inputs, for `minicnn gradcheck`: name → (fn, shapes,
input kind). Kinds: "normal" (standard normal), "positive" (uniform on [0.5, 2]),
"untied" (distinct values, so max/min have one winner).

conv2d has one row per algorithm of its selector, "conv2d[ALGORITHM]", each on a call that
algorithm computes, run with the algorithm forced. An algorithm that computes the forward
pass only (winograd_f4, winograd_5x5, space_to_depth) gives the numeric gradient, from
differences of its forward, and im2col's backward the analytic one it is checked
against."""
import numpy as np

from .. import functional as F
from .. import grad_mode
from ..creation import tensor
from ..functional.conv_select import ALGORITHMS, set_conv_algorithm

_LABELS = tensor(np.array([0, 2, 1], dtype=np.int64))

# per algorithm: conv2d's keyword arguments and the shapes of input, weight and bias
CONV_ALGORITHM_CALLS = {
    "naive": (dict(stride=2, padding=1, dilation=(1, 2), groups=2),
              [(2, 4, 6, 7), (4, 2, 3, 2), (4,)]),
    "im2col": (dict(stride=2, padding=1), [(2, 2, 5, 5), (3, 2, 3, 3), (3,)]),
    "winograd_f2": (dict(padding=(1, 0), groups=2), [(2, 4, 5, 6), (4, 2, 3, 3), (4,)]),
    "winograd_f4": (dict(padding=1), [(1, 2, 6, 5), (3, 2, 3, 3), (3,)]),
    "winograd_5x5": (dict(padding=(2, 1)), [(1, 2, 6, 5), (3, 2, 5, 5), (3,)]),
    "space_to_depth": (dict(stride=2, padding=1), [(1, 2, 7, 8), (2, 2, 5, 6), (2,)]),
    "pointwise": (dict(stride=2), [(2, 3, 4, 5), (4, 3, 1, 1), (4,)]),
    "depthwise": (dict(padding=1, groups=2), [(1, 2, 4, 4), (4, 1, 3, 3), (4,)]),
    "grouped": (dict(stride=(1, 2), padding=1, dilation=(2, 1), groups=2),
                [(2, 6, 6, 5), (4, 3, 3, 2), (4,)]),
}


def conv_row(algorithm):
    """The catalog name of conv2d under `algorithm`."""
    return f"conv2d[{algorithm}]"


def _conv_under(algorithm, kwargs):
    """conv2d(x, w, b, **kwargs) with `algorithm` forced; for a forward-only algorithm, only
    where no gradient is recorded (the finite differences), im2col where one is."""
    def conv(x, w, b):
        recorded = ALGORITHMS[algorithm].forward_only and grad_mode.is_grad_enabled()
        with set_conv_algorithm("im2col" if recorded else algorithm):
            return F.conv2d(x, w, b, **kwargs)
    return conv


def _conv_rows():
    return {conv_row(algorithm): (_conv_under(algorithm, kwargs), shapes, "normal")
            for algorithm, (kwargs, shapes) in CONV_ALGORITHM_CALLS.items()}


def catalog():
    return {
        "add": (lambda a, b: a + b, [(3, 4), (4,)], "normal"),
        "sub": (lambda a, b: a - b, [(3, 4), (3, 1)], "normal"),
        "mul": (lambda a, b: a * b, [(3, 4), (4,)], "normal"),
        "div": (lambda a, b: a / b, [(3, 4), (4,)], "positive"),
        "neg": (lambda a: -a, [(3, 4)], "normal"),
        "pow": (lambda a, b: a ** b, [(3, 4), (3, 4)], "positive"),
        "exp": (F.exp, [(3, 4)], "normal"),
        "log": (F.log, [(3, 4)], "positive"),
        "sqrt": (F.sqrt, [(3, 4)], "positive"),
        "rsqrt": (F.rsqrt, [(3, 4)], "positive"),
        "log1p": (F.log1p, [(3, 4)], "positive"),
        "sin": (F.sin, [(3, 4)], "normal"),
        "cos": (F.cos, [(3, 4)], "normal"),
        "sinh": (F.sinh, [(3, 4)], "normal"),
        "cosh": (F.cosh, [(3, 4)], "normal"),
        "abs": (F.abs, [(3, 4)], "untied"),
        "clamp": (lambda a: F.clamp(a, -0.5, 0.5), [(3, 4)], "untied"),
        "maximum": (F.maximum, [(3, 4), (3, 4)], "untied"),
        "minimum": (F.minimum, [(3, 4), (3, 4)], "untied"),
        "where": (lambda a, b: F.where(a > 0, a, b), [(3, 4), (3, 4)], "untied"),
        "matmul": (F.matmul, [(2, 3, 4), (4, 5)], "normal"),
        "bmm": (F.bmm, [(2, 3, 4), (2, 4, 5)], "normal"),
        "norm": (lambda a: F.norm(a, 3, dim=1), [(3, 4)], "untied"),
        "linear": (F.linear, [(3, 4), (5, 4), (5,)], "normal"),
        "sum": (lambda a: a.sum(1), [(3, 4)], "normal"),
        "mean": (lambda a: a.mean(0), [(3, 4)], "normal"),
        "var": (lambda a: a.var(1), [(3, 4)], "normal"),
        "std": (lambda a: a.std(0), [(3, 4)], "normal"),
        "max": (lambda a: a.max(1).values, [(3, 4)], "untied"),
        "amax": (lambda a: a.amax(0), [(3, 4)], "untied"),
        "logsumexp": (lambda a: a.logsumexp(1), [(3, 4)], "normal"),
        "reshape": (lambda a: a.reshape(4, 3), [(3, 4)], "normal"),
        "transpose": (lambda a: a.transpose(0, 2), [(2, 3, 4)], "normal"),
        "permute": (lambda a: a.permute(2, 0, 1), [(2, 3, 4)], "normal"),
        "expand": (lambda a: a.expand(3, 2, 4), [(2, 1)], "normal"),
        "repeat": (lambda a: a.repeat(2, 3), [(2, 3)], "normal"),
        "cat": (lambda a, b: F.cat([a, b], 1), [(2, 3), (2, 2)], "normal"),
        "stack": (lambda a, b: F.stack([a, b], 0), [(2, 3), (2, 3)], "normal"),
        "split": (lambda a: F.split(a, 2, 1)[1], [(2, 5)], "normal"),
        "pad": (lambda a: F.pad(a, (1, 2, 0, 1)), [(2, 3)], "normal"),
        "getitem": (lambda a: a[[0, 2, 2], 1:], [(3, 4)], "normal"),
        "relu": (F.relu, [(3, 4)], "untied"),
        "leaky_relu": (F.leaky_relu, [(3, 4)], "untied"),
        "relu6": (F.relu6, [(3, 4)], "untied"),
        "elu": (F.elu, [(3, 4)], "untied"),
        "sigmoid": (F.sigmoid, [(3, 4)], "normal"),
        "tanh": (F.tanh, [(3, 4)], "normal"),
        "gelu": (F.gelu, [(3, 4)], "normal"),
        "silu": (F.silu, [(3, 4)], "normal"),
        "softplus": (lambda a: F.softplus(a, beta=2.0), [(3, 4)], "normal"),
        "softmax": (lambda a: F.softmax(a, 1), [(3, 4)], "normal"),
        "log_softmax": (lambda a: F.log_softmax(a, 1), [(3, 4)], "normal"),
        "cross_entropy": (lambda a: F.cross_entropy(a, _LABELS, label_smoothing=0.1),
                          [(3, 4)], "normal"),
        "nll_loss": (lambda a: F.nll_loss(a, _LABELS), [(3, 4)], "normal"),
        "mse_loss": (F.mse_loss, [(3, 4), (3, 4)], "normal"),
        "l1_loss": (F.l1_loss, [(3, 4), (3, 4)], "untied"),
        "bce_with_logits": (F.binary_cross_entropy_with_logits, [(3, 4), (3, 4)], "positive"),
        "binary_cross_entropy": (lambda a, b: F.binary_cross_entropy(F.sigmoid(a), b / 2),
                                 [(3, 4), (3, 4)], "positive"),
        "smooth_l1_loss": (lambda a, b: F.smooth_l1_loss(a, b, beta=0.5), [(3, 4), (3, 4)],
                           "untied"),
        "huber_loss": (lambda a, b: F.huber_loss(a, b, delta=0.5), [(3, 4), (3, 4)], "untied"),
        "kl_div": (lambda a, b: F.kl_div(a, b, reduction="batchmean"), [(3, 4), (3, 4)],
                   "positive"),
        **_conv_rows(),
        "conv_transpose2d": (lambda x, w: F.conv_transpose2d(x, w, stride=2, padding=1),
                             [(1, 2, 3, 3), (2, 3, 3, 3)], "normal"),
        "max_pool2d": (lambda x: F.max_pool2d(x, 2, 1), [(1, 2, 4, 4)], "untied"),
        "avg_pool2d": (lambda x: F.avg_pool2d(x, 3, 2, 1), [(1, 2, 5, 5)], "normal"),
        "adaptive_avg_pool2d": (lambda x: F.adaptive_avg_pool2d(x, (2, 3)), [(1, 2, 5, 5)],
                                "normal"),
        "batch_norm": (lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
                       [(3, 2, 2, 2), (2,), (2,)], "normal"),
        "layer_norm": (lambda x, w, b: F.layer_norm(x, (4,), w, b), [(3, 4), (4,), (4,)],
                       "normal"),
        "group_norm": (lambda x: F.group_norm(x, 2), [(2, 4, 2, 2)], "normal"),
        "local_response_norm": (lambda x: F.local_response_norm(x, 3, alpha=1.0),
                                [(1, 5, 2, 2)], "normal"),
        "interpolate": (lambda x: F.interpolate(x, scale_factor=2, mode="bilinear",
                                                align_corners=False), [(1, 1, 3, 3)], "normal"),
        "scaled_dot_product_attention": (F.scaled_dot_product_attention,
                                         [(2, 3, 4), (2, 5, 4), (2, 5, 3)], "normal"),
    }


def make_inputs(shapes, kind, seed=0):
    """float64 arrays for one catalog entry."""
    rng = np.random.default_rng(seed)
    arrays = []
    for shape in shapes:
        if kind == "positive":
            arrays.append(rng.uniform(0.5, 2.0, shape))
        elif kind == "untied":
            n = int(np.prod(shape))
            arrays.append(rng.permutation(np.linspace(-2, 2, n) + 0.013).reshape(shape))
        else:
            arrays.append(rng.standard_normal(shape))
    return arrays
