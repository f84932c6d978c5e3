"""A tiny synthetic problem for the tests of fit: three Gaussian blobs in 2-D and an MLP."""
import numpy as np

import minicnn as mc
from minicnn import nn
from minicnn.data import DataLoader, TensorDataset

N, BATCH = 96, 16                               # 6 batches per epoch


def blobs(n=N, seed=0):
    """Three well separated Gaussian blobs in 2-D: (inputs, labels) tensors."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 3
    centers = np.array([[3.0, 0.0], [-3.0, 2.0], [0.0, -3.0]])
    x = centers[labels] + 0.5 * rng.standard_normal((n, 2))
    return mc.tensor(x.astype(np.float32)), mc.tensor(labels.astype(np.int64))


def loaders(seed=0, shuffle=True):
    train = DataLoader(TensorDataset(*blobs()), batch_size=BATCH, shuffle=shuffle, seed=seed)
    val = DataLoader(TensorDataset(*blobs(48, seed=1)), batch_size=BATCH)
    return train, val


def mlp(seed=0, dropout=0.0):
    mc.manual_seed(seed)
    return nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Dropout(dropout), nn.Linear(16, 3))
