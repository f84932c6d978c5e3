"""minicnn.vision, torchvision's namespace: the names are there, the zoo constructors take
`weights=None` / `pretrained=False`, and make_grid / save_image give torchvision's pixels."""
import io

import numpy as np
import pytest
from PIL import Image

import minicnn as mc
from minicnn.vision import datasets, models, transforms, utils


def test_the_namespaces_are_reachable_as_attributes_and_modules():
    import minicnn.vision.transforms.functional as TF

    assert mc.vision.datasets is datasets and mc.vision.utils is utils
    assert TF is transforms.functional is mc.data.transforms.functional
    assert datasets.MNIST is mc.data.datasets.MNIST and datasets.FakeData is not None
    assert models.resnet18 is mc.models.resnet18 and "resnet18" in models.__all__
    assert transforms.ToTensor is mc.data.transforms.ToTensor
    assert mc.utils.data.DataLoader is mc.data.DataLoader
    from minicnn.utils.data import DataLoader, Dataset, Subset, TensorDataset, random_split
    assert (DataLoader, Dataset, Subset, TensorDataset, random_split) == (
        mc.data.DataLoader, mc.data.Dataset, mc.data.Subset, mc.data.TensorDataset,
        mc.data.random_split)


def test_zoo_constructors_take_the_weights_keywords():
    assert models.resnet18(weights=None, progress=False, num_classes=7).fc.out_features == 7
    assert isinstance(models.lenet5(pretrained=False), mc.nn.Module)
    assert isinstance(models.vit_tiny_patch16_224(pretrained=False, num_classes=3,
                                                  img_size=32), mc.nn.Module)
    with pytest.raises(ValueError, match=r"resnet18: minicnn downloads no pretrained weights "
                                         r"\(weights='IMAGENET1K_V1'\).*load_torch_file"):
        models.resnet18(weights="IMAGENET1K_V1")
    with pytest.raises(ValueError, match=r"vgg11: .*\(pretrained=True\)"):
        models.vgg11(pretrained=True)


def test_every_zoo_constructor_takes_weights_none():
    from minicnn.cli import zoo

    for name in zoo.catalog():
        constructor = getattr(models, name)
        assert constructor.__wrapped__ is not None, name
        with pytest.raises(ValueError, match=f"{name}: minicnn downloads no pretrained"):
            constructor(weights="DEFAULT")


@pytest.mark.parametrize("shape, kwargs", [
    ((5, 3, 4, 6), {}),
    ((5, 1, 4, 6), dict(nrow=2, padding=1, pad_value=0.5)),
    ((3, 3, 5, 5), dict(normalize=True)),
    ((3, 3, 5, 5), dict(normalize=True, scale_each=True)),
    ((4, 3, 5, 5), dict(normalize=True, value_range=(-1, 1), nrow=3)),
    ((1, 3, 4, 4), {}),
    ((2, 4, 4), {}),
])
def test_make_grid_matches_torchvision(shape, kwargs):
    torchvision_utils = pytest.importorskip("torchvision.utils")
    torch = pytest.importorskip("torch")
    values = np.random.default_rng(0).uniform(-1.5, 1.5, shape).astype(np.float32)
    ours = utils.make_grid(mc.tensor(values), **kwargs)
    theirs = torchvision_utils.make_grid(torch.tensor(values), **kwargs)
    assert ours.shape == tuple(theirs.shape)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6, atol=1e-7)


def test_make_grid_of_a_list_and_save_image_match_torchvision(tmp_path):
    torchvision_utils = pytest.importorskip("torchvision.utils")
    torch = pytest.importorskip("torch")
    values = np.random.default_rng(1).uniform(0, 1, (6, 3, 7, 5)).astype(np.float32)
    ours = utils.make_grid([mc.tensor(v) for v in values], nrow=4)
    np.testing.assert_array_equal(ours.numpy(), torchvision_utils.make_grid(
        [torch.tensor(v) for v in values], nrow=4).numpy())
    utils.save_image(mc.tensor(values), tmp_path / "ours.png", nrow=3)
    torchvision_utils.save_image(torch.tensor(values), tmp_path / "theirs.png", nrow=3)
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "ours.png")),
                                  np.asarray(Image.open(tmp_path / "theirs.png")))


def test_save_image_writes_a_file_object_in_the_given_format():
    buffer = io.BytesIO()
    utils.save_image(mc.ones(1, 2, 3) * 0.5, buffer, format="PNG")
    image = Image.open(io.BytesIO(buffer.getvalue()))
    assert image.size == (3, 2) and np.asarray(image)[0, 0].tolist() == [128, 128, 128]


def test_make_grid_refuses_what_is_not_images():
    with pytest.raises(TypeError, match="make_grid: expected a Tensor or a list of Tensors"):
        utils.make_grid(np.zeros((2, 3, 4, 4)))
    with pytest.raises(ValueError, match="make_grid: expected a 2-D, 3-D or 4-D tensor"):
        utils.make_grid(mc.zeros(1, 1, 1, 2, 2))
