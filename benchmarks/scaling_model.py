"""A model of data-parallel scaling, from two measurements: the compute of one training
step, and the all-reduce's latency and bandwidth.

An all-reduce of G bytes over P processes, as MPICH does a large one (reduce-scatter, then
all-gather, each over log2 P rounds of halving or doubling messages):

    t(P, G) = 2·log2(P)·α + 2·(P − 1)/P · G / β

α is the latency of one message, β the bandwidth; the bandwidth term hardly grows with P
(it tends to 2G/β), the latency term grows as log P and is paid once per bucket. A step of
P processes, each on its own core with the same per-process batch (weak scaling), takes
its compute C plus the part of the all-reduce that backward does not hide:

    T(P) = C + max(t_last, t(P, G) − b·C)

where b·C is the backward share of the step (the window in which buckets travel) and
t_last the all-reduce of the last bucket, which starts only when backward ends. Without
overlap (one bucket, sent after backward) T(P) = C + t(P, G). Images per second are
P·B / T(P); the efficiency is C / T(P).

With a fixed global batch (strong scaling) each process gets B/P images, its compute
shrinks as C(b) = c0 + c1·b (fitted to two measured batch sizes), and the all-reduce does
not: efficiency C(B)/(P·T(P)) falls once t(P, G) is no longer small against C(B/P).
"""
import math


def fit_allreduce(points):
    """(α seconds, β bytes per second) of t = 2α + G/β, from (bytes, seconds) measured
    between two processes (where the model's terms are 2·log2(2)·α and 2·(1/2)·G/β): β from
    the two largest messages, α from the smallest, so that one disturbed reading in the
    middle of a busy machine's run moves neither."""
    points = sorted(points)
    (small, t_small), (a, t_a), (b, t_b) = points[0], points[-2], points[-1]
    bandwidth = (b - a) / (t_b - t_a)
    return max((t_small - small / bandwidth) / 2, 0.0), bandwidth


def allreduce_seconds(processes, nbytes, latency, bandwidth, messages=1):
    """t(P, G) for G = `nbytes` sent as `messages` buckets."""
    if processes == 1:
        return 0.0
    return messages * 2 * math.log2(processes) * latency + \
        2 * (processes - 1) / processes * nbytes / bandwidth


def step_seconds(processes, compute, backward_share, nbytes, latency, bandwidth, buckets,
                 overlap=True):
    """T(P): one step of P processes (see the module's docstring)."""
    whole = allreduce_seconds(processes, nbytes, latency, bandwidth, buckets)
    if not overlap:
        return compute + whole
    last = allreduce_seconds(processes, nbytes / buckets, latency, bandwidth)
    return compute + max(last, whole - backward_share * compute)


def predictions(counts, batch, compute, backward_share, nbytes, latency, bandwidth, buckets):
    """Rows (P, global batch, images/s with overlap, efficiency, images/s without)."""
    rows = []
    for p in counts:
        with_overlap = step_seconds(p, compute, backward_share, nbytes, latency, bandwidth,
                                    buckets)
        without = step_seconds(p, compute, backward_share, nbytes, latency, bandwidth, 1,
                               overlap=False)
        rows.append((p, p * batch, p * batch / with_overlap, compute / with_overlap,
                     p * batch / without))
    return rows


def compute_line(batch_a, seconds_a, batch_b, seconds_b):
    """(c0, c1) of C(b) = c0 + c1·b through two measured (batch, step seconds)."""
    c1 = (seconds_a - seconds_b) / (batch_a - batch_b)
    return seconds_a - c1 * batch_a, c1


def fixed_global_batch(counts, global_batch, line, backward_share, nbytes, latency,
                       bandwidth, buckets):
    """Rows (P, batch per process, images/s, efficiency) for one global batch shared by P
    processes; None in place of the figures where a process would get less than an image."""
    c0, c1 = line
    alone = c0 + c1 * global_batch
    rows = []
    for p in counts:
        if global_batch < p:
            rows.append((p, global_batch / p, None, None))
            continue
        compute = c0 + c1 * global_batch / p
        step = step_seconds(p, compute, backward_share, nbytes, latency, bandwidth, buckets)
        rows.append((p, global_batch / p, global_batch / step, alone / (p * step)))
    return rows
