"""CUDA C built for the host: each source preprocessed, given one entry point per kernel, and
compiled by the host C++ compiler against cuda_shim.h into a shared library; and the block
runner (block_runner.cpp) that launches those entry points. Every library is cached on disk
under a key of everything that goes into it, and each source is built once per process."""
import functools
import hashlib
import os
import subprocess
import tempfile
import threading
from pathlib import Path

from .kernel_signature import kernels_in

HERE = Path(__file__).parent
SHIM = HERE / "cuda_shim.h"
RUNNER = HERE / "block_runner.cpp"
HEADERS = (SHIM, HERE / "thread_context.h")
FLAGS = ("-std=c++20", "-O2", "-fPIC", "-shared", "-pthread")
_lock = threading.Lock()


class CompileException(RuntimeError):
    """The host compiler rejected a CUDA source (cupy.cuda.compiler.CompileException)."""


def compiler():
    return os.environ.get("CXX", "g++")


def cache_dir():
    root = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(root) / "minicnn" / "cuda-emulator"


def _run(command, stdin=None):
    result = subprocess.run(command, input=stdin, capture_output=True, text=True)
    if result.returncode:
        raise CompileException(f"{' '.join(command[:1])} failed:\n{result.stderr.strip()}")
    return result.stdout


def preprocess(code, defines=()):
    """The source with its macros expanded and its comments gone; the CUDA keywords stay."""
    return _run([compiler(), "-E", "-P", "-x", "c++", *defines, "-"], stdin=code)


def entry_point(name, parameters):
    """C++ that runs one thread of kernel `name`: `args` holds one pointer per parameter, to
    the argument's value."""
    values = ", ".join(f"*({p.c_type}*)args[{i}]" for i, p in enumerate(parameters))
    return f'extern "C" void minicnn_thread_{name}(void* const* args) {{ {name}({values}); }}\n'


@functools.lru_cache(maxsize=None)
def build(code, options=()):
    """(path of the shared library, {kernel name: parameters}, whether a kernel calls
    __syncthreads()) for the CUDA source `code`; `options` are NVRTC's, of which the -D
    definitions apply."""
    defines = tuple(o for o in options if o.startswith("-D"))
    expanded = preprocess(code, defines)
    kernels = kernels_in(expanded)
    cooperative = "__syncthreads" in expanded
    text = (f'#include "{SHIM}"\n{expanded}\n'
            + "".join(entry_point(name, params) for name, params in kernels.items()))
    return _cached(_key(text), text), kernels, cooperative


@functools.lru_cache(maxsize=None)
def build_runner():
    """The path of the block runner's shared library."""
    text = f'#include "{RUNNER}"\n'
    return _cached(_key(text, RUNNER.read_text()), text)


def _key(*texts):
    """A name for the library built from `texts` with the emulator's headers, compiler and
    flags as they are now."""
    parts = (*texts, *(h.read_text() for h in HEADERS), compiler(), *FLAGS)
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:32]


def _cached(key, text):
    with _lock:
        for folder in (cache_dir(), Path(tempfile.gettempdir()) / "minicnn-cuda-emulator"):
            library = folder / f"{key}.so"
            try:
                folder.mkdir(parents=True, exist_ok=True)
                if not library.exists():
                    _compile(text, library)
            except OSError:
                continue
            return library
        raise CompileException("no writable folder for the emulator's compiled kernels")


def _compile(text, library):
    """Compile `text` to `library` through a temporary file renamed into place, so that a
    concurrent process never loads a half-written library."""
    with tempfile.TemporaryDirectory(dir=library.parent) as work:
        source = Path(work) / "kernels.cpp"
        source.write_text(text)
        built = Path(work) / library.name
        _run([compiler(), *FLAGS, "-o", str(built), str(source)])
        os.replace(built, library)
