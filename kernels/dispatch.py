"""The one place that chooses a kernel's form from the array it is given."""
import importlib
import sys

FORMS = ("auto", "reference", "cpu")
_forced = "auto"
_cache = {}


class _Restore:
    """Returned by set_kernels so that it also works as a context manager."""

    def __init__(self, previous):
        self.previous = previous

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        set_kernels(self.previous)
        return False


def set_kernels(form):
    """Choose the kernel forms: "auto" (cpu for NumPy arrays, cuda for CuPy arrays),
    "reference" (the readable NumPy form everywhere) or "cpu" (Numba, NumPy arrays only).

    Takes effect at once; used as `with set_kernels("reference"):` it is undone on exit.
    """
    global _forced
    if form not in FORMS:
        raise ValueError(f"set_kernels: form must be one of {FORMS}, got {form!r}")
    previous, _forced = _forced, form
    return _Restore(previous)


def active_form(array):
    """The form `get` picks for `array`: "reference", "cpu" or "cuda"."""
    cupy = sys.modules.get("cupy")
    on_gpu = cupy is not None and isinstance(array, cupy.ndarray)
    if _forced == "reference":
        return "reference"
    return "cuda" if on_gpu else "cpu"


def get(name, array):
    """The kernel `name` in the form chosen for `array` (a cpu kernel that launches parallel
    regions comes behind a lock where Numba's threading layer needs one)."""
    form = active_form(array)
    key = (form, name)
    kernel = _cache.get(key)
    if kernel is None:
        module = importlib.import_module(f"{__package__}.{form}")
        kernel = getattr(module, name)
        if form == "cpu":
            kernel = importlib.import_module(f"{__package__}.cpu.launch_guard").guarded(kernel)
        _cache[key] = kernel
    return kernel
