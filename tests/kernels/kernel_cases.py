"""Shared hypothesis strategies and helpers for the kernel tests (tests/kernels/)."""
import numpy as np
import pytest
from hypothesis import strategies as st

from minicnn.kernels import cpu, cuda, reference

DTYPES = st.sampled_from([np.float32, np.float64])
LAYOUTS = st.sampled_from(["contiguous", "transposed", "sliced"])


@st.composite
def stride1_geometry(draw, max_side, kernel=3):
    """(N, C, H, W), out channels, padding of a stride-1 kernel×kernel convolution: padding
    0 to kernel − 1, sides up to `max_side`, down to a 1×1 output; channels 1-5 or, past the
    Winograd copies' blocks of eight (winograd.CHANNEL_BLOCK), 8-19."""
    channels = st.one_of(st.integers(1, 5), st.integers(8, 19))
    N, C, OC = draw(st.integers(1, 3)), draw(channels), draw(channels)
    padding = (draw(st.integers(0, kernel - 1)), draw(st.integers(0, kernel - 1)))
    H, W = (draw(st.integers(max(1, kernel - 2 * p), max_side)) for p in padding)
    return (N, C, H, W), OC, padding


def tolerance(dtype):
    """rtol/atol for comparing two forms that may add in different orders."""
    return dict(rtol=1e-4, atol=1e-5) if np.dtype(dtype) == np.float32 else \
        dict(rtol=1e-10, atol=1e-12)


def assert_same(got, expected, dtype=None):
    """Same shape, same dtype (the expected one, or `dtype`), values allclose."""
    got, expected = np.asarray(got), np.asarray(expected)
    dtype = np.dtype(dtype or expected.dtype)
    assert got.shape == expected.shape, (got.shape, expected.shape)
    assert got.dtype == dtype, (got.dtype, dtype)
    np.testing.assert_allclose(got, expected, equal_nan=True, **tolerance(dtype))


def make_array(shape, dtype, layout="contiguous", seed=0, untied=False):
    """An array of `shape`: standard-normal (or a shuffled linspace, `untied`), laid out as
    asked: "contiguous", "transposed" (last two axes swapped in memory) or "sliced"
    (every other element of a wider array along the last axis)."""
    rng = np.random.default_rng(seed)
    n = int(np.prod(shape))
    values = (rng.permutation(np.linspace(-3, 3, n)) if untied
              else rng.standard_normal(n)).astype(dtype).reshape(shape)
    if layout == "contiguous" or len(shape) < 2:
        return values
    if layout == "transposed":
        out = np.ascontiguousarray(np.swapaxes(values, -1, -2)).swapaxes(-1, -2)
    else:
        wide = np.zeros(shape[:-1] + (2 * shape[-1],), dtype=dtype)
        wide[..., ::2] = values
        out = wide[..., ::2]
    np.testing.assert_array_equal(out, values)
    return out


