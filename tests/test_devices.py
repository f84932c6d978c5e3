"""Tensors on several devices: an op that mixes devices fails before any work, naming both
devices as PyTorch does; ops and backward on a tensor on cuda:1 run there whatever device is
current; device data stays on its device."""
import numpy as np
import pytest

import minicnn as mc
import minicnn.nn.functional as F

pytestmark = pytest.mark.gpu

MIXED = r"Expected all tensors to be on the same device, but found at least two devices, "


def needs_two_gpus():
    if mc.cuda.device_count() < 2:
        pytest.skip("needs two GPUs")


def mixed(first, second):
    """pytest.raises for an op that mixed `first` and `second` (devices, in that order)."""
    return pytest.raises(RuntimeError, match=MIXED + f"{first} and {second}!")


def randn(*shape, device="cpu", requires_grad=False, seed=0):
    data = np.random.default_rng(seed).standard_normal(shape)
    return mc.tensor(data, dtype=mc.float32, device=device, requires_grad=requires_grad)


def normal(*shape):
    return np.random.default_rng(len(shape)).standard_normal(shape).astype(np.float32)


def positive(*shape):
    return np.abs(normal(*shape)) + 0.5


LABELS = np.array([0, 2])
# Each op takes `t(role, array)`, the array as a tensor on devices[role]: role 0 for the
# input, role 1 for the argument that may sit on another device.
TWO_TENSOR_OPS = {
    "add": lambda t: t(0, normal(2, 3)) + t(1, normal(2, 3)),
    "sub-broadcast": lambda t: t(0, normal(2, 3)) - t(1, normal(3)),
    "mul": lambda t: mc.mul(t(0, normal(2, 3)), t(1, normal(2, 3))),
    "div": lambda t: t(0, normal(2, 3)) / t(1, positive(2, 3)),
    "pow": lambda t: t(0, positive(2, 3)) ** t(1, normal(2, 3)),
    "maximum": lambda t: mc.maximum(t(0, normal(2, 3)), t(1, normal(2, 3))),
    "eq": lambda t: t(0, normal(2, 3)) == t(1, normal(2, 3)),
    "matmul": lambda t: t(0, normal(2, 3)) @ t(1, normal(3, 4)),
    "linear": lambda t: F.linear(t(0, normal(2, 3)), t(1, normal(4, 3))),
    "linear-bias": lambda t: F.linear(t(0, normal(2, 3)), t(0, normal(4, 3)), t(1, normal(4))),
    "conv2d-weight": lambda t: F.conv2d(t(0, normal(1, 2, 5, 5)), t(1, normal(3, 2, 3, 3))),
    "conv2d-bias": lambda t: F.conv2d(t(0, normal(1, 2, 5, 5)), t(0, normal(3, 2, 3, 3)),
                                      t(1, normal(3))),
    "conv2d-depthwise": lambda t: F.conv2d(t(0, normal(1, 2, 5, 5)), t(1, normal(2, 1, 3, 3)),
                                           groups=2),
    "conv_transpose2d": lambda t: F.conv_transpose2d(t(0, normal(1, 2, 4, 4)),
                                                     t(1, normal(2, 3, 3, 3))),
    "batch_norm-weight": lambda t: F.batch_norm(t(0, normal(2, 3, 4)), None, None,
                                                t(1, positive(3)), None, training=True),
    "batch_norm-running-mean": lambda t: F.batch_norm(t(0, normal(2, 3, 4)), t(1, normal(3)),
                                                      t(0, positive(3)), training=True),
    "layer_norm": lambda t: F.layer_norm(t(0, normal(2, 3)), (3,), t(1, positive(3))),
    "cat": lambda t: mc.cat([t(0, normal(2, 3)), t(1, normal(1, 3))]),
    "stack": lambda t: mc.stack([t(0, normal(2, 3)), t(1, normal(2, 3))], dim=1),
    "where-branches": lambda t: mc.where(t(0, normal(2, 3) > 0), t(0, normal(2, 3)),
                                         t(1, normal(2, 3))),
    "where-condition": lambda t: mc.where(t(1, normal(2, 3) > 0), t(0, normal(2, 3)), 0.0),
    "mse_loss": lambda t: F.mse_loss(t(0, normal(2, 3)), t(1, normal(2, 3))),
    "l1_loss": lambda t: F.l1_loss(t(0, normal(2, 3)), t(1, normal(2, 3))),
    "kl_div": lambda t: F.kl_div(t(0, normal(2, 3)), t(1, positive(2, 3))),
    "bce_with_logits": lambda t: F.binary_cross_entropy_with_logits(t(0, normal(2, 3)),
                                                                    t(1, positive(2, 3) / 3)),
    "bce_with_logits-pos_weight": lambda t: F.binary_cross_entropy_with_logits(
        t(0, normal(2, 3)), t(0, positive(2, 3) / 3), pos_weight=t(1, positive(3))),
    "bce_with_logits-weight": lambda t: F.binary_cross_entropy_with_logits(
        t(0, normal(2, 3)), t(0, positive(2, 3) / 3), weight=t(1, positive(3))),
    "cross_entropy-target": lambda t: F.cross_entropy(t(0, normal(2, 3)), t(1, LABELS)),
    "cross_entropy-probabilities": lambda t: F.cross_entropy(t(0, normal(2, 3)),
                                                             t(1, positive(2, 3) / 6)),
    "cross_entropy-weight": lambda t: F.cross_entropy(t(0, normal(2, 3)), t(0, LABELS),
                                                      t(1, positive(3))),
    "nll_loss-target": lambda t: F.nll_loss(t(0, normal(2, 3)), t(1, LABELS)),
    "index_select": lambda t: F.index_select(t(0, normal(4, 3)), 0, t(1, LABELS)),
    "embedding": lambda t: F.embedding(t(0, LABELS), t(1, normal(4, 3))),
}


