"""DataLoader and default_collate: batching, dtypes, shuffling, threaded prefetch."""
import collections
import gc
import threading
import time

import numpy as np
import pytest

import minicnn as mc
from conftest import Samples
from minicnn.data import DataLoader, Subset, TensorDataset, default_collate
from minicnn.data import transforms as T



def image_and_label(i):
    return np.full((4, 5, 3), i, dtype=np.uint8), i % 3


def as_lists(batches):
    """Batches as nested Python lists, to compare whole epochs."""
    def plain(x):
        if isinstance(x, mc.Tensor):
            return (str(x.dtype), x.tolist())
        if isinstance(x, (tuple, list)):
            return [plain(v) for v in x]
        if isinstance(x, dict):
            return {k: plain(v) for k, v in x.items()}
        return x
    return [plain(b) for b in batches]


def first_column(loader):
    return [int(i) for images, _ in loader for i in images.numpy()[:, 0, 0, 0]]


# ---- batching, shapes and dtypes -------------------------------------------------------------

@pytest.mark.parametrize("n, batch_size, drop_last, sizes", [
    (10, 4, False, [4, 4, 2]),
    (10, 4, True, [4, 4]),
    (8, 4, True, [4, 4]),
    (3, 5, False, [3]),
    (3, 5, True, []),
    (1, 1, False, [1]),
])
def test_batch_sizes_and_len(n, batch_size, drop_last, sizes):
    loader = DataLoader(Samples(n, image_and_label), batch_size=batch_size, drop_last=drop_last)
    batches = list(loader)
    assert len(loader) == len(sizes)
    assert [b[0].shape for b in batches] == [(s, 4, 5, 3) for s in sizes]
    assert [b[1].shape for b in batches] == [(s,) for s in sizes]
    assert first_column(loader) == list(range(sum(sizes)))


def test_default_collate_dtypes():
    batch = default_collate([image_and_label(1), image_and_label(2)])
    images, labels = batch
    assert isinstance(batch, tuple) and isinstance(images, mc.Tensor)
    assert images.dtype == np.uint8 and images.shape == (2, 4, 5, 3)
    assert labels.dtype == np.int64 and labels.tolist() == [1, 2]


@pytest.mark.parametrize("samples, dtype, shape", [
    ([np.zeros((3, 2, 2), np.float32)] * 4, np.float32, (4, 3, 2, 2)),
    ([np.zeros(2, np.float64)] * 3, np.float64, (3, 2)),
    ([1, 2, 3], np.int64, (3,)),
    ([0.5, 1.0], np.float32, (2,)),
    ([1, 2.5], np.float32, (2,)),
    ([True, False], np.bool_, (2,)),
    ([np.uint8(3), np.uint8(4)], np.uint8, (2,)),
    ([np.float32(3), np.float32(4)], np.float32, (2,)),
    ([mc.ones(2, 3), mc.zeros(2, 3)], np.float32, (2, 2, 3)),
    ([mc.tensor(1), mc.tensor(2)], np.int64, (2,)),
])
def test_default_collate_leaf_types(samples, dtype, shape):
    out = default_collate(samples)
    assert isinstance(out, mc.Tensor)
    assert out.dtype == dtype and out.shape == shape


def test_default_collate_nested_structures():
    Pair = collections.namedtuple("Pair", "x y")
    samples = [{"image": np.ones((2, 2), np.float32) * i, "label": i, "name": f"s{i}",
                "pair": Pair(i, [i, float(i)])} for i in range(3)]
    out = default_collate(samples)
    assert set(out) == {"image", "label", "name", "pair"}
    assert out["image"].shape == (3, 2, 2) and out["image"].numpy()[2, 0, 0] == 2
    assert out["label"].dtype == np.int64
    assert out["name"] == ["s0", "s1", "s2"]
    assert isinstance(out["pair"], Pair) and out["pair"].x.tolist() == [0, 1, 2]
    assert isinstance(out["pair"].y, list)
    assert out["pair"].y[1].dtype == np.float32


@pytest.mark.parametrize("samples, error, match", [
    ([np.zeros((3, 2)), np.zeros((3, 3))], RuntimeError, r"\(3, 2\).*\(3, 3\)"),
    ([(1, 2), (1, 2, 3)], RuntimeError, "fields"),
    ([{"a": 1}, {"b": 1}], RuntimeError, "keys"),
    ([object(), object()], TypeError, "object"),
    ([np.zeros(2), mc.zeros(2)], TypeError, "mix"),
    ([], ValueError, "empty"),
])
def test_default_collate_errors(samples, error, match):
    with pytest.raises(error, match=match):
        default_collate(samples)


def test_custom_collate_fn_receives_the_sample_list():
    loader = DataLoader(Samples(5, lambda i: i), batch_size=2, collate_fn=list)
    assert list(loader) == [[0, 1], [2, 3], [4]]


