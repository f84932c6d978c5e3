"""TOnICSBatchSampler: random batches in phase 1, batches sharing an entity in phase 2, the
switch and ramp schedules, coverage of every item per epoch, determinism, set_epoch, and use
as DataLoader's batch_sampler (and by fit, which calls its set_epoch)."""
import numpy as np
import pytest

from minicnn.data import DataLoader, DigitCaptions, TOnICSBatchSampler


def random_entities(n=500, seed=0):
    rng = np.random.default_rng(seed)
    return [set(rng.choice(10, size=rng.integers(1, 4), replace=False).tolist())
            for _ in range(n)]


def shares_an_entity(batch, entities):
    return bool(set.intersection(*(set(entities[i]) for i in batch)))


def flat(batches):
    return sorted(i for b in batches for i in b)


@pytest.mark.parametrize("epoch", [0, 1, 4])
def test_every_epoch_covers_every_item_once(epoch):
    entities = random_entities()
    sampler = TOnICSBatchSampler(entities, 32, phase_switch=2)
    sampler.set_epoch(epoch)
    assert flat(sampler) == list(range(len(entities)))
    assert len(sampler) == len(list(sampler))


def test_phase_two_batches_share_an_entity_and_phase_one_batches_do_not():
    entities = random_entities()
    sampler = TOnICSBatchSampler(entities, 16, phase_switch=1)
    sampler.set_epoch(0)
    phase_one = list(sampler)
    assert sorted(len(b) for b in phase_one)[1:] == [16] * (len(phase_one) - 1)
    assert sum(shares_an_entity(b, entities) for b in phase_one) < len(phase_one) // 2
    for epoch in (1, 2, 5):
        sampler.set_epoch(epoch)
        assert all(shares_an_entity(b, entities) for b in sampler)


def test_phase_two_batches_are_full_but_for_one_per_entity():
    entities = random_entities()
    sampler = TOnICSBatchSampler(entities, 16, phase_switch=0)
    short = [b for b in sampler if len(b) < 16]
    assert len(short) <= 10
    dropping = TOnICSBatchSampler(entities, 16, phase_switch=0, drop_last=True)
    assert all(len(b) == 16 for b in dropping) and len(dropping) == len(sampler) - len(short)


def test_same_seed_and_epoch_same_batches():
    entities = random_entities()
    a = TOnICSBatchSampler(entities, 32, seed=7)
    b = TOnICSBatchSampler(entities, 32, seed=7)
    for epoch in (0, 1, 3):
        a.set_epoch(epoch)
        b.set_epoch(epoch)
        assert list(a) == list(b) and list(a) == list(a)
    c = TOnICSBatchSampler(entities, 32, seed=8)
    c.set_epoch(3)
    assert list(c) != list(a)


def test_set_epoch_changes_the_order_and_the_phase():
    entities = random_entities()
    sampler = TOnICSBatchSampler(entities, 32, phase_switch=3)
    orders = []
    for epoch in range(5):
        sampler.set_epoch(epoch)
        orders.append(list(sampler))
        assert sampler.ontology_share() == (0.0 if epoch < 3 else 1.0)
    assert all(orders[k] != orders[k + 1] for k in range(4))
    with pytest.raises(ValueError, match="epoch"):
        sampler.set_epoch(-1)


def test_ramp_mixes_in_ontology_batches_linearly():
    entities = random_entities(1000)
    sampler = TOnICSBatchSampler(entities, 20, phase_switch=1, schedule="ramp", ramp_epochs=4)
    assert [sampler.ontology_share(e) for e in range(7)] == [0, 0, .25, .5, .75, 1, 1]
    sampler.set_epoch(3)
    batches = list(sampler)
    assert flat(batches) == list(range(1000))
    grouped = sum(len(b) for b in batches if shares_an_entity(b, entities))
    assert 500 <= grouped < 600   # the half drawn into ontology batches, and few random ones


def test_used_as_a_dataloaders_batch_sampler_on_digit_captions():
    ds = DigitCaptions("train", length=200)
    sampler = TOnICSBatchSampler(ds.entity_sets, 8, phase_switch=1)
    loader = DataLoader(ds, batch_sampler=sampler, collate_fn=lambda items: items)
    sampler.set_epoch(1)
    assert len(loader) == len(sampler)
    seen = 0
    for items, indices in zip(loader, sampler):
        digits = [set(ds.entities(i)["digits"]) for i in indices]
        assert set.intersection(*digits)
        assert [caption for _, caption in items] == [ds.caption(i) for i in indices]
        seen += len(items)
    assert seen == 200


@pytest.mark.parametrize("args, kwargs, match", [
    (([{1}, set()], 2), {}, "no entity"),
    (([], 2), {}, "empty"),
    (([{1}], 0), {}, "batch_size"),
    (([{1}], 2), {"schedule": "cosine"}, "schedule"),
    (([{1}], 2), {"phase_switch": -1}, "phase_switch"),
])
def test_bad_arguments(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        TOnICSBatchSampler(*args, **kwargs)
