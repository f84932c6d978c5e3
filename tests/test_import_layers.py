"""The import contracts of pyproject.toml hold (layers, no cycles): the check CI runs before
the tests, `.ci/lint_imports`, run here too so that a layering break fails the test suite."""
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("importlinter", reason="import-linter is not installed (the dev extra)")

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_are_kept():
    proc = subprocess.run([sys.executable, str(ROOT / ".ci" / "lint_imports")],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
    assert "0 broken" in proc.stdout
