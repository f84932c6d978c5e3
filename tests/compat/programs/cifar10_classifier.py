"""The CIFAR-10 tutorial's classifier, trained on torchvision's FakeData in CIFAR-10's shape
(3×32×32, 10 classes): Compose/ToTensor/Normalize, the tutorial's Net, CrossEntropyLoss, SGD
with momentum, torch.max over the logits for the accuracy, and saving the trained weights."""
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torchvision import datasets, transforms

from _shared import report, shape, share_initial_weights, workdir

transform = transforms.Compose(
    [transforms.ToTensor(), transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))])
batch_size = 16
trainset = datasets.FakeData(size=64, image_size=(3, 32, 32), num_classes=10, transform=transform)
trainloader = torch.utils.data.DataLoader(trainset, batch_size=batch_size, shuffle=True,
                                          num_workers=2)
classes = ("plane", "car", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        x = self.fc3(x)
        return x


net = Net()
share_initial_weights(torch, net)
criterion = nn.CrossEntropyLoss()
optimizer = optim.SGD(net.parameters(), lr=0.01, momentum=0.9)

epoch_losses = []
for epoch in range(4):
    running_loss = 0.0
    for i, data in enumerate(trainloader, 0):
        inputs, labels = data
        optimizer.zero_grad()
        outputs = net(inputs)
        loss = criterion(outputs, labels)
        loss.backward()
        optimizer.step()
        running_loss += loss.item()
    epoch_losses.append(running_loss / len(trainloader))

PATH = os.path.join(workdir(), "cifar_net.pth")
torch.save(net.state_dict(), PATH)
net2 = Net()
net2.load_state_dict(torch.load(PATH))

correct = 0
total = 0
with torch.no_grad():
    for images, labels in trainloader:
        outputs = net2(images)
        _, predicted = torch.max(outputs, 1)
        total += labels.size(0)
        correct += (predicted == labels).sum().item()
images, labels = next(iter(trainloader))
report(shapes={"images": shape(images), "labels": shape(labels), "logits": shape(net(images))},
       losses={"train": epoch_losses},
       values={"total": total, "parameters": sum(p.numel() for p in net.parameters())},
       checks={"reloaded": torch.equal(net(images), net2(images)),
               "accuracy is a fraction": 0 <= correct / total <= 1,
               "label names": classes[labels[0]] in classes})