def on(devices):
    """t(role, array): `array` as a tensor on devices[role]."""
    return lambda role, array: mc.tensor(array, device=devices[role])


@pytest.mark.parametrize("op", list(TWO_TENSOR_OPS), ids=list(TWO_TENSOR_OPS))
@pytest.mark.parametrize("devices", [("cuda:0", "cpu"), ("cpu", "cuda:0"),
                                     ("cuda:0", "cuda:1"), ("cuda:1", "cuda:0")],
                         ids=lambda d: "-".join(d))
def test_mixing_devices_names_both(op, devices):
    if "cuda:1" in devices:
        needs_two_gpus()
    with mixed(*devices):
        TWO_TENSOR_OPS[op](on(devices))


def test_mixing_devices_error_is_also_a_value_error():
    """minicnn's bad-argument errors are ValueErrors; PyTorch's for devices a RuntimeError."""
    with pytest.raises(ValueError, match=MIXED):
        randn(2, device="cuda") + randn(2)


def test_mixing_devices_error_names_the_op_and_shapes():
    with pytest.raises(RuntimeError, match=r"^matmul: .* \(shapes \(2, 3\) and \(3, 4\)\)"):
        randn(2, 3, device="cuda") @ randn(3, 4)


def test_cuda_tensor_takes_a_cpu_index_as_pytorch_does():
    x = randn(4, 3, device="cuda")
    index = mc.tensor([3, 0, 3])
    mask = mc.tensor([True, False, True, False])
    np.testing.assert_array_equal(x[index].cpu().numpy(), x.cpu().numpy()[[3, 0, 3]])
    np.testing.assert_array_equal(x[mask].cpu().numpy(), x.cpu().numpy()[[0, 2]])


def test_cpu_tensor_refuses_a_cuda_index():
    with mixed("cpu", "cuda:0"):
        randn(4, 3)[mc.tensor([0, 1], device="cuda")]


def test_cuda_tensor_refuses_an_index_on_another_gpu():
    needs_two_gpus()
    with mixed("cuda:0", "cuda:1"):
        randn(4, 3, device="cuda:0")[mc.tensor([0, 1], device="cuda:1")]


# ---------------------------------------------------------------- autograd


@pytest.mark.parametrize("devices", [("cuda:0", "cpu"), ("cpu", "cuda:0"), ("cuda:0", "cuda:1")],
                         ids=lambda d: "-".join(d))
def test_backward_gradient_on_another_device(devices):
    if "cuda:1" in devices:
        needs_two_gpus()
    y = randn(2, 3, device=devices[0], requires_grad=True) * 2
    with mixed(*devices):
        y.backward(gradient=mc.ones(2, 3, device=devices[1]))


def test_backward_gradient_as_a_cupy_array_stays_on_the_device():
    cupy = pytest.importorskip("cupy")
    x = randn(2, 3, device="cuda", requires_grad=True)
    (x * 2).backward(gradient=cupy.ones((2, 3), dtype=cupy.float32))
    assert x.grad.is_cuda
    np.testing.assert_array_equal(x.grad.cpu().numpy(), np.full((2, 3), 2, np.float32))


