"""Numerical gradient checking by central differences in float64.

The check compares backprop with finite differences of the scalar
L(inputs) = Σ fn(inputs) · r, where r is a fixed random array per output:
its gradient ∂L/∂x = Jᵀ r exercises every entry of the Jacobian J.

- mode="elementwise" perturbs one element at a time (2 calls per element; small inputs);
- mode="direction" checks ∂L/∂u = ⟨∇L, u⟩ along a few random unit directions u
  (2 calls per direction, any input size).
"""
from dataclasses import dataclass

import numpy as np

from . import backend, grad_mode
from .tensor import Tensor


class GradcheckError(AssertionError):
    """Backprop and finite differences disagree."""


def _outputs(fn, inputs):
    out = fn(*inputs)
    return [o for o in (out if isinstance(out, (tuple, list)) else (out,))
            if isinstance(o, Tensor) and o.dtype.kind == "f"]


def _objective(fn, inputs, weights):
    with grad_mode.no_grad():
        outs = _outputs(fn, inputs)
    return sum(float((o._data * w).sum()) for o, w in zip(outs, weights))


def _prepare(op, fn, inputs, seed):
    """Validated inputs, the indices checked, the projection weights r, and backprop's ∂L/∂x."""
    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    checked = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    if not checked:
        raise ValueError(f"{op}: no input requires grad")
    for i in checked:
        if inputs[i].dtype != np.float64:
            raise TypeError(f"{op}: input {i} has dtype {inputs[i].dtype}; finite "
                            f"differences need float64 inputs (use tensor.double())")
    rng = np.random.default_rng(seed)
    outs = _outputs(fn, inputs)
    if not outs:
        raise ValueError(f"{op}: fn returned no floating tensor")
    weights = [backend.to_device(rng.standard_normal(o.shape), o.device) for o in outs]
    for i in checked:
        inputs[i].grad = None
    loss = sum((o * Tensor._make(w)).sum() for o, w in zip(outs, weights))
    loss.backward()
    analytic = {i: (backend.to_device(inputs[i].grad._data, "cpu") if inputs[i].grad is not None
                    else np.zeros(inputs[i].shape)) for i in checked}
    return inputs, checked, weights, analytic, rng


def _numeric_gradient(fn, inputs, weights, i, eps):
    """∂L/∂inputs[i] by central differences, one element at a time."""
    flat = inputs[i]._data.reshape(-1)
    grad = np.empty(flat.size)
    for k in range(flat.size):
        original = float(flat[k])
        flat[k] = original + eps
        plus = _objective(fn, inputs, weights)
        flat[k] = original - eps
        minus = _objective(fn, inputs, weights)
        flat[k] = original
        grad[k] = (plus - minus) / (2 * eps)
    return grad.reshape(inputs[i].shape)


@dataclass(frozen=True)
class GradientComparison:
    """Backprop against central differences over every element of every checked input.

    `passed`: |analytic − numeric| ≤ atol + rtol·|numeric| everywhere. `max_abs`, `max_rel`:
    the largest absolute and relative differences. The element nearest to failing, where the
    difference takes the largest share of what the rule allows there: input `input`, index
    `element`, its `analytic` and `numeric` gradients and the `allowed` difference."""

    max_abs: float
    max_rel: float
    passed: bool
    input: int
    element: tuple
    analytic: float
    numeric: float
    allowed: float


def compare_gradients(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, seed=0):
    """Compare backprop with central differences over every element of every input that
    requires grad (float64), as gradcheck does: a GradientComparison."""
    inputs, checked, weights, analytic, _ = _prepare("compare_gradients", fn, inputs, seed)
    max_abs = max_rel = 0.0
    passed = True
    worst = None                                           # (share of allowed, input, index)
    for i in checked:
        numeric = _numeric_gradient(fn, inputs, weights, i, eps)
        diff = np.abs(analytic[i] - numeric)
        allowed = atol + rtol * np.abs(numeric)
        max_abs = max(max_abs, float(diff.max(initial=0.0)))
        max_rel = max(max_rel, float((diff / np.maximum(np.abs(numeric), 1e-8)).max(
            initial=0.0)))
        passed = passed and bool((diff <= allowed).all())
        if diff.size:
            share = np.where(np.isnan(diff), np.inf, diff / np.maximum(allowed, 1e-300))
            index = np.unravel_index(int(np.argmax(share)), diff.shape)
            if worst is None or share[index] > worst[0]:
                worst = (share[index], i, index, numeric[index], allowed[index])
    if worst is None:
        return GradientComparison(max_abs, max_rel, passed, checked[0], (), 0.0, 0.0, atol)
    _, i, index, numeric_value, allowed_value = worst
    return GradientComparison(max_abs, max_rel, passed, i, tuple(int(j) for j in index),
                              float(analytic[i][index]), float(numeric_value),
                              float(allowed_value))


def gradient_errors(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, seed=0):
    """(max absolute error, max relative error, passed) of compare_gradients, where passed
    means |analytic − numeric| ≤ atol + rtol·|numeric| everywhere, as in gradcheck."""
    result = compare_gradients(fn, inputs, eps, atol, rtol, seed)
    return result.max_abs, result.max_rel, result.passed


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, mode="elementwise", directions=3,
              seed=0, raise_exception=True):
    """Check the gradients of `fn(*inputs)` with respect to every input that requires grad.

    Returns True when all agree; otherwise raises GradcheckError (or returns False when
    raise_exception is False) naming the input, the element or direction, and both values.
    """
    if mode not in ("elementwise", "direction"):
        raise ValueError(f"gradcheck: mode must be 'elementwise' or 'direction', got {mode!r}")
    inputs, checked, weights, analytic, rng = _prepare("gradcheck", fn, inputs, seed)

    def fail(message):
        if raise_exception:
            raise GradcheckError("gradcheck: " + message)
        return False

    if mode == "elementwise":
        for i in checked:
            numeric = _numeric_gradient(fn, inputs, weights, i, eps)
            bad = ~(np.abs(analytic[i] - numeric) <= atol + rtol * np.abs(numeric))
            if bad.any():
                index = tuple(int(j) for j in np.argwhere(bad)[0])
                return fail(f"input {i}, element {index}: analytic {analytic[i][index]:.8g} "
                            f"vs numeric {numeric[index]:.8g}")
        return True

    for d in range(directions):
        units = {}
        for i in checked:
            u = rng.standard_normal(inputs[i].shape)
            units[i] = u / max(np.linalg.norm(u), 1e-300)
        originals = {i: inputs[i]._data.copy() for i in checked}
        steps = {i: eps * backend.to_device(units[i], inputs[i].device) for i in checked}
        for i in checked:
            inputs[i]._data[...] = originals[i] + steps[i]
        plus = _objective(fn, inputs, weights)
        for i in checked:
            inputs[i]._data[...] = originals[i] - steps[i]
        minus = _objective(fn, inputs, weights)
        for i in checked:
            inputs[i]._data[...] = originals[i]
        numeric = (plus - minus) / (2 * eps)
        value = sum(float((analytic[i] * units[i]).sum()) for i in checked)
        if not abs(value - numeric) <= atol + rtol * abs(numeric):
            return fail(f"direction {d} (random unit vector over inputs {checked}): analytic "
                        f"{value:.8g} vs numeric {numeric:.8g}")
    return True
