"""mc.cuda.why_unavailable(): None when a GPU is usable, else the probe's one-line reason
(the probe's cached state is replaced, so no GPU is needed)."""
import pytest

import minicnn as mc
from minicnn.runtime import cuda_probe

DRIVER_ERROR = ("CUDARuntimeError: cudaErrorInsufficientDriver: CUDA driver version is "
                "insufficient for CUDA runtime version")


@pytest.mark.parametrize("reason", [cuda_probe.NOT_INSTALLED, cuda_probe.NO_GPU, DRIVER_ERROR])
def test_the_probes_reason_when_unavailable(monkeypatch, reason):
    monkeypatch.setattr(cuda_probe, "_state", (False, reason))
    assert not mc.cuda.is_available()
    assert mc.cuda.why_unavailable() == reason


def test_none_when_available(monkeypatch):
    monkeypatch.setattr(cuda_probe, "_state", (True, None))
    assert mc.cuda.is_available()
    assert mc.cuda.why_unavailable() is None


def test_agrees_with_is_available():
    assert (mc.cuda.why_unavailable() is None) == mc.cuda.is_available()


def test_the_missing_cupy_reason_names_both_extras_on_one_line():
    assert "minicnn[cuda13]" in cuda_probe.NOT_INSTALLED
    assert "minicnn[cuda12]" in cuda_probe.NOT_INSTALLED
    assert "\n" not in cuda_probe.NOT_INSTALLED
