"""What a GPU check runs on: Python, minicnn's origin, the libraries the check needs (with
their versions or why they do not import), and what CuPy, minicnn and PyTorch see of the
GPU. The first step of benchmarks/gpu_check.sh.

    python -m benchmarks.gpu_environment

Exits 1 when minicnn cannot use a GPU, or PyTorch cannot where it must (everywhere but on
minicnn's emulated GPU, MINICNN_CUDA_EMULATE=1, where PyTorch runs on the CPU).
"""
import importlib
import os
import platform
import sys

from .harness import torch_device

# module → what needs it
LIBRARIES = {"numpy": "minicnn", "threadpoolctl": "minicnn and the benchmarks' header",
             "cupy": "minicnn on the GPU", "torch": "the benchmarks",
             "numba": "minicnn's CPU kernels and the benchmarks' header",
             "matplotlib": "the benchmarks' charts", "pytest": "the gpu tests",
             "hypothesis": "the gpu tests"}


def library_lines():
    """One line per library: its version, or MISSING with the import error and its use."""
    lines = []
    for name, needed_by in LIBRARIES.items():
        try:
            module = importlib.import_module(name)
        except Exception as error:          # noqa: BLE001  (any failure to import is reported)
            lines.append(f"  {name}: MISSING ({type(error).__name__}: {error}), needed by "
                         f"{needed_by}")
        else:
            lines.append(f"  {name} {getattr(module, '__version__', '(no version)')}")
    return lines


def cupy_lines():
    """CuPy's runtime, driver and devices; raises when CuPy or its driver is unusable."""
    import cupy

    runtime = cupy.cuda.runtime
    lines = [f"CuPy {cupy.__version__}: CUDA runtime {runtime.runtimeGetVersion()}, driver "
             f"{runtime.driverGetVersion()}, {runtime.getDeviceCount()} device(s)"]
    for device_id in range(runtime.getDeviceCount()):
        props = runtime.getDeviceProperties(device_id)
        name = props["name"].decode(errors="replace") if isinstance(props["name"], bytes) \
            else props["name"]
        lines.append(f"  device {device_id}: {name}, compute capability {props['major']}."
                     f"{props['minor']}, {props['totalGlobalMem'] / 2 ** 30:.1f} GiB")
    return lines


def torch_lines():
    """PyTorch's CUDA build and devices, and whether the check needs them; (lines, usable)."""
    import torch

    needed = torch_device("cuda") == "cuda"
    lines = [f"PyTorch {torch.__version__}: built for CUDA {torch.version.cuda}, cuDNN "
             f"{torch.backends.cudnn.version()}, torch.cuda.is_available() "
             f"{torch.cuda.is_available()}"]
    if torch.cuda.is_available():
        lines += [f"  device {i}: {torch.cuda.get_device_name(i)}"
                  for i in range(torch.cuda.device_count())]
    if not needed:
        lines.append("  minicnn's GPU is emulated (MINICNN_CUDA_EMULATE=1): PyTorch runs on "
                     "the CPU, no CUDA needed")
    return lines, torch.cuda.is_available() or not needed


def minicnn_line():
    """Where minicnn comes from, and whether that is this checkout; raises when it does not
    import. Imported first: under MINICNN_CUDA_EMULATE=1 it is what makes `cupy` import."""
    import minicnn

    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    origin = os.path.dirname(os.path.abspath(minicnn.__file__))
    return (f"minicnn {minicnn.__version__} from {origin}"
            + ("" if os.path.dirname(origin) == here else f" (NOT this checkout, {here})"))


def gpu_problems():
    """Print what CuPy, minicnn and PyTorch see of the GPU; return what stops the check."""
    import minicnn

    problems = []
    try:
        print("\n".join(cupy_lines()))
    except Exception as error:              # noqa: BLE001  (reported: the check needs CuPy)
        problems.append(f"CuPy is unusable: {type(error).__name__}: {error}")
    available = minicnn.cuda.is_available()
    print(f"mc.cuda.is_available(): {available}")
    if not available:
        problems.append(f"minicnn sees no GPU: {minicnn.cuda.why_unavailable()}")
    try:
        lines, usable = torch_lines()
        print("\n".join(lines))
        if not usable:
            problems.append("PyTorch sees no GPU: the benchmarks compare against cuDNN")
    except ImportError as error:
        problems.append(f"PyTorch does not import: {error}")
    return problems


def main():
    print(f"Python {platform.python_version()} at {sys.executable}")
    try:
        print(minicnn_line())
    except Exception as error:              # noqa: BLE001  (reported with the libraries)
        problems = [f"minicnn does not import: {type(error).__name__}: {error}"]
    else:
        problems = []
    print("libraries:")
    print("\n".join(library_lines()))
    if not problems:
        problems = gpu_problems()
    for problem in problems:
        print(f"PROBLEM: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
