"""DLPack: zero-copy exchange of tensors with PyTorch (CPU) and CuPy (GPU), and the edge
cases where PyTorch errs or copies (said per test)."""
import os

import numpy as np
import pytest

import minicnn as mc

torch = pytest.importorskip("torch")


def _same_memory(mc_tensor, torch_tensor):
    """Whether a write through one is seen through the other (and back)."""
    flat = torch_tensor.reshape(-1) if torch_tensor.is_contiguous() else None
    if flat is None:
        return np.shares_memory(mc_tensor.numpy(), torch_tensor.numpy())
    flat[0] = 123
    seen = mc_tensor.numpy().reshape(-1)[0] == 123
    mc_tensor.numpy().reshape(-1)[0] = 7
    return seen and torch_tensor.reshape(-1)[0].item() == 7


@pytest.mark.parametrize("make", [
    lambda: mc.arange(12.0).reshape(3, 4),
    lambda: mc.tensor(np.array(5.0, dtype=np.float32)),                    # 0-d
    lambda: mc.ones(0, 3),                                                 # empty
    lambda: mc.tensor(np.array([True, False])),                            # bool
    lambda: mc.tensor(np.array([1 + 2j, 3j], dtype=np.complex64)),         # complex
    lambda: mc.tensor(np.arange(4, dtype=np.float16)),
    lambda: mc.arange(6, dtype=mc.int64),
], ids=["float32", "0-d", "empty", "bool", "complex64", "float16", "int64"])
def test_torch_from_dlpack_shares_minicnn_memory(make):
    t = make()
    shared = torch.from_dlpack(t)
    assert tuple(shared.shape) == t.shape and str(shared.dtype) == f"torch.{t.dtype}"
    np.testing.assert_array_equal(shared.numpy(), t.numpy())
    if t.numel():
        assert np.shares_memory(shared.numpy(), t.numpy())


def test_a_strided_view_exports_as_a_view():
    base = mc.arange(24.0).reshape(4, 6)
    view = base.t()[1:5:2]                           # transposed, every other row
    shared = torch.from_dlpack(view)
    np.testing.assert_array_equal(shared.numpy(), view.numpy())
    assert shared.stride() == tuple(s // 4 for s in view._data.strides)
    shared[0, 0] = -1
    assert base.numpy()[0, 1] == -1


def test_minicnn_from_dlpack_shares_torch_memory():
    t = torch.arange(12.0).reshape(3, 4)
    shared = mc.from_dlpack(t)
    assert isinstance(shared, mc.Tensor) and shared.shape == (3, 4) and shared.dtype == np.float32
    assert _same_memory(shared, t)
    view = mc.from_dlpack(t.t())                     # PyTorch's strides, kept
    assert view.shape == (4, 3) and np.shares_memory(view.numpy(), t.numpy())
    expanded = mc.from_dlpack(torch.ones(1, 3).expand(4, 3))    # a 0 stride, kept
    assert expanded._data.strides[0] == 0


@pytest.mark.parametrize("dtype", [torch.bool, torch.complex64, torch.float16, torch.uint8,
                                   torch.int16])
def test_minicnn_from_dlpack_takes_torch_dtypes_numpy_has(dtype):
    t = torch.ones(3, dtype=dtype)
    shared = mc.from_dlpack(t)
    assert np.shares_memory(shared.numpy(), t.numpy())
    np.testing.assert_array_equal(shared.numpy(), t.numpy())


def test_what_pytorch_refuses_to_export_is_refused_the_same_way():
    """A tensor that requires grad: BufferError from either side, with PyTorch's words; a
    tensor with the conjugate bit: PyTorch's BufferError; bfloat16: NumPy has no such dtype."""
    with pytest.raises(BufferError, match="Can't export tensors that require gradient"):
        torch.from_dlpack(mc.ones(2, requires_grad=True))
    with pytest.raises(BufferError, match="from_dlpack: Can't export tensors that require "
                                          "gradient"):
        mc.from_dlpack(torch.ones(2, requires_grad=True))
    with pytest.raises(BufferError, match="conjugate bit"):
        mc.from_dlpack(torch.ones(2, dtype=torch.complex64).conj())
    with pytest.raises(RuntimeError, match="from_dlpack: .*dtype"):
        mc.from_dlpack(torch.ones(2, dtype=torch.bfloat16))
    detached = torch.from_dlpack(mc.ones(2, requires_grad=True).detach())
    assert detached.shape == (2,)


def test_negative_strides_are_refused_and_contiguous_copies_export():
    """PyTorch has no negative strides (it aborts on importing them), so a reversed view
    does not export; `.contiguous()` is the copy that does."""
    reversed_view = mc.arange(5.0)[::-1]
    with pytest.raises(BufferError, match="negative strides, which PyTorch cannot hold"):
        torch.from_dlpack(reversed_view)
    copy = reversed_view.contiguous()
    np.testing.assert_array_equal(torch.from_dlpack(copy).numpy(), [4, 3, 2, 1, 0])


def test_read_only_memory_is_shared_as_pytorch_shares_it():
    """PyTorch imports read-only NumPy memory without copying (DLPack 1.0 marks it read-only);
    a minicnn tensor over read-only memory exports the same way, and minicnn's import of
    it stays read-only (writes raise instead of changing memory the producer protects)."""
    frozen = np.arange(4.0)
    frozen.flags.writeable = False
    t = mc.from_numpy(frozen)
    assert np.shares_memory(torch.from_dlpack(t).numpy(), frozen)
    imported = mc.from_dlpack(frozen)
    assert np.shares_memory(imported.numpy(), frozen)
    with pytest.raises(ValueError, match="read-only"):
        imported.add_(1)


def test_dlpack_device_and_bad_producers():
    assert mc.ones(2).__dlpack_device__() == (1, 0)
    with pytest.raises(TypeError, match=r"from_dlpack: expected an object that exports DLPack "
                                        r"\(with __dlpack__\).*got list"):
        mc.from_dlpack([1.0, 2.0])


@pytest.mark.gpu
def test_cupy_exchange_shares_gpu_memory():
    if os.environ.get("MINICNN_CUDA_EMULATE") == "1":
        pytest.skip("the CUDA emulator's arrays do not export DLPack (host arrays stand in "
                    "for device memory)")
    cupy = pytest.importorskip("cupy")
    t = mc.arange(6.0, device="cuda").reshape(2, 3)
    assert t.__dlpack_device__() == (2, t._data.device.id)
    shared = cupy.from_dlpack(t)
    shared[0, 0] = 42
    assert t[0, 0].item() == 42
    array = cupy.arange(4, dtype=cupy.float32)
    imported = mc.from_dlpack(array)
    assert imported.is_cuda and imported._data.data.ptr == array.data.ptr
    array[1] = -5
    assert imported[1].item() == -5
