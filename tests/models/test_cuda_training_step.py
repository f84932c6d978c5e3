"""Training steps on "cuda" give the CPU's weights: LeNet-5 and ResNet-18 on CIFAR-shaped
input (32×32, 10 classes, as `minicnn train resnet18 --dataset cifar10` trains it), in
training mode (ResNet-18's BatchNorm normalises with batch statistics and updates its running
ones), two steps of SGD with momentum and weight decay on cross-entropy, so that the second
step uses the momentum buffer."""
import numpy as np
import pytest

import minicnn as mc
from minicnn import models, nn, optim

pytestmark = pytest.mark.gpu

STEPS = 2
# name: (constructor, input shape, dtype, rtol, and atol relative to each tensor's largest
# magnitude). The devices sum in other orders (the CPU's Winograd and Numba kernels against
# im2col and GEMM, per-block sums on the GPU), so results differ by a few roundings, which
# BatchNorm amplifies where it normalises few values: ResNet-18's last stage has 1×1 maps,
# so each channel normalises one value per image. At batch 4 the float64 weights of the two
# devices stay within 1e-11 after two steps, but float32 rounding grows to 1e-3 (between
# float32 and float64 on the CPU alike). ResNet-18 thus runs in float64 (its float32
# kernels are checked op by op in tests/functional/test_cuda_parity.py), LeNet-5, without
# BatchNorm, in float32.
MODELS = {
    "lenet5": (lambda: models.lenet5(), (2, 1, 32, 32), np.float32, 1e-5, 1e-5),
    "resnet18-cifar": (lambda: models.resnet18(num_classes=10), (4, 3, 32, 32), np.float64,
                       1e-9, 1e-9),
}


def train(model, batch, device):
    """The losses of STEPS training steps of `model` on `batch`, on `device`."""
    x, labels = (mc.tensor(a, device=device) for a in batch)
    model.train()
    optimizer = optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
    losses = []
    for _ in range(STEPS):
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(x), labels)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


@pytest.mark.parametrize("name", list(MODELS))
def test_training_steps_on_cuda_give_the_cpu_weights(name):
    make, input_shape, dtype, rtol, atol = MODELS[name]
    rng = np.random.default_rng(0)
    batch = (rng.standard_normal(input_shape).astype(dtype), rng.integers(0, 10, input_shape[0]))
    mc.manual_seed(0)
    cpu_model = make().to(dtype=dtype)
    cuda_model = make().to("cuda", dtype)
    cuda_model.load_state_dict(cpu_model.state_dict())

    cpu_losses = train(cpu_model, batch, "cpu")
    cuda_losses = train(cuda_model, batch, "cuda")

    np.testing.assert_allclose(cuda_losses, cpu_losses, rtol=rtol)
    expected = cpu_model.state_dict()
    for key, value in cuda_model.state_dict().items():
        assert value.device == "cuda", key
        want = expected[key].numpy()
        np.testing.assert_allclose(value.cpu().numpy(), want, rtol=rtol,
                                   atol=atol * max(1, np.abs(want).max(initial=0)),
                                   err_msg=key)
