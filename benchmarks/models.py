"""Whole-network timings, minicnn against PyTorch: inference and a training step.

Each network is built by both libraries from the same code (model_defs), torch's initial
weights are copied into the minicnn copy, both get the same batch, and then:
  inference   model.eval(); forward under no_grad
  inference, Conv+BN fused
              (rows with `fuse`) the same, on copies of the eval-mode networks with every
              BatchNorm folded into the conv before it: minicnn's mc.nn.utils.fuse_conv_bn,
              PyTorch's torch.fx.experimental.optimization.fuse
  train step  model.train(); zero_grad, forward, cross-entropy, backward, SGD(momentum 0.9) step
timed interleaved after warm-up (python -m benchmarks --suite models).
"""
import gc
from dataclasses import dataclass
from typing import Callable

from . import model_defs
from .harness import compare, guarded, selected, torch_device

LEARNING_RATE = 0.01
MOMENTUM = 0.9
WARMUP = 1


@dataclass(frozen=True)
class ModelRow:
    key: str                 # the name `python -m benchmarks.memory` takes
    name: str
    build: Callable          # build(lib) → the network, lib being torch or minicnn
    input_shape: tuple       # (C, H, W)
    batch: int
    num_classes: int
    train: bool              # also time (and measure the memory of) a training step
    repeats: int             # this row's repeats unless --repeats says otherwise
    fuse: bool = False       # also time inference with Conv+BN folded, in both libraries
    sized: bool = False      # build takes image_size (a ViT's learnt positions depend on it)

    def network(self, lib):
        """The network in `lib`, built for this row's input size where the builder takes it
        (so that a copy of the row with a smaller input_shape builds a smaller network)."""
        if self.sized:
            return self.build(lib, image_size=self.input_shape[-1])
        return self.build(lib)


def _mobilenet_v1_w05_cifar(lib):
    return model_defs.mobilenet_v1(lib, width=0.5, num_classes=10, cifar_stem=True)


MODEL_ROWS = (
    ModelRow("lenet5", "LeNet-5 N64", model_defs.lenet5, (1, 32, 32), 64, 10, True, 20),
    ModelRow("resnet18_cifar", "ResNet-18 CIFAR N32", model_defs.resnet18_cifar,
             (3, 32, 32), 32, 10, True, 5, fuse=True),
    ModelRow("vgg11_bn_cifar", "VGG-11-BN CIFAR N32", model_defs.vgg11_bn_cifar,
             (3, 32, 32), 32, 10, True, 5, fuse=True),
    ModelRow("mobilenet_v1_w05_cifar", "MobileNet-v1 w0.5 CIFAR N32",
             _mobilenet_v1_w05_cifar, (3, 32, 32), 32, 10, True, 5),
    ModelRow("vit_tiny_cifar", "ViT p4 d192 depth 6 CIFAR N32", model_defs.vit_tiny_cifar,
             (3, 32, 32), 32, 10, True, 5),
    ModelRow("resnet50", "ResNet-50 224² N8", model_defs.resnet50, (3, 224, 224), 8, 1000,
             False, 3),
    ModelRow("mobilenet_v1", "MobileNet-v1 224² N8", model_defs.mobilenet_v1, (3, 224, 224), 8,
             1000, False, 3),
    ModelRow("alexnet", "AlexNet 224² N8", model_defs.alexnet, (3, 224, 224), 8, 1000, False,
             3),
    ModelRow("vgg16", "VGG-16 224² N8", model_defs.vgg16, (3, 224, 224), 8, 1000, False, 3),
    ModelRow("densenet121", "DenseNet-121 224² N8", model_defs.densenet121, (3, 224, 224), 8,
             1000, False, 5),
    ModelRow("vit_b16", "ViT-B/16 224² N8", model_defs.vit_b16, (3, 224, 224), 8, 1000, False,
             2, sized=True),
)
ROWS_BY_KEY = {row.key: row for row in MODEL_ROWS}


def copy_weights(theirs, ours):
    """torch model → minicnn model, through the state_dict (parameters and buffers)."""
    import minicnn as mc

    ours.load_state_dict(mc.io.from_torch(theirs.state_dict()))


