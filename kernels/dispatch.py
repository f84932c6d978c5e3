"""The one place that chooses a kernel's form from the array it is given."""
import importlib
import sys

from . import registry

CHOICES = ("auto", "reference")
_forced = "auto"
_cache = {}


class Restore:
    """What a setter returns so that it also works as a context manager: on exit it calls
    `restore()`, which puts the previous setting back (set_kernels here, and conv2d's
    set_conv_algorithm)."""

    def __init__(self, restore):
        self.restore = restore

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.restore()
        return False


def set_kernels(choice):
    """Choose the kernel forms: "auto" (cpu for NumPy arrays, cuda for CuPy arrays) or
    "reference" (the readable NumPy form everywhere, on CuPy arrays too).

    Takes effect at once; used as `with set_kernels("reference"):` it is undone on exit.
    """
    global _forced
    if choice not in CHOICES:
        hint = ' ("auto" already picks the cpu form for NumPy arrays)' if choice == "cpu" else ""
        raise ValueError(f"set_kernels: form must be one of {CHOICES}, got {choice!r}{hint}")
    previous, _forced = _forced, choice
    return Restore(lambda: set_kernels(previous))


def get_kernels():
    """The choice in force: "auto" or "reference" (see set_kernels)."""
    return _forced


def active_form(array):
    """The form `get` picks for `array`: "reference", "cpu" or "cuda" (a kernel that lacks
    it runs its declared fallback, see `forms`)."""
    if _forced == "reference":
        return "reference"
    cupy = sys.modules.get("cupy")
    return "cuda" if cupy is not None and isinstance(array, cupy.ndarray) else "cpu"


def get(name, array):
    """The kernel `name` in the form chosen for `array`, or in that form's declared fallback
    (a cpu kernel that launches parallel regions comes behind a lock where Numba's threading
    layer needs one)."""
    form = active_form(array)
    key = (form, name)
    kernel = _cache.get(key)
    if kernel is None:
        kernel = registry.load(name, form)
        if form == "cpu":
            kernel = importlib.import_module(".cpu.launch_guard", __package__).guarded(kernel)
        _cache[key] = kernel
    return kernel
