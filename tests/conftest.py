"""Shared test helpers: float64 gradient checks, PyTorch parity, hypothesis settings, GPU marker."""
import functools
import signal

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

import minicnn as mc

settings.register_profile("default", max_examples=25, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=200, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("default")


def pytest_collection_modifyitems(config, items):
    if mc.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs CUDA (mc.cuda.is_available() is false)")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def ctrl_c_reaches_python():
    """SIGINT at Python's default handler for the test, as in a process started from a
    terminal: a shell starts its background jobs with SIGINT ignored, and a Python process
    that inherits that leaves it ignored, so Ctrl-C tests would otherwise depend on how the
    test run was launched."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def sigint_at_default():
    """A subprocess preexec_fn: SIGINT back to its default disposition before the child
    starts (Python then installs its KeyboardInterrupt handler), whatever the parent's."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def random_array(shape, seed=0, dtype=np.float64, low=None, high=None):
    """Standard-normal data (or uniform on [low, high)) of `shape` from a fixed seed."""
    rng = np.random.default_rng(seed)
    if low is not None:
        return rng.uniform(low, high, size=shape).astype(dtype)
    return rng.standard_normal(shape).astype(dtype)


def untied_array(shape, seed=0, dtype=np.float64):
    """A shuffled linspace: distinct values, so max/min and their gradients have no ties."""
    n = int(np.prod(shape))
    return np.random.default_rng(seed).permutation(np.linspace(-3, 3, n)).reshape(shape) \
        .astype(dtype)


def as_inputs(arrays, requires_grad=None):
    """minicnn tensors from arrays: float arrays require grad unless `requires_grad` says."""
    tensors = []
    for i, a in enumerate(arrays):
        if not isinstance(a, np.ndarray):
            tensors.append(a)
            continue
        grad = a.dtype.kind == "f" if requires_grad is None else requires_grad[i]
        tensors.append(mc.tensor(a.copy(), requires_grad=grad))
    return tensors


def check_gradients(fn, *arrays, mode="elementwise", requires_grad=None, **tolerances):
    """gradcheck `fn` on float64 copies of `arrays` (floating ones require grad)."""
    arrays = [a.astype(np.float64) if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a
              for a in arrays]
    inputs = as_inputs(arrays, requires_grad)
    assert mc.utils.gradcheck(fn, inputs, mode=mode, **tolerances)


def _flat_outputs(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


def _on_one_torch_thread(check):
    """Run `check` with PyTorch on one thread: on the small arrays of the parity checks its
    thread pool costs far more than it saves, the more so on a busy machine."""
    @functools.wraps(check)
    def wrapper(*args, **kwargs):
        torch = pytest.importorskip("torch")
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            return check(*args, **kwargs)
        finally:
            torch.set_num_threads(threads)
    return wrapper


@_on_one_torch_thread
def assert_torch_parity(mc_fn, torch_fn, *arrays, requires_grad=None, rtol=1e-4, atol=1e-5,
                        seed=0):
    """Forward outputs and every input's gradient (under one random upstream gradient)
    equal PyTorch's. Float arrays require grad unless `requires_grad` says otherwise;
    non-array arguments are passed to both functions unchanged."""
    torch = pytest.importorskip("torch")
    ours = as_inputs(arrays, requires_grad)
    theirs = []
    for a, t in zip(arrays, ours):
        if isinstance(a, np.ndarray):
            theirs.append(torch.tensor(a.copy(), requires_grad=t.requires_grad))
        else:
            theirs.append(a)
    out_mc = _flat_outputs(mc_fn(*ours))
    out_torch = _flat_outputs(torch_fn(*theirs))
    assert len(out_mc) == len(out_torch)
    rng = np.random.default_rng(seed)
    loss_mc, loss_torch = 0, 0
    for o, t in zip(out_mc, out_torch):
        expected = t.detach().numpy()
        assert tuple(o.shape) == tuple(expected.shape), (o.shape, expected.shape)
        got = o.detach().numpy()
        assert got.dtype == expected.dtype or got.dtype.kind == expected.dtype.kind, \
            (got.dtype, expected.dtype)
        np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol)
        if o.requires_grad and t.requires_grad:
            w = rng.standard_normal(expected.shape).astype(expected.dtype)
            loss_mc = loss_mc + (o * mc.tensor(w)).sum()
            loss_torch = loss_torch + (t * torch.tensor(w)).sum()
    if not isinstance(loss_mc, int):
        loss_mc.backward()
        loss_torch.backward()
    for i, (o, t) in enumerate(zip(ours, theirs)):
        if isinstance(o, mc.Tensor) and o.requires_grad:
            if t.grad is None:
                assert o.grad is None or not np.any(o.grad.numpy()), f"input {i}"
                continue
            assert o.grad is not None, f"input {i} got no gradient"
            np.testing.assert_allclose(o.grad.numpy(), t.grad.numpy(), rtol=rtol, atol=atol,
                                       err_msg=f"gradient of input {i}")


class Samples(mc.data.Dataset):
    """A dataset whose sample i is `make(i)`; records every index fetched."""

    def __init__(self, n, make):
        self.n, self.make, self.fetched = n, make, []

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        self.fetched.append(i)
        return self.make(i)
