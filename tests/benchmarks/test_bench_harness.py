"""The benchmark harness (benchmarks/ and `minicnn bench`): interleaving, rows, the JSON
document, the chart, argument parsing, the memory probe, and that every network row
computes the same thing in both libraries once torch's weights are copied. No timings
are asserted: those live in the benchmark reports."""
import dataclasses
import json
import sys
import time
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:                 # benchmarks/ sits beside minicnn/ in the tree
    sys.path.insert(0, str(ROOT))

from benchmarks import cli, harness, models, ops, report, rest  # noqa: E402

import minicnn as mc  # noqa: E402

SMALL_SIZE = 64      # the 224² networks are checked at this size
# float32 rounding, amplified by BatchNorm over batches of 2-4 through deep nets:
# ResNet-50's eval logits agree to 1.4e-4, ResNet-18's update to 3e-4
RTOL = 1e-3


def test_time_interleaved_warms_up_then_alternates_with_sync_around_each_call():
    calls = []
    times = harness.time_interleaved([lambda: calls.append("a"), lambda: calls.append("b")],
                                     repeats=3, warmup=2, sync=lambda: calls.append("sync"))
    assert calls == ["a", "a", "b", "b"] + ["sync", "a", "sync", "sync", "b", "sync"] * 3
    assert [len(t) for t in times] == [3, 3]


def test_time_interleaved_rests_before_each_timed_call_outside_the_timing(monkeypatch):
    calls = []
    monkeypatch.setattr(rest, "busy_rest", lambda s: calls.append(("rest", s)))
    clock = iter(range(100))
    monkeypatch.setattr(harness.time, "perf_counter", lambda: calls.append("clock") or next(clock))
    harness.time_interleaved([lambda: calls.append("a"), lambda: calls.append("b")],
                             repeats=2, warmup=1, settle=0.02)
    timed = [("rest", 0.02), "clock", "a", "clock", ("rest", 0.02), "clock", "b", "clock"]
    assert calls == ["a", "b"] + timed * 2


def test_busy_rest_spins_on_every_core_until_its_deadline():
    rest.busy_rest(0.001, cores=1)                      # compiles the spin loop
    start = time.perf_counter()
    spins = rest.busy_rest(0.05, cores=2)
    assert time.perf_counter() - start >= 0.05
    assert len(spins) == 2 and all(count > 0 for count in spins)
    assert len(rest.busy_rest(0.001)) == rest.usable_cores()


def test_compare_row_has_medians_minimums_and_the_ratio_of_medians():
    row = harness.compare("ops", "noop", lambda: None, lambda: sum(range(1000)), 5, 1)
    assert row["suite"] == "ops" and row["name"] == "noop"
    for library in ("minicnn", "torch"):
        stats = row[library]
        assert len(stats["times_ms"]) == 5
        assert stats["min_ms"] <= stats["median_ms"]
    assert row["ratio"] == pytest.approx(row["minicnn"]["median_ms"] / row["torch"]["median_ms"])


def test_selected_keeps_names_containing_any_key():
    names = ["conv3x3 N32", "LRN(5) N8", "ResNet-18 CIFAR N32"]
    assert harness.selected(names, None) == names
    assert harness.selected(names, ["LRN", "ResNet"]) == ["LRN(5) N8", "ResNet-18 CIFAR N32"]
    assert harness.selected(names, ["nothing"]) == []


def _stats(median):
    return {"median_ms": median, "min_ms": median / 2, "times_ms": [median / 2, median]}


ROWS = [{"suite": "ops", "name": "conv3x3 forward", "minicnn": _stats(3.0),
         "torch": _stats(2.0), "ratio": 1.5},
        {"suite": "models", "name": "LeNet-5 N64 train step", "minicnn": _stats(10.0),
         "torch": _stats(20.0), "ratio": 0.5}]
MEMORY = [{"name": "LeNet-5 N64 train step", "key": "lenet5",
           "minicnn": {"peak_mb": 12.0, "baseline_mb": 150.0, "steps": 3, "method": "m"},
           "torch": {"peak_mb": 8.0, "baseline_mb": 300.0, "steps": 3, "method": "m"},
           "ratio": 1.5}]


