"""benchmarks.tonics on a tiny budget: the learning rate as a function of the pairs seen,
and a run of both curricula that writes its JSON and PNG with one evaluation per epoch."""
import json

import pytest

from benchmarks import tonics


def test_the_learning_rate_warms_up_then_decays_to_zero_over_the_budget():
    assert tonics.learning_rate(1.0, 0, 1000) == pytest.approx(1 / 50)
    assert tonics.learning_rate(1.0, 50, 1000) == pytest.approx(1.0)
    assert tonics.learning_rate(1.0, 525, 1000) == pytest.approx(0.5)
    assert tonics.learning_rate(1.0, 1000, 1000) == pytest.approx(0.0)


def test_a_tiny_run_writes_every_evaluation(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    out_json, out_png = tmp_path / "t.json", tmp_path / "t.png"
    assert tonics.main(["--epochs", "2", "--seeds", "1", "--train-pairs", "64",
                        "--test-pairs", "16", "--batch-size", "16", "--jobs", "1",
                        "--json", str(out_json), "--png", str(out_png)]) == 0
    result = json.loads(out_json.read_text())
    assert [r["curriculum"] for r in result["runs"]] == ["random", "tonics"]
    for run in result["runs"]:
        assert [e["pairs_seen"] for e in run["evaluations"]] == [64, 128]
        assert all(0 <= e["image_to_text_R@1"] <= 1 for e in run["evaluations"])
    assert out_png.stat().st_size > 0
    assert "| tonics | 2 | 128 |" in capsys.readouterr().out
