"""Tensors as the tensor tutorial uses them: creation, Size, indexing, reductions with dim and
keepdim, products, meshgrid, norms, logical reductions, type(), item(), in-place fills."""
import torch

from _shared import report, shape

torch.manual_seed(0)
x = torch.arange(24, dtype=torch.float32).reshape(2, 3, 4) / 7 - 1.5
size = x.size()
values, indices = torch.max(x, dim=1)
top = x.max(2, keepdim=True)
a = torch.linspace(-1.0, 1.0, 12).reshape(3, 4)
b = torch.linspace(0.5, 2.0, 20).reshape(4, 5)
batch = torch.stack([a, a * 2])
gx, gy = torch.meshgrid(torch.arange(3), torch.arange(2), indexing="ij")
noise = torch.normal(0.0, 1.0, size=(4, 5))
filled = torch.empty(3, 3).fill_(2.0)
filled.add_(torch.ones(3, 3), alpha=0.5)
ints = torch.tensor([[1, 0, 3], [4, 5, 0]])

report(
    shapes={"x": shape(x), "flattened": shape(torch.flatten(x, start_dim=1)),
            "unsqueezed": shape(x.unsqueeze(0)), "mm": shape(torch.mm(a, b)),
            "bmm": shape(torch.bmm(batch, torch.stack([b, b]))), "meshgrid": shape(gx),
            "noise": shape(noise), "permuted": shape(x.permute(2, 0, 1)),
            "argmax keepdim": shape(x.argmax(dim=1, keepdim=True))},
    values={"numel": x.numel(), "size numel": size.numel(), "dims": [x.dim(), len(size)],
            "sum dim": x.sum(dim=(0, 2)).tolist(), "mean keepdim": x.mean(1, keepdim=True).tolist(),
            "max values": values.tolist(), "max indices": indices.tolist(),
            "top": top.values.tolist(), "top indices": top.indices.tolist(),
            "argmin": x.argmin(dim=2).tolist(), "argmax all": x.argmax().item(),
            "min dim": torch.min(x, 0)[0].tolist(), "amax": x.amax(dim=(1, 2)).tolist(),
            "mm": torch.mm(a, b).tolist(), "bmm": torch.bmm(batch, torch.stack([b, b])).tolist(),
            "matmul": (a @ b).tolist(), "grid": [gx.tolist(), gy.tolist()],
            "norm": x.norm().item(), "norm dim": x.norm(dim=2).tolist(),
            "norm p1": torch.norm(x, p=1).item(), "sin": torch.sin(a).tolist(),
            "cos": torch.cos(a).tolist(), "log1p": torch.log1p(b).tolist(),
            "filled": filled.tolist(), "indexed": x[1, :, ::2].tolist(),
            "masked": x[x > 0.5].tolist(), "where": torch.where(a > 0, a, -a).tolist(),
            "cat": torch.cat([a, a], dim=1).sum(0).tolist(),
            "clamp": a.clamp(min=-0.5, max=0.5).tolist()},
    checks={"Size is a tuple": isinstance(size, tuple) and size == (2, 3, 4),
            "Size slices": x.shape[1:] == (3, 4), "type": x.type() == "torch.FloatTensor",
            "long type": ints.type() == "torch.LongTensor",
            "cast": x.type(torch.float64).dtype == torch.float64,
            "all": bool((ints >= 0).all()) and not bool((ints > 0).all()),
            "any dim": (ints == 0).any(dim=1).tolist() == [True, True],
            "item": torch.tensor([[3.5]]).item() == 3.5,
            "float32 default": x.dtype == torch.float32 and ints.dtype == torch.int64,
            "noise statistics": abs(noise.mean().item()) < 1.5,
            "from numpy": torch.from_numpy(x.numpy()).equal(x)},
)
