"""The autograd tutorial's operations: requires_grad, grad_fn, backward of a scalar and of a
vector (a vector-Jacobian product), no_grad as a block and as a decorator, detach, .data."""
import torch

from _shared import report, shape

x = torch.ones(2, 2, requires_grad=True)
y = x + 2
z = y * y * 3
out = z.mean()
out.backward()
grad_of_mean = x.grad.tolist()

a = torch.tensor([[0.5, -1.0], [2.0, 3.0]])
a = ((a * 3) / (a - 1))
before = a.requires_grad
a.requires_grad_(True)
b = (a * a).sum()

v = torch.tensor([0.1, 1.0, 0.0001], dtype=torch.float32)
w = torch.tensor([1.0, -2.0, 0.5], requires_grad=True)
s = w * 2
while s.data.norm() < 1000:
    s = s * 2
s.backward(v)

with torch.no_grad():
    inside = (w ** 2).requires_grad


@torch.no_grad()
def doubled(t):
    return t * 2


detached = w.detach()
q = torch.linspace(-2.0, 2.0, 5, requires_grad=True)
r = (torch.sin(q) * torch.cos(q) + torch.log1p(q * q) + torch.sinh(q) / torch.cosh(q)).sum()
r.backward()

report(
    shapes={"x.grad": shape(x.grad), "a": shape(a)},
    values={"grad_of_mean": grad_of_mean, "out": out.item(), "b": b.item(),
            "vjp": w.grad.tolist(), "s": s.tolist(), "q.grad": q.grad.tolist()},
    checks={"y has grad_fn": y.grad_fn is not None, "x is a leaf": x.is_leaf,
            "a did not require grad": not before, "a requires grad now": a.requires_grad,
            "b has grad_fn": b.grad_fn is not None, "no_grad block": not inside,
            "no_grad decorator": not doubled(w).requires_grad,
            "detach": not detached.requires_grad and detached.equal(w.data),
            "data is a tensor": not w.data.requires_grad and w.data.shape == w.shape},
)
