"""`minicnn train MODEL --max-steps N` through the shell for a representative few of the zoo:
AlexNet (a plain network: grayscale digits repeated into 3 channels and resized to its
63×63 minimum; the paper's variant, with its groups and LRN, at 67×67), GoogLeNet (auxiliary heads in training) and ViT-B/16 (built for 32×32 inputs,
a 2×2 grid of patches). Every zoo model trains this way; a smoke run of each is too slow for
the suite (the smallest ones are checked in-process in test_cli_models.py)."""
import json
import re

import pytest

from cli_helpers import minicnn


@pytest.mark.parametrize("model, variant, inputs", [
    ("alexnet", None, [3, 63, 63]),
    ("alexnet", "paper", [3, 67, 67]),            # two groups and LRN, from the command line
    ("googlenet", None, [3, 32, 32]),
    ("vit_b_16", None, [3, 32, 32]),
])
def test_a_smoke_run(model, variant, inputs, tmp_path):
    out = tmp_path / "run"
    chosen = [] if variant is None else ["--variant", variant]
    proc = minicnn("train", model, *chosen, "--max-steps", "2", "--batch-size", "8",
                   "--workers", "0", "--out", out)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert re.match(r"^test accuracy: \d\.\d{4} \(top-5: \d\.\d{4}\)$", proc.stdout.splitlines()[-1])
    record = json.loads((out / "run.json").read_text())
    assert record["input_size"] == inputs and record["num_classes"] == 10
    assert record["settings"]["variant"] == variant
    assert {"checkpoint.npz", "model.npz", "curves.png"} <= {p.name for p in out.iterdir()}
