"""DCGAN's pieces, small: a ConvTranspose2d generator and a Conv2d discriminator with
BatchNorm and LeakyReLU, DCGAN's weights_init through .data, BCELoss with torch.full labels,
Adam with betas (0.5, 0.999), and the alternating steps: the discriminator on real and
detached fake images, then the generator through the discriminator."""
import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim

from _shared import report, shape, share_initial_weights

nz, ngf, ndf, nc = 8, 8, 8, 1


def weights_init(m):
    classname = m.__class__.__name__
    if classname.find("Conv") != -1:
        nn.init.normal_(m.weight.data, 0.0, 0.02)
    elif classname.find("BatchNorm") != -1:
        nn.init.normal_(m.weight.data, 1.0, 0.02)
        nn.init.constant_(m.bias.data, 0)


class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        self.main = nn.Sequential(
            nn.ConvTranspose2d(nz, ngf * 2, 4, 1, 0, bias=False),
            nn.BatchNorm2d(ngf * 2),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ngf),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False),
            nn.Tanh(),
        )

    def forward(self, input):
        return self.main(input)


class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.main = nn.Sequential(
            nn.Conv2d(nc, ndf, 4, 2, 1, bias=False),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ndf * 2),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf * 2, 1, 4, 1, 0, bias=False),
            nn.Sigmoid(),
        )

    def forward(self, input):
        return self.main(input).view(-1, 1).squeeze(1)


torch.manual_seed(999)
netG = Generator()
netG.apply(weights_init)
netD = Discriminator()
netD.apply(weights_init)
share_initial_weights(torch, netG, "generator")
share_initial_weights(torch, netD, "discriminator")
criterion = nn.BCELoss()
rng = np.random.default_rng(0)
real = torch.from_numpy(np.tanh(rng.standard_normal((16, nc, 16, 16))).astype(np.float32))
noise = torch.from_numpy(rng.standard_normal((16, nz, 1, 1)).astype(np.float32))
real_label, fake_label = 1.0, 0.0
optimizerD = optim.Adam(netD.parameters(), lr=2e-3, betas=(0.5, 0.999))
optimizerG = optim.Adam(netG.parameters(), lr=2e-3, betas=(0.5, 0.999))

d_losses, g_losses = [], []
for step in range(6):
    netD.zero_grad()
    label = torch.full((real.size(0),), real_label, dtype=torch.float)
    output = netD(real)
    errD_real = criterion(output, label)
    errD_real.backward()
    D_x = output.mean().item()
    fake = netG(noise)
    label.fill_(fake_label)
    output = netD(fake.detach())
    errD_fake = criterion(output, label)
    errD_fake.backward()
    errD = errD_real + errD_fake
    optimizerD.step()
    d_losses.append(errD.item())

for step in range(6):
    netG.zero_grad()
    label = torch.full((real.size(0),), real_label)
    fake = netG(noise)
    output = netD(fake)
    errG = criterion(output, label)
    errG.backward()
    optimizerG.step()
    g_losses.append(errG.item())

report(shapes={"fake": shape(fake), "discriminator output": shape(output)},
       losses={"discriminator": d_losses, "generator": g_losses},
       values={"discriminator": d_losses, "generator": g_losses, "D(x)": D_x},
       checks={"fake in tanh's range": bool((fake.abs() <= 1).all()),
               "probabilities": bool(((output >= 0) & (output <= 1)).all())})
