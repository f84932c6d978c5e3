"""Stochastic gradient descent with optional momentum, Nesterov momentum and weight decay."""
from .. import kernels
from ..tensor import Tensor
from .optimizer import Optimizer, signed_grad


class SGD(Optimizer):
    r"""SGD, exactly as torch.optim.SGD (single-tensor form):

        g  = ±grad + weight_decay · p
        b  = g                                   (first step)
        b  = momentum · b + (1 − dampening) · g  (later steps)
        g  = g + momentum · b  if nesterov  else  b        (when momentum ≠ 0)
        p  = p − lr · g

    State per parameter (momentum ≠ 0 only): 'momentum_buffer'.
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0,
                 nesterov=False, *, maximize=False):
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening,
                    "weight_decay": weight_decay, "nesterov": nesterov, "maximize": maximize}
        super().__init__(params, defaults)

    def _check_group(self, group):
        self._check_nonneg(group, "lr", "learning rate")
        self._check_nonneg(group, "momentum", "momentum value")
        self._check_nonneg(group, "weight_decay", "weight_decay value")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            self._fail(f"Nesterov momentum requires a momentum and zero dampening "
                       f"(got nesterov=True, momentum={group['momentum']!r}, "
                       f"dampening={group['dampening']!r})")

    def step(self, closure=None):
        loss = self._closure(closure)
        state = self.state
        for group in self.param_groups:
            lr = float(group["lr"])
            momentum = float(group["momentum"])
            dampening = float(group["dampening"])
            weight_decay = float(group["weight_decay"])
            nesterov = group["nesterov"]
            maximize = group["maximize"]
            for p, d, g in self._grads(group):
                buf = None
                if momentum != 0:
                    s = state[p]
                    if s.get("momentum_buffer") is None:    # the buffer starts as g
                        g = signed_grad(d, g, maximize, weight_decay)
                        b = g.astype(d.dtype, copy=True)
                        s["momentum_buffer"] = Tensor._make(b)
                        d -= lr * (g + momentum * b if nesterov else b)
                        continue
                    buf = s["momentum_buffer"]._data
                kernels.get("sgd_update", d)(d, g, buf, lr, momentum, dampening,
                                             weight_decay, nesterov, maximize)
        return loss