@pytest.mark.parametrize("kwargs, error", [
    (dict(batch_size=0), ValueError),
    (dict(batch_size=2.5), ValueError),
    (dict(num_workers=-1), ValueError),
    (dict(prefetch_factor=0), ValueError),
    (dict(seed=1, generator=np.random.default_rng(1)), ValueError),
    (dict(generator="abc"), TypeError),
])
def test_bad_arguments(kwargs, error):
    with pytest.raises(error):
        DataLoader(Samples(4, image_and_label), **kwargs)


def test_dataset_without_len_is_rejected():
    class NoLen:
        def __getitem__(self, i):
            return i

    with pytest.raises(TypeError, match="__len__"):
        DataLoader(NoLen())


# ---- the TensorDataset fast path ---------------------------------------------------------------

@pytest.mark.parametrize("wrap", ["plain", "subset", "tensors"])
def test_tensor_dataset_fast_path_equals_per_sample_collate(wrap):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((11, 3, 2, 2)).astype(np.float32)
    y = rng.integers(0, 10, size=11)
    ds = TensorDataset(mc.tensor(x), mc.tensor(y)) if wrap == "tensors" else TensorDataset(x, y)
    if wrap == "subset":
        ds = Subset(ds, [10, 3, 5, 0, 7, 2, 9])
    fast = list(DataLoader(ds, batch_size=3, shuffle=True, seed=4))
    slow = list(DataLoader(ds, batch_size=3, shuffle=True, seed=4, collate_fn=default_collate))
    assert as_lists(fast) == as_lists(slow)
    assert fast[0][0].dtype == np.float32 and fast[0][1].dtype == np.int64


# ---- shuffling --------------------------------------------------------------------------------

def test_shuffle_with_seed_is_reproducible_and_changes_each_epoch():
    ds = Samples(20, image_and_label)
    loader = DataLoader(ds, batch_size=6, shuffle=True, seed=123)
    epochs = [first_column(loader) for _ in range(3)]
    again = DataLoader(ds, batch_size=6, shuffle=True, seed=123)
    assert [first_column(again) for _ in range(3)] == epochs
    for order in epochs:
        assert sorted(order) == list(range(20))
    assert epochs[0] != epochs[1] != epochs[2]
    assert epochs[0] != list(range(20))
    other = DataLoader(ds, batch_size=6, shuffle=True, seed=124)
    assert first_column(other) != epochs[0]


def test_shuffle_follows_manual_seed():
    loader = DataLoader(Samples(30, image_and_label), batch_size=7, shuffle=True)
    mc.manual_seed(5)
    first = [first_column(loader), first_column(loader)]
    mc.manual_seed(5)
    assert [first_column(loader), first_column(loader)] == first
    assert first[0] != first[1]
    mc.manual_seed(6)
    assert first_column(loader) != first[0]


def test_generator_argument_is_used():
    ds = Samples(15, image_and_label)
    a = DataLoader(ds, batch_size=4, shuffle=True, generator=np.random.default_rng(9))
    b = DataLoader(ds, batch_size=4, shuffle=True, seed=9)
    assert first_column(a) == first_column(b)


def test_random_transforms_are_reproducible_per_batch():
    ds = Samples(12, lambda i: (T.RandomCrop(3, padding=2)(
        np.arange(25, dtype=np.uint8).reshape(5, 5) + i), i))
    a = as_lists(DataLoader(ds, batch_size=5, seed=0))
    assert as_lists(DataLoader(ds, batch_size=5, seed=0)) == a
    assert as_lists(DataLoader(ds, batch_size=5, seed=1)) != a


# ---- threaded prefetch ------------------------------------------------------------------------

def slow_sample(i):
    # Later samples finish sooner, so workers complete batches out of order.
    time.sleep(0.002 * ((7 * i) % 5))
    return T.RandomHorizontalFlip()(np.arange(6, dtype=np.uint8).reshape(2, 3) + i), i


@pytest.mark.parametrize("num_workers, prefetch_factor", [(1, 1), (2, 2), (3, 1), (4, 3)])
@pytest.mark.parametrize("shuffle", [False, True])
def test_workers_give_the_same_batches_as_the_main_thread(num_workers, prefetch_factor,
                                                          shuffle):
    ds = Samples(23, slow_sample)
    reference = as_lists(DataLoader(ds, batch_size=4, shuffle=shuffle, seed=7))
    threaded = DataLoader(ds, batch_size=4, shuffle=shuffle, seed=7, num_workers=num_workers,
                          prefetch_factor=prefetch_factor)
    assert as_lists(threaded) == reference
    assert len(threaded) == len(reference) == 6