def test_json_document_holds_machine_settings_rows_and_memory(tmp_path):
    machine = {"cpu": "test cpu", "cores": 2, "sgemm_gflops": {"2048": 100.0}}
    path = tmp_path / "bench.json"
    report.write_json(path, report.document(machine, {"threads": 2}, ROWS, MEMORY))
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert set(doc) == {"schema", "machine", "settings", "rows", "memory", "failures"}
    assert doc["machine"] == machine and doc["settings"] == {"threads": 2}
    assert doc["rows"] == ROWS and doc["memory"] == MEMORY and doc["failures"] == []


def test_tables_show_medians_minimums_and_ratios():
    table = report.timing_table(ROWS)
    assert table.splitlines()[0] == ("| row | minicnn median / min ms | torch median / min ms "
                                     "| minicnn / torch |")
    assert "| conv3x3 forward | 3.00 / 1.50 | 2.00 / 1.00 | **1.50** |" in table
    assert "| LeNet-5 N64 train step | 12 | 8 | **1.50** |" in report.memory_table(MEMORY)


def test_conv_rows_count_the_direct_convolutions_flops():
    pytest.importorskip("torch")
    cases = ops.cases()
    # 2·N·OC·oh·ow·(C/groups)·kh·kw; padding 1 keeps 32×32; 11×11/4, padding 2: 224 → 55
    assert cases["conv3x3 N32 64→64 32²"].flops == 2 * 32 * 64 * 32 * 32 * 64 * 3 * 3
    assert cases["alexnet conv1 11×11/4 N8 224²"].flops == 2 * 8 * 96 * 55 * 55 * 3 * 11 * 11
    assert cases["grouped 3×3 g32 ResNeXt N32 128→128 28²"].flops == \
        2 * 32 * 128 * 28 * 28 * (128 // 32) * 3 * 3
    assert cases["depthwise 3×3 N32 C128 32²"].flops == 2 * 32 * 128 * 32 * 32 * 1 * 3 * 3
    assert ops.conv_flops((1, 2, 7, 5), (3, 2, 3, 3), stride=2) == 2 * 3 * 3 * 2 * 2 * 3 * 3
    assert [name for name, case in cases.items() if case.flops] == [
        name for name in cases if name.split()[0] in
        ("conv3x3", "alexnet", "depthwise", "pointwise", "grouped")]


def test_conv_rows_get_gflops_forward_and_three_times_the_flops_with_both_gradients():
    pytest.importorskip("torch")
    conv3x3 = ops.cases()["conv3x3 N32 64→64 32²"]           # padding 1: any shape will do
    shapes = [(2, 4, 6, 6), (8, 4, 3, 3)]
    flops = ops.conv_flops(*shapes, padding=1)
    forward, both = ops.run_case("tiny conv", shapes, conv3x3.ours, conv3x3.theirs, repeats=1,
                                 warmup=0, flops=flops)
    assert (forward["flops"], both["flops"]) == (flops, 3 * flops)
    for row in (forward, both):
        for lib in ("minicnn", "torch"):
            assert row["gflops"][lib] == pytest.approx(
                row["flops"] / (row[lib]["median_ms"] / 1e3) / 1e9)


def test_gflops_column_shows_the_share_of_the_fma_peak_and_stays_empty_elsewhere():
    conv = dict(ROWS[0], flops=6e9, gflops={"minicnn": 2000.0, "torch": 3000.0})
    table = report.timing_table([conv, ROWS[1]], fma_peak=4000.0)
    assert table.splitlines()[0].endswith(" | minicnn GFLOP/s (% of FMA peak) "
                                          "| torch GFLOP/s (% of FMA peak) |")
    assert "| **1.50** | 2000.0 (50%) | 3000.0 (75%) |" in table
    assert table.splitlines()[-1].endswith("| **0.50** |  |  |")
    assert "| 2000.0 | 3000.0 |" in report.timing_table([conv], fma_peak=None)
    assert "GFLOP/s" not in report.timing_table(ROWS)


def test_fma_peak_runs_at_the_widest_vectors_the_cpu_has():
    from benchmarks import peaks
    import llvmlite.binding as llvm

    wide = bool(llvm.get_host_cpu_features().get("avx512f"))
    environment = peaks.wide_vector_environment()
    assert (environment is not None) == wide
    if wide:
        assert environment["NUMBA_CPU_FEATURES"].endswith(",-prefer-256-bit")
    gflops, note, bits = peaks.fma_peak(1)
    assert bits == (512 if wide else 256)
    assert (gflops is not None and gflops > 0 and note is None) or (gflops is None and note)


def test_chart_is_a_png(tmp_path):
    pytest.importorskip("matplotlib")
    path = tmp_path / "ratios.png"
    assert report.write_png(path, ROWS, MEMORY, "title") == f"chart: {path}"
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_parser_defaults_and_switches():
    args = cli.parser().parse_args([])
    assert (args.suite, args.only, args.device, args.memory) == ("all", None, "cpu", True)
    assert args.json is None and args.png is None
    assert args.repeats is None and args.warmup is None and args.threads >= 1
    assert args.settle == 20.0
    args = cli.parser().parse_args(["--suite", "models", "--only", "LeNet", "ViT", "--no-memory",
                                    "--threads", "1", "--repeats", "5", "--json", "r.json",
                                    "--settle", "0"])
    assert (args.suite, args.only, args.memory, args.threads, args.repeats, args.json,
            args.settle) == ("models", ["LeNet", "ViT"], False, 1, 5, "r.json", 0.0)


@pytest.mark.parametrize("argv, message", [(["--threads", "0"], "--threads must be at least 1"),
                                           (["--repeats", "0"], "--repeats must be at least 1"),
                                           (["--warmup", "-1"], "--warmup must be at least 0"),
                                           (["--settle", "-1"], "--settle must be at least 0")])
def test_bad_counts_are_refused_before_any_work(argv, message):
    with pytest.raises(SystemExit, match=message):
        cli.main(argv)


def test_minicnn_bench_takes_the_same_options_and_runs_the_same_entry_point(monkeypatch):
    from minicnn.cli import main, parser

    args = parser().parse_args(["bench", "--suite", "ops", "--only", "conv3x3", "--threads", "1"])
    assert (args.command, args.suite, args.only, args.threads) == ("bench", "ops", ["conv3x3"], 1)
    seen = []
    monkeypatch.setattr(cli, "run", lambda a: seen.append(a) or 0)
    assert main(["bench", "--no-memory", "--device", "cpu"]) == 0
    assert seen[0].memory is False and seen[0].suite == "all"


def test_cuda_without_a_gpu_fails_with_a_clear_message(monkeypatch):
    torch = pytest.importorskip("torch")
    monkeypatch.setattr(mc.cuda, "is_available", lambda: False)
    with pytest.raises(SystemExit, match="--device cuda needs a CUDA GPU.*minicnn sees none"):
        harness.check_device("cuda")
    monkeypatch.setattr(mc.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(harness, "emulated", lambda: False)
    with pytest.raises(SystemExit, match="--device cuda needs a CUDA GPU.*PyTorch sees none"):
        harness.check_device("cuda")
    monkeypatch.setattr(harness, "emulated", lambda: True)     # PyTorch on the CPU beside it
    harness.check_device("cuda")


def test_memory_probe_reports_growth_over_its_baseline_in_a_fresh_process():
    from benchmarks.memory import _run_child

    result = _run_child("lenet5", "minicnn", threads=1, steps=1)
    assert set(result) == {"baseline_mb", "peak_mb", "steps", "method"}
    assert result["baseline_mb"] > 0 and result["peak_mb"] >= 0 and result["steps"] == 1


def _calibrate_batch_norm(torch, model, x):
    """Running statistics := those of batch `x`, so eval-mode logits depend on the input
    (with the initial running statistics, deep nets' eval logits collapse to the fc bias)."""
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.momentum = None                                  # cumulative average
    model.train()
    with torch.no_grad():
        model(x)


def _relative_error(ours, theirs):
    return np.abs(ours - theirs).max() / np.abs(theirs).max()


def _flat_parameters(model):
    return np.concatenate([p.detach().numpy().ravel() for _, p in model.named_parameters()])


@pytest.mark.parametrize("row", models.MODEL_ROWS, ids=lambda row: row.key)
def test_copied_weights_give_the_same_logits_and_training_step(row):
    """Eval logits at batch 2 agree (and differ between the two inputs); for training rows,
    one SGD step at batch 4 gives the same loss and moves the parameters alike. The 224²
    networks are checked at 64×64: the same code, a twelfth of the work."""
    torch = pytest.importorskip("torch")
    channels, height, _ = row.input_shape
    if height > SMALL_SIZE:
        row = dataclasses.replace(row, input_shape=(channels, SMALL_SIZE, SMALL_SIZE))
    ours, theirs = models.build_pair(row)
    x, labels = models.make_batch(row, batch=2)
    _calibrate_batch_norm(torch, theirs, torch.tensor(x))
    models.copy_weights(theirs, ours)
    ours.eval()
    theirs.eval()
    with mc.no_grad():
        mine = ours(mc.tensor(x)).numpy()
    with torch.no_grad():
        reference = theirs(torch.tensor(x)).numpy()
    assert _relative_error(mine, reference) <= RTOL
    assert _relative_error(reference[0], reference[1]) > 1e-2   # the input matters
    if not row.train:
        return
    x, labels = models.make_batch(row, batch=4)
    start = _flat_parameters(theirs)
    ours.train()
    theirs.train()
    losses = [models.training_step(lib, model, models.sgd(lib, model), lib.tensor(x),
                                   lib.tensor(labels)).item()
              for lib, model in ((mc, ours), (torch, theirs))]
    assert losses[0] == pytest.approx(losses[1], rel=1e-4)
    ours_step, torch_step = _flat_parameters(ours) - start, _flat_parameters(theirs) - start
    assert np.linalg.norm(ours_step - torch_step) <= RTOL * np.linalg.norm(torch_step)


@pytest.mark.parametrize("row", [row for row in models.MODEL_ROWS if row.fuse],
                         ids=lambda row: row.key)
def test_fused_rows_give_the_same_logits_in_both_libraries(row):
    """The "Conv+BN fused" rows time networks that compute what the unfused ones do: the two
    fused copies agree with each other and with the unfused minicnn network."""
    torch = pytest.importorskip("torch")
    ours, theirs = models.build_pair(row)
    x, _ = models.make_batch(row, batch=2)
    _calibrate_batch_norm(torch, theirs, torch.tensor(x))
    models.copy_weights(theirs, ours)
    ours.eval()
    theirs.eval()
    fused_ours, fused_theirs = models.fuse_pair(ours, theirs, mc.tensor(x))
    assert not any(isinstance(m, mc.nn.BatchNorm2d) for m in fused_ours.modules())
    with mc.no_grad():
        mine, unfused = fused_ours(mc.tensor(x)).numpy(), ours(mc.tensor(x)).numpy()
    with torch.no_grad():
        reference = fused_theirs(torch.tensor(x)).numpy()
    assert _relative_error(mine, reference) <= RTOL
    assert _relative_error(mine, unfused) <= RTOL


def test_cudnn_benchmark_switch_measures_minicnn_convolutions_and_is_recorded(tmp_path,
                                                                               monkeypatch):
    torch = pytest.importorskip("torch")
    import minicnn as mc
    from minicnn.functional import conv_measured

    monkeypatch.setattr(mc.backends.cudnn, "benchmark", False)
    monkeypatch.setattr(torch.backends.cudnn, "benchmark", False)
    for name in ("set_threads", "apply_threads"):              # the test process's own
        monkeypatch.setattr(harness, name, lambda *args: None)
    conv_measured.clear()
    path = tmp_path / "r.json"
    assert cli.main(["--suite", "models", "--only", "LeNet", "--no-memory", "--repeats", "1",
                     "--warmup", "1", "--settle", "0", "--cudnn-benchmark",
                     "--json", str(path)]) == 0
    assert mc.backends.cudnn.benchmark and torch.backends.cudnn.benchmark
    shapes = {key[2] for key in conv_measured.measured_choices()}
    assert {(64, 1, 32, 32), (64, 6, 14, 14), (64, 16, 5, 5)} <= shapes
    assert json.loads(path.read_text())["settings"]["cudnn_benchmark"] is True
    conv_measured.clear()
