"""LayerNorm over the rows of x (R, K): the statistics with the normalisation, and the whole
backward pass, per row."""
from ._xp import xp_of


def layer_norm_forward(x, weight, bias, eps):
    """x (R, K), weight and bias (K,) or None -> (y, mean, rstd), mean and rstd (R,):
    y = (x − mean)·rstd·weight + bias with rstd = 1/√(var + eps), mean and the biased var
    over each row, two passes in float64."""
    xp = xp_of(x)
    mean = x.mean(axis=1, dtype=xp.float64)                            # (R,)
    centred = x - mean[:, None]                                        # (R, K) float64
    rstd = 1 / xp.sqrt((centred * centred).mean(axis=1) + eps)
    y = centred * rstd[:, None]
    if weight is not None:
        y = y * weight
    if bias is not None:
        y = y + bias
    return y.astype(x.dtype), mean.astype(x.dtype), rstd.astype(x.dtype)


def layer_norm_backward(g, x, mean, rstd, weight):
    """-> (dx, dw, db): with x̂ = (x − mean)·rstd and ĝ = g·weight,
    dx = rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)) over each row, dw = Σ g·x̂, db = Σ g over rows
    (dw and db None without a weight)."""
    xp = xp_of(g)
    xhat = (x - mean.astype(xp.float64)[:, None]) * rstd.astype(xp.float64)[:, None]
    gw = g.astype(xp.float64) if weight is None else g * weight.astype(xp.float64)
    dx = rstd[:, None] * (gw - gw.mean(axis=1, keepdims=True)
                          - xhat * (gw * xhat).mean(axis=1, keepdims=True))
    if weight is None:
        return dx.astype(g.dtype), None, None
    dw = (g * xhat).sum(axis=0)
    db = g.sum(axis=0, dtype=xp.float64)
    return dx.astype(g.dtype), dw.astype(g.dtype), db.astype(g.dtype)
