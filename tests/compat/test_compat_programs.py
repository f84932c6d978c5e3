"""PyTorch programs run with minicnn when only their import lines change (the import contract
in the README): each program of programs/ runs as written with torch and torchvision, and
again with its imports swapped; both runs must give the same shapes and checks, losses that
go down, and, where the program copies the first run's initial weights, the same numbers.
The PyTorch run needs torch and torchvision (the `reference` extra); without them only the
minicnn run is checked."""
import importlib.util
import shutil

import numpy as np
import pytest
from compat_harness import (PROGRAMS, as_minicnn, check_own_result, compare_results,
                            imported_modules, run_program)

from minicnn.data.datasets.sample import PACKAGED_FILE

PROGRAM_FILES = sorted(p for p in PROGRAMS.glob("*.py") if not p.name.startswith("_"))
# float32 through different kernels and summation orders, over a few training steps
TOLERANCE = {"rtol": 2e-3, "atol": 2e-4}


def write_idx(path, array):
    header = bytes([0, 0, 0x08, array.ndim]) + np.array(array.shape, dtype=">u4").tobytes()
    path.write_bytes(header + array.astype(np.uint8).tobytes())


@pytest.fixture(scope="module")
def data_folder(tmp_path_factory):
    """MNIST and FashionMNIST as torchvision keeps them (`<Name>/raw/`, extracted IDX files),
    filled with the packaged digits: 512 training and 128 test images."""
    root = tmp_path_factory.mktemp("data")
    with np.load(PACKAGED_FILE) as archive:
        images, labels = archive["images"], archive["labels"]
    order = np.random.default_rng(0).permutation(len(images))
    splits = {"train": order[:512], "t10k": order[512:640]}
    for name in ("MNIST", "FashionMNIST"):
        raw = root / name / "raw"
        raw.mkdir(parents=True)
        for prefix, chosen in splits.items():
            write_idx(raw / f"{prefix}-images-idx3-ubyte", images[chosen])
            write_idx(raw / f"{prefix}-labels-idx1-ubyte", labels[chosen])
    return root


def test_the_programs_are_there_and_plain_pytorch():
    assert len(PROGRAM_FILES) >= 12
    for path in PROGRAM_FILES:
        source = path.read_text()
        assert "minicnn" not in source, path.name
        swapped = as_minicnn(source).splitlines()
        changed = [(a, b) for a, b in zip(source.splitlines(), swapped) if a != b]
        assert changed and all(a.split()[0] in ("import", "from") for a, _ in changed)


@pytest.mark.parametrize("program", PROGRAM_FILES, ids=[p.stem for p in PROGRAM_FILES])
def test_program_runs_alike_with_torch_and_with_minicnn(program, tmp_path, data_folder):
    source = program.read_text()
    shutil.copytree(data_folder, tmp_path / "data")
    missing = sorted(name for name in imported_modules(source)
                     if not (PROGRAMS / f"{name}.py").exists()
                     and importlib.util.find_spec(name) is None)
    theirs = None
    if not missing:
        theirs = run_program(source, tmp_path, f"{program.stem}_torch")
        check_own_result(theirs, f"{program.stem} with torch")
    ours = run_program(as_minicnn(source), tmp_path, f"{program.stem}_minicnn")
    check_own_result(ours, f"{program.stem} with minicnn")
    if theirs is None:
        pytest.skip(f"the PyTorch run needs {', '.join(missing)}; only minicnn's was checked")
    compare_results(theirs, ours, **TOLERANCE)
