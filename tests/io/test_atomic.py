"""atomic_write: a killed writer leaves the old file loadable, its temporary file is removed
by the next write of the same target (never a live writer's), and files follow the umask."""
import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import minicnn as mc
from minicnn import nn, optim
from minicnn.io.atomic import _host_tag, atomic_write
from minicnn.train.checkpoint import load_checkpoint, save_checkpoint

try:
    import torch
except ImportError:  # the umask is then compared with the rule alone
    torch = None

needs_posix = pytest.mark.skipif(os.name != "posix", reason="needs POSIX signals and pids")

# Writes a first checkpoint, then starts a second whose np.savez writes part of the file,
# says so on stdout and waits to be killed.
KILLED_WRITER = textwrap.dedent("""
    import sys, time
    import numpy as np
    import minicnn as mc
    from minicnn import nn, optim
    from minicnn.train.checkpoint import save_checkpoint

    def stalled_savez(file, **arrays):
        file.write(b"PK" + bytes(100_000))
        file.flush()
        print("writing", flush=True)
        time.sleep(120)

    mc.manual_seed(0)
    model = nn.Linear(4, 3)
    opt = optim.SGD(model.parameters(), lr=0.1)
    save_checkpoint(sys.argv[1], model, opt, None, 0, 0, 0, mc.get_rng_state(), [])
    np.savez = stalled_savez
    save_checkpoint(sys.argv[1], model, opt, None, 1, 0, 8, mc.get_rng_state(), [])
""")


def _temporaries(folder, target):
    return sorted(n for n in os.listdir(folder) if n.startswith(f".{target}.tmp-"))


def _dead_pid():
    """The pid of a process that has exited and been reaped."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _model_and_optimizer():
    model = nn.Linear(4, 3)
    return model, optim.SGD(model.parameters(), lr=0.1)


@needs_posix
def test_a_checkpoint_write_killed_midway_leaves_a_loadable_one_and_no_litter(tmp_path):
    script = tmp_path / "writer.py"
    script.write_text(KILLED_WRITER)
    path = tmp_path / "checkpoint.npz"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    writer = subprocess.Popen([sys.executable, str(script), str(path)], stdout=subprocess.PIPE,
                              text=True, env=env)
    try:
        assert writer.stdout.readline() == "writing\n"
    finally:
        writer.kill()
        writer.wait()
        writer.stdout.close()
    assert writer.returncode == -signal.SIGKILL
    [litter] = _temporaries(tmp_path, "checkpoint.npz")
    assert litter.startswith(f".checkpoint.npz.tmp-{_host_tag()}-{writer.pid}-")

    model, opt = _model_and_optimizer()
    assert load_checkpoint(path, model, opt, None)["epoch"] == 0

    save_checkpoint(path, model, opt, None, 2, 0, 16, mc.get_rng_state(), [])
    assert _temporaries(tmp_path, "checkpoint.npz") == []
    assert load_checkpoint(path, model, opt, None)["epoch"] == 2


@needs_posix
def test_only_dead_writers_temporaries_of_the_same_target_are_removed(tmp_path):
    host, dead = _host_tag(), _dead_pid()
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        stale = f".ck.npz.tmp-{host}-{dead}-0123abcd.npz"
        kept = [
            f".ck.npz.tmp-{host}-{live.pid}-0123abcd.npz",     # another live process
            f".ck.npz.tmp-{host}-{os.getpid()}-0123abcd.npz",  # a writer in this process
            f".ck.npz.tmp-0badc0de-{dead}-0123abcd.npz",       # a writer on another host
            f".other.npz.tmp-{host}-{dead}-0123abcd.npz",      # another target
            f".ck.npz.tmp-{host}-{dead}-0123abcd.part",        # another kind of temporary
            f".ck.npz.tmp-{host}-{dead}-0123abcd.npz.bak",     # not the pattern
            ".ck.npz.k2j3h4ab.npz",                            # not the pattern
        ]
        for name in [stale, *kept]:
            (tmp_path / name).write_bytes(b"partial")
        mc.save({"epoch": 3}, tmp_path / "ck.npz")
    finally:
        live.kill()
        live.wait()
    assert sorted(os.listdir(tmp_path)) == sorted(kept + ["ck.npz"])
    assert mc.load(tmp_path / "ck.npz") == {"epoch": 3}


def test_a_failed_write_removes_its_temporary_and_keeps_the_target(tmp_path):
    path = tmp_path / "data.bin"
    path.write_bytes(b"old")
    with pytest.raises(RuntimeError, match="midway"):
        with atomic_write(path) as f:
            f.write(b"new")
            raise RuntimeError("midway")
    assert os.listdir(tmp_path) == ["data.bin"] and path.read_bytes() == b"old"


@needs_posix
@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_written_files_follow_the_umask_like_torch_save(tmp_path, umask):
    names = ["a.npz", "b.bin"]
    previous = os.umask(umask)
    try:
        mc.save({"w": np.zeros(2)}, tmp_path / "a.npz")
        with atomic_write(tmp_path / "b.bin") as f:
            f.write(b"x")
        if torch is not None:
            torch.save({"w": torch.zeros(2)}, tmp_path / "c.pt")
            names.append("c.pt")
    finally:
        os.umask(previous)
    for name in names:
        assert os.stat(tmp_path / name).st_mode & 0o777 == 0o666 & ~umask, name
