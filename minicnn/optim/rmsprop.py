"""RMSprop (Hinton's lecture 6e), optionally centered and with momentum."""
from .. import backend
from .optimizer import Optimizer, lerp_, signed_grad, square_avg_


class RMSprop(Optimizer):
    r"""RMSprop, exactly as torch.optim.RMSprop (single-tensor form):

        g   = ±grad + weight_decay · p
        v   = α · v + (1 − α) · g²
        v̄   = v − ḡ², ḡ = lerp(ḡ, g, 1 − α)   if centered, else v
        b   = momentum · b + g / (√v̄ + eps);  p = p − lr · b     if momentum > 0
        p   = p − lr · g / (√v̄ + eps)                             otherwise

    State per parameter: 'step' (int), 'square_avg', 'momentum_buffer' (momentum > 0),
    'grad_avg' (centered).
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, *, maximize=False):
        defaults = {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps,
                    "centered": centered, "weight_decay": weight_decay, "maximize": maximize}
        super().__init__(params, defaults)

    def _check_group(self, group):
        self._check_nonneg(group, "lr", "learning rate")
        self._check_nonneg(group, "eps", "epsilon value")
        self._check_nonneg(group, "momentum", "momentum value")
        self._check_nonneg(group, "weight_decay", "weight_decay value")
        self._check_nonneg(group, "alpha", "alpha value")

    def step(self, closure=None):
        loss = self._closure(closure)
        for group in self.param_groups:
            lr = float(group["lr"])
            alpha = float(group["alpha"])
            eps = float(group["eps"])
            weight_decay = float(group["weight_decay"])
            momentum = float(group["momentum"])
            centered = group["centered"]
            maximize = group["maximize"]
            w = 1 - alpha
            buffers = (("square_avg",) + (("momentum_buffer",) if momentum > 0 else ())
                       + (("grad_avg",) if centered else ()))
            for p, d, g in self._grads(group):
                xp = backend.xp_of(d)
                s = self._init_state(p, *buffers)
                s["step"] += 1
                g = signed_grad(d, g, maximize, weight_decay)
                v = square_avg_(s["square_avg"]._data, g, alpha, w)
                # out= keeps avg an array for a 0-d parameter, where a ufunc would return a
                # scalar that the in-place steps below cannot fill
                if centered:
                    ga = lerp_(s["grad_avg"]._data, g, w)
                    avg = xp.subtract(v, ga * ga, out=xp.empty_like(v))
                    xp.sqrt(avg, out=avg)
                else:
                    avg = xp.sqrt(v, out=xp.empty_like(v))
                avg += eps
                if momentum > 0:
                    b = s["momentum_buffer"]._data
                    b *= momentum
                    b += xp.divide(g, avg, out=avg)
                    d -= lr * b
                else:
                    update = xp.divide(g, avg, out=avg)
                    update *= lr
                    d -= update
        return loss
