"""Small conv nets trained for a few SGD-with-momentum steps, for the thread and determinism
tests: each run returns every parameter and buffer, to be compared bit for bit.

Run as a script it prints a JSON report, for the tests that need a fresh process (another
Numba threading layer, another thread count):

    python small_training.py concurrent   # two threads at once against each alone
    python small_training.py weights N    # a digest of the weights trained on N threads
"""
import hashlib
import json
import sys
import threading

import numpy as np

import minicnn as mc
import minicnn.functional as F
from minicnn import nn

BATCH = 16


def plain_net():
    """conv, batchnorm, relu, pooling, linear."""
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 10))


def conv_paths_net():
    """Every convolution path whose weight gradient is a sum over the batch: im2col + GEMM
    (grouped, strided), Winograd (3×3, stride 1, 16+ input channels), 1×1, direct depthwise
    and channels-last depthwise (64+ channels on a map of 64 pixels or fewer); then a linear
    layer with an inner dimension long enough for OpenBLAS's thread count to change its
    sums."""
    return nn.Sequential(
        nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
        nn.Conv2d(16, 32, 3, stride=2, padding=1, groups=2), nn.BatchNorm2d(32), nn.ReLU(),
        nn.Conv2d(32, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
        nn.Conv2d(32, 32, 3, padding=1, groups=32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 1), nn.BatchNorm2d(64), nn.ReLU(),
        nn.Conv2d(64, 64, 3, padding=1, groups=64), nn.BatchNorm2d(64), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(),
        nn.Linear(64, 1000), nn.ReLU(), nn.Linear(1000, 100))


def make_run(build, seed, size=16):
    """A model (weights from `seed`) and its own batch of images and labels."""
    mc.manual_seed(seed)
    model = build()
    rng = np.random.default_rng(seed)
    x = mc.tensor(rng.standard_normal((BATCH, 3, size, size)).astype(np.float32))
    y = mc.tensor(rng.integers(0, 10, BATCH))
    return model, x, y


def train(model, x, y, steps):
    """`steps` steps of SGD with momentum; every parameter and buffer afterwards."""
    optimizer = mc.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    for _ in range(steps):
        optimizer.zero_grad()
        F.cross_entropy(model(x), y).backward()
        optimizer.step()
    return {name: value.numpy().copy() for name, value in model.state_dict().items()}


def train_alone_and_at_once(build, seeds, steps):
    """(each run trained alone, one after another; the same runs trained at once, one
    Python thread each, from fresh copies)."""
    alone = [train(*make_run(build, seed), steps) for seed in seeds]
    runs = [make_run(build, seed) for seed in seeds]
    together = [None] * len(runs)
    errors = []

    def work(i):
        try:
            together[i] = train(*runs[i], steps)
        except BaseException as error:                       # reported by the caller
            errors.append(error)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(runs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return alone, together


def same_weights(a, b):
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


def digest(weights):
    h = hashlib.sha256()
    for name in sorted(weights):
        h.update(name.encode())
        h.update(np.ascontiguousarray(weights[name]).tobytes())
    return h.hexdigest()


def _report(argv):
    import numba

    if argv[0] == "concurrent":
        mc.use_deterministic_algorithms(True)
        alone, together = train_alone_and_at_once(plain_net, (1, 2), steps=50)
        report = {"same": [same_weights(a, t) for a, t in zip(alone, together)]}
    else:
        mc.set_num_threads(int(argv[1]))
        mc.use_deterministic_algorithms(True)
        report = {"digest": digest(train(*make_run(conv_paths_net, 0), steps=3))}
    report["layer"] = numba.threading_layer()
    return report


if __name__ == "__main__":
    print(json.dumps(_report(sys.argv[1:])))
