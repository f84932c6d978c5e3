"""ImageFolder on a folder of PNGs the tests write."""
import numpy as np
import pytest
from PIL import Image

from minicnn.data import DataLoader
from minicnn.data import transforms as T
from minicnn.data.datasets import ImageFolder


@pytest.fixture
def folder(tmp_path):
    """root/{cat,dog,eel}/...: RGB, grey and RGBA PNGs, a nested folder, a stray text file."""
    rng = np.random.default_rng(0)
    images = {}

    def save(rel, array):
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(array).save(path)
        images[str(path)] = array

    save("dog/b.png", rng.integers(0, 256, (5, 6, 3), dtype=np.uint8))
    save("dog/a.PNG", rng.integers(0, 256, (4, 4, 3), dtype=np.uint8))
    save("cat/x.png", rng.integers(0, 256, (3, 7), dtype=np.uint8))
    save("cat/sub/y.png", rng.integers(0, 256, (2, 2, 4), dtype=np.uint8))
    save("eel/z.png", rng.integers(0, 256, (6, 6, 3), dtype=np.uint8))
    (tmp_path / "dog" / "notes.txt").write_text("not an image")
    (tmp_path / "README").write_text("a file at the top is not a class")
    return tmp_path, images


def test_classes_samples_and_pixels(folder):
    root, images = folder
    ds = ImageFolder(root)
    assert ds.classes == ["cat", "dog", "eel"]
    assert ds.class_to_idx == {"cat": 0, "dog": 1, "eel": 2}
    rel = [(str(p)[len(str(root)) + 1:], y) for p, y in ds.samples]
    assert rel == [("cat/sub/y.png", 0), ("cat/x.png", 0), ("dog/a.PNG", 1), ("dog/b.png", 1),
                   ("eel/z.png", 2)]
    assert ds.targets == [0, 0, 1, 1, 2] and len(ds) == 5
    for i, (path, label) in enumerate(ds.samples):
        image, y = ds[i]
        assert y == label and image.dtype == np.uint8 and image.ndim == 3
        assert image.shape[2] == 3
        original = images[path]
        if original.ndim == 2:
            np.testing.assert_array_equal(image, np.repeat(original[..., None], 3, axis=2))
        else:
            np.testing.assert_array_equal(image, original[..., :3])


def test_transforms_and_loader(folder):
    root, _ = folder
    ds = ImageFolder(root, transform=T.Compose([T.Resize((4, 4)), T.ToTensor()]),
                     target_transform=lambda y: y * 10)
    images, labels = next(iter(DataLoader(ds, batch_size=5)))
    assert images.shape == (5, 3, 4, 4) and images.dtype == np.float32
    assert labels.tolist() == [0, 0, 10, 10, 20]


def test_extensions_and_is_valid_file(folder):
    root, _ = folder
    # is_valid_file replaces the extension check: case-sensitive here, so a.PNG is out
    assert len(ImageFolder(root, is_valid_file=lambda p: p.endswith(".png"))) == 4
    with pytest.raises(FileNotFoundError, match="no valid image files"):
        ImageFolder(root, extensions=(".jpg",))


@pytest.mark.parametrize("setup, match", [
    (lambda root: None, "not a folder"),
    (lambda root: root.mkdir(), "no class sub-folders"),
    (lambda root: (root / "empty").mkdir(parents=True), r"\['empty'\]"),
])
def test_errors(tmp_path, setup, match):
    root = tmp_path / "data"
    setup(root)
    with pytest.raises(FileNotFoundError, match=match):
        ImageFolder(root)
