"""NAdam (Dozat, 2016): Adam with Nesterov momentum and a momentum warm-up schedule."""
import numpy as np

from .. import backend
from ..dtypes import get_default_dtype
from .optimizer import Optimizer, lerp_, signed_grad, square_avg_


class NAdam(Optimizer):
    r"""NAdam, exactly as torch.optim.NAdam (single-tensor form):

        t  = t + 1
        g  = ±grad (+ weight_decay · p, or p = p · (1 − lr · weight_decay) when decoupled)
        μₜ = β1 · (1 − ½ · 0.96^(t · momentum_decay)),  Πₜ = Π_{i ≤ t} μᵢ
        m  = lerp(m, g, 1 − β1)            v = β2 · v + (1 − β2) · g²
        d  = √(v / (1 − β2ᵗ)) + eps
        p  = p − lr · (1 − μₜ) / (1 − Πₜ) · g / d − lr · μₜ₊₁ / (1 − Πₜ · μₜ₊₁) · m / d

    State per parameter: 'step' (int), 'mu_product' (Πₜ, kept in float32 as PyTorch keeps
    it unless the default dtype is float64), 'exp_avg' (m), 'exp_avg_sq' (v).
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 momentum_decay=4e-3, decoupled_weight_decay=False, *, maximize=False):
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "momentum_decay": momentum_decay,
                    "decoupled_weight_decay": decoupled_weight_decay, "maximize": maximize}
        super().__init__(params, defaults)

    def _check_group(self, group):
        self._check_nonneg(group, "lr", "learning rate")
        self._check_nonneg(group, "eps", "epsilon value")
        self._check_betas(group)
        self._check_nonneg(group, "weight_decay", "weight_decay value")
        self._check_nonneg(group, "momentum_decay", "momentum_decay value")

    def step(self, closure=None):
        loss = self._closure(closure)
        scalar = np.float64 if get_default_dtype() == np.float64 else np.float32
        for group in self.param_groups:
            lr, eps = float(group["lr"]), float(group["eps"])
            beta1, beta2 = (float(b) for b in group["betas"])
            weight_decay = float(group["weight_decay"])
            momentum_decay = float(group["momentum_decay"])
            decoupled = group["decoupled_weight_decay"]
            for p, d, g in self._grads(group):
                xp = backend.xp_of(d)
                s = self._init_state(p, "exp_avg", "exp_avg_sq")
                s.setdefault("mu_product", 1.0)
                step = s["step"] = s["step"] + 1
                if decoupled and weight_decay != 0:
                    d *= 1 - lr * weight_decay
                g = signed_grad(d, g, group["maximize"], 0 if decoupled else weight_decay)
                mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * momentum_decay))
                mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * momentum_decay))
                mu_product = float(scalar(s["mu_product"]) * scalar(mu))
                s["mu_product"] = mu_product
                m = lerp_(s["exp_avg"]._data, g, 1 - beta1)
                v = square_avg_(s["exp_avg_sq"]._data, g, beta2, 1 - beta2)
                denom = xp.sqrt(v / (1 - beta2 ** step))
                denom += eps
                d -= (lr * (1.0 - mu) / (1.0 - mu_product)) * (g / denom)
                d -= (lr * mu_next / (1.0 - mu_product * mu_next)) * (m / denom)
        return loss
