"""The LeNet chapter of Dive into Deep Learning (PyTorch edition): the sigmoid/average-pooling
LeNet as nn.Sequential, the layer-by-layer shape walk, Xavier initialisation through
net.apply, Fashion-MNIST through torchvision, SGD with a large rate, accuracy with
argmax(axis=1) and type()."""
import os

import torch
from torch import nn
from torch.utils import data
from torchvision import datasets, transforms

from _shared import report, share_initial_weights, workdir

net = nn.Sequential(
    nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.Sigmoid(),
    nn.AvgPool2d(kernel_size=2, stride=2),
    nn.Conv2d(6, 16, kernel_size=5), nn.Sigmoid(),
    nn.AvgPool2d(kernel_size=2, stride=2),
    nn.Flatten(),
    nn.Linear(16 * 5 * 5, 120), nn.Sigmoid(),
    nn.Linear(120, 84), nn.Sigmoid(),
    nn.Linear(84, 10))

X = torch.rand(size=(1, 1, 28, 28), dtype=torch.float32)
walk = {}
for i, layer in enumerate(net):
    X = layer(X)
    walk[f"{i} {layer.__class__.__name__}"] = list(X.shape)


def load_data_fashion_mnist(batch_size):
    trans = transforms.ToTensor()
    root = os.path.join(workdir(), "data")
    mnist_train = datasets.FashionMNIST(root=root, train=True, transform=trans, download=True)
    mnist_test = datasets.FashionMNIST(root=root, train=False, transform=trans, download=True)
    return (data.DataLoader(mnist_train, batch_size, shuffle=False, num_workers=2),
            data.DataLoader(mnist_test, batch_size, shuffle=False, num_workers=2))


def accuracy(y_hat, y):
    if len(y_hat.shape) > 1 and y_hat.shape[1] > 1:
        y_hat = y_hat.argmax(axis=1)
    cmp = y_hat.type(y.dtype) == y
    return float(cmp.type(y.dtype).sum())


def evaluate_accuracy(net, data_iter):
    net.eval()
    right, total = 0.0, 0
    with torch.no_grad():
        for X, y in data_iter:
            right += accuracy(net(X), y)
            total += y.numel()
    return right / total


def init_weights(m):
    if type(m) == nn.Linear or type(m) == nn.Conv2d:
        nn.init.xavier_uniform_(m.weight)


torch.manual_seed(0)
net.apply(init_weights)
share_initial_weights(torch, net)
train_iter, test_iter = load_data_fashion_mnist(batch_size=64)
optimizer = torch.optim.SGD(net.parameters(), lr=0.9)
loss = nn.CrossEntropyLoss()
epoch_losses = []
for epoch in range(3):
    net.train()
    total, count = 0.0, 0
    for X, y in train_iter:
        optimizer.zero_grad()
        y_hat = net(X)
        l = loss(y_hat, y)
        l.backward()
        optimizer.step()
        total += l.item() * X.shape[0]
        count += X.shape[0]
    epoch_losses.append(total / count)
report(shapes=walk, losses={"train": epoch_losses},
       values={"train losses": epoch_losses, "test accuracy": evaluate_accuracy(net, test_iter)})
