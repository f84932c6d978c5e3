"""cupy.random for the emulator: NumPy's generators, drawing emulated arrays on the current
device (the streams differ from CuPy's; what matters here is where the numbers live).

cupy.random.Generator has fewer methods than NumPy's (no normal, permutation, choice or
shuffle), so the emulated one offers only CuPy's: code that calls another one fails here as
it would on a GPU. The module-level functions (rand, randn, permutation, ...) are CuPy's
legacy API, which covers those, and are NumPy's global generator's.
"""
import numpy as np

from .array import apply

# the methods of cupy.random.Generator
GENERATOR_METHODS = frozenset({
    "random", "uniform", "integers", "standard_normal", "beta", "binomial", "chisquare",
    "dirichlet", "exponential", "f", "gamma", "geometric", "hypergeometric", "logseries",
    "poisson", "power", "standard_exponential", "standard_gamma"})


class Generator:
    """cupy.random.Generator over numpy.random.Generator."""

    def __init__(self, bit_generator):
        self._generator = np.random.Generator(bit_generator) \
            if not isinstance(bit_generator, np.random.Generator) else bit_generator

    def uniform(self, low=0.0, high=1.0, size=None, dtype=np.float64):
        """Uniform on [low, high); CuPy's takes a dtype, NumPy's does not."""
        return apply(lambda *a: self._generator.uniform(*a).astype(dtype, copy=False),
                     (low, high, size), {})

    def __getattr__(self, name):
        if name not in GENERATOR_METHODS:
            raise AttributeError(f"'cupy.random.Generator' object has no attribute {name!r} "
                                 "(CuPy's Generator offers "
                                 f"{', '.join(sorted(GENERATOR_METHODS))})")
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
