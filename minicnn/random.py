"""The random number generators behind every random op (rand, dropout, init, shuffling).

`manual_seed(s)` reseeds the CPU generator and, when CuPy is loaded, the CUDA one,
so a run is reproducible from one seed.
"""
import numpy as np

from .backend import Device, cupy_module

_cpu_generator = np.random.default_rng(0)
_cuda_generators = {}
_seed = 0


def manual_seed(seed):
    global _cpu_generator, _seed
    _seed = int(seed)
    _cpu_generator = np.random.default_rng(_seed)
    _cuda_generators.clear()


def initial_seed():
    return _seed


def generator(device=None):
    """The generator for `device` (numpy.random.Generator or cupy.random.Generator)."""
    if device is None or str(device) == "cpu":
        return _cpu_generator
    index = Device(device).index
    if index not in _cuda_generators:
        cupy = cupy_module()
        with cupy.cuda.Device(index):
            _cuda_generators[index] = cupy.random.default_rng(_seed + index)
    return _cuda_generators[index]


def get_rng_state():
    """The CPU generator's state as a plain dict (saved in checkpoints)."""
    return _cpu_generator.bit_generator.state


def set_rng_state(state):
    _cpu_generator.bit_generator.state = state
