"""minicnn imports from the repository root too, where kernels/ sits beside minicnn/."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_from_the_repository_root_finds_the_kernels():
    code = "import minicnn, minicnn.kernels as k; print(k.get('erf', __import__('numpy').zeros(1)))"
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "erf" in proc.stdout
