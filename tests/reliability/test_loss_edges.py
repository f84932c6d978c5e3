"""Losses at their edges, against PyTorch: every target ignored, class weights that sum to
0 over the kept samples, empty batches, 0-d inputs, every reduction, with and without
weight= and label_smoothing, (N, C), (N, C, d1, d2) and unbatched (C,) inputs; labels out of
range are refused before any work, naming the label and the number of classes."""
import itertools

import numpy as np
import pytest
from conftest import assert_torch_parity, random_array

import minicnn as mc
import minicnn.functional as F
from minicnn import nn, optim

torch = pytest.importorskip("torch")
# NumPy warns about the 0/0 of a mean over no sample; the NaN it gives is the point here
pytestmark = pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning",
                                        "ignore:divide by zero:RuntimeWarning",
                                        "ignore:Mean of empty slice:RuntimeWarning")

C = 3
LAYOUTS = {"batched": ((4, C), (4,)), "spatial": ((2, C, 2, 3), (2, 2, 3)),
           "unbatched": ((C,), ())}
REDUCTIONS = ["mean", "sum", "none"]


def targets(kind, t_shape, ignore_index):
    """Class indices of one edge case: every one ignored, only class 0 (whose weight is 0
    in the weighted cases), or random with the first ignored."""
    if kind == "all_ignored":
        return np.full(t_shape, ignore_index, dtype=np.int64)
    if kind == "zero_weight":
        return np.zeros(t_shape, dtype=np.int64)
    t = np.random.default_rng(4).integers(0, C, size=t_shape).astype(np.int64)
    if t.ndim:
        t.reshape(-1)[0] = ignore_index
    return t


def class_weight(kind):
    w = random_array((C,), seed=5, dtype=np.float32, low=0.5, high=2.0)
    if kind == "zero_weight":
        w[0] = 0.0
    return w


CLASS_CASES = [case for case in itertools.product(
    ["cross_entropy", "nll_loss", "CrossEntropyLoss", "NLLLoss"], LAYOUTS,
    ["all_ignored", "zero_weight", "some_ignored"], [False, True], [0.0, 0.2], REDUCTIONS,
    [-100, 2])
    if not (case[0] in ("nll_loss", "NLLLoss") and case[4])       # no smoothing in NLL
    and not (case[2] == "zero_weight" and not case[3])]            # zero weight needs weight=


def call(op, library, *args, **kwargs):
    """op as a function of torch.nn.functional / minicnn.functional or as a loss module."""
    if op[0].isupper():
        module = getattr(torch.nn if library == "torch" else nn, op)
        return lambda x, t, w: module(weight=w, **kwargs)(x, t)
    functional = torch.nn.functional if library == "torch" else F
    return lambda x, t, w: getattr(functional, op)(x, t, weight=w, **kwargs)


@pytest.mark.parametrize("op, layout, kind, weighted, smoothing, reduction, ignore_index",
                         CLASS_CASES, ids=["-".join(map(str, c)) for c in CLASS_CASES])
def test_class_index_losses_match_torch(op, layout, kind, weighted, smoothing, reduction,
                                        ignore_index):
    x_shape, t_shape = LAYOUTS[layout]
    kwargs = {"reduction": reduction, "ignore_index": ignore_index}
    if smoothing:
        kwargs["label_smoothing"] = smoothing
    x = random_array(x_shape, seed=3, dtype=np.float32)
    t = targets(kind, t_shape, ignore_index)
    w = class_weight(kind) if weighted else None
    assert_torch_parity(call(op, "mc", **kwargs), call(op, "torch", **kwargs), x, t, w,
                        requires_grad=[True, False, False])


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("op, smoothing", [("cross_entropy", 0.0), ("cross_entropy", 0.2),
                                           ("nll_loss", 0.0)])
def test_all_ignored_batch_gives_zero_gradients_also_to_the_weight(op, smoothing, weighted):
    """minicnn differentiates the class weight (PyTorch does not): it gets 0, not NaN."""
    x = mc.tensor(random_array((4, C), seed=3), requires_grad=True)
    w = mc.tensor(class_weight("some_ignored").astype(np.float64), requires_grad=weighted)
    kwargs = {"label_smoothing": smoothing} if smoothing else {}
    loss = getattr(F, op)(x, mc.tensor(np.full(4, -100)), weight=w, **kwargs)
    assert np.isnan(loss.item())
    loss.backward()
    np.testing.assert_array_equal(x.grad.numpy(), 0.0)
    if weighted:
        np.testing.assert_array_equal(w.grad.numpy(), 0.0)


@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_a_batch_of_ignored_targets_leaves_the_parameters_finite(smoothing):
    """The NaN loss of an all-ignored batch must not reach the weights through SGD."""
    mc.manual_seed(0)
    model = nn.Linear(5, C)
    before = [p.detach().numpy().copy() for p in model.parameters()]
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    loss = nn.CrossEntropyLoss(label_smoothing=smoothing)(
        model(mc.randn(6, 5)), mc.tensor(np.full(6, -100)))
    opt.zero_grad()
    loss.backward()
    opt.step()
    for old, p in zip(before, model.parameters()):
        np.testing.assert_array_equal(p.detach().numpy(), old)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("op", ["cross_entropy", "nll_loss"])
