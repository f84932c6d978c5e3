"""fit with a DataLoader's batch_sampler: set_epoch is called before each epoch and every
epoch runs all its batches, however many that epoch has (TOnICSBatchSampler's phases)."""
from minicnn import optim
from minicnn.data import DataLoader, TensorDataset, TOnICSBatchSampler
from minicnn.train import Callback, fit
from train_helpers import blobs, mlp


class StepCounter(Callback):
    def __init__(self):
        self.steps = {}

    def on_step_end(self, state):
        self.steps[state["epoch"]] = self.steps.get(state["epoch"], 0) + 1


def test_fit_sets_the_batch_samplers_epoch_and_runs_each_epochs_batches():
    inputs, labels = blobs()
    entities = [{int(label)} for label in labels.numpy()]
    sampler = TOnICSBatchSampler(entities, 20, phase_switch=1, seed=0)
    loader = DataLoader(TensorDataset(inputs, labels), batch_sampler=sampler)
    model = mlp()
    counter = StepCounter()
    fit(model, loader, optim.SGD(model.parameters(), lr=0.1), epochs=3, callbacks=[counter],
        progress=False)
    lengths = []
    for epoch in range(3):
        sampler.set_epoch(epoch)
        lengths.append(len(sampler))
    assert lengths[0] != lengths[1]        # phase 2 has one short batch per label
    assert [counter.steps[e] for e in range(3)] == lengths
    assert sampler.epoch == 2
