"""The GPU suite (`python -m benchmarks --device cuda --suite gpu`): a CIFAR ResNet-18
training step, a large 3×3 convolution and the memory-bound kernels, minicnn against
PyTorch + cuDNN on the same card, each row read against a ceiling of the card.

Every row is a timing row as in the other suites (medians, minimums, the ratio
minicnn / PyTorch of the medians) with two more keys: `card`, the GPU's name, and
`throughput`, what each library achieved in the row's unit beside its ceiling:

- ResNet-18 CIFAR (inference and training step): images/s, no ceiling;
- the 3×3 convolution's forward: GFLOP/s (2·N·OC·oh·ow·C·9 flops), against cuBLAS's
  float32 GEMM (CuPy matmul) on the convolution's own GEMM shape, OC×C·9 · C·9×N·oh·ow,
  which minicnn's im2col path runs after building the columns;
- relu, BatchNorm (training forward), max-pooling (with its indices) and softmax: GB/s,
  the least traffic each op needs (every input read once, every output written once)
  over the time, against the card's peak bandwidth (gpu_card.py).

The memory-bound rows call minicnn's CUDA kernels directly (kernels/cuda, through the
kernel registry) and PyTorch's functional ops under no_grad; each timed run makes
`calls` back-to-back calls between two synchronisations and the row reports the time per
call, so that launch costs overlap the GPU's work as they do inside a network.

`--tiny` runs every row at a tiny size: a dry run that checks the rows run (under
minicnn's emulated GPU, MINICNN_CUDA_EMULATE=1), whose figures mean nothing.
"""
import dataclasses

from . import models, ops
from .gpu_card import GEMM_SIZE, gemm_gflops
from .harness import guarded, selected, summarize, time_interleaved, torch_device

REPEATS = 10
WARMUP = 2
EPS = 1e-5


@dataclasses.dataclass(frozen=True)
class Sizes:
    resnet: tuple            # (batch, side) of the CIFAR ResNet-18's images
    conv: tuple              # (N, C, OC, H) of the 3×3 convolution, padding 1, H×H maps
    image: tuple             # (N, C, H, W) of relu and BatchNorm
    pool: tuple              # (N, C, H, W) of the 3×3/2 max-pooling
    softmax: tuple           # (R, K) of each softmax row: short and long rows
    gemm: int                # side of the card's square sgemm (machine header)
    calls: int               # back-to-back calls per timed run of a memory-bound row


FULL = Sizes(resnet=(128, 32), conv=(64, 128, 128, 56), image=(64, 128, 56, 56),
             pool=(64, 64, 112, 112), softmax=((1 << 22, 10), (1 << 15, 1000)), gemm=GEMM_SIZE,
             calls=10)
# the tiny convolution keeps 16 input channels, so that conv2d picks the path it picks for
# the full one (below conv_winograd.MIN_CHANNELS it would take another)
TINY = Sizes(resnet=(2, 8), conv=(2, 16, 16, 8), image=(2, 4, 8, 8), pool=(2, 4, 16, 16),
             softmax=((64, 10), (8, 100)), gemm=64, calls=1)


def sizes(tiny):
    return TINY if tiny else FULL


def _image(shape):
    n, c, h, w = shape
    return f"N{n} C{c} {h}²" if h == w else f"N{n} C{c} {h}×{w}"


def _with_throughput(row, card, unit, amount, scale, ceiling=None, ceiling_name=None):
    """`row` (a timing row) with its card and its throughput: `amount` (flops, bytes or
    images) per median call of each library, divided by `scale`, beside the ceiling."""
    rates = {lib: amount / (row[lib]["median_ms"] / 1e3) / scale
             for lib in ("minicnn", "torch")}
    row.update(suite="gpu", card=card["name"], throughput={
        "unit": unit, **rates, "ceiling": ceiling, "ceiling_name": ceiling_name})
    return row


def _resnet_name(size):
    batch, side = size.resnet
    return f"ResNet-18 CIFAR N{batch}" + ("" if side == 32 else f" {side}²")


def resnet_rows(card, size, repeats, warmup, device, sync):
    """ResNet-18 CIFAR inference and training step at size.resnet, in images/s."""
    batch, side = size.resnet
    row = dataclasses.replace(models.ROWS_BY_KEY["resnet18_cifar"], name=_resnet_name(size),
                              batch=batch, input_shape=(3, side, side), fuse=False)
    return [_with_throughput(r, card, "images/s", row.batch, 1)
            for r in models.run_row(row, repeats or row.repeats, warmup, device, sync)]


def _conv_name(size):
    N, C, OC, H = size.conv
    return f"conv3x3 N{N} {C}→{OC} {H}²"


