"""RMSprop (Hinton's lecture 6e), optionally centered and with momentum."""
from .. import backend
from ..tensor import Tensor
from .adam import lerp_
from .optimizer import Optimizer


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
        self._check_group(defaults)
        super().__init__(params, defaults)

    def _check_group(self, group):
        self._check_nonneg(group, "lr", "learning rate")
        self._check_nonneg(group, "eps", "epsilon value")
        self._check_nonneg(group, "momentum", "momentum value")
        self._check_nonneg(group, "weight_decay", "weight_decay value")
        self._check_nonneg(group, "alpha", "alpha value")

    def step(self, closure=None):
        loss = self._closure(closure)
        state = self.state
        for group in self.param_groups:
            lr = float(group["lr"])
            alpha = float(group["alpha"])
            eps = float(group["eps"])
            weight_decay = float(group["weight_decay"])
            momentum = float(group["momentum"])
            centered = group["centered"]
            maximize = group["maximize"]
            w = 1 - alpha
            for p in group["params"]:
                grad = p.grad
                if grad is None:
                    continue
                d = p.data
                g = grad.data
                if g.shape != d.shape or type(g) is not type(d):
                    self._check_grad(d, g)
                xp = backend.xp_of(d)
                s = state[p]
                if not s:
                    s["step"] = 0
                    s["square_avg"] = Tensor._make(xp.zeros_like(d))
                    if momentum > 0:
                        s["momentum_buffer"] = Tensor._make(xp.zeros_like(d))
                    if centered:
                        s["grad_avg"] = Tensor._make(xp.zeros_like(d))
                s["step"] += 1
                if maximize:
                    g = -g
                if weight_decay != 0:
                    decayed = d * weight_decay  # g + wd·p, one temporary
                    decayed += g
                    g = decayed
                v = s["square_avg"].data
                v *= alpha
                sq = g * w
                sq *= g
                v += sq
                if centered:
                    ga = lerp_(s["grad_avg"].data, g, w)
                    avg = v - ga * ga
                    xp.sqrt(avg, out=avg)
                else:
                    avg = xp.sqrt(v)
                avg += eps
                if momentum > 0:
                    b = s["momentum_buffer"].data
                    b *= momentum
                    b += xp.divide(g, avg, out=avg)
                    d -= lr * b
                else:
                    update = xp.divide(g, avg, out=avg)
                    update *= lr
                    d -= update
        return loss
