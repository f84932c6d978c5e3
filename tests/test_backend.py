"""Devices and array modules (ops that mix devices: test_devices.py)."""
import numpy as np
import pytest

import minicnn as mc
from minicnn import backend


def test_xp_of_numpy_array():
    assert backend.xp_of(np.zeros(3)) is np


def test_device_parsing_and_equality():
    assert mc.device("cpu") == "cpu"
    assert mc.device("cuda") == mc.device("cuda:0")
    assert str(mc.device("cuda:1")) == "cuda:1"
    assert mc.device("cpu") != mc.device("cuda")
    with pytest.raises(ValueError, match="unknown device type 'tpu'"):
        mc.device("tpu")


def test_cpu_tensor_reports_cpu():
    x = mc.zeros(2, 3)
    assert x.device == mc.device("cpu") and not x.is_cuda
    assert x.cpu() is x and x.to("cpu") is x


def test_cuda_is_available_is_a_bool_and_import_needs_no_cupy():
    assert isinstance(mc.cuda.is_available(), bool)
    assert mc.cuda.device_count() >= 0


@pytest.mark.skipif(mc.cuda.is_available(), reason="only meaningful without a GPU")
def test_moving_to_cuda_without_gpu_fails_clearly():
    with pytest.raises((ImportError, RuntimeError)):
        mc.zeros(2).cuda()


@pytest.mark.gpu
def test_round_trip_to_cuda_keeps_values_and_gradients():
    x = mc.randn(3, 4, requires_grad=True)
    y = (x.cuda() * 2).sum()
    assert y.device == mc.device("cuda")
    y.backward()
    assert x.grad.device == mc.device("cpu")
    np.testing.assert_allclose(x.grad.numpy(), np.full((3, 4), 2.0, np.float32))


@pytest.mark.gpu
def test_gpu_ops_match_cpu():
    x = mc.randn(5, 7, dtype=mc.float64)
    w = mc.randn(3, 7, dtype=mc.float64)
    cpu = mc.functional.gelu(mc.functional.linear(x, w)).softmax(1)
    gpu = mc.functional.gelu(mc.functional.linear(x.cuda(), w.cuda())).softmax(1)
    np.testing.assert_allclose(gpu.cpu().numpy(), cpu.numpy(), rtol=1e-10)