@st.composite
def conv_geometry(draw, dilation=True, max_kernel=4):
    """(N, C, H, W), kernel, stride, padding, dilation as (h, w) pairs, with at least one
    output position: stride 1 about half the time (the cpu forms' unit-stride paths),
    else up to 5 (often larger than the kernel), padding up to half the kernel,
    dilation 1-3, odd and tiny sizes, batch 1."""
    N = draw(st.integers(1, 3))
    C = draw(st.integers(1, 4))
    kernel, stride, padding, dil, size = [], [], [], [], []
    for _ in range(2):
        k = draw(st.integers(1, max_kernel))
        d = draw(st.integers(1, 3)) if dilation else 1
        p = draw(st.integers(0, k // 2))
        span = d * (k - 1) + 1
        lowest = max(1, span - 2 * p)
        kernel.append(k)
        stride.append(draw(st.one_of(st.just(1), st.integers(1, 5))))  # often 1: fast paths
        padding.append(p)
        dil.append(d)
        size.append(draw(st.integers(lowest, lowest + 9)))
    return (N, C, size[0], size[1]), tuple(kernel), tuple(stride), tuple(padding), tuple(dil)


# the forms a test runs: the cpu form, and the cuda form as a gpu test
FORMS = ("cpu", pytest.param("cuda", marks=pytest.mark.gpu))
# sizes around the launch's 256 threads a block: one, a partial block, one block, a block and
# a thread
BLOCK_EDGES = (1, 255, 256, 257)


def kernels_of(form):
    """The kernels of `form` ("reference", "cpu" or "cuda"), called with NumPy arrays and
    returning NumPy arrays (the cuda form through OnDevice)."""
    if form == "cuda":
        return OnDevice(cuda)
    return {"reference": reference, "cpu": cpu}[form]


def _margin(dtype, count, mark):
    """`count` elements of `dtype` whose bits are all ones but for `mark` in the lowest ones:
    a NaN for floats, its payload naming the argument."""
    unsigned = np.dtype(f"u{np.dtype(dtype).itemsize}")
    return np.full(count, np.iinfo(unsigned).max ^ mark, dtype=unsigned).view(dtype)


def _bits(a):
    return a.view(np.dtype(f"u{a.dtype.itemsize}"))


def _layout(a):
    """How `a` lies in memory: "transposed" (last two axes swapped), "sliced" (every other
    element along the last axis) or "contiguous" (what is neither goes to the device in C
    order)."""
    if a.flags.c_contiguous:
        return "contiguous"
    if a.ndim >= 2 and np.swapaxes(a, -1, -2).flags.c_contiguous:
        return "transposed"
    if a.ndim >= 1 and a.strides[-1] == 2 * a.itemsize:
        return "sliced"
    return "contiguous"


def _placement(a, mark):
    """(buffer, view): a flat NumPy buffer, and a function that views a buffer (NumPy's or
    CuPy's) as an array laid out like `a` and holding a's values; every other element of the
    buffer is margin (see _margin): as much again on either side, and a sliced array's gaps."""
    layout = _layout(a)
    if layout == "transposed":
        inner = np.swapaxes(a, -1, -2)
    elif layout == "sliced":
        inner = np.stack([a, _margin(a.dtype, a.size, mark).reshape(a.shape)], axis=-1)
        inner = inner.reshape(a.shape[:-1] + (2 * a.shape[-1],))
    else:
        inner = np.ascontiguousarray(a)
    m, n = max(16, inner.size), inner.size
    buffer = np.concatenate([_margin(a.dtype, m, mark), inner.reshape(-1),
                             _margin(a.dtype, m, mark)])

    def view(b):
        v = b[m:m + n].reshape(inner.shape)
        if layout == "transposed":
            return v.swapaxes(-1, -2)
        return v[..., ::2] if layout == "sliced" else v

    return buffer, view


class OnDevice:
    """The cuda form's kernels called like the cpu form's, NumPy arrays in and out.

    Each array argument goes to the device in its own layout (see _placement): inside a
    buffer of NaN margins, so that a kernel reading past either end of an array, or into the
    gaps of a sliced one, returns NaN where the comparison with the reference fails. After the
    call the margins must hold their bits (a kernel writing past an array fails here), an
    argument the kernel does not return must be unchanged, and one it returns (written in
    place) is copied back into the NumPy array it came from, which is returned. Other array
    results come back with .get()."""

    def __init__(self, module):
        self.module = module

    def __getattr__(self, name):
        kernel = getattr(self.module, name)

        def call(*args, **kwargs):
            cupy = cupy_or_skip()
            placed = {}                                         # id(host array) -> entry

            def to_device(value):
                if not isinstance(value, np.ndarray):
                    return value
                if id(value) not in placed:
                    buffer, view = _placement(value, len(placed) + 1)
                    on_device = cupy.asarray(buffer)
                    placed[id(value)] = (value, buffer, view, on_device, view(on_device))
                return placed[id(value)][4]

            result = kernel(*map(to_device, args),
                            **{k: to_device(v) for k, v in kwargs.items()})
            returned = {id(r) for r in (result if isinstance(result, tuple) else (result,))}
            for host, buffer, view, on_device, device_view in placed.values():
                after = on_device.get()
                inside = np.zeros(buffer.size, dtype=bool)
                inside[view(np.arange(buffer.size))] = True
                assert (_bits(after) == _bits(buffer))[~inside].all(), \
                    f"cuda.{name} wrote outside an array argument of shape {host.shape}"
                if id(device_view) in returned:
                    host[...] = view(after)
                else:
                    assert (_bits(view(after)) == _bits(view(buffer))).all(), \
                        f"cuda.{name} changed an input of shape {host.shape}"
            back = {id(entry[4]): entry[0] for entry in placed.values()}

            def to_host(value):
                if id(value) in back:
                    return back[id(value)]
                return value.get() if isinstance(value, cupy.ndarray) else value

            return tuple(map(to_host, result)) if isinstance(result, tuple) else \
                to_host(result)

        return call


def cupy_or_skip():
    return pytest.importorskip("cupy")


def compiled_once(dispatcher, call):
    """Run `call` and say whether the Numba `dispatcher` compiled nothing new."""
    before = len(dispatcher.signatures)
    call()
    return len(dispatcher.signatures) == before
