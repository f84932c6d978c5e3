"""Functions that make new tensors: from data, filled, ranges and random."""
import numpy as np

from . import backend
from .allocation import check_fits
from .dtypes import get_default_dtype
from .random import stream_of
from .tensor import Tensor, infer_dtype


def tensor(data, dtype=None, device=None, requires_grad=False):
    """A new tensor holding a copy of `data`."""
    return Tensor(data, dtype=dtype, device=device, requires_grad=requires_grad)


def from_numpy(array):
    """A tensor sharing memory with a NumPy array."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected a numpy.ndarray, got {type(array).__name__}")
    return Tensor._make(array)


_DLPACK_CUDA = (2, 13)         # kDLCUDA and kDLCUDAManaged; others go to NumPy, which reads
                               # the CPU (and CUDA host memory) and refuses the rest


def from_dlpack(ext_tensor):
    """A tensor sharing memory with `ext_tensor`, an object of another library that exports
    DLPack (`__dlpack__`): a PyTorch tensor, a CuPy or NumPy array ... On the CPU the data
    becomes a NumPy array over the same memory, on CUDA a CuPy array; strided views stay
    views. What the producer refuses to export (PyTorch: a tensor that requires grad, one
    with the conjugate bit) raises its error, and a dtype NumPy lacks (bfloat16) raises
    NumPy's; each is prefixed by `from_dlpack:`."""
    if not hasattr(ext_tensor, "__dlpack__"):
        raise TypeError(f"from_dlpack: expected an object that exports DLPack (with "
                        f"__dlpack__), such as a PyTorch tensor or a CuPy array, got "
                        f"{type(ext_tensor).__name__}")
    device_type, index = ext_tensor.__dlpack_device__()
    try:
        if int(device_type) in _DLPACK_CUDA:
            cupy = backend.cupy_module()
            with cupy.cuda.Device(index):
                array = cupy.from_dlpack(ext_tensor)
        else:
            array = np.from_dlpack(ext_tensor)
    except (BufferError, RuntimeError, TypeError) as error:
        raise type(error)(f"from_dlpack: {error}") from error
    return Tensor._make(array)


def _shape(size):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for s in size:
        if not isinstance(s, (int, np.integer)) or s < 0:
            raise ValueError(f"size must be a sequence of non-negative integers, got {size}")
    return tuple(int(s) for s in size)


def _sizes(op, sizes, size):
    """The shape given as spread ints, one sequence, or PyTorch's `size=` keyword."""
    if size is None:
        return sizes
    if sizes:
        raise TypeError(f"{op}: give the size either as arguments or as size=, not both")
    return (size,)


def _new(fill, size, dtype, device, requires_grad, op=None):
    """A tensor from fill(xp, shape, dtype); `op`, the factory's name, is given where `size`
    is the shape `fill` makes, which is then checked against memory before `fill` runs."""
    dtype = np.dtype(dtype) if dtype is not None else get_default_dtype()
    xp = backend.xp_for(device or "cpu")
    shape = _shape(size)
    if op is not None:
        check_fits(op, "a tensor", shape, dtype, device)
    with backend.on_device(device or "cpu"):
        t = Tensor._make(fill(xp, shape, dtype))
    if requires_grad:
        t.requires_grad_(True)
    return t


def zeros(*sizes, size=None, dtype=None, device=None, requires_grad=False):
    return _new(lambda xp, s, d: xp.zeros(s, dtype=d), _sizes("zeros", sizes, size), dtype,
                device, requires_grad, "zeros")


def ones(*sizes, size=None, dtype=None, device=None, requires_grad=False):
    return _new(lambda xp, s, d: xp.ones(s, dtype=d), _sizes("ones", sizes, size), dtype,
                device, requires_grad, "ones")


def empty(*sizes, size=None, dtype=None, device=None, requires_grad=False):
    return _new(lambda xp, s, d: xp.empty(s, dtype=d), _sizes("empty", sizes, size), dtype,
                device, requires_grad, "empty")


def full(size, fill_value, dtype=None, device=None, requires_grad=False):
    if dtype is None:
        dtype = infer_dtype(fill_value)
    return _new(lambda xp, s, d: xp.full(s, fill_value, dtype=d), (size,), dtype, device,
                requires_grad, "full")


def eye(n, m=None, dtype=None, device=None, requires_grad=False):
    return _new(lambda xp, s, d: xp.eye(*s, dtype=d), (n, n if m is None else m), dtype, device,
                requires_grad, "eye")


def _number(op, name, value):
    """A bound given as a number or a one-element tensor, as a Python number."""
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise ValueError(f"{op}: {name} must be a number or a 0-d tensor, got a tensor of "
                             f"shape {tuple(value.shape)}")
        return value.item()
    return value


