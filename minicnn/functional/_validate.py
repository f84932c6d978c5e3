"""Argument checks shared by the ops and by the nn modules' constructors.

Each check raises before any work starts, naming the op, the argument and the value:
TypeError for a value of the wrong type, ValueError for a value out of range. The types
follow PyTorch's: a bool is not an int (nor a number of any kind here), NumPy integers are
ints, NumPy floats are numbers, and a sequence of one int stands for that int on both
spatial axes. Each check returns the value in the plain Python form the op works with.
"""
import math
import numbers

import numpy as np

from .. import kernels
from ._common import require_tensor, shape_str


def is_int(value):
    """Whether `value` is an integer in PyTorch's sense: int or a NumPy integer, not bool."""
    return type(value) is int or (isinstance(value, (int, np.integer))
                                  and not isinstance(value, (bool, np.bool_)))


def is_real(value):
    """Whether `value` is a real number (int, float or a NumPy one), not bool."""
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def _bound(minimum):
    """The words for a lower bound of 0 or 1."""
    return "non-negative" if minimum == 0 else "positive"


def integer(op, name, value, minimum=None):
    """`value` as an int; TypeError unless it is one, ValueError below `minimum` (0 or 1)."""
    if not is_int(value):
        raise TypeError(f"{op}: {name} must be an int, got {value!r} ({type(value).__name__})")
    if minimum is not None and value < minimum:
        raise ValueError(f"{op}: {name} must be a {_bound(minimum)} int, got {value!r}")
    return int(value)


def optional_integer(op, name, value, minimum=None):
    """None, or `value` checked by `integer`."""
    return None if value is None else integer(op, name, value, minimum)


def _items(op, name, value, lengths, what):
    """The two items of a scalar-or-sequence argument: (value, value) for a scalar, a
    sequence of one repeated; TypeError for a sequence whose length is not in `lengths`."""
    if not isinstance(value, (tuple, list)):
        return value, value
    if len(value) not in lengths:
        raise TypeError(f"{op}: {name} must be {what}, got {value!r} ({len(value)} values)")
    return tuple(value) * (2 // len(value))


def int_pair(op, name, value, minimum=None, lengths=(1, 2)):
    """(h, w) from an int or a sequence of ints (of a length in `lengths`), each at least
    `minimum`."""
    if type(value) is tuple and len(value) == 2 and 2 in lengths:     # the common form, at once
        h, w = value
        if type(h) is int and type(w) is int and (minimum is None or min(h, w) >= minimum):
            return value
    elif type(value) is int and (minimum is None or value >= minimum):
        return value, value
    what = "an int or a pair of ints"
    items = _items(op, name, value, lengths, what)
    if not all(is_int(v) for v in items):
        raise TypeError(f"{op}: {name} must be {what}, got {value!r}")
    if minimum is not None and min(items) < minimum:
        raise ValueError(f"{op}: {name} must be {_bound(minimum)}, got {value!r}")
    return int(items[0]), int(items[1])


def _range(minimum, maximum, positive, finite):
    """The words for the numbers a `real` check accepts."""
    if positive:
        words = "positive"
    elif maximum is not None:
        words = f"between {minimum} and {maximum}"
    elif minimum is not None:
        words = _bound(minimum)
    else:
        words = "a number"
    return words + (" and finite" if finite else "")


def real(op, name, value, minimum=None, maximum=None, *, positive=False, finite=False):
    """`value` as a float: TypeError unless a real number; ValueError for NaN, for a value
    outside [minimum, maximum], not above 0 (`positive`) or infinite (`finite`)."""
    if not is_real(value):
        raise TypeError(f"{op}: {name} must be a number, got {value!r} "
                        f"({type(value).__name__})")
    number = float(value)
    if (math.isnan(number) or (positive and not number > 0)
            or (minimum is not None and number < minimum)
            or (maximum is not None and number > maximum)
            or (finite and math.isinf(number))):
        raise ValueError(f"{op}: {name} must be {_range(minimum, maximum, positive, finite)}, "
                         f"got {value!r}")
    return number


def real_pair(op, name, value, *, positive=False, finite=False):
    """(h, w) from a number or a pair of numbers, each checked by `real`."""
    what = "a number or a pair of numbers"
    items = _items(op, name, value, (2,), what)
    if not all(is_real(v) for v in items):
        raise TypeError(f"{op}: {name} must be {what}, got {value!r}")
    return tuple(real(op, name, v, positive=positive, finite=finite) for v in items)


def probability(op, name, p):
    """A probability in [0, 1], as PyTorch's dropout message words it."""
    if not is_real(p):
        raise TypeError(f"{op}: {name} must be a number between 0 and 1, got {p!r} "
                        f"({type(p).__name__})")
    if not 0 <= p <= 1:
        raise ValueError(f"{op}: dropout probability has to be between 0 and 1, but got {p} "
                         f"(argument '{name}')")
    return float(p)


def eps(op, value):
    """A normalization's eps: a finite, non-negative number."""
    return real(op, "eps", value, 0, finite=True)


def momentum(op, value):
    """A running-statistics momentum: None (cumulative average) or a number in [0, 1]."""
    return None if value is None else real(op, "momentum", value, 0, 1)


def sizes(op, name, value, minimum=0):
    """A shape argument (an int or a sequence of ints) as a tuple of ints."""
    items = (value,) if not isinstance(value, (tuple, list)) else tuple(value)
    if not all(is_int(v) for v in items):
        raise TypeError(f"{op}: {name} must be an int or a sequence of ints, got {value!r}")
    if items and min(items) < minimum:
        raise ValueError(f"{op}: {name} must be {_bound(minimum)}, got {value!r}")
    return tuple(int(v) for v in items)


def pool_window(op, kernel_size, stride=None, padding=0, dilation=1):
    """kernel_size, stride (None or empty: kernel_size), padding and dilation of a pooling
    window as pairs, padding at most half the kernel (PyTorch's rule)."""
    kernel = int_pair(op, "kernel_size", kernel_size, 1)
    no_stride = stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0)
    stride = kernel if no_stride else int_pair(op, "stride", stride, 1)
    padding = int_pair(op, "padding", padding, 0)
    dilation = int_pair(op, "dilation", dilation, 1)
    if padding[0] > kernel[0] // 2 or padding[1] > kernel[1] // 2:
        raise ValueError(f"{op}: padding {padding} should be at most half of kernel_size "
                         f"{kernel}")
    return kernel, stride, padding, dilation


