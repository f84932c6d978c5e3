"""Position-embedding resize: shapes, prefix tokens kept, bilinear values equal to PyTorch's
interpolate (align_corners=False) and to timm's resample_abs_pos_embed, gradients, and
set_image_size on both Vision Transformers so that a 224 model runs at 384."""
import numpy as np
import pytest

import minicnn as mc
from minicnn.models import (DeiT, VisionTransformer, VisionTransformerDistilled,
                            deit_small_distilled_patch16_224, resize_pos_embed)
from minicnn.models.position_embedding import patch_grid
from minicnn.utils import gradcheck

CASES = [  # (prefix tokens, old grid, new grid)
    (1, (14, 14), (24, 24)), (2, (14, 14), (24, 24)), (0, (4, 4), (7, 5)),
    (1, (5, 5), (3, 3)), (2, (3, 4), (6, 2)), (1, (6, 6), (6, 6)),
]


def _embedding(prefix, grid, dim=8, n=1, seed=0, dtype=np.float32):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, prefix + grid[0] * grid[1], dim)).astype(dtype)


def _torch_resize(torch, t, prefix, old, new):
    """The same resize written with torch: grid rows → (N, D, h, w) → bilinear → rows."""
    n, _, dim = t.shape
    grid = t[:, prefix:].reshape(n, old[0], old[1], dim).permute(0, 3, 1, 2)
    grid = torch.nn.functional.interpolate(grid, size=new, mode="bilinear", align_corners=False)
    grid = grid.permute(0, 2, 3, 1).reshape(n, new[0] * new[1], dim)
    return torch.cat([t[:, :prefix], grid], dim=1)


@pytest.mark.parametrize("prefix, old, new", CASES)
def test_shape_and_prefix_tokens_kept(prefix, old, new):
    x = _embedding(prefix, old, n=2)
    out = resize_pos_embed(mc.tensor(x), new, num_prefix_tokens=prefix,
                           old_grid=None if old[0] == old[1] else old).numpy()
    assert out.shape == (2, prefix + new[0] * new[1], 8)
    np.testing.assert_array_equal(out[:, :prefix], x[:, :prefix])


def test_same_grid_is_identity_and_int_grid_means_square():
    x = _embedding(1, (5, 5))
    np.testing.assert_allclose(resize_pos_embed(mc.tensor(x), 5).numpy(), x, rtol=0, atol=1e-6)
    assert resize_pos_embed(mc.tensor(x), 7).shape == (1, 50, 8)


def test_constant_grid_stays_constant_and_upsampling_stays_in_range():
    x = np.full((1, 1 + 16, 4), 0.5, np.float32)
    x[0, 0] = 7.0
    out = resize_pos_embed(mc.tensor(x), 9).numpy()
    np.testing.assert_allclose(out[0, 1:], 0.5, rtol=1e-6)
    y = _embedding(1, (4, 4))
    up = resize_pos_embed(mc.tensor(y), 11).numpy()[0, 1:]
    assert up.min() >= y[0, 1:].min() - 1e-6 and up.max() <= y[0, 1:].max() + 1e-6


