"""RAdam (Liu et al., 2019): Adam whose adaptive step is switched on, and rectified, once
the variance of the adaptive learning rate is tractable."""
from .. import backend
from .optimizer import Optimizer, lerp_, signed_grad, square_avg_


class RAdam(Optimizer):
    r"""RAdam, exactly as torch.optim.RAdam (single-tensor form):

        t  = t + 1
        g  = ±grad (+ weight_decay · p, or p = p · (1 − lr · weight_decay) when decoupled)
        m  = lerp(m, g, 1 − β1)            v = β2 · v + (1 − β2) · g²
        ρ∞ = 2 / (1 − β2) − 1,  ρₜ = ρ∞ − 2t · β2ᵗ / (1 − β2ᵗ)
        p  = p − lr · m / (1 − β1ᵗ) · √(1 − β2ᵗ) / (√v + eps) · r   where ρₜ > 5, with
             r = √((ρₜ − 4)(ρₜ − 2)ρ∞ / ((ρ∞ − 4)(ρ∞ − 2)ρₜ))
        p  = p − lr · m / (1 − β1ᵗ)                                 otherwise

    State per parameter: 'step' (int), 'exp_avg' (m), 'exp_avg_sq' (v).
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, *, maximize=False):
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "decoupled_weight_decay": decoupled_weight_decay, "maximize": maximize}
        super().__init__(params, defaults)

    def _check_group(self, group):
        self._check_nonneg(group, "lr", "learning rate")
        self._check_nonneg(group, "eps", "epsilon value")
        self._check_betas(group)
        self._check_nonneg(group, "weight_decay", "weight_decay value")

    def step(self, closure=None):
        loss = self._closure(closure)
        for group in self.param_groups:
            lr, eps = float(group["lr"]), float(group["eps"])
            beta1, beta2 = (float(b) for b in group["betas"])
            weight_decay = float(group["weight_decay"])
            decoupled = group["decoupled_weight_decay"]
            rho_inf = 2 / (1 - beta2) - 1
            for p, d, g in self._grads(group):
                xp = backend.xp_of(d)
                s = self._init_state(p, "exp_avg", "exp_avg_sq")
                step = s["step"] = s["step"] + 1
                if decoupled and weight_decay != 0:
                    d *= 1 - lr * weight_decay
                g = signed_grad(d, g, group["maximize"], 0 if decoupled else weight_decay)
                m = lerp_(s["exp_avg"]._data, g, 1 - beta1)
                v = square_avg_(s["exp_avg_sq"]._data, g, beta2, 1 - beta2)
                bias_correction2 = 1 - beta2 ** step
                update = m / (1 - beta1 ** step)
                update *= lr
                rho_t = rho_inf - 2 * step * (beta2 ** step) / bias_correction2
                if rho_t > 5.0:
                    adaptive = xp.sqrt(v)
                    adaptive += eps
                    update *= bias_correction2 ** 0.5 / adaptive
                    update *= ((rho_t - 4) * (rho_t - 2) * rho_inf
                               / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
                d -= update
        return loss
