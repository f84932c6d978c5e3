"""mc.nn.utils: clip_grad_norm_ and clip_grad_value_ against torch.nn.utils, and the flat
parameter vector helpers."""
import math

import numpy as np
import pytest
from conftest import random_array

import minicnn as mc
from minicnn import nn

torch = pytest.importorskip("torch")

SHAPES = [(3, 4), (5,), (2, 2, 3)]


def with_grads(lib, scale=1.0, dtype=np.float32):
    params = []
    for i, shape in enumerate(SHAPES):
        grad = (random_array(shape, seed=i) * scale).astype(dtype)
        if lib is torch:
            p = torch.nn.Parameter(torch.zeros(shape, dtype=torch.float64 if dtype == np.float64
                                               else torch.float32))
            p.grad = torch.tensor(grad)
        else:
            p = nn.Parameter(mc.zeros(*shape, dtype=dtype))
            p.grad = mc.tensor(grad)
        params.append(p)
    return params


@pytest.mark.parametrize("norm_type", [2.0, 1, math.inf, 0.5, 3.0, "inf"])
@pytest.mark.parametrize("max_norm", [0.5, 1e6], ids=["clipped", "unclipped"])
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    ours, theirs = with_grads(mc), with_grads(torch)
    total = nn.utils.clip_grad_norm_(ours, max_norm, norm_type=norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type=norm_type)
    assert isinstance(total, mc.Tensor) and total.shape == () and total.dtype == np.float32
    np.testing.assert_allclose(total.item(), expected.item(), rtol=1e-6)
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-5, atol=1e-7)
    if max_norm < 1:
        new_norm = nn.utils.clip_grad_norm_(ours, 1e9, norm_type=norm_type).item()
        assert new_norm == pytest.approx(max_norm, rel=1e-4)


def test_clip_grad_norm_single_tensor_none_grads_and_empty():
    p = nn.Parameter(mc.ones(4))
    assert nn.utils.clip_grad_norm_(p, 1.0).item() == 0.0  # no grad at all
    p.grad = mc.full((4,), 3.0)
    q = nn.Parameter(mc.ones(2))  # grad None: skipped
    total = nn.utils.clip_grad_norm_([p, q], max_norm=1.0)
    assert total.item() == pytest.approx(6.0)
    np.testing.assert_allclose(p.grad.numpy(), 0.5 / (1 + 1e-6 / 6), rtol=1e-6)
    assert q.grad is None
    assert nn.utils.clip_grad_norm_([], 1.0).item() == 0.0


def test_clip_grad_norm_non_finite():
    p = nn.Parameter(mc.ones(2))
    p.grad = mc.tensor([np.inf, 1.0], dtype=mc.float32)
    with pytest.raises(RuntimeError, match="non-finite"):
        nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    assert math.isinf(nn.utils.clip_grad_norm_([p], 1.0).item())


def test_clip_grad_norm_on_a_model_after_backward():
    ours = nn.Linear(4, 3)
    theirs = torch.nn.Linear(4, 3)
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    x = random_array((8, 4), dtype=np.float32) * 10
    ours(mc.tensor(x)).pow(2).sum().backward()
    theirs(torch.tensor(x)).pow(2).sum().backward()
    np.testing.assert_allclose(nn.utils.clip_grad_norm_(ours.parameters(), 1.0).item(),
                               torch.nn.utils.clip_grad_norm_(theirs.parameters(), 1.0).item(),
                               rtol=1e-5)
    for (name, p), q in zip(ours.named_parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-4, atol=1e-7,
                                   err_msg=name)


def test_clip_grad_value_matches_torch():
    ours, theirs = with_grads(mc, scale=3), with_grads(torch, scale=3)
    nn.utils.clip_grad_value_(ours, 0.7)
    torch.nn.utils.clip_grad_value_(theirs, 0.7)
    for p, q in zip(ours, theirs):
        np.testing.assert_array_equal(p.grad.numpy(), q.grad.numpy())
    assert max(np.abs(p.grad.numpy()).max() for p in ours) == pytest.approx(0.7)


def test_parameters_to_vector_and_back():
    lin = nn.Linear(3, 2)
    vec = nn.utils.parameters_to_vector(lin.parameters())
    assert vec.shape == (8,)
    np.testing.assert_array_equal(vec.detach().numpy()[:6],
                                  lin.weight.detach().numpy().ravel())
    nn.utils.vector_to_parameters(mc.arange(8, dtype=mc.float32), lin.parameters())
    np.testing.assert_array_equal(lin.bias.detach().numpy(), [6, 7])
