"""Adadelta (Zeiler, 2012): step sizes from running averages of squared gradients and of
squared updates."""
from .. import backend
from .optimizer import Optimizer, signed_grad, square_avg_


class Adadelta(Optimizer):
    r"""Adadelta, exactly as torch.optim.Adadelta (single-tensor form):

        g  = ±grad + weight_decay · p
        v  = ρ · v + (1 − ρ) · g²
        Δ  = √(u + eps) / √(v + eps) · g
        u  = ρ · u + (1 − ρ) · Δ²
        p  = p − lr · Δ

    State per parameter: 'step' (int), 'square_avg' (v), 'acc_delta' (u).
    """

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, *, maximize=False):
        defaults = {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay,
                    "maximize": maximize}
        super().__init__(params, defaults)

    def _check_group(self, group):
        self._check_nonneg(group, "lr", "learning rate")
        if not 0.0 <= group["rho"] <= 1.0:
            self._fail(f"Invalid rho value: rho={group['rho']!r} (expected 0 <= rho <= 1)")
        self._check_nonneg(group, "eps", "epsilon value")
        self._check_nonneg(group, "weight_decay", "weight_decay value")

    def step(self, closure=None):
        loss = self._closure(closure)
        for group in self.param_groups:
            lr, rho, eps = float(group["lr"]), float(group["rho"]), float(group["eps"])
            weight_decay = float(group["weight_decay"])
            for p, d, g in self._grads(group):
                xp = backend.xp_of(d)
                s = self._init_state(p, "square_avg", "acc_delta")
                s["step"] += 1
                g = signed_grad(d, g, group["maximize"], weight_decay)
                v = square_avg_(s["square_avg"]._data, g, rho, 1 - rho)
                u = s["acc_delta"]._data
                std = xp.sqrt(v + eps)
                delta = xp.sqrt(u + eps)
                delta /= std
                delta *= g
                square_avg_(u, delta, rho, 1 - rho)
                delta *= lr
                d -= delta
        return loss
