"""Adam and AdamW."""
from .. import backend
from .optimizer import Optimizer, lerp_, signed_grad, square_avg_


class Adam(Optimizer):
    r"""Adam (Kingma & Ba), exactly as torch.optim.Adam (single-tensor form):

        t  = t + 1
        g  = ±grad (+ weight_decay · p, unless decoupled: p = p · (1 − lr · weight_decay))
        m  = lerp(m, g, 1 − β1)            v = β2 · v + (1 − β2) · g²
        v̂  = max(v̂, v) if amsgrad else v
        p  = p − lr / (1 − β1ᵗ) · m / (√v̂ / √(1 − β2ᵗ) + eps)

    State per parameter: 'step' (int), 'exp_avg', 'exp_avg_sq', and 'max_exp_avg_sq'
    when amsgrad.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, maximize=False, decoupled_weight_decay=False):
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "amsgrad": amsgrad, "maximize": maximize,
                    "decoupled_weight_decay": decoupled_weight_decay}
        super().__init__(params, defaults)

    def _check_group(self, group):
        self._check_nonneg(group, "lr", "learning rate")
        self._check_nonneg(group, "eps", "epsilon value")
        self._check_betas(group)
        self._check_nonneg(group, "weight_decay", "weight_decay value")

    def step(self, closure=None):
        loss = self._closure(closure)
        for group in self.param_groups:
            lr = float(group["lr"])
            beta1, beta2 = (float(b) for b in group["betas"])
            eps = float(group["eps"])
            weight_decay = float(group["weight_decay"])
            amsgrad = group["amsgrad"]
            maximize = group["maximize"]
            decoupled = group["decoupled_weight_decay"]
            w1 = 1 - beta1
            w2 = 1 - beta2
            buffers = ("exp_avg", "exp_avg_sq") + (("max_exp_avg_sq",) if amsgrad else ())
            for p, d, g in self._grads(group):
                xp = backend.xp_of(d)
                s = self._init_state(p, *buffers)
                step = s["step"] = s["step"] + 1
                if decoupled and weight_decay != 0:
                    d *= 1 - lr * weight_decay
                g = signed_grad(d, g, maximize, 0 if decoupled else weight_decay)
                m = s["exp_avg"]._data
                v = s["exp_avg_sq"]._data
                lerp_(m, g, w1)
                square_avg_(v, g, beta2, w2)
                step_size = lr / (1 - beta1 ** step)
                bias_correction2_sqrt = (1 - beta2 ** step) ** 0.5
                if amsgrad:
                    vmax = s["max_exp_avg_sq"]._data
                    xp.maximum(vmax, v, out=vmax)
                    v = vmax
                # out= keeps denom an array for a 0-d parameter (CLIP's logit_scale), where
                # a ufunc would return a scalar that the in-place steps below cannot fill
                denom = xp.sqrt(v, out=xp.empty_like(v))
                denom /= bias_correction2_sqrt
                denom += eps
                update = xp.divide(m, denom, out=denom)
                update *= step_size
                d -= update
        return loss


class AdamW(Adam):
    r"""Adam with decoupled weight decay (Loshchilov & Hutter), as torch.optim.AdamW:
    p = p · (1 − lr · weight_decay) before the Adam update; weight_decay defaults to 1e-2."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         decoupled_weight_decay=True)

    def _set_loaded_groups(self, groups):
        for group in groups:
            group["decoupled_weight_decay"] = True
