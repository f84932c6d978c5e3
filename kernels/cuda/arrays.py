"""How every wrapper in this folder takes its arrays and hands them to a kernel.

`like_input` makes a wrapper run where its input lives and return results like it: CuPy
allocates and launches on the *current* device, so without it an array on cuda:1 would be
computed on cuda:0; and the kernels are typed for float32 and float64 only, so a float16
input is computed in float32 (which holds every float16 value exactly) and its results are
rounded back to float16, as PyTorch's CPU half ops do. `contiguous` gives a kernel each
array as its pointer expects: C-contiguous, in the launch dtype.
"""
import functools
import inspect

import numpy as np

HALF = np.dtype(np.float16)
SINGLE = np.dtype(np.float32)


def like_input(wrapper=None, *, writes=()):
    """Decorator for a kernel's wrapper: it runs with the device of its first CuPy array
    argument current (so outputs are allocated there and kernels launched there), and when
    that array is float16, every float16 argument is passed as a float32 copy and every
    float32 result comes back as float16. `writes` names the arguments the wrapper writes
    into (an `out`, an array overwritten in place): a float16 one receives the float32
    result and is returned in place of its copy."""
    def decorate(function):
        signature = inspect.signature(function)

        @functools.wraps(function)
        def run(*args, **kwargs):
            import cupy

            first = next((a for a in (*args, *kwargs.values()) if isinstance(a, cupy.ndarray)),
                         None)
            if first is None:
                return function(*args, **kwargs)
            with first.device:
                if first.dtype != HALF:
                    return function(*args, **kwargs)
                return _in_float32(function, signature.bind(*args, **kwargs), writes, cupy)
        return run

    return decorate if wrapper is None else decorate(wrapper)


def _in_float32(function, bound, writes, cupy):
    """`function` on `bound` arguments with each float16 array replaced by a float32 copy
    (one copy per distinct array); the results rounded back to float16."""
    given = dict(bound.arguments)
    copies = {}                                 # id of a float16 argument -> its copy
    for name, value in given.items():
        if isinstance(value, cupy.ndarray) and value.dtype == HALF:
            if id(value) not in copies:
                copies[id(value)] = value.astype(SINGLE)
            bound.arguments[name] = copies[id(value)]
    result = function(*bound.args, **bound.kwargs)
    written = {}                                # id of a written copy -> its float16 original
    for name in writes:
        copy = copies.get(id(given.get(name)))
        if copy is not None and id(copy) not in written:
            given[name][...] = copy.astype(HALF)
            written[id(copy)] = given[name]
    return _narrowed(result, written, cupy)


def _narrowed(result, written, cupy):
    """`result` (an array, or a tuple or list of them) with float32 arrays as float16, and
    each written copy replaced by the float16 array it was copied from."""
    if isinstance(result, (tuple, list)):
        return type(result)(_narrowed(r, written, cupy) for r in result)
    if id(result) in written:
        return written[id(result)]
    if isinstance(result, cupy.ndarray) and result.dtype == SINGLE:
        return result.astype(HALF)
    return result


def contiguous(dtype, *arrays):
    """Each array as a C-contiguous CuPy array of `dtype`, the type the kernel's pointer
    expects (a copy only where the layout or the dtype differs)."""
    import cupy

    return tuple(cupy.ascontiguousarray(a, dtype=dtype) for a in arrays)
