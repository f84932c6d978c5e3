"""The VAE example of pytorch/examples, shortened: MNIST through ToTensor, an encoder to a mean
and a log-variance, the reparameterisation with randn_like, binary cross-entropy plus the KL
term, Adam, and a grid of decoded samples written with save_image."""
import os

import torch
import torch.utils.data
from torch import nn, optim
from torch.nn import functional as F
from torchvision import datasets, transforms
from torchvision.utils import save_image

from _shared import report, shape, workdir

torch.manual_seed(1)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
root = os.path.join(workdir(), "data")
train_loader = torch.utils.data.DataLoader(
    datasets.MNIST(root, train=True, download=True, transform=transforms.ToTensor()),
    batch_size=64, shuffle=True)


class VAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 128)
        self.fc21 = nn.Linear(128, 8)
        self.fc22 = nn.Linear(128, 8)
        self.fc3 = nn.Linear(8, 128)
        self.fc4 = nn.Linear(128, 784)

    def encode(self, x):
        h1 = F.relu(self.fc1(x))
        return self.fc21(h1), self.fc22(h1)

    def reparameterize(self, mu, logvar):
        std = torch.exp(0.5 * logvar)
        eps = torch.randn_like(std)
        return mu + eps * std

    def decode(self, z):
        h3 = F.relu(self.fc3(z))
        return torch.sigmoid(self.fc4(h3))

    def forward(self, x):
        mu, logvar = self.encode(x.view(-1, 784))
        z = self.reparameterize(mu, logvar)
        return self.decode(z), mu, logvar


model = VAE().to(device)
optimizer = optim.Adam(model.parameters(), lr=1e-3)


def loss_function(recon_x, x, mu, logvar):
    BCE = F.binary_cross_entropy(recon_x, x.view(-1, 784), reduction="sum")
    KLD = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return BCE + KLD


epoch_losses = []
for epoch in range(3):
    model.train()
    train_loss = 0
    for batch_idx, (data, _) in enumerate(train_loader):
        data = data.to(device)
        optimizer.zero_grad()
        recon_batch, mu, logvar = model(data)
        loss = loss_function(recon_batch, data, mu, logvar)
        loss.backward()
        train_loss += loss.item()
        optimizer.step()
    epoch_losses.append(train_loss / len(train_loader.dataset))

with torch.no_grad():
    sample = torch.randn(16, 8).to(device)
    sample = model.decode(sample).cpu()
    path = os.path.join(workdir(), "sample.png")
    save_image(sample.view(16, 1, 28, 28), path, nrow=4)
report(shapes={"sample": shape(sample), "recon": shape(recon_batch), "mu": shape(mu)},
       losses={"train": epoch_losses},
       values={"parameters": sum(p.numel() for p in model.parameters())},
       checks={"sample written": os.path.getsize(path) > 0,
               "probabilities": bool(((sample >= 0) & (sample <= 1)).all())})
