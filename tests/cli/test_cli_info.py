"""`minicnn info` (and `python -m minicnn info`): the process report, as text or JSON."""
import json
import os
import subprocess
import sys

import minicnn as mc
from minicnn.cli import main


def _info(*argv, **env):
    clean = {k: v for k, v in os.environ.items() if k != "MINICNN_NO_TUNING"}
    proc = subprocess.run([sys.executable, "-m", "minicnn", "info", *argv],
                          env={**clean, **env}, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def _fields(text):
    return dict(line.split(":", 1) for line in text.splitlines())


def test_python_m_minicnn_info_prints_the_report():
    fields = _fields(_info())
    for name in ("minicnn", "python", "libraries", "threads", "numba threading layer",
                 "kernels (NumPy arrays)", "blas", "tuning", "environment", "cuda"):
        assert name in fields, fields
    assert fields["tuning"].strip() == "applied"
    assert fields["kernels (NumPy arrays)"].strip() == "cpu"
    assert "NUMBA_THREADING_LAYER=forksafe" in fields["environment"]


def test_info_says_when_tuning_is_off():
    fields = _fields(_info(MINICNN_NO_TUNING="1"))
    assert fields["tuning"].strip() == "off (MINICNN_NO_TUNING is set)"
    assert fields["  allocator keeps freed memory"].strip() == "no"


def test_info_json(capsys):
    assert main(["info", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["tuning"] == mc.runtime.tuning_state() and report["threads"] >= 1
    assert set(report["cuda"]) == {"available", "reason"}
