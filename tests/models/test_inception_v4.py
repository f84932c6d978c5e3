"""Inception-v4: timm's parameter count and state_dict keys, the grid sizes of its stages,
output shapes (the smallest input, 75), timm's BN eps and uncounted pool padding, argument
errors, a training step, and timm's logits with its weights."""
import pytest
from model_helpers import (assert_logits_parity, assert_matches_fixture, assert_sgd_lowers_loss,
                           assert_train_eval_differ,
                           param_count)

import minicnn as mc
from minicnn import nn
from minicnn.models import InceptionV4, inception_v4

SMALL = 75          # the smallest input: Reduction-B's 3×3/2 convs need a 3×3 grid


@pytest.fixture(scope="module")
def model():
    mc.manual_seed(0)
    return inception_v4(num_classes=10)


def test_parameter_count_and_keys_equal_timm():
    built = inception_v4()
    assert param_count(built) == 42_679_816
    assert_matches_fixture(built, "inception_v4")
    assert isinstance(built, InceptionV4) and built.input_size == (3, 299, 299)


def test_stage_shapes_at_the_smallest_input(model):
    shapes = {}
    handles = [model.features[index].register_forward_hook(
        lambda m, i, o, index=index: shapes.__setitem__(index, tuple(o.shape)))
        for index in (2, 3, 4, 5, 9, 10, 17, 18, 21)]
    with mc.no_grad():
        out = model.eval()(mc.randn(1, 3, SMALL, SMALL))
    for handle in handles:
        handle.remove()
    assert tuple(out.shape) == (1, 10)
    assert shapes == {2: (1, 64, 35, 35), 3: (1, 160, 17, 17), 4: (1, 192, 15, 15),
                      5: (1, 384, 7, 7), 9: (1, 384, 7, 7), 10: (1, 1024, 3, 3),
                      17: (1, 1024, 3, 3), 18: (1, 1536, 1, 1), 21: (1, 1536, 1, 1)}


def test_timm_details():
    built = inception_v4(num_classes=10, in_chans=1, drop_rate=0.3)
    assert built.features[0].conv.in_channels == 1 and built.input_size == (1, 299, 299)
    assert built.head_drop.p == 0.3
    norms = [m for m in built.modules() if isinstance(m, nn.BatchNorm2d)]
    assert norms and all(m.eps == 1e-3 for m in norms)
    pools = [m for m in built.modules() if isinstance(m, nn.AvgPool2d)]
    assert len(pools) == 14 and not any(p.count_include_pad for p in pools)
    convs = [m for m in built.modules() if isinstance(m, nn.Conv2d)]
    assert all(c.bias is None for c in convs)


def test_train_and_eval_differ(model):
    assert_train_eval_differ(model, mc.randn(2, 3, SMALL, SMALL))


def test_sgd_steps_lower_the_loss(model):
    """Four images a batch: with two, batch-statistics BatchNorm on the 1×1 grids of the last
    stages made the loss chaotic (a 1e-6 relative change of the input moved the logits by
    0.16), and whether one step lowered it depended on rounding (it did on two threads, by
    about 1.0, and on one did not, by -0.04 to +0.03); with four it fell by 0.47-0.95."""
    mc.manual_seed(0)
    assert_sgd_lowers_loss(model, (4, 3, SMALL, SMALL), 10, lr=0.003, steps=1)


def test_bad_drop_rate_is_named():
    with pytest.raises(ValueError, match=r"InceptionV4: drop_rate .*-0.5"):
        inception_v4(drop_rate=-0.5)


def test_logits_equal_timm():
    pytest.importorskip("timm")
    assert_logits_parity(inception_v4(), "inception_v4", (1, 3, 299, 299))
