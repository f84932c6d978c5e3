"""The GPU check (benchmarks/gpu_check.sh) and the GPU half of the benchmarks: the kernel
smoke driver, the card's ceilings, the gpu suite's rows and tables, PyTorch's device and
synchronisation beside an emulated GPU, and the script's limits. The gpu-marked tests run
on a GPU or on minicnn's emulated one (MINICNN_CUDA_EMULATE=1); no timing is asserted."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:                 # benchmarks/ sits beside minicnn/ in the tree
    sys.path.insert(0, str(ROOT))

from benchmarks import (cli, gpu_card, gpu_kernels_smoke, gpu_suite, harness,  # noqa: E402
                        machine, report)

import minicnn as mc  # noqa: E402

SCRIPT = ROOT / "benchmarks" / "gpu_check.sh"
CHECK_BUDGET_S = 480                          # the whole check runs in one call of 8 minutes
SHELL_MARGIN_S = 10                           # the script's own work between the steps


def test_every_kernel_with_a_cuda_form_has_a_smoke_case():
    kernels = gpu_kernels_smoke.cuda_kernels()
    assert set(kernels) <= set(gpu_kernels_smoke.cases())
    assert kernels["softmax_rows"] == "softmax.cu" and kernels["relu"] == "elementwise.cu"


def test_shared_memory_kernels_are_told_from_the_others_by_their_source():
    shared = {source for source in gpu_kernels_smoke.cuda_kernels().values()
              if gpu_kernels_smoke.uses_shared_memory(source)}
    assert {"batchnorm.cu", "softmax.cu", "depthwise.cu"} <= shared
    assert "elementwise.cu" not in shared and "im2col.cu" not in shared


@pytest.mark.gpu
def test_smoke_driver_checks_every_kernel_against_its_reference(capsys):
    assert gpu_kernels_smoke.run(shared_memory_only=False) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(gpu_kernels_smoke.cuda_kernels())
    assert all(line.startswith("ok ") for line in lines)


@pytest.mark.gpu
def test_smoke_driver_reports_a_wrong_kernel(monkeypatch, capsys):
    from minicnn.kernels import registry

    load = registry.load
    wrong = {("relu", "cuda"): lambda x: -load("relu", "cuda")(x)}
    monkeypatch.setattr(registry, "load", lambda name, form: wrong.get((name, form))
                        or load(name, form))
    assert gpu_kernels_smoke.run(shared_memory_only=False) == 1
    assert "FAIL relu (elementwise.cu)" in capsys.readouterr().out


def test_peak_bandwidth_is_double_data_rate_times_bus_bytes():
    # an H100 SXM's HBM3: 2619 MHz over 5120 bits
    assert gpu_card.peak_bandwidth_gbps(2_619_000, 5120) == pytest.approx(3352.32)
    assert gpu_card.peak_bandwidth_gbps(None, 5120) is None


@pytest.mark.gpu
def test_card_description_names_the_card_and_its_ceilings():
    card = gpu_card.describe_card(64, harness.synchronizer("cuda"))
    assert card["name"] and card["sgemm_gflops"] > 0
    text = gpu_card.card_text(card)
    assert card["name"] in text and "cuBLAS sgemm 64×64 · 64×64" in text
    assert ("peak bandwidth unknown" in text) == (card["peak_gbps"] is None)


@pytest.mark.gpu
def test_torch_runs_on_the_gpu_unless_minicnn_s_gpu_is_emulated():
    torch = pytest.importorskip("torch")
    expected = "cpu" if harness.emulated() else "cuda"
    assert harness.torch_device("cuda") == expected
    assert harness.torch_device("cpu") == "cpu"
    harness.check_device("cuda")
    harness.synchronizer("cuda")()                   # waits for both; raises on a CPU torch
    if expected == "cuda":
        assert torch.cuda.is_available()


@pytest.mark.gpu
def test_gpu_suite_rows_carry_the_card_and_throughput_beside_the_ceiling():
    pytest.importorskip("torch")
    sync = harness.synchronizer("cuda")
    card = gpu_card.describe_card(64, sync)
    failures = []
    rows = gpu_suite.run(["conv3x3", "relu", "softmax"], 1, 0, "cuda", sync, card, tiny=True,
                         progress=lambda line: None, failures=failures)
    assert failures == []
    assert [row["name"] for row in rows] == [
        "conv3x3 N2 16→16 8² forward", "relu N2 C4 8²", "softmax rows 64×10",
        "softmax rows 8×100"]
    for row in rows:
        throughput = row["throughput"]
        assert row["suite"] == "gpu" and row["card"] == card["name"]
        assert throughput["minicnn"] > 0 and throughput["torch"] > 0
    assert rows[0]["throughput"]["unit"] == "GFLOP/s"
    assert rows[0]["throughput"]["ceiling_name"].startswith("cuBLAS sgemm 16×144 · 144×128")
    assert rows[1]["throughput"]["ceiling"] == card["peak_gbps"]
    table = report.throughput_table(rows)
    assert table.count(card["name"]) == len(rows)


def test_a_failing_row_is_recorded_and_the_run_goes_on():
    failures, lines = [], []

    def broken():
        raise ValueError("no such kernel")

    assert harness.guarded("broken row", broken, failures, lines.append) == []
    assert harness.guarded("fine row", lambda: [{"name": "fine"}], failures) == [
        {"name": "fine"}]
    assert failures == [{"name": "broken row", "error": "ValueError: no such kernel"}]
    assert "broken row: FAILED" in lines[0] and "Traceback" in lines[0]
    assert report.failure_lines(failures) == (
        "1 row failed:\n- broken row: ValueError: no such kernel")
    with pytest.raises(ValueError):
        harness.guarded("broken row", broken, None)


def test_the_header_says_numba_is_missing_where_it_is(monkeypatch):
    """A GPU machine may lack Numba, which only minicnn's CPU kernels need."""
    pytest.importorskip("torch")
    for module in (harness, machine):
        monkeypatch.setattr(module, "numba_installed", lambda: False)
    assert machine.library_versions()["numba"] == harness.NO_NUMBA
    assert harness.effective_threads()["numba"] == harness.NO_NUMBA
    assert machine._runtime()["numba_threading_layer"] == harness.NO_NUMBA


def test_gpu_suite_needs_the_gpu():
    with pytest.raises(SystemExit, match="--suite gpu measures the GPU"):
        cli.main(["--suite", "gpu", "--device", "cpu"])


def test_the_check_s_time_limits_fit_in_one_call():
    text = SCRIPT.read_text()
    limits = [int(v) for v in re.findall(r"^LIMIT_\w+=(\d+)$", text, re.MULTILINE)]
    assert len(limits) == 8 and sum(limits) + SHELL_MARGIN_S <= CHECK_BUDGET_S
    for name in re.findall(r"\$(LIMIT_\w+)", text):
        assert re.search(rf"^{name}=", text, re.MULTILINE), name
    subprocess.run(["bash", "-n", str(SCRIPT)], check=True)


@pytest.mark.gpu
def test_the_check_s_environment_step_sees_the_gpu(tmp_path):
    done = subprocess.run(["bash", str(SCRIPT), "--environment"], capture_output=True,
                          text=True, timeout=120,
                          env={**os.environ, "OUT": str(tmp_path), "PYTHON": sys.executable})
    assert done.returncode == 0, done.stdout + done.stderr
    assert "mc.cuda.is_available(): True" in done.stdout
    assert f"minicnn {mc.__version__} from {ROOT / 'minicnn'}" in done.stdout

