"""Every kernels/cuda/*.cu compiles to PTX with nvcc (skipped where nvcc is not on PATH),
and every kernel name the Python wrappers ask for exists in both precisions."""
import re
import shutil
import subprocess
from pathlib import Path

import pytest

CUDA_DIR = Path(__file__).resolve().parents[2] / "kernels" / "cuda"
SOURCES = sorted(CUDA_DIR.glob("*.cu"))


def test_cuda_sources_found():
    assert {p.stem for p in SOURCES} >= {"elementwise", "im2col", "depthwise", "pooling", "lrn",
                                          "batchnorm", "softmax"}


@pytest.mark.skipif(shutil.which("nvcc") is None, reason="nvcc is not on PATH")
@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.name)
def test_cuda_source_compiles_to_ptx(source, tmp_path):
    result = subprocess.run(["nvcc", "--ptx", "--std=c++14", "-o", str(tmp_path / "out.ptx"),
                             str(source)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "error" not in result.stderr.lower(), result.stderr


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.name)
def test_cuda_wrappers_name_existing_entry_points(source):
    """function("<module>", "<kernel>", dtype) in the wrapper finds <kernel>_f32 and _f64."""
    wrapper = source.with_suffix(".py").read_text()
    entry_points = set(re.findall(r'extern "C" __global__ void (\w+)\(', source.read_text()))
    asked = re.findall(r'function\("(\w+)", "(\w+)"', wrapper)
    assert asked, f"{source.with_suffix('.py').name} launches nothing"
    for module, kernel in asked:
        assert module == source.stem
        assert {f"{kernel}_f32", f"{kernel}_f64"} <= entry_points, kernel
