"""The Network in Network chapter of Dive into Deep Learning: nin_block, the full network's
shape walk on a 224×224 image, and a narrower NiN trained on Fashion-MNIST resized to 96×96
(transforms.Resize before ToTensor), with Xavier initialisation, dropout, global average
pooling and Flatten."""
import os

import torch
from torch import nn
from torch.utils import data
from torchvision import datasets, transforms

from _shared import report, shape, share_initial_weights, workdir


def nin_block(in_channels, out_channels, kernel_size, strides, padding):
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size, strides, padding),
        nn.ReLU(),
        nn.Conv2d(out_channels, out_channels, kernel_size=1), nn.ReLU(),
        nn.Conv2d(out_channels, out_channels, kernel_size=1), nn.ReLU())


def nin(widths=(96, 256, 384)):
    return nn.Sequential(
        nin_block(1, widths[0], kernel_size=11, strides=4, padding=0),
        nn.MaxPool2d(3, stride=2),
        nin_block(widths[0], widths[1], kernel_size=5, strides=1, padding=2),
        nn.MaxPool2d(3, stride=2),
        nin_block(widths[1], widths[2], kernel_size=3, strides=1, padding=1),
        nn.MaxPool2d(3, stride=2),
        nn.Dropout(0.5),
        nin_block(widths[2], 10, kernel_size=3, strides=1, padding=1),
        nn.AdaptiveAvgPool2d((1, 1)),
        nn.Flatten())


torch.manual_seed(0)
X = torch.rand(size=(1, 1, 224, 224))
walk = {}
with torch.no_grad():
    for i, layer in enumerate(nin()):
        X = layer(X)
        walk[f"{i} {layer.__class__.__name__}"] = list(X.shape)

trans = transforms.Compose([transforms.Resize(96), transforms.ToTensor()])
root = os.path.join(workdir(), "data")
train_set = datasets.FashionMNIST(root=root, train=True, transform=trans, download=True)
train_iter = data.DataLoader(data.Subset(train_set, range(256)), batch_size=32, shuffle=True)
def init_weights(m):
    if type(m) == nn.Linear or type(m) == nn.Conv2d:
        nn.init.xavier_uniform_(m.weight)


net = nin(widths=(24, 64, 96))
net.apply(init_weights)
share_initial_weights(torch, net)
images, labels = next(iter(data.DataLoader(train_set, batch_size=8)))
net.eval()
with torch.no_grad():
    initial = net(images)
optimizer = torch.optim.Adam(net.parameters(), lr=3e-3)
loss = nn.CrossEntropyLoss()
epoch_losses = []
for epoch in range(5):
    net.train()
    total = 0.0
    for X, y in train_iter:
        optimizer.zero_grad()
        l = loss(net(X), y)
        l.backward()
        optimizer.step()
        total += l.item()
    epoch_losses.append(total / len(train_iter))
report(shapes={**walk, "images": shape(images)}, losses={"train": epoch_losses},
       values={"resized images": images[:, :, 40:48, 40:48].tolist(),
               "initial logits": initial.tolist()})
