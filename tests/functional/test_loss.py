"""Losses: float64 gradcheck, PyTorch parity (forward and every float input's gradient) over
the option combinations, and the messages of bad input."""
import itertools

import numpy as np
import pytest
from conftest import assert_torch_parity, check_gradients, random_array

import minicnn as mc
import minicnn.functional as F

C = 4
# input shape, class-index target shape: (N, C), (N, C, d1, d2), unbatched (C,)
LAYOUTS = {"batched": ((5, C), (5,)), "spatial": ((2, C, 3, 2), (2, 3, 2)),
           "unbatched": ((C,), ())}
REDUCTIONS = ["none", "mean", "sum"]
IGNORED = 1  # a real class, so that ignore_index actually drops samples


def TF():
    return pytest.importorskip("torch").nn.functional


def labels(shape, seed=0):
    """int64 class indices with class IGNORED present (when there are several samples) and
    at least one other class, so that ignore_index never drops every sample."""
    t = np.random.default_rng(seed).integers(0, C, size=shape)
    if t.size > 1:
        t.reshape(-1)[0], t.reshape(-1)[-1] = IGNORED, IGNORED + 1
    else:
        t[...] = IGNORED + 1
    return t.astype(np.int64)


def class_weight(seed=1):
    return random_array((C,), seed, low=0.5, high=2.0)


def probabilities(shape, seed=2):
    """Rows of class probabilities along dim 1 (dim 0 when unbatched)."""
    e = np.exp(random_array(shape, seed))
    return e / e.sum(axis=1 if len(shape) > 1 else 0, keepdims=True)


def index_case(layout, weight, ignore, reduction, smoothing=0.0):
    """input, labels, class weight (or None) and kwargs of one class-index configuration."""
    x_shape, t_shape = LAYOUTS[layout]
    kwargs = {"reduction": reduction}
    if ignore:
        kwargs["ignore_index"] = IGNORED
    if smoothing:
        kwargs["label_smoothing"] = smoothing
    w = class_weight() if weight else None
    return random_array(x_shape, seed=3), labels(t_shape), w, kwargs


INDEX_OPTIONS = list(itertools.product(LAYOUTS, [False, True], [False, True], REDUCTIONS))
INDEX_IDS = [f"{lay}-{'w' if w else 'now'}-{'ign' if i else 'noign'}-{r}"
             for lay, w, i, r in INDEX_OPTIONS]


def run_index_case(op, layout, weight, ignore, reduction, smoothing=0.0):
    x, t, w, kwargs = index_case(layout, weight, ignore, reduction, smoothing)
    fn = lambda a, b, c: getattr(F, op)(a, b, weight=c, **kwargs)  # noqa: E731
    torch_fn = lambda a, b, c: getattr(TF(), op)(a, b, weight=c, **kwargs)  # noqa: E731
    # torch refuses a weight that requires grad; minicnn differentiates it (checked below).
    check_gradients(fn, x, t, w, requires_grad=[True, False, True])
    assert_torch_parity(fn, torch_fn, x.astype(np.float32), t,
                        None if w is None else w.astype(np.float32),
                        requires_grad=[True, False, False])


@pytest.mark.parametrize("smoothing", [0.0, 0.2])
@pytest.mark.parametrize("layout, weight, ignore, reduction", INDEX_OPTIONS, ids=INDEX_IDS)
def test_cross_entropy_class_indices(layout, weight, ignore, reduction, smoothing):
    run_index_case("cross_entropy", layout, weight, ignore, reduction, smoothing)


@pytest.mark.parametrize("layout, weight, ignore, reduction", INDEX_OPTIONS, ids=INDEX_IDS)
def test_nll_loss(layout, weight, ignore, reduction):
    run_index_case("nll_loss", layout, weight, ignore, reduction)


def test_cross_entropy_is_log_softmax_then_nll_and_known_value():
    x = random_array((5, C), seed=4)
    t = labels((5,))
    ce = F.cross_entropy(mc.tensor(x), mc.tensor(t)).item()
    logp = x - np.log(np.exp(x).sum(axis=1, keepdims=True))
    np.testing.assert_allclose(ce, -logp[np.arange(5), t].mean(), rtol=1e-12)
    # uniform logits: the loss is log C whatever the labels
    np.testing.assert_allclose(F.cross_entropy(mc.tensor(np.zeros((3, C))),
                                               mc.tensor(np.array([0, 3, 2]))).item(), np.log(C))


def test_cross_entropy_is_finite_for_huge_logits():
    x = random_array((6, 10), seed=5, dtype=np.float32) * 1e4
    t = np.arange(6, dtype=np.int64)
    # logits and the loss reach 1e4, where float32 spacing is ~1e-3: compare relatively.
    assert_torch_parity(lambda a, b: F.cross_entropy(a, b, reduction="none"),
                        lambda a, b: TF().cross_entropy(a, b, reduction="none"), x, t, atol=1e-3)


PROB_OPTIONS = list(itertools.product(LAYOUTS, [False, True], [0.0, 0.3], REDUCTIONS))
PROB_IDS = [f"{a}-{'w' if b else 'now'}-ls{c}-{d}" for a, b, c, d in PROB_OPTIONS]