def build_pair(row, device="cpu"):
    """(minicnn model, torch model): one architecture, torch's initial weights in both."""
    import torch

    import minicnn as mc

    torch.manual_seed(0)
    theirs = row.network(torch)
    ours = row.network(mc)
    copy_weights(theirs, ours)
    return ours.to(device), theirs.to(torch_device(device))


def fuse_pair(ours, theirs, mc_x):
    """(minicnn copy, torch copy) of the eval-mode pair with every Conv2d → BatchNorm2d folded
    into one conv: mc.nn.utils.fuse_conv_bn (which runs the copy once on `mc_x` to find the
    pairs) and torch.fx.experimental.optimization.fuse. The originals do not change."""
    from torch.fx.experimental.optimization import fuse

    import minicnn as mc

    return mc.nn.utils.fuse_conv_bn(ours, mc_x), fuse(theirs)


def make_batch(row, batch=None, seed=0):
    """Arrays (x, labels): (N, C, H, W) float32 standard-normal, (N,) int64 classes."""
    import numpy as np

    rng = np.random.default_rng(seed)
    n = batch or row.batch
    x = rng.standard_normal((n, *row.input_shape)).astype(np.float32)
    return x, rng.integers(0, row.num_classes, n)


def sgd(lib, model):
    return lib.optim.SGD(model.parameters(), lr=LEARNING_RATE, momentum=MOMENTUM)


def training_step(lib, model, optimizer, x, labels):
    optimizer.zero_grad()
    loss = lib.nn.functional.cross_entropy(model(x), labels)
    loss.backward()
    optimizer.step()
    return loss


def run_row(row, repeats, warmup, device="cpu", sync=None, settle=0.0):
    """Rows "<name> inference", for rows with `fuse` "<name> inference, Conv+BN fused", and
    for training rows "<name> train step"."""
    import torch

    import minicnn as mc

    ours, theirs = build_pair(row, device)
    x, labels = make_batch(row)
    mc_x, mc_labels = mc.tensor(x, device=device), mc.tensor(labels, device=device)
    their_device = torch_device(device)
    torch_x = torch.tensor(x, device=their_device)
    torch_labels = torch.tensor(labels, device=their_device)

    def mc_inference():
        with mc.no_grad():
            ours(mc_x)

    def torch_inference():
        with torch.no_grad():
            theirs(torch_x)

    ours.eval()
    theirs.eval()
    rows = [compare("models", f"{row.name} inference", mc_inference, torch_inference, repeats,
                    warmup, sync, settle)]
    if row.fuse:
        fused_ours, fused_theirs = fuse_pair(ours, theirs, mc_x)

        def mc_fused():
            with mc.no_grad():
                fused_ours(mc_x)

        def torch_fused():
            with torch.no_grad():
                fused_theirs(torch_x)

        rows.append(compare("models", f"{row.name} inference, Conv+BN fused", mc_fused,
                            torch_fused, repeats, warmup, sync, settle))
    if row.train:
        ours.train()
        theirs.train()
        mc_opt, torch_opt = sgd(mc, ours), sgd(torch, theirs)
        rows.append(compare(
            "models", f"{row.name} train step",
            lambda: training_step(mc, ours, mc_opt, mc_x, mc_labels),
            lambda: training_step(torch, theirs, torch_opt, torch_x, torch_labels),
            repeats, warmup, sync, settle))
    return rows


def run(only, repeats, warmup, device, sync, progress=print, settle=0.0, failures=None):
    """The model rows whose name contains one of `only` (all when empty); `settle` seconds
    of rest before each timed call; with `failures` a list, a row that raises is recorded
    there and the run goes on (harness.guarded)."""
    rows = []
    by_name = {row.name: row for row in MODEL_ROWS}
    for name in selected(by_name, only):
        row = by_name[name]
        results = guarded(name, lambda: run_row(
            row, repeats or row.repeats, WARMUP if warmup is None else warmup, device, sync,
            settle), failures, progress)
        for result in results:
            progress(f"  {result['name']}: {result['ratio']:.2f}×")
        rows += results
        gc.collect()
    return rows
