"""A training run's folder: made unique, and described by run.json.

run.json holds what is needed to continue, evaluate or use the run without the command line
that started it: the model and every training setting (after defaults were applied), the
data source and its preprocessing, the minicnn version, and each time the run was trained.
"""
import json
import os
import time

from ..io.atomic import atomic_write
from ..version import __version__
from .errors import UsageError

RUN_FILE = "run.json"
CHECKPOINT = "checkpoint.npz"
WEIGHTS = "model.npz"


def new_run_folder(parent="runs"):
    """Make and return `parent/<YYYYmmdd-HHMMSS>`, or with `-2`, `-3` ... appended when a run
    started in the same second (in this process or another) took that name."""
    os.makedirs(parent, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for n in range(1, 10_000):
        path = os.path.join(parent, stamp if n == 1 else f"{stamp}-{n}")
        try:
            os.mkdir(path)
        except FileExistsError:
            continue
        return path
    raise UsageError(f"{parent}: too many runs named {stamp}-N")


def write_run(folder, record):
    """Write `record` (a JSON-able dict) as folder/run.json, atomically, adding the version."""
    record = dict(record, minicnn_version=__version__)
    with atomic_write(os.path.join(folder, RUN_FILE)) as f:
        f.write(json.dumps(record, indent=2).encode())
    return record


def read_run(path, flag):
    """The run.json of the run folder `path` (or of the folder holding the checkpoint or
    weights file `path`); a missing or unreadable one is a UsageError naming `flag`."""
    folder = os.path.dirname(path) if os.path.isfile(path) else path
    file = os.path.join(folder, RUN_FILE)
    if not os.path.isdir(folder):
        raise UsageError(f"{flag} {path}: no such run folder")
    if not os.path.isfile(file):
        raise UsageError(f"{flag} {path}: not a run folder of minicnn train (it has no "
                         f"{RUN_FILE})")
    try:
        with open(file) as f:
            record = json.load(f)
    except (OSError, ValueError) as error:
        raise UsageError(f"{flag} {path}: {RUN_FILE} cannot be read ({error})") from None
    if not isinstance(record, dict) or not {"model", "settings", "data"} <= set(record):
        raise UsageError(f"{flag} {path}: {RUN_FILE} is not a run description")
    return folder, record


def stamp():
    """Now, as run.json records times."""
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")