def divisor_override(op, value):
    """Average pooling's divisor_override: None or a non-zero int."""
    divisor = optional_integer(op, "divisor_override", value)
    if divisor == 0:
        raise ValueError(f"{op}: divisor_override must not be zero, got {value!r}")
    return divisor


def adaptive_size(op, output_size, input_hw=(None, None)):
    """(oh, ow) of an adaptive pool from an int or a pair whose None entries keep the
    input's size (`input_hw`); 0 is allowed (an empty output, as PyTorch)."""
    if not isinstance(output_size, (tuple, list)):
        return int_pair(op, "output_size", output_size, 0)
    if len(output_size) != 2:
        raise TypeError(f"{op}: output_size must be an int or a pair, got {output_size!r} "
                        f"({len(output_size)} values)")
    return tuple(kept if s is None else integer(op, "output_size", s, 0)
                 for s, kept in zip(output_size, input_hw))


def max_pool_dtype(op, input):
    """Max pooling selects values, so it takes integer tensors as well as floating ones,
    as PyTorch's CPU form does; the CUDA kernels are typed for float32 and float64 only."""
    kind = input.dtype.kind
    if kind == "f" or (kind in "iu" and kernels.active_form(input._data) != "cuda"):
        return
    where = " on CUDA arrays" if kind in "iu" else ""
    raise TypeError(f"{op}: input of dtype {input.dtype} is not supported{where}; it takes "
                    f"floating tensors and, on the CPU, integer ones (input shape "
                    f"{shape_str(input.shape)})")


def spatial_input(op, input, layout="(N, C, H, W) or (C, H, W)", ranks=(3, 4)):
    """`input` is a Tensor whose rank is one of `ranks`."""
    require_tensor(op, "input", input)
    if input.ndim not in ranks:
        raise ValueError(f"{op}: expected input of shape {layout}, got shape "
                         f"{shape_str(input.shape)}")
