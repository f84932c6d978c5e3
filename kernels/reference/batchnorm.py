"""Training-mode BatchNorm over x viewed as (N, C, L): statistics with the normalisation, and
the whole backward pass, per channel."""
from ._xp import xp_of


def batch_norm_forward(x, weight, bias, eps):
    """x (N, C, L), weight and bias (C,) -> (y, mean, var): y = (x − mean)/√(var + eps)·weight
    + bias, mean and the biased var over N and L. Two passes in float64: E[x²] − E[x]² would
    cancel catastrophically."""
    xp = xp_of(x)
    mean = x.mean(axis=(0, 2), dtype=xp.float64)                      # (C,)
    centred = x - mean[:, None]                                       # (N, C, L) float64
    var = (centred * centred).mean(axis=(0, 2))
    scale = weight / xp.sqrt(var + eps)
    y = centred * scale[:, None] + bias[:, None]
    return y.astype(x.dtype), mean.astype(x.dtype), var.astype(x.dtype)


def batch_norm_backward(g, x, mean, var, weight, eps):
    """-> (dx, dw, db): with σ = √(var + eps) and x̂ = (x − mean)/σ,
    dx = (w/σ)·(g − mean(g) − x̂·mean(g·x̂)), dw = Σ g·x̂, db = Σ g (over N and L)."""
    xp = xp_of(g)
    invstd = 1 / xp.sqrt(var.astype(xp.float64) + eps)                # (C,)
    xhat = (x - mean.astype(xp.float64)[:, None]) * invstd[:, None]   # (N, C, L) float64
    count = g.shape[0] * g.shape[2]
    db = g.sum(axis=(0, 2), dtype=xp.float64)
    dw = (g * xhat).sum(axis=(0, 2))
    dx = (weight * invstd)[:, None] * (g - (db / count)[:, None] - xhat * (dw / count)[:, None])
    return dx.astype(g.dtype), dw.astype(g.dtype), db.astype(g.dtype)
