"""Shared pieces of the mc.viz tests: LeNet-5 and its PyTorch twin with the same weights,
captum's attributions on the twin, and the comparison of the two."""
import warnings

import numpy as np
import pytest

import minicnn as mc


def lenet(seed=0):
    """A float64 LeNet-5 (modern: ReLU, max-pooling) with fixed random weights."""
    mc.manual_seed(seed)
    return mc.models.lenet5().double().eval()


def torch_lenet(model):
    """The PyTorch twin of `model` (a minicnn LeNet-5, modern), its weights copied."""
    torch = pytest.importorskip("torch")
    nn = torch.nn

    class LeNet5(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(
                nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2),
                nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
                nn.Conv2d(16, 120, 5), nn.ReLU())
            self.classifier = nn.Sequential(
                nn.Flatten(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))

        def forward(self, x):
            return self.classifier(self.features(x))

    return copy_weights(model, LeNet5().double().eval())


def copy_weights(model, twin):
    """Load minicnn `model`'s state_dict into the PyTorch module `twin` (same keys)."""
    torch = pytest.importorskip("torch")
    state = {key: torch.from_numpy(np.array(value.numpy()))
             for key, value in model.state_dict().items()}
    twin.load_state_dict(state)
    return twin


def images(shape, seed=0):
    """A float64 batch of standard-normal images, as a minicnn tensor."""
    return mc.tensor(np.random.default_rng(seed).standard_normal(shape))


def captum_attribution(name, twin, x, target, *args, **kwargs):
    """captum.attr.<name>(twin, *args).attribute(x, target=target, **kwargs), as NumPy;
    skips when captum does not import."""
    attr = pytest.importorskip("captum.attr")
    torch = pytest.importorskip("torch")
    inputs = torch.from_numpy(np.array(x.numpy())).requires_grad_(True)
    explainer = getattr(attr, name)(twin, *args)
    with warnings.catch_warnings():     # captum's notice that it hooks the ReLU modules
        warnings.simplefilter("ignore", UserWarning)
        result = explainer.attribute(inputs, target=target, **kwargs)
    return result.detach().numpy()


def assert_close(ours, reference, rtol=1e-7, atol=1e-10):
    """`ours` (a minicnn tensor) equals `reference` elementwise, relative to the largest
    reference value."""
    ours = ours.numpy()
    assert ours.shape == reference.shape
    scale = max(float(np.abs(reference).max()), atol)
    np.testing.assert_allclose(ours, reference, rtol=0, atol=rtol * scale)
