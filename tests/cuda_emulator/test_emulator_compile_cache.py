"""The emulator's compiled kernels: each source is compiled once (then reused, in the process
and from the disk cache), a compile error reaches the caller as CuPy's CompileException with
the compiler's message, and an unwritable cache folder falls back to the temp folder."""
import uuid

import numpy as np
import pytest
from emulated_cupy import compile_cuda, cupy  # noqa: F401 (fixtures)

from minicnn.cuda_emulator import host_compiler


def fresh_source():
    """A source no earlier build has seen."""
    tag = uuid.uuid4().hex
    return (f'extern "C" __global__ void fill_{tag}(float* x, float value) '
            f'{{ x[threadIdx.x] = value; }}', f"fill_{tag}")


def forbid_compiling(monkeypatch):
    def refuse(text, library):
        raise AssertionError(f"compiled {library.name} again")

    monkeypatch.setattr(host_compiler, "_compile", refuse)


def run_fill(cupy, module, name):
    x = cupy.zeros(4, dtype=np.float32)
    module.get_function(name)((1,), (4,), (x, np.float32(7)))
    return x.get()


def test_a_second_module_of_the_same_source_is_not_compiled_again(compile_cuda, cupy,
                                                                  monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    source, name = fresh_source()
    assert run_fill(cupy, compile_cuda(source), name).tolist() == [7] * 4
    forbid_compiling(monkeypatch)
    assert run_fill(cupy, compile_cuda(source), name).tolist() == [7] * 4


def test_a_later_process_loads_the_disk_cache(compile_cuda, cupy, monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    source, name = fresh_source()
    first, _, _ = host_compiler.build(source)
    assert first.parent == tmp_path / "minicnn" / "cuda-emulator"
    host_compiler.build.cache_clear()           # what a new process starts with
    forbid_compiling(monkeypatch)
    again, _, _ = host_compiler.build(source)
    assert again == first
    assert run_fill(cupy, compile_cuda(source), name).tolist() == [7] * 4


def test_a_compile_error_names_the_compiler_message(compile_cuda, cupy):
    module = compile_cuda('extern "C" __global__ void broken(float* x) '
                          '{ x[0] = undefined_value_name; }')
    with pytest.raises(cupy.cuda.compiler.CompileException, match="undefined_value_name"):
        module.get_function("broken")


def test_an_unwritable_cache_folder_falls_back_to_the_temp_folder(compile_cuda, cupy,
                                                                   monkeypatch, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker / "cache"))   # under a file: no folder
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path / "temp"))
    (tmp_path / "temp").mkdir()
    source, name = fresh_source()
    library, _, _ = host_compiler.build(source)
    assert library.parent == tmp_path / "temp" / "minicnn-cuda-emulator"
    assert run_fill(cupy, compile_cuda(source), name).tolist() == [7] * 4


def test_the_built_in_indices_are_read_only(compile_cuda, cupy):
    """nvcc refuses a kernel that assigns to threadIdx; so does the emulator's compile."""
    module = compile_cuda('extern "C" __global__ void moves(float* x) '
                          '{ threadIdx.x = 0; x[0] = 1; }')
    with pytest.raises(cupy.cuda.compiler.CompileException, match="read-only|const"):
        module.get_function("moves")
