"""The CUDA sources: every entry point comes in both precisions, every kernel a wrapper asks
for exists, each source compiles through loader.module (NVRTC, with the loader's options)
on a real GPU, and the architectures CI builds for are ones nvcc knows.

.ci/run compiles every source with nvcc for each architecture of
kernels/cuda/architectures.txt, warnings as errors."""
import re
import shutil
import subprocess

import pytest

import minicnn as mc
from minicnn import cuda_emulator
from minicnn.kernels.cuda import loader

SOURCES = sorted(loader.SOURCE_DIR.glob("*.cu"))
ENTRY_POINT = re.compile(r'extern "C" __global__ void (\w+)\(')
ASKED = re.compile(r'function\("(\w+)", "(\w+)"')
ARCHITECTURES = loader.SOURCE_DIR / "architectures.txt"


def _entry_points(source):
    return ENTRY_POINT.findall(loader.source(source.name))


def _architectures():
    lines = (line.strip() for line in ARCHITECTURES.read_text().splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def test_cuda_sources_found():
    assert {p.stem for p in SOURCES} >= {"elementwise", "im2col", "depthwise", "pooling", "lrn",
                                          "batchnorm", "softmax"}


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.name)
def test_every_entry_point_has_a_float_and_a_double_form(source):
    names = _entry_points(source)
    assert names and len(names) == len(set(names)), names
    kernels = {re.sub(r"_f(32|64)$", "", name) for name in names}
    assert set(names) == {f"{k}_{s}" for k in kernels for s in ("f32", "f64")}, names


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.name)
def test_cuda_wrappers_name_existing_entry_points(source):
    """function("<module>", "<kernel>", dtype) in the wrapper finds <kernel>_f32 and _f64."""
    asked = ASKED.findall(source.with_suffix(".py").read_text())
    assert asked, f"{source.with_suffix('.py').name} launches nothing"
    entry_points = set(_entry_points(source))
    for module, kernel in asked:
        assert module == source.stem
        assert {f"{kernel}_f32", f"{kernel}_f64"} <= entry_points, kernel


def _real_cupy_or_skip():
    if cuda_emulator.requested():
        pytest.skip("the emulator compiles with the host compiler, not NVRTC")
    pytest.importorskip("cupy")
    if not mc.cuda.is_available():
        pytest.skip(f"needs a GPU: {mc.cuda.why_unavailable()}")


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.name)
def test_each_source_compiles_through_the_loader_with_nvrtc(source):
    _real_cupy_or_skip()
    module = loader.module(source.stem)
    assert module.options == loader.NVRTC_OPTIONS
    module.compile()
    for name in _entry_points(source):
        assert module.get_function(name) is not None, name


def test_ci_builds_for_ampere_hopper_and_an_older_architecture_first():
    architectures = _architectures()
    numbers = [int(a.removeprefix("sm_")) for a in architectures]
    assert all(a.startswith("sm_") for a in architectures)
    assert {80, 90} <= set(numbers) and numbers == sorted(set(numbers)) and numbers[0] < 80


@pytest.mark.skipif(shutil.which("nvcc") is None, reason="nvcc is not on PATH")
def test_nvcc_builds_for_every_listed_architecture():
    listed = subprocess.run(["nvcc", "--list-gpu-arch"], capture_output=True, text=True,
                            check=True).stdout.split()
    for architecture in _architectures():
        assert architecture.replace("sm_", "compute_") in listed, architecture
