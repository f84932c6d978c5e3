"""set_num_threads (behind `minicnn train --threads`): one setting for Numba and BLAS.
Checked in a subprocess, so the test session keeps its own thread settings."""
import subprocess
import sys
import textwrap

import pytest

from minicnn.threads import set_num_threads

SCRIPT = textwrap.dedent("""
    import numba
    from threadpoolctl import threadpool_info
    import minicnn as mc

    assert mc.get_num_threads() == numba.get_num_threads()   # nothing set yet: Numba's count
    for n in (1, 2, 1):
        mc.set_num_threads(n)
        blas = [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]
        assert mc.get_num_threads() == n, mc.get_num_threads()
        assert numba.get_num_threads() == min(n, numba.config.NUMBA_NUM_THREADS)
        assert blas and all(t == n for t in blas), blas
    print("ok")
""")


def test_set_num_threads_governs_numba_and_blas():
    proc = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip() == "ok"


@pytest.mark.parametrize("bad", [0, -2])
def test_set_num_threads_refuses_fewer_than_one(bad):
    with pytest.raises(ValueError, match=f"at least 1 thread, got {bad}"):
        set_num_threads(bad)
