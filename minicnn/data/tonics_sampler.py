"""TOnICSBatchSampler: minibatches for contrastive image–text training whose negatives
grow harder over the epochs, after TOnICS (Srinivasan, Ren and Thomason, "Curriculum
Learning for Data-Efficient Vision-Language Alignment", 2022).

TOnICS (Training with Ontology-Informed Contrastive Sampling) first draws minibatches at
random, whose pairs show many different objects, so that InfoNCE's negatives are told apart
by the objects alone; then it draws minibatches in which every pair contains one object of
the ontology, so that negatives differ only in the rest of the caption (sizes, relations,
context). Here an item's entities are any hashable labels (DigitCaptions' `entity_sets`:
the digits an item shows).

Choices made here, all configurable:
- the schedule is per epoch: with schedule="switch" (the default) epochs before
  `phase_switch` are random (phase 1) and every later epoch is ontology-based (phase 2);
  with schedule="ramp" the share of items drawn into ontology batches rises linearly from 0
  at epoch `phase_switch` to 1 at epoch `phase_switch + ramp_epochs`, the two kinds of
  batch mixed in one shuffled order;
- in phase 2 each item joins the group of one of its entities, chosen uniformly, so an
  epoch still visits every item exactly once, and an entity is drawn in proportion to how
  many items carry it; a group's last batch may be smaller than `batch_size` (dropped
  with drop_last=True), since a pair never joins a batch whose entity it lacks.
Every epoch's batches come from a generator seeded by (seed, epoch): call set_epoch(epoch)
before each epoch (minicnn's `fit` does).
"""
import numbers

import numpy as np

NAME = "TOnICSBatchSampler"
SCHEDULES = ("switch", "ramp")


def _integer(name, value, minimum):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{NAME}: {name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


class TOnICSBatchSampler:
    """TOnICSBatchSampler(dataset_entities, batch_size, phase_switch=1, seed=0,
    schedule="switch", ramp_epochs=1, drop_last=False).

    `dataset_entities[i]` is an iterable of the hashable entities item i contains (at least
    one each). Iterating gives lists of indices, one per batch, for DataLoader's
    `batch_sampler=`. `ontology_share(epoch)` is the share of items drawn into ontology
    batches that epoch (0 in phase 1, 1 in phase 2).
    """

    def __init__(self, dataset_entities, batch_size, phase_switch=1, seed=0, schedule="switch",
                 ramp_epochs=1, drop_last=False):
        self.entities = [tuple(sorted(set(e), key=repr)) for e in dataset_entities]
        empty = next((i for i, e in enumerate(self.entities) if not e), None)
        if empty is not None:
            raise ValueError(f"{NAME}: item {empty} has no entity; every item needs one")
        if not self.entities:
            raise ValueError(f"{NAME}: dataset_entities is empty")
        if schedule not in SCHEDULES:
            raise ValueError(f"{NAME}: schedule must be one of {SCHEDULES}, got {schedule!r}")
        self.batch_size = _integer("batch_size", batch_size, 1)
        self.phase_switch = _integer("phase_switch", phase_switch, 0)
        self.seed = _integer("seed", seed, 0)
        self.ramp_epochs = _integer("ramp_epochs", ramp_epochs, 1)
        self.schedule = schedule
        self.drop_last = bool(drop_last)
        self.epoch = 0
        self._cache = None

    def set_epoch(self, epoch):
        """Draw the batches of `epoch`: its phase, and a generator seeded by (seed, epoch)."""
        self.epoch = _integer("epoch", epoch, 0)

    def ontology_share(self, epoch=None):
        """The share of this (or the given) epoch's items that go into ontology batches."""
        epoch = self.epoch if epoch is None else epoch
        if self.schedule == "switch":
            return 0.0 if epoch < self.phase_switch else 1.0
        return min(1.0, max(0.0, (epoch - self.phase_switch) / self.ramp_epochs))

    def _chunks(self, indices):
        size = self.batch_size
        chunks = [list(indices[i:i + size]) for i in range(0, len(indices), size)]
        if self.drop_last and chunks and len(chunks[-1]) < size:
            chunks.pop()
        return chunks

    def _draw(self, epoch):
        rng = np.random.default_rng([self.seed, epoch])
        order = rng.permutation(len(self.entities))
        grouped = int(round(self.ontology_share(epoch) * len(order)))
        groups = {}
        for i in order[:grouped].tolist():
            options = self.entities[i]
            groups.setdefault(options[int(rng.integers(len(options)))], []).append(i)
        batches = self._chunks(order[grouped:].tolist())
        for entity in sorted(groups, key=repr):
            batches.extend(self._chunks(groups[entity]))
        return [batches[k] for k in rng.permutation(len(batches))]

    def batches(self):
        """This epoch's batches, a list of lists of indices."""
        if self._cache is None or self._cache[0] != self.epoch:
            self._cache = (self.epoch, self._draw(self.epoch))
        return self._cache[1]

    def __iter__(self):
        return iter([list(b) for b in self.batches()])

    def __len__(self):
        return len(self.batches())

    def __repr__(self):
        return (f"{NAME}(items={len(self.entities)}, batch_size={self.batch_size}, "
                f"schedule={self.schedule!r}, phase_switch={self.phase_switch}, "
                f"epoch={self.epoch})")
