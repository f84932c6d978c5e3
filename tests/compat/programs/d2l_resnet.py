"""The ResNet chapter of Dive into Deep Learning: the Residual block (optional 1×1
shortcut, BatchNorm, Y += X), resnet_block, the ResNet-18-like network's shape walk, a
narrow version trained with copied weights (no dropout, so both libraries follow the same
path), and torchvision's resnet18(weights=None) beside it. The learning rate is 0.02: at 0.05
PyTorch 2.14 on one thread leaves the float64 path at the third step and is 3% off by the
fifth (its weight gradient of the stem convolution at the second step), while PyTorch on two
threads, float64 and the import-swapped run agree to 1e-6."""
import numpy as np
import torch
from torch import nn
from torch.nn import functional as F
from torchvision import models

from _shared import report, share_initial_weights


class Residual(nn.Module):
    def __init__(self, input_channels, num_channels, use_1x1conv=False, strides=1):
        super().__init__()
        self.conv1 = nn.Conv2d(input_channels, num_channels, kernel_size=3, padding=1,
                               stride=strides)
        self.conv2 = nn.Conv2d(num_channels, num_channels, kernel_size=3, padding=1)
        if use_1x1conv:
            self.conv3 = nn.Conv2d(input_channels, num_channels, kernel_size=1, stride=strides)
        else:
            self.conv3 = None
        self.bn1 = nn.BatchNorm2d(num_channels)
        self.bn2 = nn.BatchNorm2d(num_channels)

    def forward(self, X):
        Y = F.relu(self.bn1(self.conv1(X)))
        Y = self.bn2(self.conv2(Y))
        if self.conv3:
            X = self.conv3(X)
        Y += X
        return F.relu(Y)


def resnet_block(input_channels, num_channels, num_residuals, first_block=False):
    blk = []
    for i in range(num_residuals):
        if i == 0 and not first_block:
            blk.append(Residual(input_channels, num_channels, use_1x1conv=True, strides=2))
        else:
            blk.append(Residual(num_channels, num_channels))
    return blk


def resnet(width=64, classes=10):
    b1 = nn.Sequential(nn.Conv2d(1, width, kernel_size=7, stride=2, padding=3),
                       nn.BatchNorm2d(width), nn.ReLU(),
                       nn.MaxPool2d(kernel_size=3, stride=2, padding=1))
    b2 = nn.Sequential(*resnet_block(width, width, 2, first_block=True))
    b3 = nn.Sequential(*resnet_block(width, 2 * width, 2))
    b4 = nn.Sequential(*resnet_block(2 * width, 4 * width, 2))
    b5 = nn.Sequential(*resnet_block(4 * width, 8 * width, 2))
    return nn.Sequential(b1, b2, b3, b4, b5, nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(),
                         nn.Linear(8 * width, classes))


torch.manual_seed(0)
blk = Residual(3, 6, use_1x1conv=True, strides=2)
block_shape = list(blk(torch.rand(4, 3, 6, 6)).shape)
X = torch.rand(size=(1, 1, 96, 96))
walk = {}
for i, layer in enumerate(resnet()):
    X = layer(X)
    walk[f"{i} {layer.__class__.__name__}"] = list(X.shape)

rng = np.random.default_rng(0)
images = torch.from_numpy(rng.standard_normal((32, 1, 32, 32)).astype(np.float32))
labels = torch.from_numpy(rng.integers(0, 10, 32))
net = resnet(width=8)
share_initial_weights(torch, net)
net.eval()
with torch.no_grad():
    evaluated = net(images[:2])
net.train()
optimizer = torch.optim.SGD(net.parameters(), lr=0.02, momentum=0.9)
losses = []
for step in range(8):
    optimizer.zero_grad()
    l = F.cross_entropy(net(images), labels)
    l.backward()
    optimizer.step()
    losses.append(l.item())

reference = models.resnet18(weights=None, num_classes=10)
report(shapes={"residual block": block_shape, **walk,
               "resnet18": list(reference(torch.rand(2, 3, 64, 64)).shape)},
       losses={"train": losses},
       values={"train": losses, "eval logits": evaluated.tolist(),
               "resnet18 parameters": sum(p.numel() for p in reference.parameters()),
               "resnet18 keys": sorted(reference.state_dict())[:12]})
