"""The table of tools/cuda_mutations.py stays true to kernels/cuda: every mutation's text is
found exactly once in its file (a kernel rewritten since needs its mutations rewritten), each
source has at least three, and each source with a barrier has one that drops it."""
import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CUDA_DIR = ROOT / "kernels" / "cuda"
SOURCES = sorted(p.name for p in CUDA_DIR.iterdir() if p.suffix in (".cu", ".cuh"))


def _tool():
    spec = importlib.util.spec_from_file_location("cuda_mutations",
                                                  ROOT / "tools" / "cuda_mutations.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


MUTATIONS = _tool().MUTATIONS


@pytest.mark.parametrize("mutation", MUTATIONS, ids=lambda m: f"{m.file}:{m.description}")
def test_mutation_text_found_once(mutation):
    assert mutation.original != mutation.replacement
    count = (CUDA_DIR / mutation.file).read_text().count(mutation.original)
    assert count == 1, (f"{mutation.file}: {mutation.original!r} found {count} times; rewrite "
                        "this mutation of tools/cuda_mutations.py against the current source")


@pytest.mark.parametrize("source", SOURCES)
def test_every_source_has_mutations(source):
    mine = [m for m in MUTATIONS if m.file == source]
    assert len(mine) >= 3, f"{source} has {len(mine)} mutations in tools/cuda_mutations.py"
    if "__syncthreads()" in (CUDA_DIR / source).read_text():
        assert any("__syncthreads()" in m.original and "__syncthreads()" not in m.replacement
                   for m in mine), f"{source}: no mutation drops a __syncthreads()"
