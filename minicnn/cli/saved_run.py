"""A run of `minicnn train` loaded back, for `minicnn evaluate` and `minicnn predict`: its
model, built as it was trained, with the run's latest weights, and its data's preprocessing."""
import os
from dataclasses import dataclass

from ..io import load
from . import clip_training, datasets, run_folder, zoo
from .errors import UsageError, user_input


@dataclass
class SavedRun:
    folder: str
    record: dict
    entry: object
    model: object
    source: object
    weights: str

    @property
    def input_size(self):
        return tuple(self.record["input_size"])

    def transform(self, source=None):
        """The test-time preprocessing of `source`'s images (default: the run's data) for
        this run's model."""
        channels, size, _ = self.input_size
        return datasets.transform(source or self.source, False, False, size, channels)


def _weights(folder, flag):
    """The run's latest weights: the checkpoint (written at each epoch's end and on
    Ctrl-C), else model.npz."""
    checkpoint = os.path.join(folder, run_folder.CHECKPOINT)
    final = os.path.join(folder, run_folder.WEIGHTS)
    if os.path.isfile(checkpoint):
        with user_input(f"{flag} {folder}", (ValueError, OSError)):
            return checkpoint, load(checkpoint)["model"]
    if os.path.isfile(final):
        with user_input(f"{flag} {folder}", (ValueError, OSError)):
            return final, load(final)
    raise UsageError(f"{flag} {folder}: the run has no weights yet (no {run_folder.CHECKPOINT} "
                     f"or {run_folder.WEIGHTS})")


def load_run(path, flag="RUN_DIR", pairs=False):
    """The SavedRun of the run folder `path`, its model in eval mode. A CLIP run on
    image–caption pairs is a UsageError unless `pairs` (the command takes such runs)."""
    folder, record = run_folder.read_run(path, flag)
    if clip_training.is_pairs_run(record) and not pairs:
        raise UsageError(f"{flag} {path}: a CLIP run on image–caption pairs has no classes "
                         f"to predict; `minicnn evaluate` reports its recall and zero-shot "
                         f"accuracy")
    entry = zoo.lookup(record["model"])
    channels, size, _ = record["input_size"]
    weights, state = _weights(folder, flag)
    if clip_training.is_pairs_run(record):
        model = clip_training.build(entry, record)
    else:
        model = entry.build(record["num_classes"], channels, size, record["settings"]["variant"])
    with user_input(f"{flag} {folder}: {weights}"):
        model.load_state_dict(state)
    model.eval()
    return SavedRun(folder, record, entry, model, datasets.Source.from_record(record["data"]),
                    weights)
