"""Adagrad (Duchi, Hazan & Singer, 2011): per-coordinate steps scaled by the root of the
sum of every squared gradient so far."""
from .. import backend
from ..tensor import Tensor
from .optimizer import Optimizer, signed_grad


class Adagrad(Optimizer):
    r"""Adagrad, exactly as torch.optim.Adagrad (single-tensor form, dense gradients):

        t  = t + 1
        g  = ±grad + weight_decay · p
        s  = s + g²                      (s starts at initial_accumulator_value)
        p  = p − lr / (1 + (t − 1) · lr_decay) · g / (√s + eps)

    State per parameter: 'step' (int), 'sum' (s), made for every parameter when the
    optimizer is built, as PyTorch does (and for a later group's at its first step).
    """

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0,
                 initial_accumulator_value=0, eps=1e-10, *, maximize=False):
        defaults = {"lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
                    "initial_accumulator_value": initial_accumulator_value,
                    "maximize": maximize}
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self._sum_state(p, group)

    def _sum_state(self, p, group):
        """self.state[p], made on first use: step 0, the sum at initial_accumulator_value."""
        s = self.state[p]
        if not s:
            s["step"] = 0
            s["sum"] = Tensor._make(backend.xp_of(p._data).full_like(
                p._data, group["initial_accumulator_value"]))
        return s

    def _check_group(self, group):
        self._check_nonneg(group, "lr", "learning rate")
        self._check_nonneg(group, "lr_decay", "lr_decay value")
        self._check_nonneg(group, "weight_decay", "weight_decay value")
        self._check_nonneg(group, "initial_accumulator_value", "initial_accumulator_value")
        self._check_nonneg(group, "eps", "epsilon value")

    def step(self, closure=None):
        loss = self._closure(closure)
        for group in self.param_groups:
            lr, lr_decay, eps = float(group["lr"]), float(group["lr_decay"]), float(group["eps"])
            weight_decay = float(group["weight_decay"])
            for p, d, g in self._grads(group):
                xp = backend.xp_of(d)
                s = self._sum_state(p, group)
                s["step"] += 1
                g = signed_grad(d, g, group["maximize"], weight_decay)
                total = s["sum"]._data
                total += g * g
                clr = lr / (1 + (s["step"] - 1) * lr_decay)
                std = xp.sqrt(total)
                std += eps
                update = xp.divide(g, std, out=std)
                update *= clr
                d -= update
        return loss