@pytest.mark.parametrize("prefix, old, new", CASES)
def test_values_and_gradient_equal_torch_interpolate(prefix, old, new):
    torch = pytest.importorskip("torch")
    x = _embedding(prefix, old, seed=1)
    t = torch.from_numpy(x.copy()).requires_grad_(True)
    want = _torch_resize(torch, t, prefix, old, new)
    ours_in = mc.tensor(x, requires_grad=True)
    got = resize_pos_embed(ours_in, new, prefix, old_grid=old)
    np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=1e-5,
                               atol=1e-6)
    weights = np.random.default_rng(2).standard_normal(got.shape).astype(np.float32)
    (got * mc.tensor(weights)).sum().backward()
    (want * torch.from_numpy(weights)).sum().backward()
    np.testing.assert_allclose(ours_in.grad.numpy(), t.grad.numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("prefix, old, new", [(1, (3, 3), (5, 4)), (2, (4, 2), (2, 3)),
                                              (0, (2, 3), (4, 4))])
def test_gradcheck_float64(prefix, old, new):
    x = mc.tensor(_embedding(prefix, old, dim=3, dtype=np.float64), requires_grad=True)
    assert gradcheck(lambda e: resize_pos_embed(e, new, prefix, old_grid=old), (x,))


@pytest.mark.parametrize("prefix, old, new, antialias", [
    (1, (14, 14), (24, 24), False), (1, (14, 14), (24, 24), True), (2, (14, 14), (24, 24), False),
    (1, (14, 14), (10, 12), False), (0, (7, 7), (9, 9), False)])
def test_equals_timm_resample_abs_pos_embed_bilinear(prefix, old, new, antialias):
    torch = pytest.importorskip("torch")
    layers = pytest.importorskip("timm.layers")
    x = _embedding(prefix, old, dim=16, seed=3)
    want = layers.resample_abs_pos_embed(torch.from_numpy(x), new_size=list(new),
                                         old_size=list(old), num_prefix_tokens=prefix,
                                         interpolation="bilinear", antialias=antialias)
    got = resize_pos_embed(mc.tensor(x), new, prefix, old_grid=old).numpy()
    np.testing.assert_allclose(got, want.numpy(), rtol=1e-5, atol=1e-6)  # upsampling: no AA


@pytest.mark.parametrize("kwargs, message", [
    (dict(new_grid=5, num_prefix_tokens=2), "square"),
    (dict(new_grid=0), "new_grid"),
    (dict(new_grid=(3, 3, 3)), "new_grid"),
    (dict(new_grid=3, num_prefix_tokens=-1), "num_prefix_tokens"),
    (dict(new_grid=3, old_grid=(4, 5)), "old_grid"),
])
def test_bad_arguments_are_named(kwargs, message):
    x = mc.tensor(_embedding(1, (4, 4)))
    with pytest.raises(ValueError, match=message):
        resize_pos_embed(x, **kwargs)
    with pytest.raises(ValueError, match="3-D"):
        resize_pos_embed(mc.zeros(17, 8), 3)


def test_patch_grid_names_the_owner():
    assert patch_grid("m", 224, 16) == (14, 14) and patch_grid("m", (32, 48), 8) == (4, 6)
    with pytest.raises(ValueError, match="m: image_size 30 is not divisible by patch_size 8"):
        patch_grid("m", 30, 8)


def _small_models():
    return [VisionTransformer(image_size=32, patch_size=8, num_layers=1, num_heads=2,
                              hidden_dim=16, mlp_dim=32, num_classes=5),
            DeiT(img_size=32, patch_size=8, embed_dim=16, depth=1, num_heads=2, num_classes=5),
            VisionTransformerDistilled(img_size=32, patch_size=8, embed_dim=16, depth=1,
                                       num_heads=2, num_classes=5)]


def _pos_embed_name(model):
    return "encoder.pos_embedding" if isinstance(model, VisionTransformer) else "pos_embed"


@pytest.mark.parametrize("index", range(3))
def test_set_image_size_resizes_in_place(index):
    mc.manual_seed(0)
    model = _small_models()[index].eval()
    name = _pos_embed_name(model)
    prefix = 1 if index < 2 else 2
    old = model.get_parameter(name).detach().numpy().copy()
    model.set_image_size(48)
    new = model.get_parameter(name)
    assert isinstance(new, mc.nn.Parameter) and new.requires_grad
    assert new.shape == (1, prefix + 36, 16) and model.input_size == (3, 48, 48)
    np.testing.assert_allclose(new.detach().numpy(),
                               resize_pos_embed(mc.tensor(old), 6, prefix).numpy())
    assert dict(model.named_parameters())[name] is new
    with mc.no_grad():
        assert model(mc.randn(2, 3, 48, 48)).shape == (2, 5)
    with pytest.raises(ValueError, match="set_image_size"):
        model(mc.randn(1, 3, 32, 32))
    with pytest.raises(ValueError, match="not divisible"):
        model.set_image_size(50)


def test_deit_rectangular_image_size_and_frozen_embedding_stays_frozen():
    model = _small_models()[1]
    model.pos_embed.requires_grad = False
    model.set_image_size((40, 24))
    assert model.pos_embed.shape == (1, 1 + 15, 16) and not model.pos_embed.requires_grad
    assert model.patch_embed.grid_size == (5, 3) and model.input_size == (3, 40, 24)
    with mc.no_grad():
        assert model(mc.randn(1, 3, 40, 24)).shape == (1, 5)


def test_a_224_model_trains_at_384_after_resizing():
    mc.manual_seed(0)
    model = VisionTransformer(image_size=224, patch_size=16, num_layers=1, num_heads=2,
                              hidden_dim=32, mlp_dim=64, num_classes=10)
    model.set_image_size(384)
    assert model.encoder.pos_embedding.shape == (1, 1 + 24 * 24, 32)
    assert model.image_size == 384 and model.seq_length == 577
    out = model(mc.randn(1, 3, 384, 384))
    assert out.shape == (1, 10)
    out.sum().backward()
    assert model.encoder.pos_embedding.grad.shape == (1, 577, 32)


def test_distilled_deit_at_384():
    model = deit_small_distilled_patch16_224(weight_init="skip", depth=1).eval()
    model.set_image_size(384)
    assert model.pos_embed.shape == (1, 2 + 576, 384) and model.input_size == (3, 384, 384)
    with mc.no_grad():
        assert model(mc.randn(1, 3, 384, 384)).shape == (1, 1000)
