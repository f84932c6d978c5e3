"""DataLoader: a dataset in batches, shuffled per epoch, optionally prefetched by threads.

Reproducibility: every epoch draws its permutation and one base seed from the loader's
generator (its own when built with `seed=` or `generator=`, otherwise minicnn's, so
`mc.manual_seed` fixes it). Batch k is fetched with `minicnn.data.rng.generator()`
seeded from (base seed, k), so random transforms give the same batches with any
`num_workers`. A `sampler` or `batch_sampler` replaces the loader's own order; it is drawn
lazily, in the caller's thread.
"""
import collections
import itertools
import math
import numbers

import numpy as np

from .. import backend
from ..dtypes import get_default_dtype
from ..tensor import Tensor
from . import rng as _rng
from .dataset import batch_gatherer
from .worker_threads import PrefetchIterator


def _stack(arrays, where):
    first = arrays[0]
    for i, a in enumerate(arrays):
        if a.shape != first.shape:
            raise RuntimeError(f"default_collate: cannot stack samples of different shapes"
                               f"{where}: sample 0 has shape {tuple(first.shape)}, sample {i} "
                               f"has shape {tuple(a.shape)}")
        if backend.is_cupy_array(a) != backend.is_cupy_array(first):
            raise RuntimeError(f"default_collate: samples{where} are on different devices "
                               f"({backend.device_of(first)} and {backend.device_of(a)})")
    return Tensor._make(backend.xp_of(first).stack(arrays))


def _collate(batch, where):
    elem = batch[0]
    kinds = {type(b) for b in batch}
    if isinstance(elem, Tensor):
        if not all(isinstance(b, Tensor) for b in batch):
            raise TypeError(f"default_collate: samples{where} mix Tensors with "
                            f"{sorted(k.__name__ for k in kinds)}")
        return _stack([b._data for b in batch], where)
    if isinstance(elem, np.ndarray):
        if not all(isinstance(b, np.ndarray) for b in batch):
            raise TypeError(f"default_collate: samples{where} mix arrays with "
                            f"{sorted(k.__name__ for k in kinds)}")
        if elem.dtype.kind in "OUSV":
            raise TypeError(f"default_collate: cannot batch arrays of dtype {elem.dtype}{where}")
        return _stack(batch, where)
    if isinstance(elem, (bool, np.bool_)):
        return Tensor._make(np.array(batch, dtype=np.bool_))
    if isinstance(elem, np.generic) and elem.dtype.kind in "iuf":
        return Tensor._make(np.array(batch))  # NumPy scalars keep their dtype
    if isinstance(elem, numbers.Number) and all(isinstance(b, numbers.Real) for b in batch):
        if all(isinstance(b, numbers.Integral) for b in batch):
            return Tensor._make(np.array(batch, dtype=np.int64))
        return Tensor._make(np.array(batch, dtype=get_default_dtype()))
    if isinstance(elem, (str, bytes)):
        return list(batch)
    if isinstance(elem, collections.abc.Mapping):
        keys = list(elem.keys())
        for i, b in enumerate(batch):
            if not isinstance(b, collections.abc.Mapping) or set(b.keys()) != set(keys):
                raise RuntimeError(f"default_collate: sample {i}{where} does not have the keys "
                                   f"{keys} of sample 0")
        return {k: _collate([b[k] for b in batch], f"{where}[{k!r}]") for k in keys}
    if isinstance(elem, (tuple, list)):
        for i, b in enumerate(batch):
            if not isinstance(b, (tuple, list)) or len(b) != len(elem):
                got = len(b) if isinstance(b, (tuple, list)) else type(b).__name__
                raise RuntimeError(f"default_collate: sample {i}{where} has {got} fields but "
                                   f"sample 0 has {len(elem)}")
        fields = [_collate(list(samples), f"{where}[{j}]")
                  for j, samples in enumerate(zip(*batch))]
        if hasattr(elem, "_fields"):  # namedtuple
            return type(elem)(*fields)
        return tuple(fields) if isinstance(elem, tuple) else fields
    raise TypeError(f"default_collate: samples{where} must be Tensors, NumPy arrays, numbers, "
                    f"strings, dicts or sequences of them; got {type(elem).__name__}")