def test_workers_follow_manual_seed_like_the_main_thread():
    ds = Samples(10, slow_sample)
    mc.manual_seed(3)
    reference = as_lists(DataLoader(ds, batch_size=3, shuffle=True))
    mc.manual_seed(3)
    assert as_lists(DataLoader(ds, batch_size=3, shuffle=True, num_workers=2)) == reference


class Boom(Exception):
    pass


def fail_at_7(i):
    if i == 7:
        raise Boom(f"sample {i} is broken")
    return np.zeros(2, np.float32), i


@pytest.mark.parametrize("num_workers", [0, 2])
def test_exceptions_reach_the_caller(num_workers):
    loader = DataLoader(Samples(12, fail_at_7), batch_size=3, num_workers=num_workers)
    seen = []
    with pytest.raises(Boom, match="sample 7 is broken"):
        for _, labels in loader:
            seen.append(labels.tolist())
    assert seen == [[0, 1, 2], [3, 4, 5]]  # sample 7 is in the third batch


def _worker_threads():
    return [t for t in threading.enumerate() if t.name.startswith("minicnn-data")]


def _wait_for(condition, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


def test_prefetch_is_bounded():
    ds = Samples(50, lambda i: (time.sleep(0.005), i)[1])
    it = iter(DataLoader(ds, batch_size=1, num_workers=2, prefetch_factor=1))
    assert next(it).tolist() == [0]
    time.sleep(0.2)
    # one batch consumed, at most num_workers * prefetch_factor = 2 more in flight
    assert 2 <= len(ds.fetched) <= 3
    it.close()


@pytest.mark.parametrize("how", ["del", "close", "exception"])
def test_abandoned_iterators_release_their_threads(how):
    assert _wait_for(lambda: not _worker_threads())
    ds = Samples(200, fail_at_7 if how == "exception" else
                 lambda i: (time.sleep(0.002), np.zeros(3), i)[1:])
    it = iter(DataLoader(ds, batch_size=2, num_workers=3))
    next(it)
    assert _worker_threads()
    if how == "del":
        del it
        gc.collect()
    elif how == "close":
        it.close()
    else:
        with pytest.raises(Boom):
            list(it)
    assert _wait_for(lambda: not _worker_threads()), _worker_threads()
    assert len(ds.fetched) < 200


# ---- PyTorch's worker options ----------------------------------------------------------------

def test_worker_init_fn_runs_once_per_worker_thread_each_epoch():
    calls = []
    lock = threading.Lock()

    def init(worker_id):
        with lock:
            calls.append((worker_id, threading.current_thread().name))

    loader = DataLoader(Samples(12, image_and_label), batch_size=2, num_workers=3,
                        worker_init_fn=init, persistent_workers=True, pin_memory=True,
                        prefetch_factor=1)
    for _ in range(2):
        assert len(list(loader)) == 6
    assert sorted(worker for worker, _ in calls) == [0, 0, 1, 1, 2, 2]
    assert threading.current_thread().name not in {name for _, name in calls}


def test_worker_init_fn_error_reaches_the_caller():
    def init(worker_id):
        raise OSError(f"worker {worker_id} could not open its file")

    loader = DataLoader(Samples(4, image_and_label), batch_size=2, num_workers=2,
                        worker_init_fn=init)
    with pytest.raises(OSError, match="worker 0 could not open its file"):
        list(loader)


@pytest.mark.parametrize("kwargs, message", [
    (dict(prefetch_factor=2), "prefetch_factor option could only be specified in "
                              "multiprocessing"),
    (dict(persistent_workers=True), "persistent_workers option needs num_workers > 0"),
])
def test_worker_options_without_workers_are_refused_as_pytorch(kwargs, message):
    with pytest.raises(ValueError, match=message):
        DataLoader(Samples(4, image_and_label), **kwargs)
    torch_data = pytest.importorskip("torch.utils.data")
    with pytest.raises(ValueError):
        torch_data.DataLoader(list(range(4)), **kwargs)


def test_options_that_change_nothing_are_accepted():
    loader = DataLoader(Samples(6, image_and_label), batch_size=4, pin_memory=True,
                        pin_memory_device="cuda", in_order=False, multiprocessing_context=None)
    assert [len(b[1]) for b in loader] == [4, 2]


def test_a_minicnn_generator_gives_the_loader_and_random_split_their_own_stream():
    data = TensorDataset(mc.arange(20))

    def epoch(seed):
        loader = DataLoader(data, batch_size=5, shuffle=True,
                            generator=mc.Generator().manual_seed(seed))
        return [b[0].tolist() for b in loader]

    assert epoch(3) == epoch(3) != epoch(4)
    splits = [mc.utils.data.random_split(data, [15, 5], generator=mc.Generator().manual_seed(7))
              for _ in range(2)]
    assert splits[0][1].indices == splits[1][1].indices