def test_hook_returning_a_gradient_on_another_device():
    x = randn(2, 3, device="cuda", requires_grad=True)
    x.register_hook(lambda g: g.cpu())
    with mixed("cuda:0", "cpu"):
        (x * 2).sum().backward()


def test_hook_of_a_non_leaf_returning_a_gradient_on_another_device():
    x = randn(2, 3, device="cuda", requires_grad=True)
    y = x * 2
    y.register_hook(lambda g: g.cpu())
    with mixed("cuda:0", "cpu"):
        y.sum().backward()


def test_gradients_cross_devices_through_to():
    x = randn(2, 3, requires_grad=True)
    w = randn(2, 3, device="cuda", requires_grad=True, seed=1)
    (x.cuda() * w).sum().backward()
    assert not x.grad.is_cuda and w.grad.is_cuda
    np.testing.assert_array_equal(x.grad.numpy(), w.detach().cpu().numpy())
    np.testing.assert_array_equal(w.grad.cpu().numpy(), x.detach().numpy())


# ---------------------------------------------------------------- cuda:1


def test_ops_and_backward_on_cuda1_with_device0_current():
    """Forward, backward and an optimizer step on cuda:1 while cuda:0 is current: minicnn
    makes the tensors' device current itself."""
    needs_two_gpus()
    cupy = pytest.importorskip("cupy")
    x = randn(2, 3, 6, 6, device="cuda:1", requires_grad=True)
    conv = mc.nn.Conv2d(3, 4, 3, padding=1).to("cuda:1")
    bn = mc.nn.BatchNorm2d(4).to("cuda:1")
    optimizer = mc.optim.SGD(list(conv.parameters()) + list(bn.parameters()), lr=0.1,
                             momentum=0.9)
    with cupy.cuda.Device(0):
        for _ in range(2):
            out = F.relu(bn(conv(x))).mean((2, 3))
            loss = F.cross_entropy(out * 2 + 1, mc.tensor([1, 3], device="cuda:1"))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    for t in [out, loss, x.grad, conv.weight, conv.weight.grad, bn.running_mean]:
        assert t.device == "cuda:1", t.device


def test_tensor_on_cuda1_from_python_data_and_back():
    needs_two_gpus()
    x = mc.tensor([[1.0, 2.0]], device="cuda:1")
    assert x.device == "cuda:1"
    assert (x + 1).device == "cuda:1"
    assert x.to("cuda:0").device == "cuda:0"
    assert x.tolist() == [[1.0, 2.0]]


# ---------------------------------------------------------------- device data stays there


def test_tensor_from_a_cuda_tensor_keeps_it_on_the_device():
    x = randn(2, 3, device="cuda")
    assert mc.tensor(x).is_cuda
    assert mc.tensor(x, dtype=mc.float64).is_cuda


def test_tensor_from_a_cupy_array_stays_on_its_device():
    cupy = pytest.importorskip("cupy")
    a = cupy.arange(6, dtype=cupy.float32).reshape(2, 3)
    x = mc.tensor(a)
    assert x.is_cuda and x.dtype == np.float32
    np.testing.assert_array_equal(x.cpu().numpy(), np.arange(6, dtype=np.float32).reshape(2, 3))


def test_tensor_from_a_list_of_cuda_tensors():
    parts = [randn(3, device="cuda", seed=i) for i in range(2)]
    x = mc.tensor(parts, device="cuda")
    np.testing.assert_array_equal(x.cpu().numpy(), np.stack([p.cpu().numpy() for p in parts]))


def test_in_place_update_from_another_device():
    x = randn(2, 3, device="cuda")
    with mixed("cuda:0", "cpu"):
        x.add_(randn(2, 3))
    with mixed("cuda:0", "cpu"):
        x[0] = randn(3)


def test_copy_crosses_devices_as_in_pytorch():
    x = randn(2, 3, device="cuda")
    x.copy_(randn(3, seed=4))
    assert x.is_cuda
    np.testing.assert_array_equal(x.cpu().numpy(), np.broadcast_to(randn(3, seed=4).numpy(),
                                                                  (2, 3)))