def default_collate(batch):
    """Merge a list of samples into a batch.

    Tensors and NumPy arrays are stacked into a Tensor along a new first dimension
    (their dtype is kept: uint8 images stay uint8, float32 stays float32); Python ints
    become an int64 Tensor, Python floats one of the default dtype (float32), NumPy
    scalars keep their dtype; strings stay a list; tuples, lists, namedtuples and dicts
    are collated field by field.
    """
    batch = list(batch)
    if not batch:
        raise ValueError("default_collate: the batch is empty")
    return _collate(batch, "")


def _positive_int(value, name, minimum=1):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"DataLoader: {name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _timeout(value):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value >= 0 \
            or not math.isfinite(value):
        raise ValueError(f"DataLoader: timeout must be a non-negative number of seconds "
                         f"(0: wait forever), got {value!r}")
    return value


def _check_sampling(shuffle, sampler, batch_sampler, batch_size, drop_last):
    """PyTorch's rules: a sampler replaces shuffling, a batch_sampler replaces batch_size,
    shuffle, sampler and drop_last."""
    if sampler is not None and shuffle:
        raise ValueError("DataLoader: sampler option is mutually exclusive with shuffle")
    if batch_sampler is not None and (batch_size != 1 or shuffle or sampler is not None
                                      or drop_last):
        raise ValueError("DataLoader: batch_sampler option is mutually exclusive with "
                         "batch_size, shuffle, sampler, and drop_last")
    for name, value in (("sampler", sampler), ("batch_sampler", batch_sampler)):
        if value is not None and not isinstance(value, collections.abc.Iterable):
            raise TypeError(f"DataLoader: {name} must be an iterable of "
                            f"{'indices' if name == 'sampler' else 'lists of indices'}, got "
                            f"{type(value).__name__}")


def _check_worker_options(num_workers, prefetch_factor, persistent_workers, worker_init_fn):
    """PyTorch's rules for the options that only worker processes use."""
    if num_workers == 0 and prefetch_factor is not None:
        raise ValueError("DataLoader: prefetch_factor option could only be specified in "
                         "multiprocessing. let num_workers > 0 to enable multiprocessing, "
                         "otherwise set prefetch_factor to None.")
    if num_workers == 0 and persistent_workers:
        raise ValueError("DataLoader: persistent_workers option needs num_workers > 0")
    if worker_init_fn is not None and not callable(worker_init_fn):
        raise TypeError(f"DataLoader: worker_init_fn must be callable, got "
                        f"{type(worker_init_fn).__name__}")


def _note(error, text):
    if hasattr(error, "add_note"):
        error.add_note(text)


