"""Running the `minicnn` command as a user types it, and a tiny image-folder dataset."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image


def command():
    """The installed console script, or `python -m minicnn` where there is none."""
    script = shutil.which("minicnn", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "minicnn"]


def minicnn(*argv, cwd=None, timeout=600, **kwargs):
    """Run `minicnn ARGV...` in `cwd`; the CompletedProcess, output as text."""
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONUNBUFFERED="1")
    return subprocess.run([*command(), *map(str, argv)], capture_output=True, text=True,
                          timeout=timeout, cwd=cwd, env=env, **kwargs)


def image_folder(root, classes=("a", "b"), per_class=4, side=8):
    """root/train and root/test with `per_class` random RGB images per class; returns root."""
    rng = np.random.default_rng(0)
    for split in ("train", "test"):
        for label in classes:
            folder = Path(root) / split / label
            folder.mkdir(parents=True)
            for i in range(per_class):
                pixels = rng.integers(0, 256, size=(side, side, 3), dtype=np.uint8)
                Image.fromarray(pixels).save(folder / f"{i}.png")
    return Path(root)
