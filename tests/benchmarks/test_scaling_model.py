"""The data-parallel scaling model of benchmarks/scaling_model.py: its fit recovers the
latency and bandwidth it is given, overlap never costs, and a fixed global batch stops
scaling where a process would get less than an image. No timings are asserted."""
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:                 # benchmarks/ sits beside minicnn/ in the tree
    sys.path.insert(0, str(ROOT))

from benchmarks import scaling_model as model  # noqa: E402

LATENCY, BANDWIDTH = 5e-5, 2e9


def test_fit_recovers_latency_and_bandwidth():
    points = [(n, 2 * LATENCY + n / BANDWIDTH) for n in (1e3, 1e5, 1e7, 4e7)]
    latency, bandwidth = model.fit_allreduce(points)
    assert latency == pytest.approx(LATENCY, rel=1e-6)
    assert bandwidth == pytest.approx(BANDWIDTH, rel=1e-6)


def test_allreduce_bandwidth_term_tends_to_twice_the_message():
    big = 1e9
    assert model.allreduce_seconds(1, big, LATENCY, BANDWIDTH) == 0
    assert model.allreduce_seconds(2, big, 0, BANDWIDTH) == pytest.approx(big / BANDWIDTH)
    assert model.allreduce_seconds(512, big, 0, BANDWIDTH) < 2 * big / BANDWIDTH


def test_overlap_never_costs_and_efficiency_falls_with_processes():
    rows = model.predictions((1, 2, 8, 64, 512), 32, 1.0, 2 / 3, 4e7, LATENCY, BANDWIDTH, 2)
    assert rows[0][3] == 1.0
    assert all(with_overlap >= without for _, _, with_overlap, _, without in rows)
    efficiencies = [row[3] for row in rows]
    assert efficiencies == sorted(efficiencies, reverse=True)


def test_fixed_global_batch_runs_out_of_images():
    line = model.compute_line(32, 1.0, 8, 0.3)
    rows = model.fixed_global_batch((1, 64, 512), 256, line, 2 / 3, 4e7, LATENCY,
                                    BANDWIDTH, 2)
    assert rows[0][3] == pytest.approx(1.0)
    assert rows[1][3] < rows[0][3]
    assert rows[2][2:] == (None, None)
