"""The CUDA emulator under test, installed as `cupy` for one test at a time: the `cupy`
fixture puts the emulator's modules in sys.modules and restores what was there before (no
module, or the emulator itself under MINICNN_CUDA_EMULATE=1), so other tests of the same
process never see a cupy they did not ask for. Test modules import the fixtures from here
(a conftest.py in this folder would hide tests/conftest.py from `from conftest import`)."""
import shutil
import sys

import pytest

from minicnn import cuda_emulator
from minicnn.cuda_emulator.host_compiler import compiler

NAMESPACES = ("cupy", "cupyx")


def _cupy_modules():
    return {name: module for name, module in sys.modules.items()
            if name.split(".")[0] in NAMESPACES}


@pytest.fixture
def cupy():
    saved = _cupy_modules()
    cuda_emulator.install()
    try:
        yield sys.modules["cupy"]
    finally:
        for name in _cupy_modules():
            del sys.modules[name]
        sys.modules.update(saved)


@pytest.fixture
def compile_cuda(cupy):
    """compile_cuda(source) -> the RawModule of a CUDA source (skipped without a compiler)."""
    if shutil.which(compiler()) is None:
        pytest.skip(f"the host C++ compiler {compiler()!r} is not on PATH")
    return lambda source, **kwargs: cupy.RawModule(code=source, **kwargs)
