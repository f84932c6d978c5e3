"""The device API as PyTorch has it: mc.device, mc.cuda, mc.accelerator, mc.backends, and
nn.DataParallel as a pass-through, so device-agnostic programs run unchanged."""
import numpy as np
import pytest

import minicnn as mc


def test_the_usual_device_selection_lines_pick_the_cpu_here():
    if mc.cuda.is_available():
        pytest.skip("a GPU is usable: the lines pick it")
    device = mc.device("cuda" if mc.cuda.is_available() else
                       "mps" if mc.backends.mps.is_available() else "cpu")
    assert device == mc.device("cpu") and device.type == "cpu"
    device = (mc.accelerator.current_accelerator().type if mc.accelerator.is_available()
              else "cpu")
    assert device == "cpu"
    assert mc.accelerator.current_accelerator() is None
    assert mc.cuda.device_count() == 0 and mc.accelerator.device_count() == 0
    assert mc.cuda.current_device() == 0
    mc.cuda.empty_cache()
    mc.cuda.synchronize()


@pytest.mark.gpu
def test_the_accelerator_is_cuda_where_a_gpu_answers():
    assert mc.accelerator.is_available()
    assert mc.accelerator.current_accelerator() == mc.device("cuda")
    assert mc.accelerator.device_count() == mc.cuda.device_count() >= 1
    assert mc.accelerator.current_device_index() == mc.cuda.current_device()
    x = mc.zeros(2, device=mc.accelerator.current_accelerator())
    assert x.is_cuda and not x.is_cpu and not x.is_xpu
    mc.cuda.empty_cache()


def test_backends_switches_can_be_set_and_read():
    cudnn = mc.backends.cudnn
    saved = cudnn.benchmark, cudnn.deterministic
    try:
        cudnn.benchmark, cudnn.deterministic = True, True
        assert mc.backends.cudnn.benchmark and mc.backends.cudnn.deterministic
    finally:
        cudnn.benchmark, cudnn.deterministic = saved
    assert not cudnn.is_available() and cudnn.version() is None
    assert not mc.backends.mps.is_available() and not mc.backends.mps.is_built()
    mc.backends.cuda.matmul.allow_tf32 = mc.backends.cuda.matmul.allow_tf32
    assert mc.backends.cuda.is_built()


def test_data_parallel_passes_through_with_pytorch_keys():
    torch = pytest.importorskip("torch")
    model = mc.nn.Sequential(mc.nn.Linear(4, 3), mc.nn.ReLU())
    wrapped = mc.nn.DataParallel(model)
    assert wrapped.module is model
    ours = sorted(wrapped.state_dict())
    theirs = sorted(torch.nn.DataParallel(torch.nn.Sequential(torch.nn.Linear(4, 3),
                                                              torch.nn.ReLU())).state_dict())
    assert ours == theirs == ["module.0.bias", "module.0.weight"]
    x = mc.randn(5, 4)
    np.testing.assert_array_equal(wrapped(x).detach().numpy(), model(x).detach().numpy())
    assert list(wrapped.parameters()) == list(model.parameters())
    assert mc.nn.parallel.DataParallel is mc.nn.DataParallel


def test_data_parallel_ignores_device_ids_without_a_gpu_as_pytorch():
    if mc.cuda.is_available():
        pytest.skip("a GPU is usable")
    assert mc.nn.DataParallel(mc.nn.Linear(2, 2), device_ids=[0, 1]).module is not None


@pytest.mark.gpu
def test_data_parallel_refuses_several_gpus():
    with pytest.raises(ValueError, match="DataParallel: minicnn runs a module on one device"):
        mc.nn.DataParallel(mc.nn.Linear(2, 2), device_ids=[0, 1])