def test_module_on_cuda1_casts_loads_and_zeroes_with_device0_current():
    needs_two_gpus()
    cupy = pytest.importorskip("cupy")
    source = mc.nn.Linear(3, 2)
    model = mc.nn.Linear(3, 2).to("cuda:1")
    with cupy.cuda.Device(0):
        model.load_state_dict(source.state_dict())
        model.double()
        model(mc.ones(1, 3, dtype=mc.float64, device="cuda:1")).sum().backward()
        model.zero_grad(set_to_none=False)
    assert model.weight.device == "cuda:1" and model.weight.dtype == np.float64
    np.testing.assert_array_equal(model.weight.detach().cpu().numpy(),
                                  source.weight.detach().numpy().astype(np.float64))
    assert not model.weight.grad.cpu().numpy().any()


def test_clipping_and_init_on_cuda1_with_device0_current():
    needs_two_gpus()
    cupy = pytest.importorskip("cupy")
    layer = mc.nn.Linear(3, 2).to("cuda:1")
    with cupy.cuda.Device(0):
        layer(mc.ones(1, 3, device="cuda:1")).sum().backward()
        total = mc.nn.utils.clip_grad_norm_(layer.parameters(), 0.1)
        mc.nn.utils.clip_grad_value_(layer.parameters(), 0.01)
        mc.nn.init.constant_(layer.bias, 0.5)
        mc.nn.init.eye_(layer.weight)
        mc.nn.init.normal_(layer.weight)
    assert total.device == "cuda:1"
    assert np.abs(layer.bias.grad.cpu().numpy()).max() <= 0.01
    np.testing.assert_array_equal(layer.bias.detach().cpu().numpy(), [0.5, 0.5])


def test_embedding_padding_row_made_on_cuda1_with_device0_current():
    needs_two_gpus()
    cupy = pytest.importorskip("cupy")
    with cupy.cuda.Device(0):
        table = mc.nn.Embedding(5, 3, padding_idx=-1, device="cuda:1")
    assert table.weight.device == "cuda:1" and table.weight.is_leaf
    weights = table.weight.detach().cpu().numpy()
    assert not weights[-1].any() and weights[:-1].any()


def test_numpy_refuses_to_copy_cuda_data_implicitly():
    """As PyTorch: np.asarray(cuda tensor) fails, .cpu() copies to the host explicitly."""
    x = randn(2, 3, device="cuda")
    with pytest.raises(TypeError, match=r"can't convert cuda:0 device type tensor to numpy"):
        np.asarray(x)
    np.testing.assert_array_equal(np.asarray(x.cpu()), x.cpu().numpy())


# ops outside the op table (random, index-valued, bool-valued) on cuda:1
CUDA1_OPS = {
    "dropout": lambda x: F.dropout(x, 0.5),
    "dropout2d": lambda x: F.dropout2d(x, 0.5),
    "sdpa-dropout": lambda x: F.scaled_dot_product_attention(x, x, x, dropout_p=0.3),
    "nn.Dropout": lambda x: mc.nn.Dropout(0.2)(x),
    "argmax": lambda x: x.argmax(1),
    "argmin": lambda x: mc.argmin(x),
    "one_hot": lambda x: F.one_hot(x.argmax(-1), 5),
    "embedding-max_norm": lambda x: F.embedding(x.argmax(-1).clamp(max=3),
                                                randn(4, 5, device=x.device), max_norm=0.5),
    "isfinite": lambda x: mc.isfinite(x),
    "allclose": lambda x: mc.tensor(mc.allclose(x, x)),
    "equal": lambda x: mc.tensor(mc.equal(x, x)),
}


@pytest.mark.parametrize("op", list(CUDA1_OPS), ids=list(CUDA1_OPS))
def test_op_on_cuda1_with_device0_current(op):
    needs_two_gpus()
    cupy = pytest.importorskip("cupy")
    x = randn(2, 3, 4, 5, device="cuda:1", requires_grad=True)
    with cupy.cuda.Device(0):
        out = CUDA1_OPS[op](x)
        if out.requires_grad:
            out.sum().backward()
    assert out.device == "cuda:1" or not out.is_cuda


class _GradientToHost(mc.autograd.Function):
    """A faulty op: its backward returns its input's gradient on the host."""

    @staticmethod
    def forward(ctx, a):
        return a * 2

    @staticmethod
    def backward(ctx, g):
        return (g * 2).get()


def test_backward_returning_a_gradient_on_another_device_is_named():
    x = randn(2, 3, device="cuda", requires_grad=True)
    y = _GradientToHost.apply(x * 1)
    with pytest.raises(RuntimeError, match=r"_GradientToHost.backward: " + MIXED
                       + r"cuda:0 and cpu!"):
        y.sum().backward()
