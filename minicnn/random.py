"""The random number generators behind every random op (rand, dropout, init, shuffling).

`manual_seed(s)` reseeds the CPU generator and, when CuPy is loaded, the CUDA ones,
so a run is reproducible from one seed; `seed_cuda` reseeds the CUDA ones alone (what
`mc.cuda.manual_seed` does). A `Generator` is a stream of its own, for the functions that
take `generator=` (factories, `random_split`, `DataLoader`), as torch.Generator is.
"""
import numpy as np

from .backend import Device, cupy_module

DEFAULT_SEED = 67280421310721      # torch.Generator's initial seed

_cpu_generator = np.random.default_rng(0)
_cuda_generators = {}
_cuda_seeds = {}          # device index -> the seed `seed_cuda` gave that device alone
_seed = 0
_cuda_base_seed = 0       # device i draws from this + i unless it has its own seed


def manual_seed(seed):
    global _cpu_generator, _seed, _cuda_base_seed
    _seed = _cuda_base_seed = int(seed)
    _cpu_generator = np.random.default_rng(_seed)
    _cuda_generators.clear()
    _cuda_seeds.clear()


def seed_cuda(seed, index=None):
    """Reseed the CUDA generator of device `index`, or of every device when None (device i
    then draws from `seed` + i, as after `manual_seed`); the CPU generator is untouched."""
    global _cuda_base_seed
    if index is None:
        _cuda_base_seed = int(seed)
        _cuda_seeds.clear()
        _cuda_generators.clear()
    else:
        _cuda_seeds[int(index)] = int(seed)
        _cuda_generators.pop(int(index), None)


def initial_seed():
    return _seed


def _cuda_seed(index):
    return _cuda_seeds.get(index, _cuda_base_seed + index)


def _new_generator(device, seed):
    """A fresh NumPy (CPU) or CuPy (CUDA) generator for `device`, seeded with `seed`."""
    device = Device(device)
    if device.type == "cpu":
        return np.random.default_rng(seed)
    cupy = cupy_module()
    with cupy.cuda.Device(device.index):
        return cupy.random.default_rng(seed)


def generator(device=None):
    """The generator for `device` (numpy.random.Generator or cupy.random.Generator)."""
    if device is None or str(device) == "cpu":
        return _cpu_generator
    index = Device(device).index
    if index not in _cuda_generators:
        _cuda_generators[index] = _new_generator(Device("cuda", index), _cuda_seed(index))
    return _cuda_generators[index]


def get_rng_state():
    """The CPU generator's state as a plain dict (saved in checkpoints)."""
    return _cpu_generator.bit_generator.state


def set_rng_state(state):
    _cpu_generator.bit_generator.state = state


class Generator:
    """A random stream of its own on `device` (torch.Generator): `manual_seed(s)` reseeds it
    and returns it, so `Generator().manual_seed(42)` reads as in PyTorch. The numbers come
    from NumPy's (or CuPy's) PCG64, so a seed gives other numbers than PyTorch's."""

    def __init__(self, device="cpu"):
        self.device = Device(device)
        self.manual_seed(DEFAULT_SEED)

    def manual_seed(self, seed):
        self._seed = int(seed)
        self._stream = _new_generator(self.device, self._seed)
        return self

    def seed(self):
        """Reseed from fresh entropy and return the new seed."""
        seed = int(np.random.SeedSequence().entropy % (1 << 63))
        self.manual_seed(seed)
        return seed

    def initial_seed(self):
        return self._seed

    def get_state(self):
        """The stream's state (a dict of the bit generator's state)."""
        return self._stream.bit_generator.state

    def set_state(self, state):
        self._stream.bit_generator.state = state
        return self

    @property
    def stream(self):
        """The NumPy (or CuPy) Generator that draws this generator's numbers."""
        return self._stream

    def __repr__(self):
        return f"Generator(device='{self.device}', initial_seed={self._seed})"


def stream_of(generator_or_none, device=None):
    """The NumPy or CuPy Generator to draw from for a tensor made on `device` (None: the
    CPU): the stream of a `Generator` of that device, else the global generator of `device`."""
    if generator_or_none is None:
        return generator(device)
    if not isinstance(generator_or_none, Generator):
        raise TypeError(f"generator must be a minicnn.Generator, got "
                        f"{type(generator_or_none).__name__}")
    device = Device(device or "cpu")
    if device != generator_or_none.device:
        raise ValueError(f"generator is on {generator_or_none.device} but the tensor is made "
                         f"on {device}")
    return generator_or_none.stream