@pytest.mark.parametrize("x_shape", [(0, C), (0, C, 2), (2, C, 0)])
def test_class_index_losses_on_empty_batches_match_torch(op, x_shape, reduction):
    x = random_array(x_shape, dtype=np.float32)
    t = np.zeros((x_shape[0],) + x_shape[2:], dtype=np.int64)
    assert_torch_parity(lambda a, b: getattr(F, op)(a, b, reduction=reduction),
                        lambda a, b: getattr(torch.nn.functional, op)(a, b, reduction=reduction),
                        x, t)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_with_probabilities_on_an_empty_batch_matches_torch(reduction):
    x = random_array((0, C), dtype=np.float32)
    p = random_array((0, C), dtype=np.float32)
    assert_torch_parity(lambda a, b: F.cross_entropy(a, b, reduction=reduction),
                        lambda a, b: torch.nn.functional.cross_entropy(a, b, reduction=reduction),
                        x, p, requires_grad=[True, False])


ELEMENTWISE = ["mse_loss", "l1_loss", "binary_cross_entropy_with_logits", "kl_div"]


@pytest.mark.filterwarnings("ignore:reduction. 'mean' divides:UserWarning")
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(0, 3), (2, 0), (), (4,)], ids=str)
@pytest.mark.parametrize("op", ELEMENTWISE)
def test_elementwise_losses_on_empty_and_0d_inputs_match_torch(op, shape, reduction):
    x = random_array(shape, seed=1, dtype=np.float32)
    y = random_array(shape, seed=2, dtype=np.float32, low=0.0, high=1.0)
    assert_torch_parity(lambda a, b: getattr(F, op)(a, b, reduction=reduction),
                        lambda a, b: getattr(torch.nn.functional, op)(a, b, reduction=reduction),
                        x, y)


@pytest.mark.parametrize("log_target", [False, True])
@pytest.mark.parametrize("shape", [(0, 3), (), (2, 3)], ids=str)
def test_kl_div_batchmean_matches_torch(shape, log_target):
    x = random_array(shape, seed=1, dtype=np.float32)
    y = random_array(shape, seed=2, dtype=np.float32, low=0.1, high=1.0)
    if log_target:
        y = np.asarray(np.log(y))
    kwargs = {"reduction": "batchmean", "log_target": log_target}
    assert_torch_parity(lambda a, b: F.kl_div(a, b, **kwargs),
                        lambda a, b: torch.nn.functional.kl_div(a, b, **kwargs), x, y)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy_with_logits_with_weights_on_an_empty_batch(reduction):
    x = random_array((0, 3), dtype=np.float32)
    y = random_array((0, 3), seed=2, dtype=np.float32, low=0.0, high=1.0)
    w = random_array((3,), seed=3, dtype=np.float32, low=0.5, high=2.0)
    pw = random_array((3,), seed=4, dtype=np.float32, low=0.5, high=2.0)
    kwargs = {"reduction": reduction}
    assert_torch_parity(
        lambda a, b, c, d: F.binary_cross_entropy_with_logits(a, b, c, pos_weight=d, **kwargs),
        lambda a, b, c, d: torch.nn.functional.binary_cross_entropy_with_logits(
            a, b, c, pos_weight=d, **kwargs),
        x, y, w, pw, requires_grad=[True, False, False, False])


OUT_OF_RANGE = [
    # (input shape, labels, ignore_index, the label named in the error)
    ((4, C), [0, 1, 2, 3], -100, 3),
    ((4, C), [0, 1, -1, 2], -100, -1),
    ((4, C), [0, 1, -100, 7], -100, 7),
    ((4, C), [0, -100, 1, 2], 1, -100),
    ((4, C), [0, 1, 2, -2], -1, -2),
    ((C,), 5, -100, 5),
    ((2, C, 2), [[0, 1], [2, 9]], -100, 9),
]


@pytest.mark.parametrize("op", ["cross_entropy", "nll_loss", "CrossEntropyLoss", "NLLLoss"])
@pytest.mark.parametrize("x_shape, labels, ignore_index, bad", OUT_OF_RANGE)
def test_out_of_range_labels_name_the_label_and_the_number_of_classes(op, x_shape, labels,
                                                                      ignore_index, bad):
    """An IndexError like PyTorch's, which is also a ValueError like minicnn's other
    argument errors, raised before the graph records anything."""
    x = mc.tensor(random_array(x_shape, dtype=np.float32), requires_grad=True)
    t = mc.tensor(np.array(labels, dtype=np.int64))
    name = {"CrossEntropyLoss": "cross_entropy", "NLLLoss": "nll_loss"}.get(op, op)
    message = rf"{name}: target contains class {bad} but input has {C} classes"
    for error in (IndexError, ValueError):
        with pytest.raises(error, match=message):
            call(op, "mc", ignore_index=ignore_index)(x, t, None)
    with pytest.raises(IndexError, match="out of bounds"):
        call(op, "torch", ignore_index=ignore_index)(
            torch.tensor(x.detach().numpy()), torch.tensor(t.numpy()), None)
    assert x.grad is None
