"""One step of torch.optim.SGD on one parameter, in place: the update the optimizer makes,
written as the array expressions the formulas are."""


def sgd_update(param, grad, buf, lr, momentum, dampening, weight_decay, nesterov, maximize):
    """param ← param − lr·v in place, where, with g = ±grad + weight_decay·param:

        buf ← momentum·buf + (1 − dampening)·g   (in place; buf None: no momentum, v = g)
        v = g + momentum·buf  if nesterov  else  buf

    Each scalar is taken in param's dtype, and each product and sum rounds in it, as NumPy's
    in-place operators with Python floats do."""
    g = -grad if maximize else grad
    if weight_decay != 0:
        decayed = param * weight_decay
        decayed += g
        g = decayed
    if buf is not None:
        buf *= momentum
        if dampening == 0:
            buf += g
        else:
            buf += (1 - dampening) * g
        g = g + momentum * buf if nesterov else buf
    param -= lr * g
