"""cupy.random for the emulator: NumPy's generators, drawing emulated arrays on the current
device (the streams differ from CuPy's; what matters here is where the numbers live)."""
import numpy as np

from .array import apply


class Generator:
    """cupy.random.Generator over numpy.random.Generator."""

    def __init__(self, bit_generator):
        self._generator = np.random.Generator(bit_generator) \
            if not isinstance(bit_generator, np.random.Generator) else bit_generator

    def __getattr__(self, name):
        method = getattr(self._generator, name)
        return lambda *args, **kwargs: apply(method, args, kwargs)


def default_rng(seed=None):
    return Generator(np.random.default_rng(seed))


_global = np.random.RandomState()


def seed(value=None):
    _global.seed(value)


def __getattr__(name):
    """cupy.random.rand, randn, uniform, normal, ...: the global generator's draws."""
    method = getattr(_global, name)
    return lambda *args, **kwargs: apply(method, args, kwargs)