def conv_rows(card, size, repeats, warmup, device, sync):
    """The 3×3 convolution's forward in GFLOP/s, against cuBLAS on its GEMM shape."""
    import torch.nn.functional as TF

    import minicnn.functional as F

    N, C, OC, H = size.conv
    [row] = ops.run_case(_conv_name(size), [(N, C, H, H), (OC, C, 3, 3)],
                         lambda x, w: F.conv2d(x, w, padding=1),
                         lambda x, w: TF.conv2d(x, w, padding=1),
                         repeats or REPEATS, warmup, device, sync, backward=False)
    gemm = (OC, C * 9, N * H * H)
    cublas = gemm_gflops(*gemm, sync)
    flops = ops.conv_flops((N, C, H, H), (OC, C, 3, 3), padding=1)
    return [_with_throughput(row, card, "GFLOP/s", flops, 1e9, cublas,
                             f"cuBLAS sgemm {gemm[0]}×{gemm[1]} · {gemm[1]}×{gemm[2]}")]


def _bandwidth_cases(size):
    """name → (input shapes, minicnn kernel on CuPy arrays, torch op, bytes moved)."""
    import torch
    import torch.nn.functional as TF

    from minicnn.kernels import registry

    kernel = {name: registry.load(name, "cuda")
              for name in ("relu", "batch_norm_forward", "max_pool2d", "softmax_rows")}
    image, pool = size.image, size.pool
    N, C, H, W = image
    elements = N * C * H * W
    n, c, h, w = pool
    pooled = n * c * ((h - 3) // 2 + 1) * ((w - 3) // 2 + 1)
    found = {
        f"relu {_image(image)}": ([image], kernel["relu"], torch.relu, 2 * 4 * elements),
        f"BatchNorm2d train forward {_image(image)}": (
            [image, (C,), (C,)],
            lambda x, wt, b: kernel["batch_norm_forward"](x.reshape(N, C, H * W), wt, b, EPS),
            lambda x, wt, b: TF.batch_norm(x, None, None, wt, b, training=True, eps=EPS),
            2 * 4 * elements + 4 * 4 * C),
        f"maxpool 3×3/2 with indices {_image(pool)}": (
            [pool], lambda x: kernel["max_pool2d"](x, 3, 2, 0, 1, False),
            lambda x: TF.max_pool2d(x, 3, 2, return_indices=True),
            4 * n * c * h * w + (4 + 8) * pooled),
    }
    for rows, k in size.softmax:
        found[f"softmax rows {rows}×{k}"] = ([(rows, k)], kernel["softmax_rows"],
                                            lambda x: torch.softmax(x, dim=1), 2 * 4 * rows * k)
    return found


def _calls(fn, args, calls):
    def run():
        for _ in range(calls):
            fn(*args)
    return run


def bandwidth_row(card, name, shapes, ours, theirs, moved, size, repeats, warmup, device,
                  sync):
    """One memory-bound row: the kernel against PyTorch's op, GB/s against the card's peak."""
    import cupy
    import numpy as np
    import torch

    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    mine = [cupy.asarray(a) for a in arrays]
    their_device = torch_device(device)
    theirs_in = [torch.tensor(a, device=their_device) for a in arrays]

    def torch_op(*args):
        with torch.no_grad():
            return theirs(*args)

    times = time_interleaved([_calls(ours, mine, size.calls),
                              _calls(torch_op, theirs_in, size.calls)],
                             repeats or REPEATS, warmup, sync)
    a, b = (summarize([t / size.calls for t in seconds]) for seconds in times)
    row = {"suite": "gpu", "name": name, "minicnn": a, "torch": b,
           "ratio": a["median_ms"] / b["median_ms"], "calls_per_run": size.calls}
    return _with_throughput(row, card, "GB/s", moved, 1e9, card["peak_gbps"],
                            "card's peak bandwidth")


def run(only, repeats, warmup, device, sync, card, tiny=False, progress=print, failures=None):
    """The GPU rows whose name contains one of `only` (all when empty), at full or tiny
    size, each read against `card` (gpu_card.describe_card); with `failures` a list, a row
    that raises is recorded there and the run goes on (harness.guarded)."""
    size = sizes(tiny)
    warmup = WARMUP if warmup is None else warmup
    groups = {_resnet_name(size): resnet_rows, _conv_name(size): conv_rows}
    rows = []

    def report(new_rows):
        for row in new_rows:
            t = row["throughput"]
            progress(f"  {row['name']}: {row['ratio']:.2f}× ({t['minicnn']:.1f} against "
                     f"{t['torch']:.1f} {t['unit']} on {row['card']})")
        rows.extend(new_rows)

    for name in selected(groups, only):
        report(guarded(name, lambda: groups[name](card, size, repeats, warmup, device, sync),
                       failures, progress))
    cases = _bandwidth_cases(size)
    for name in selected(cases, only):
        shapes, ours, theirs, moved = cases[name]
        report(guarded(name, lambda: [bandwidth_row(card, name, shapes, ours, theirs, moved,
                                                    size, repeats, warmup, device, sync)],
                       failures, progress))
    return rows
