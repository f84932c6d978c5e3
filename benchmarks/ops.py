"""Op-by-op timings, minicnn against PyTorch: forward and forward+backward.

    python -m benchmarks --suite ops [--threads N] [--repeats R] [--only NAME ...]

Both libraries run in this process on the same inputs, with the same thread count, after
warm-up; repeats alternate between them and each row gives medians and the ratio
minicnn / PyTorch (below 1: minicnn is faster).

The convolution rows also give each library's GFLOP/s: the forward computes
2·N·OC·oh·ow·(C/groups)·kh·kw flops; forward+backward, where the input and the weight both
require gradients, adds dX and dW, each as many flops as the forward: three times that.
"""
from typing import Callable, NamedTuple, Optional

from .harness import LIBRARIES, compare, guarded, selected, torch_device

REPEATS = 10
WARMUP = 2
FORWARD_BACKWARD_FLOPS = 3   # forward, dX and dW: each 2·N·OC·oh·ow·(C/groups)·kh·kw flops


class Case(NamedTuple):
    shapes: list             # the inputs' shapes, in the ops' argument order
    ours: Callable           # the minicnn op, taking one tensor per shape
    theirs: Callable         # the torch op, likewise
    flops: Optional[int] = None   # a convolution's forward flops; None for the other ops


def conv_flops(x_shape, weight_shape, stride=1, padding=0):
    """Flops of a convolution's forward, two per multiply-add: 2·N·OC·oh·ow·(C/groups)·kh·kw,
    where the weight is (OC, C/groups, kh, kw)."""
    n, _, height, width = x_shape
    out_channels, group_channels, kh, kw = weight_shape
    oh = (height + 2 * padding - kh) // stride + 1
    ow = (width + 2 * padding - kw) // stride + 1
    return 2 * n * out_channels * oh * ow * group_channels * kh * kw


def with_gflops(row, flops):
    """`row` with its flops and each library's GFLOP/s at its median time."""
    row["flops"] = flops
    row["gflops"] = {lib: flops / (row[lib]["median_ms"] * 1e6) for lib in LIBRARIES}
    return row


def cases():
    """name → Case; each op takes (x, *params)."""
    import torch.nn.functional as TF

    import minicnn.functional as F

    def conv(x_shape, weight_shape, stride=1, padding=0, groups=1):
        kw = {"stride": stride, "padding": padding, "groups": groups}
        return Case([x_shape, weight_shape], lambda x, w: F.conv2d(x, w, **kw),
                    lambda x, w: TF.conv2d(x, w, **kw),
                    conv_flops(x_shape, weight_shape, stride, padding))

    return {
        "conv3x3 N32 64→64 32²": conv((32, 64, 32, 32), (64, 64, 3, 3), padding=1),
        "alexnet conv1 11×11/4 N8 224²": conv((8, 3, 224, 224), (96, 3, 11, 11), stride=4,
                                              padding=2),
        "depthwise 3×3 N32 C128 32²": conv((32, 128, 32, 32), (128, 1, 3, 3), padding=1,
                                           groups=128),
        "pointwise 1×1 N32 128→256 32²": conv((32, 128, 32, 32), (256, 128, 1, 1)),
        "grouped 3×3 g2 N32 64→64 32²": conv((32, 64, 32, 32), (64, 32, 3, 3), padding=1,
                                             groups=2),
        "grouped 3×3 g32 ResNeXt N32 128→128 28²": conv((32, 128, 28, 28), (128, 4, 3, 3),
                                                       padding=1, groups=32),
        "maxpool 3×3/2 N32 C64 32²": Case([(32, 64, 32, 32)],
                                          lambda x: F.max_pool2d(x, 3, 2),
                                          lambda x: TF.max_pool2d(x, 3, 2)),
        "LRN(5) N8 C96 55²": Case([(8, 96, 55, 55)],
                                  lambda x: F.local_response_norm(x, 5, 1e-4, 0.75, 2.0),
                                  lambda x: TF.local_response_norm(x, 5, 1e-4, 0.75, 2.0)),
        "BatchNorm2d train N32 C64 32²": Case([(32, 64, 32, 32), (64,), (64,)],
                                              lambda x, w, b: F.batch_norm(x, None, None, w, b,
                                                                           training=True),
                                              lambda x, w, b: TF.batch_norm(x, None, None, w,
                                                                            b, training=True)),
        "SDPA B32 h4 L65 d32": Case([(32, 4, 65, 32)] * 3,
                                    lambda q, k, v: F.scaled_dot_product_attention(q, k, v),
                                    lambda q, k, v: TF.scaled_dot_product_attention(q, k, v)),
    }


def run_case(name, shapes, ours, theirs, repeats, warmup, device="cpu", sync=None,
             settle=0.0, backward=True, flops=None):
    """Two rows: `name` forward (under no_grad) and `name` forward+backward (only the first
    when `backward` is False), every input requiring gradients; with `flops`, the forward's
    flop count, each row also gets its GFLOP/s (`with_gflops`)."""
    import numpy as np
    import torch

    import minicnn as mc

    their_device = torch_device(device)
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    mc_in = [mc.tensor(a, device=device, requires_grad=True) for a in arrays]
    torch_in = [torch.tensor(a, device=their_device, requires_grad=True) for a in arrays]
    with mc.no_grad():
        out_shape = ours(*mc_in).shape
    grad = rng.standard_normal(out_shape).astype(np.float32)
    mc_grad = mc.tensor(grad, device=device)
    torch_grad = torch.tensor(grad, device=their_device)

    def mc_forward():
        with mc.no_grad():
            ours(*mc_in)

    def torch_forward():
        with torch.no_grad():
            theirs(*torch_in)

    def mc_both():
        for t in mc_in:
            t.grad = None
        ours(*mc_in).backward(mc_grad)

    def torch_both():
        for t in torch_in:
            t.grad = None
        theirs(*torch_in).backward(torch_grad)

    rows = [compare("ops", f"{name} forward", mc_forward, torch_forward, repeats, warmup, sync,
                    settle)]
    if backward:
        rows.append(compare("ops", f"{name} forward+backward", mc_both, torch_both, repeats,
                            warmup, sync, settle))
    if flops:
        for row, count in zip(rows, (flops, FORWARD_BACKWARD_FLOPS * flops)):
            with_gflops(row, count)
    return rows


def run(only, repeats, warmup, device, sync, progress=print, settle=0.0, failures=None):
    """The ops rows whose name contains one of `only` (all when empty); `repeats` and
    `warmup` default to this suite's own when None; `settle` seconds of rest before each
    timed call; with `failures` a list, a row that raises is recorded there and the run
    goes on (harness.guarded)."""
    rows = []
    all_cases = cases()
    for name in selected(all_cases, only):
        case = all_cases[name]
        pair = guarded(name, lambda: run_case(
            name, case.shapes, case.ours, case.theirs, repeats or REPEATS,
            WARMUP if warmup is None else warmup, device, sync, settle, flops=case.flops),
            failures, progress)
        for row in pair:
            progress(f"  {row['name']}: {row['ratio']:.2f}×")
        rows += pair
    return rows
