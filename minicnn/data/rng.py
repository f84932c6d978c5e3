"""Where data code draws its random numbers: minicnn's seeded generator, or a per-batch one.

Random transforms call `generator()`. Outside a DataLoader that is minicnn's CPU
generator (`mc.manual_seed` makes it reproducible). A DataLoader draws one seed per
batch from its own generator in the main thread and fetches each batch inside
`seeded(seed)`, so random augmentation gives the same batches whatever the number
of worker threads and whichever thread happens to fetch a batch.
"""
import contextlib
import threading

import numpy as np

from .. import random as _random

_local = threading.local()


def generator():
    """The numpy Generator random data code should use in this thread right now."""
    override = getattr(_local, "generator", None)
    return override if override is not None else _random.generator()


@contextlib.contextmanager
def seeded(seed):
    """Within the block, `generator()` in this thread is a fresh Generator from `seed`."""
    previous = getattr(_local, "generator", None)
    _local.generator = np.random.default_rng(seed)
    try:
        yield _local.generator
    finally:
        _local.generator = previous


def as_generator(generator=None, seed=None):
    """A numpy Generator from a numpy Generator, a `mc.Generator` (its stream), an int seed,
    or None (minicnn's generator)."""
    if generator is not None and seed is not None:
        raise ValueError("pass either `generator` or `seed`, not both")
    if seed is not None:
        generator = seed
    if generator is None:
        return _random.generator()
    if isinstance(generator, _random.Generator):
        return generator.stream
    if isinstance(generator, np.random.Generator):
        return generator
    if isinstance(generator, (int, np.integer)) and not isinstance(generator, bool):
        return np.random.default_rng(int(generator))
    raise TypeError(f"expected a minicnn.Generator, a numpy.random.Generator or an int "
                    f"seed, got {type(generator).__name__}")