@pytest.mark.parametrize("layout, weight, smoothing, reduction", PROB_OPTIONS, ids=PROB_IDS)
def test_cross_entropy_class_probabilities(layout, weight, smoothing, reduction):
    x_shape = LAYOUTS[layout][0]
    x, p = random_array(x_shape, seed=6), probabilities(x_shape)
    w = class_weight() if weight else None
    kwargs = {"reduction": reduction, "label_smoothing": smoothing}
    fn = lambda a, b, c: F.cross_entropy(a, b, weight=c, **kwargs)  # noqa: E731
    check_gradients(fn, x, p, w)  # input, target and weight
    assert_torch_parity(fn, lambda a, b, c: TF().cross_entropy(a, b, weight=c, **kwargs),
                        x.astype(np.float32), p.astype(np.float32),
                        None if w is None else w.astype(np.float32),
                        requires_grad=[True, True, False])


@pytest.mark.parametrize("num_classes", [-1, 6])
@pytest.mark.parametrize("shape", [(5,), (2, 3), ()])
def test_one_hot(shape, num_classes):
    t = np.random.default_rng(7).integers(0, 4, size=shape).astype(np.int64)
    t.reshape(-1)[0] = 3  # so that num_classes=-1 infers 4
    out = F.one_hot(mc.tensor(t), num_classes)
    width = 4 if num_classes == -1 else num_classes
    assert out.shape == shape + (width,) and out.dtype == np.int64
    np.testing.assert_array_equal(out.numpy(), np.eye(width, dtype=np.int64)[t])
    assert_torch_parity(lambda a: F.one_hot(a, num_classes),
                        lambda a: TF().one_hot(a, num_classes), t)


def pair(shape, seed=8):
    return random_array(shape, seed), random_array(shape, seed + 1)


@pytest.mark.parametrize("op", ["mse_loss", "l1_loss"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(3, 4), (2, 3, 2), ()])
def test_mse_and_l1_loss(op, reduction, shape):
    x, y = pair(shape)
    fn = lambda a, b: getattr(F, op)(a, b, reduction=reduction)  # noqa: E731
    check_gradients(fn, x, y)  # input and target
    assert_torch_parity(fn, lambda a, b: getattr(TF(), op)(a, b, reduction=reduction),
                        x.astype(np.float32), y.astype(np.float32))


def test_mse_and_l1_known_values():
    x, y = mc.tensor(np.array([1.0, -2.0, 3.0])), mc.tensor(np.array([0.0, 0.0, 5.0]))
    assert F.mse_loss(x, y).item() == pytest.approx((1 + 4 + 4) / 3)
    assert F.l1_loss(x, y, reduction="sum").item() == pytest.approx(5.0)


BCE_OPTIONS = list(itertools.product(REDUCTIONS, [None, "full", "row"], [False, True]))


@pytest.mark.parametrize("reduction, weight, pos_weight", BCE_OPTIONS,
                         ids=[f"{r}-w{w}-pw{p}" for r, w, p in BCE_OPTIONS])
def test_binary_cross_entropy_with_logits(reduction, weight, pos_weight):
    x = random_array((4, 3), seed=9) * 3
    y = random_array((4, 3), seed=10, low=0.0, high=1.0)
    w = {None: None, "full": random_array((4, 3), 11, low=0.5, high=2),
         "row": random_array((3,), 12, low=0.5, high=2)}[weight]
    pw = random_array((3,), 13, low=0.5, high=3) if pos_weight else None

    def fn(a, b, c, d):
        return F.binary_cross_entropy_with_logits(a, b, weight=c, pos_weight=d,
                                                  reduction=reduction)

    def torch_fn(a, b, c, d):
        return TF().binary_cross_entropy_with_logits(a, b, weight=c, pos_weight=d,
                                                     reduction=reduction)

    check_gradients(fn, x, y, w, pw)  # minicnn also differentiates weight and pos_weight
    f32 = [None if a is None else a.astype(np.float32) for a in (x, y, w, pw)]
    # torch refuses weight / pos_weight that require grad
    assert_torch_parity(fn, torch_fn, *f32, requires_grad=[True, True, False, False])


def test_binary_cross_entropy_with_logits_is_stable_for_large_logits():
    x = np.array([-1000.0, -100.0, 0.0, 100.0, 1000.0], dtype=np.float32)
    y = np.array([1.0, 0.0, 0.5, 1.0, 0.0], dtype=np.float32)
    assert_torch_parity(lambda a, b: F.binary_cross_entropy_with_logits(a, b, reduction="none"),
                        lambda a, b: TF().binary_cross_entropy_with_logits(a, b,
                                                                           reduction="none"),
                        x, y)


KL_OPTIONS = list(itertools.product([False, True], REDUCTIONS + ["batchmean"]))


@pytest.mark.filterwarnings("ignore:reduction. 'mean' divides:UserWarning")  # torch's, for 'mean'
@pytest.mark.parametrize("log_target, reduction", KL_OPTIONS,
                         ids=[f"log{a}-{b}" for a, b in KL_OPTIONS])