def _check_range(start, end, step):
    """PyTorch's checks: a finite range, a non-zero step of the sign that reaches `end`."""
    if step == 0:
        raise ValueError("arange: step must be nonzero")
    if not (np.isfinite(start) and np.isfinite(end)):
        raise ValueError(f"arange: unsupported range: {start} -> {end}")
    if (step > 0 and end < start) or (step < 0 and end > start):
        raise ValueError(f"arange: the bounds {start} -> {end} are inconsistent with the sign "
                         f"of step={step}")


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False):
    if end is None:
        start, end = 0, start
    start, end, step = (_number("arange", name, v) for name, v in
                        (("start", start), ("end", end), ("step", step)))
    _check_range(start, end, step)
    if dtype is None:
        is_float = any(isinstance(v, float) for v in (start, end, step))
        dtype = get_default_dtype() if is_float else np.int64
    return _new(lambda xp, s, d: xp.arange(start, end, step, dtype=d), (), dtype, device,
                requires_grad)


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False):
    start, end = _number("linspace", "start", start), _number("linspace", "end", end)
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"linspace: steps must be a non-negative integer, got {steps!r}")
    return _new(lambda xp, s, d: xp.linspace(start, end, steps, dtype=d), (), dtype, device,
                requires_grad)


def _random(sample, size, dtype, device, requires_grad, op, generator=None):
    dtype = np.dtype(dtype) if dtype is not None else get_default_dtype()
    rng = stream_of(generator, device)
    return _new(lambda xp, s, d: sample(rng, s, d), size, dtype, device, requires_grad, op)


def _float_sample(d):
    """The dtype to draw in for `d`: NumPy draws float32 or float64, so float16 is drawn in
    float32 and cast."""
    return d if d.itemsize >= 4 else np.float32


def rand(*sizes, size=None, generator=None, dtype=None, device=None, requires_grad=False):
    """Uniform on [0, 1)."""
    return _random(lambda rng, s, d: rng.random(s, dtype=_float_sample(d)).astype(d, copy=False),
                   _sizes("rand", sizes, size), dtype, device, requires_grad, "rand", generator)


def randn(*sizes, size=None, generator=None, dtype=None, device=None, requires_grad=False):
    """Standard normal."""
    return _random(lambda rng, s, d: rng.standard_normal(s, dtype=_float_sample(d))
                   .astype(d, copy=False), _sizes("randn", sizes, size), dtype, device,
                   requires_grad, "randn", generator)


def normal(mean=0.0, std=1.0, size=None, *, generator=None, dtype=None, device=None,
           requires_grad=False):
    """Normal samples of mean `mean` and standard deviation `std` (torch.normal): numbers with
    a `size`, or tensors (broadcast together, their dtype and device) without one. The
    result is a new leaf: no gradient flows to tensor `mean` or `std`."""
    tensors = [t for t in (mean, std) if isinstance(t, Tensor)]
    if tensors:
        if size is not None:
            raise ValueError("normal: size is given by the shape of tensor mean / std; pass "
                             "size only with numbers")
        shape = np.broadcast_shapes(*(t.shape for t in tensors))
        dtype = dtype or tensors[0].dtype
        device = device or tensors[0].device
    elif size is None:
        raise TypeError("normal: with a number mean and std, give `size`")
    else:
        shape = _shape((size,))
    if (np.asarray(std._data if isinstance(std, Tensor) else std) < 0).any():
        raise ValueError(f"normal: std must be non-negative, got {std}")
    out = randn(shape, generator=generator, dtype=dtype, device=device)
    arrays = [v._data if isinstance(v, Tensor) else v for v in (mean, std)]
    out._data = (out._data * arrays[1] + arrays[0]).astype(out.dtype, copy=False)
    return out.requires_grad_(True) if requires_grad else out


def randint(low, high=None, size=None, *, generator=None, dtype=None, device=None):
    """Integers uniform on [low, high); `randint(high, size=...)` starts at 0."""
    if high is None:
        low, high = 0, low
    if size is None:
        raise TypeError("randint: missing the `size` argument")
    dtype = np.dtype(dtype) if dtype is not None else np.dtype(np.int64)
    rng = stream_of(generator, device)
    return _new(lambda xp, s, d: rng.integers(low, high, s).astype(d, copy=False), (size,),
                dtype, device, False, "randint")


def randperm(n, *, generator=None, dtype=None, device=None):
    dtype = np.dtype(dtype) if dtype is not None else np.dtype(np.int64)
    rng = stream_of(generator, device)
    return _new(lambda xp, s, d: rng.permutation(*s).astype(d, copy=False), (n,), dtype,
                device, False, "randperm")


def _like(input, dtype, device, requires_grad):
    """The keyword arguments that make a new tensor shaped, typed and placed like `input`."""
    return dict(dtype=dtype or input.dtype, device=device or input.device,
                requires_grad=requires_grad)


def zeros_like(input, dtype=None, device=None, requires_grad=False):
    return zeros(input.shape, **_like(input, dtype, device, requires_grad))


def ones_like(input, dtype=None, device=None, requires_grad=False):
    return ones(input.shape, **_like(input, dtype, device, requires_grad))


def empty_like(input, dtype=None, device=None, requires_grad=False):
    return empty(input.shape, **_like(input, dtype, device, requires_grad))


def full_like(input, fill_value, dtype=None, device=None, requires_grad=False):
    return full(input.shape, fill_value, **_like(input, dtype, device, requires_grad))


def rand_like(input, dtype=None, device=None, requires_grad=False):
    return rand(input.shape, **_like(input, dtype, device, requires_grad))


def randn_like(input, dtype=None, device=None, requires_grad=False):
    return randn(input.shape, **_like(input, dtype, device, requires_grad))


def randint_like(input, low, high=None, dtype=None, device=None):
    kwargs = _like(input, dtype, device, False)
    del kwargs["requires_grad"]
    return randint(low, high, input.shape, **kwargs)
