"""interpolate (nearest, bilinear): along W, then H, each output position is a weighted sum
of one or two input positions (the taps minicnn computed, in PyTorch's coordinates), so it
is written as a Gather per tap, scaled by the tap's weights and added: the same positions
and weights as minicnn's, whatever a runtime's Resize would round."""
from .. import backend
from ..functional.resample import Interpolate2d
from .registry import converts


def _along(g, x, plan, axis, dtype):
    if plan.identity:
        return x
    out = None
    for index, weight in plan.taps:
        gathered = g.node("Gather", [x, g.ints(backend.to_device(index, "cpu"))], axis=axis)
        if weight is not None:
            column = backend.to_device(weight, "cpu").reshape((-1,) + (1,) * (3 - axis))
            gathered = g.node("Mul", [gathered, g.const(column, dtype)])
        out = gathered if out is None else g.node("Add", [out, gathered])
    return out


@converts(Interpolate2d)
def _interpolate(g, step):
    (x,) = step.inputs
    p = step.params
    along_w = _along(g, x.name, p["plan_w"], 3, x.dtype)
    g.node("Identity", [_along(g, along_w, p["plan_h"], 2, x.dtype)], step.outputs[0].name)
