"""Measured algorithm selection for conv2d: `mc.backends.cudnn.benchmark = True`.

PyTorch programs set `torch.backends.cudnn.benchmark = True` to have each new convolution
shape try the algorithms it can take and keep the fastest. minicnn does the same on the CPU
and the GPU: the first conv2d call of a shape (with its stride, padding, dilation, groups,
dtype, whether gradients are recorded, on which device, at which thread count) runs every
algorithm that computes it exactly — the forward pass, and the backward pass too where the
call records a gradient — and the fastest is kept for that shape; later calls take it at
the cost of a dictionary lookup. The rules of conv_select.RULES stay the default: measured
choices depend on the machine and its load, differ between runs in their last bits, and
come from a layer timed alone, which can miss what it costs beside the network's other
layers (their use of the caches and of the threads).

Each candidate runs once untimed (compiling its kernels, filling caches), then the
candidates are timed in turn, round after round (TIMED_ROUNDS), so that a change in the
machine's load meets them all alike; each keeps its fastest run, and a candidate slower
than SLOWER_GIVE_UP times the fastest after a round takes no further rounds. The trials
work on detached views of the call's arrays, under a gradient of ones, outside any
exporter's recording, and change nothing a user holds.
"""
import time

from .. import kernels, trace_mode
from ..backends import cudnn
from ..creation import ones_like
from ..grad_mode import set_grad_enabled
from ..threads import are_deterministic_algorithms_enabled, get_num_threads

TIMED_ROUNDS = 3
SLOWER_GIVE_UP = 2.0

_fastest = {}       # a call's key -> the algorithm measured fastest for it


def benchmarking():
    """Whether conv2d measures its algorithms: mc.backends.cudnn.benchmark is set and
    deterministic mode (whose results must not depend on a clock) is off."""
    return bool(cudnn.benchmark) and not are_deterministic_algorithms_enabled()


def clear():
    """Forget every measured choice (the next call of each shape measures again)."""
    _fastest.clear()


def measured_choices():
    """{key: algorithm} of the calls measured so far; a key is (device form, dtype, input
    shape, weight shape, stride, padding, dilation, groups, which inputs need a gradient,
    thread count)."""
    return dict(_fastest)


def key_of(call, needs_input_grad):
    """What a measured choice holds for: the call's shapes and settings, which of its
    inputs need a gradient, the kernel form and the thread count."""
    return (kernels.active_form(call.x), call.x.dtype.str, tuple(call.x.shape),
            tuple(call.w.shape), call.stride, call.padding, call.dilation, call.groups,
            needs_input_grad, get_num_threads())


def fastest(key, candidates, run):
    """The algorithm of `candidates()` (names, the rules' choice first) that `run(name)` —
    one complete trial of that algorithm — finishes soonest, measured once per `key`."""
    choice = _fastest.get(key)
    if choice is None:
        names = candidates()
        choice = _fastest[key] = names[0] if len(names) == 1 else _measure(names, run)
    return choice


def _measure(candidates, run):
    best = {}                                          # name -> its fastest timed run
    alive = list(candidates)
    with trace_mode.recording(None):
        for name in candidates:
            run(name)                                  # untimed: compiles, warms caches
        for _ in range(TIMED_ROUNDS):
            for name in alive:                         # a round: each candidate in turn
                best[name] = min(best.get(name, float("inf")), _timed(run, name))
            fastest_time = min(best.values())
            alive = [name for name in alive if best[name] <= SLOWER_GIVE_UP * fastest_time]
    return min(alive, key=best.__getitem__)


def _timed(run, name):
    start = time.perf_counter()
    run(name)
    return time.perf_counter() - start


def trial(runner, x, w, b, call, needs_input_grad, synchronize):
    """A `run(name)` for `fastest`: `runner(name, x, w, b)` on detached views of the call's
    tensors, its output's backward under a gradient of ones where the call records one
    (with the same inputs requiring a gradient), then `synchronize()`."""
    def run(name):
        with set_grad_enabled(call.needs_grad):
            leaves = [None if t is None else t.detach().requires_grad_(need)
                      for t, need in zip((x, w, b), needs_input_grad)]
            out = runner(name, *leaves)
            if call.needs_grad:
                out.backward(ones_like(out))
        synchronize()
    return run