class DataLoader:
    """Iterate over `dataset` in batches.

    Args:
        dataset: a map-style dataset (`__getitem__` and `__len__`).
        batch_size: samples per batch.
        shuffle: a new random order every epoch.
        drop_last: drop the last batch when it is smaller than `batch_size`.
        collate_fn: turns a list of samples into a batch (default: `default_collate`).
        seed, generator: give the loader its own random stream (an int seed, a
            `mc.Generator` or a numpy Generator); otherwise it draws from minicnn's
            generator.
        num_workers: threads that fetch batches in the background (0: fetch in the
            caller's thread). Batches come out in order. An exception raised while
            fetching reaches the caller as itself, with notes naming the batch and sample
            index (and, from a worker, the worker's traceback text).
        prefetch_factor: batches each worker may have ready ahead of the consumer (None:
            2); as PyTorch, only with num_workers > 0.
        timeout: seconds to wait for a worker's batch before raising RuntimeError
            ("DataLoader timed out after N seconds"); 0 waits forever, as PyTorch. A worker
            thread that dies without delivering its batch raises RuntimeError at once.
        sampler: an iterable of sample indices (with `__len__` for `len(loader)`) giving
            the order instead of `shuffle`; iterated anew every epoch.
        batch_sampler: an iterable of lists of indices, one list per batch, instead of
            `batch_size`, `shuffle`, `sampler` and `drop_last`.
        worker_init_fn: called as `worker_init_fn(worker_id)` in each worker thread before
            it fetches (ids 0 .. num_workers − 1, every epoch); an exception it raises
            reaches the caller with the first batch that worker owes.
        pin_memory, pin_memory_device, persistent_workers, multiprocessing_context,
            in_order: accepted for PyTorch programs and change nothing: batches are NumPy
            arrays, which `.to("cuda")` copies whatever their memory; workers are threads,
            started anew each epoch at no cost; batches always come out in order. As in
            PyTorch, persistent_workers needs num_workers > 0.
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, sampler=None, batch_sampler=None,
                 num_workers=0, collate_fn=None, pin_memory=False, drop_last=False, timeout=0,
                 worker_init_fn=None, multiprocessing_context=None, generator=None, *,
                 prefetch_factor=None, persistent_workers=False, pin_memory_device="",
                 in_order=True, seed=None):
        try:
            len(dataset)
        except TypeError:
            raise TypeError(f"DataLoader: the dataset ({type(dataset).__name__}) has no "
                            f"__len__; only map-style datasets are supported") from None
        self.dataset = dataset
        self.batch_size = _positive_int(batch_size, "batch_size")
        _check_sampling(shuffle, sampler, batch_sampler, batch_size, drop_last)
        self.shuffle = bool(shuffle)
        self.sampler, self.batch_sampler = sampler, batch_sampler
        self.drop_last = bool(drop_last)
        self.collate_fn = default_collate if collate_fn is None else collate_fn
        self.num_workers = _positive_int(num_workers, "num_workers", minimum=0)
        _check_worker_options(self.num_workers, prefetch_factor, persistent_workers,
                              worker_init_fn)
        self.prefetch_factor = 2 if prefetch_factor is None else \
            _positive_int(prefetch_factor, "prefetch_factor")
        self.pin_memory = bool(pin_memory)
        self.persistent_workers = bool(persistent_workers)
        self.worker_init_fn = worker_init_fn
        self.timeout = _timeout(timeout)
        self.generator = None if seed is None and generator is None else \
            _rng.as_generator(generator, seed)
        self._gather = batch_gatherer(dataset) if collate_fn is None else None

    def __len__(self):
        if self.batch_sampler is not None:
            return len(self.batch_sampler)
        n = len(self.dataset) if self.sampler is None else len(self.sampler)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def _epoch(self):
        """This epoch's jobs (k, indices of batch k, base seed), drawn lazily from the
        sampler when there is one."""
        generator = self.generator if self.generator is not None else _rng.generator()
        if self.batch_sampler is not None:
            base_seed = int(generator.integers(0, 2 ** 63))
            return ((k, list(idx), base_seed) for k, idx in enumerate(self.batch_sampler))
        if self.sampler is not None:
            base_seed = int(generator.integers(0, 2 ** 63))
            return self._batches_of(iter(self.sampler), base_seed)
        n = len(self.dataset)
        order = generator.permutation(n) if self.shuffle else np.arange(n)
        base_seed = int(generator.integers(0, 2 ** 63))
        return ((k, order[i:i + self.batch_size], base_seed) for k, i in
                enumerate(range(0, len(self) * self.batch_size, self.batch_size)))

    def _batches_of(self, indices, base_seed):
        for k in itertools.count():
            batch = list(itertools.islice(indices, self.batch_size))
            if not batch or (self.drop_last and len(batch) < self.batch_size):
                return
            yield k, batch, base_seed

    def _fetch(self, k, indices, base_seed):
        with _rng.seeded([base_seed, k]):
            if self._gather is not None:
                try:
                    return self._gather(indices)
                except Exception as error:
                    _note(error, f"(while fetching batch {k}, sample indices "
                                 f"{list(map(int, indices))})")
                    raise
            samples = []
            for i in indices:
                try:
                    samples.append(self.dataset[int(i)])
                except Exception as error:
                    _note(error, f"(while fetching sample index {int(i)} of batch {k})")
                    raise
            try:
                return self.collate_fn(samples)
            except Exception as error:
                _note(error, f"(while collating batch {k}, sample indices "
                             f"{list(map(int, indices))})")
                raise

    def __iter__(self):
        return self.iterate()

    def iterate(self, start=0):
        """This epoch's batches from batch `start` on: the order is drawn as for a full
        epoch, then the first `start` batches are skipped without being fetched (resuming
        an interrupted epoch)."""
        jobs = itertools.islice(self._epoch(), start, None)
        if self.num_workers == 0:
            return (self._fetch(*job) for job in jobs)
        return PrefetchIterator(self._fetch, jobs, self.num_workers,
                                self.num_workers * self.prefetch_factor, self.timeout,
                                self.worker_init_fn)

    def __repr__(self):
        return (f"DataLoader(dataset={type(self.dataset).__name__} of {len(self.dataset)}, "
                f"batch_size={self.batch_size}, shuffle={self.shuffle}, "
                f"drop_last={self.drop_last}, num_workers={self.num_workers})")
