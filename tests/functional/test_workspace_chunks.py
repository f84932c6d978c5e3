"""batch_chunks: how a convolution splits its batch into chunks that fit a core's cache and
the workspace limit, without leaving GEMMs too thin."""
import threading

import numpy as np
import pytest

import minicnn as mc
from minicnn.functional.workspace import (CORE_CACHE_BYTES, INLINE_WORK_BYTES, batch_chunks,
                                          get_workspace_limit, over_batch_chunks,
                                          set_workspace_limit)


@pytest.fixture
def threads():
    before = mc.get_num_threads()
    yield mc.set_num_threads
    mc.set_num_threads(before)


def _sizes(chunks, n):
    assert [i for c in chunks for i in range(n)[c]] == list(range(n))
    return [c.stop - c.start for c in chunks]


def test_chunks_fit_a_core_cache(threads):
    threads(2)
    assert _sizes(batch_chunks(10, CORE_CACHE_BYTES // 4), 10) == [4, 4, 2]
    assert _sizes(batch_chunks(3, 2 * CORE_CACHE_BYTES), 3) == [1, 1, 1]


@pytest.mark.parametrize("workers, expected", [(2, [16, 16]), (3, [11, 11, 10]),
                                                (1, [32])])
def test_min_images_grows_chunks_up_to_one_thread_share(threads, workers, expected):
    threads(workers)
    per_image = CORE_CACHE_BYTES // 8                       # 8 images fill the cache
    assert _sizes(batch_chunks(32, per_image, np, min_images=128), 32) == expected


def test_min_images_below_one_share_sets_the_chunk(threads):
    threads(2)
    per_image = CORE_CACHE_BYTES // 8
    assert _sizes(batch_chunks(32, per_image, np, min_images=12), 32) == [12, 12, 8]
    assert _sizes(batch_chunks(32, per_image, np, min_images=4), 32) == [8] * 4


def test_min_images_stays_within_the_workspace_limit(threads):
    threads(2)
    limit = get_workspace_limit()
    set_workspace_limit(3 * 1000)
    try:
        assert _sizes(batch_chunks(32, 1000, np, min_images=16), 32) == [3] * 10 + [2]
    finally:
        set_workspace_limit(limit)


def test_other_array_modules_take_the_workspace_limit_whole(threads):
    threads(2)
    class Module:                                           # stands in for CuPy
        pass
    limit = get_workspace_limit()
    assert _sizes(batch_chunks(64, limit // 40, Module, min_images=50), 64) == [40, 24]


def _threads_that_ran(n, bytes_per_image, **kwargs):
    seen = []
    over_batch_chunks(np, lambda part: seen.append((part, threading.get_ident())), n,
                      bytes_per_image, **kwargs)
    assert sorted(i for part, _ in seen for i in range(n)[part]) == list(range(n))
    return {ident for _, ident in seen}


def test_small_work_runs_in_turn_on_the_calling_thread(threads):
    threads(2)
    assert _threads_that_ran(8, INLINE_WORK_BYTES // 16) == {threading.get_ident()}
    assert _threads_that_ran(8, 1, work_bytes=INLINE_WORK_BYTES - 1) == {threading.get_ident()}


def test_large_work_goes_to_parallel_for(threads, monkeypatch):
    import minicnn.functional.workspace as workspace

    threads(2)
    calls = []
    monkeypatch.setattr(workspace, "parallel_for", lambda fn, parts: calls.append(len(parts)))
    over_batch_chunks(np, None, 8, INLINE_WORK_BYTES // 8)
    over_batch_chunks(np, None, 8, 1, work_bytes=INLINE_WORK_BYTES)
    assert calls == [2, 2]


def _cache_entry(root, index, level, kind, size):
    entry = root / f"index{index}"
    entry.mkdir()
    for name, value in (("level", level), ("type", kind), ("size", size)):
        (entry / name).write_text(f"{value}\n")


def test_core_l2_bytes_reads_the_level_2_cache_from_sysfs(tmp_path):
    from minicnn.functional.workspace import core_l2_bytes

    _cache_entry(tmp_path, 0, 1, "Data", "32K")
    _cache_entry(tmp_path, 1, 1, "Instruction", "32K")
    _cache_entry(tmp_path, 2, 2, "Unified", "512K")
    _cache_entry(tmp_path, 3, 3, "Unified", "32768K")
    (tmp_path / "uevent").write_text("")          # sysfs keeps a file beside the entries
    assert core_l2_bytes(str(tmp_path)) == 512 * 2 ** 10


def test_core_l2_bytes_falls_back_without_sysfs(tmp_path):
    from minicnn.functional.workspace import core_l2_bytes

    assert core_l2_bytes(str(tmp_path / "missing"), default=12345) == 12345
    _cache_entry(tmp_path, 0, 2, "Unified", "2M")
    assert core_l2_bytes(str(tmp_path)) == 2 * 2 ** 20