def test_kl_div(log_target, reduction):
    logq = np.log(probabilities((3, 5), seed=14))
    p = probabilities((3, 5), seed=15)
    target = np.log(p) if log_target else p
    kwargs = {"reduction": reduction, "log_target": log_target}
    fn = lambda a, b: F.kl_div(a, b, **kwargs)  # noqa: E731
    check_gradients(fn, logq, target)  # input and target
    assert_torch_parity(fn, lambda a, b: TF().kl_div(a, b, **kwargs),
                        logq.astype(np.float32), target.astype(np.float32))


def test_kl_div_with_zero_target_probabilities():
    # 0·log 0 = 0 in the forward; torch's target gradient there is nan (0/0), so only the
    # input's gradient is compared.
    logq = np.log(probabilities((2, 4), seed=16)).astype(np.float32)
    p = np.array([[0.0, 0.5, 0.5, 0.0], [1.0, 0.0, 0.0, 0.0]], dtype=np.float32)
    assert_torch_parity(lambda a, b: F.kl_div(a, b, reduction="sum"),
                        lambda a, b: TF().kl_div(a, b, reduction="sum"), logq, p,
                        requires_grad=[True, False])


# ---- bad input ---------------------------------------------------------------------------

def logits(shape=(4, 10)):
    return mc.tensor(random_array(shape, dtype=np.float32))


def test_cross_entropy_rejects_float_labels():
    with pytest.raises(TypeError, match=r"cross_entropy: target must be int64 class indices.*"
                                        r"got float32 of shape \(4,\)"):
        F.cross_entropy(logits(), mc.tensor(np.zeros(4, dtype=np.float32)))


@pytest.mark.parametrize("op", ["cross_entropy", "nll_loss"])
@pytest.mark.parametrize("bad", [12, -3])
def test_label_out_of_range(op, bad):
    t = mc.tensor(np.array([0, bad, 2, 3]))
    with pytest.raises(ValueError, match=rf"{op}: target contains class {bad} but input has 10 "
                                         rf"classes \(input shape \(4, 10\)\)"):
        getattr(F, op)(logits(), t)


@pytest.mark.parametrize("op", ["cross_entropy", "nll_loss"])
@pytest.mark.parametrize("x_shape, t_shape", [((4, 10), (5,)), ((4, 10), (4, 1)),
                                              ((2, 10, 3, 3), (2, 3, 4))])
def test_target_shape_must_match_input(op, x_shape, t_shape):
    t = mc.tensor(np.zeros(t_shape, dtype=np.int64))
    x_str = str(x_shape).replace("(", r"\(").replace(")", r"\)")
    with pytest.raises(ValueError, match=rf"{op}: target shape .* does not match input shape "
                                         rf"{x_str}"):
        getattr(F, op)(logits(x_shape), t)


@pytest.mark.parametrize("op", ["cross_entropy", "nll_loss", "mse_loss", "l1_loss",
                                "binary_cross_entropy_with_logits", "kl_div"])
def test_bad_reduction(op):
    x = logits((4, 10))
    t = mc.tensor(np.zeros(4, dtype=np.int64)) if op in ("cross_entropy", "nll_loss") else x
    with pytest.raises(ValueError, match=rf"{op}: reduction must be one of .*got 'avg'"):
        getattr(F, op)(x, t, reduction="avg")


@pytest.mark.parametrize("op", ["cross_entropy", "nll_loss"])
def test_weight_of_wrong_shape(op):
    w = mc.tensor(np.ones(3, dtype=np.float32))
    with pytest.raises(ValueError, match=rf"{op}: weight must have shape \(10,\), got \(3,\)"):
        getattr(F, op)(logits(), mc.tensor(np.zeros(4, dtype=np.int64)), weight=w)


@pytest.mark.parametrize("op", ["mse_loss", "l1_loss", "binary_cross_entropy_with_logits",
                                "kl_div"])
def test_elementwise_losses_reject_different_shapes(op):
    with pytest.raises(ValueError, match=rf"{op}: input shape \(2, 3\) and target shape "
                                         rf"\(3, 2\) differ"):
        getattr(F, op)(logits((2, 3)), logits((3, 2)))


def test_one_hot_rejects_float_and_out_of_range():
    with pytest.raises(TypeError, match=r"one_hot: expects an integer tensor.*float32"):
        F.one_hot(mc.tensor(np.array([0.0, 1.0], dtype=np.float32)))
    with pytest.raises(ValueError, match=r"one_hot: class values must be in \[0, 3\), got "
                                         r"values in \[0, 5\]"):
        F.one_hot(mc.tensor(np.array([0, 5])), num_classes=3)


def test_cross_entropy_rejects_label_smoothing_outside_0_1():
    with pytest.raises(ValueError, match=r"cross_entropy: label_smoothing must be in \[0, 1\], "
                                         r"got 1.5"):
        F.cross_entropy(logits(), mc.tensor(np.zeros(4, dtype=np.int64)), label_smoothing=1.5)
