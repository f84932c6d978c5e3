"""Optimizer: the base class of every minicnn optimizer, laid out like torch.optim.Optimizer.

An optimizer holds `param_groups` (a list of dicts: 'params' plus every
hyper-parameter, groups may override the defaults) and `state` (a dict of dicts
keyed by the parameter Tensor). Subclasses implement `step()`, which updates the
array of each parameter in place from its gradient's array. The updates work on the
raw arrays (NumPy or CuPy), so they are never recorded in the autograd graph, and
they keep the parameter's dtype: a float32 parameter is updated in float32.
"""
import copy
import math
import numbers
import warnings
from collections import defaultdict
from itertools import chain

import numpy as np

from .. import backend
from ..grad_mode import enable_grad
from ..tensor import Tensor
from ..version_counter import bump_version


class _RequiredParameter:
    """Singleton: a hyper-parameter that every param group must give (no default)."""

    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()


_SET_MESSAGE = ("{name}: optimizer parameters need to be organized in ordered collections, "
                "but the ordering of tensors in sets will change between runs. Please use a "
                "list instead.")


def _typename(obj):
    if isinstance(obj, Tensor):
        return f"minicnn.Tensor of shape {tuple(obj.shape)}"
    return type(obj).__name__


class Optimizer:
    """Base class of all optimizers.

    Args:
        params: an iterable of Tensors (or of `(name, Tensor)` pairs), or an
            iterable of dicts each holding 'params' and hyper-parameters that
            override `defaults` for that group.
        defaults: the default hyper-parameters of every group.
    """

    def __init__(self, params, defaults):
        self._check_group(defaults)  # bad defaults fail before the params are looked at
        self.defaults = defaults
        name = type(self).__name__
        if isinstance(params, Tensor):
            raise TypeError(f"{name}: params should be an iterable of Tensors or dicts, but got "
                            f"{_typename(params)} (wrap it in a list)")
        if isinstance(params, (set, frozenset)):
            raise TypeError(_SET_MESSAGE.format(name=name))
        self.state = defaultdict(dict)
        self.param_groups = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError(f"{name}: optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for param_group in param_groups:
            self.add_param_group(param_group)

    # ---- hyper-parameter checks -------------------------------------------------
    def _check_group(self, group):
        """Raise ValueError for invalid hyper-parameters of one group (subclasses)."""

    def _fail(self, message):
        raise ValueError(f"{type(self).__name__}: {message}")

    def _check_nonneg(self, group, key, what):
        value = group[key]
        if not value >= 0.0:  # also rejects NaN
            self._fail(f"Invalid {what}: {key}={value!r} (expected {key} >= 0)")

    def _check_betas(self, group):
        """group['betas'] is a pair in [0, 1), stored as a tuple (the Adam family)."""
        betas = group["betas"]
        try:
            ok = len(betas) == 2
        except TypeError:
            ok = False
        if not ok:
            self._fail(f"betas should be a pair (beta1, beta2), got {betas!r}")
        group["betas"] = betas = tuple(betas)
        for i in (0, 1):
            if not 0.0 <= betas[i] < 1.0:
                self._fail(f"Invalid beta parameter at index {i}: betas[{i}]={betas[i]!r} "
                           f"(expected 0 <= betas[{i}] < 1)")

    # ---- groups -----------------------------------------------------------------
    def add_param_group(self, param_group):
        """Add a group (a dict with 'params' and optional hyper-parameters), e.g. to start
        training layers that were frozen."""
        name = type(self).__name__
        if not isinstance(param_group, dict):
            raise TypeError(f"{name}.add_param_group: param_group must be a dict, but got "
                            f"{type(param_group).__name__}")
        if "params" not in param_group:
            raise ValueError(f"{name}.add_param_group: param_group has no 'params' entry")
        param_group = dict(param_group)
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError(_SET_MESSAGE.format(name=name))
        else:
            params = list(params)

        tensors, names = [], []
        for p in params:
            if isinstance(p, tuple) and len(p) == 2 and isinstance(p[0], str):
                names.append(p[0])
                p = p[1]
            tensors.append(p)
        if names and len(names) != len(tensors):
            raise ValueError(f"{name}: all optimizer params should be with/without names. "
                             f"Some param names are missing")
        for i, p in enumerate(tensors):
            if not isinstance(p, Tensor):
                raise TypeError(f"{name}: optimizer can only optimize Tensors, but parameter "
                                f"{i} of the group is {_typename(p)}")
            if p.grad_fn is not None:
                raise ValueError(f"{name}: can't optimize a non-leaf Tensor (parameter {i} of "
                                 f"the group, shape {tuple(p.shape)}, was computed by "
                                 f"{p.grad_fn.name}); optimize the leaf it came from")
            if p._data.dtype.kind != "f":
                raise TypeError(f"{name}: can only optimize real floating-point tensors, "
                                f"but parameter {i} of the group has dtype {p._data.dtype}")
        param_group["params"] = tensors
        if names:
            param_group["param_names"] = names

        for key, default in self.defaults.items():
            if default is required and key not in param_group:
                raise ValueError(f"{name}: parameter group didn't specify a value of required "
                                 f"optimization parameter {key}")
            param_group.setdefault(key, default)
        self._check_group(param_group)

        if len(tensors) != len({id(p) for p in tensors}):
            warnings.warn(f"{name}: optimizer contains a parameter group with duplicate "
                          f"parameters; they would be updated twice per step", stacklevel=3)
        seen = set()
        for group in self.param_groups:
            seen.update(id(p) for p in group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                which = "with names" if "param_names" in param_group else "without names"
                raise ValueError(f"{name}: all optimizer param groups should be with/without "
                                 f"names. cannot add param group {which} to the optimizer")
        if any(id(p) in seen for p in tensors):
            raise ValueError(f"{name}: some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    # ---- the training-loop API --------------------------------------------------
    def zero_grad(self, set_to_none=True):
        """Forget the gradients: `p.grad = None` (default), or zero them in place."""
        for group in self.param_groups:
            for p in group["params"]:
                g = p.grad
                if g is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    g.grad_fn = None
                    g.requires_grad = False
                    g.zero_()

    def step(self, closure=None):
        """Update every parameter that has a gradient. `closure` (optional) re-evaluates
        the model and returns the loss, which `step` returns."""
        raise NotImplementedError

    def _closure(self, closure):
        if closure is None:
            return None
        with enable_grad():
            return closure()

    def _grads(self, group):
        """`(p, p._data, p.grad._data)` for each parameter of `group` that has a gradient,
        checked to fit it; the step writes `p._data` in place, so p's version is bumped (a
        graph that saved p before the step then refuses to backpropagate, as PyTorch's).
        The step runs on each parameter's device, made current while it works on it."""
        for p in group["params"]:
            grad = p.grad
            if grad is None:
                continue
            d = p._data
            g = grad._data
            if g.shape != d.shape or type(g) is not np.ndarray or type(d) is not np.ndarray:
                self._check_grad(d, g)
            bump_version(p)
            with backend.on_device_of(d):
                yield p, d, g

    def _init_state(self, p, *buffers):
        """`self.state[p]`, filled on first use with 'step' = 0 and a zero array (like the
        parameter) for each name in `buffers`."""
        s = self.state[p]
        if not s:
            s["step"] = 0
            xp = backend.xp_of(p._data)
            for key in buffers:
                s[key] = Tensor._make(xp.zeros_like(p._data))
        return s

    def _check_grad(self, p, g):
        """Raise if the gradient does not fit its parameter: its shape and its device."""
        if g.shape != p.shape:
            raise ValueError(f"{type(self).__name__}.step: a parameter of shape "
                             f"{tuple(p.shape)} has a gradient of shape {tuple(g.shape)}")
        backend.check_same_device(f"{type(self).__name__}.step", (p, g))

    # ---- saving and loading -----------------------------------------------------
    def state_dict(self):
        """The optimizer's state in PyTorch's layout:

            {'state': {index: {'momentum_buffer': Tensor, 'step': int, ...}},
             'param_groups': [{'lr': ..., ..., 'params': [index, ...]}]}

        Parameters are replaced by their position (counted across groups in order).
        Like PyTorch, the state Tensors are the optimizer's own (not copies):
        `copy.deepcopy` the result to keep a snapshot while training goes on.
        """
        mapping = {}
        start = 0
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for i, p in enumerate(group["params"], start):
                mapping.setdefault(id(p), i)
            packed["params"] = [mapping[id(p)] for p in group["params"]]
            start += len(packed["params"])
            groups.append(packed)
        state = {(mapping[id(k)] if isinstance(k, Tensor) else k): v
                 for k, v in self.state.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Restore a `state_dict()` into this optimizer's parameters, matched by position.

        The state arrays are copied, cast to each parameter's dtype and moved to its
        device; values may be minicnn Tensors, NumPy/CuPy arrays, or anything
        `numpy.asarray` accepts (CPU torch tensors, for instance)."""
        name = type(self).__name__
        if not isinstance(state_dict, dict) or "state" not in state_dict \
                or "param_groups" not in state_dict:
            raise ValueError(f"{name}.load_state_dict: expected a dict with keys 'state' and "
                             f"'param_groups' (as made by state_dict()), got "
                             f"{_describe_keys(state_dict)}")
        groups = self.param_groups
        saved_groups = copy.deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError(f"{name}.load_state_dict: loaded state dict has "
                             f"{len(saved_groups)} parameter group(s) but the optimizer has "
                             f"{len(groups)}")
        for i, (g, s) in enumerate(zip(groups, saved_groups)):
            if len(g["params"]) != len(s["params"]):
                raise ValueError(f"{name}.load_state_dict: parameter group {i} of the loaded "
                                 f"state dict has {len(s['params'])} parameter(s) but the "
                                 f"optimizer's group {i} has {len(g['params'])}")
        id_map = dict(zip(chain.from_iterable(s["params"] for s in saved_groups),
                          chain.from_iterable(g["params"] for g in groups)))
        state = defaultdict(dict)
        for key, value in state_dict["state"].items():
            if key in id_map:
                param = id_map[key]
                if not isinstance(value, dict):
                    raise ValueError(f"{name}.load_state_dict: the state of parameter {key} "
                                     f"should be a dict, got {type(value).__name__}")
                state[param] = {k: _cast_state(name, key, k, v, param)
                                for k, v in value.items()}
            else:
                state[key] = copy.deepcopy(value)

        new_groups = []
        for group, saved in zip(groups, saved_groups):
            saved["params"] = group["params"]
            if "param_names" in group and "param_names" not in saved:
                saved["param_names"] = group["param_names"]
            for k, default in self.defaults.items():
                saved.setdefault(k, default)
            if isinstance(saved.get("betas"), list):
                saved["betas"] = tuple(saved["betas"])
            new_groups.append(saved)
        self._set_loaded_groups(new_groups)
        self.state = state
        self.param_groups = new_groups

    def _set_loaded_groups(self, groups):
        """Hook for subclasses to fix up loaded groups (AdamW forces decoupled decay)."""

    # ---- printing ----------------------------------------------------------------
    def __repr__(self):
        text = type(self).__name__ + " ("
        for i, group in enumerate(self.param_groups):
            text += f"\nParameter Group {i}\n"
            for key in sorted(group.keys()):
                if key != "params":
                    text += f"    {key}: {group[key]}\n"
        return text + ")"

    def __getstate__(self):
        return {"defaults": self.defaults, "state": self.state,
                "param_groups": self.param_groups}

    def __setstate__(self, state):
        self.__dict__.update(state)


def signed_grad(d, g, maximize, weight_decay):
    """The gradient a step follows: `±g + weight_decay · d` (a new array when it differs
    from `g`; `g` itself is never modified)."""
    if maximize:
        g = -g
    if weight_decay != 0:
        decayed = d * weight_decay  # g + wd·p, one temporary
        decayed += g
        g = decayed
    return g


def lerp_(a, b, weight):
    """a ← a + weight · (b − a), in place, with PyTorch's two-sided formula (exact at
    weight 0 and 1). Returns `a`."""
    if abs(weight) < 0.5:
        diff = b - a
        diff *= weight
        a += diff
    else:
        dt = a.dtype.type
        one_minus = float(dt(1) - dt(weight))  # (1 - w) in the array's precision, as torch
        diff = b - a
        diff *= one_minus
        a[...] = b - diff
    return a


def square_avg_(v, g, beta, weight):
    """v ← beta · v + weight · g², in place (weight = 1 − beta). Returns `v`."""
    v *= beta
    sq = g * weight
    sq *= g
    v += sq
    return v


def _describe_keys(obj):
    if isinstance(obj, dict):
        return f"a dict with keys {sorted(map(str, obj.keys()))}"
    return type(obj).__name__


def _cast_state(opt_name, index, key, value, param):
    """A copy of one saved state value, placed like `param` (dtype for floating arrays)."""
    if key == "step":
        return _as_step(value)
    if isinstance(value, Tensor):
        array = value._data
    elif isinstance(value, np.ndarray) or backend.is_cupy_array(value):
        array = value
    elif hasattr(value, "__array__") and not isinstance(value, numbers.Number):
        array = np.asarray(value)  # torch tensors, array-likes
    elif isinstance(value, dict):
        return {k: _cast_state(opt_name, index, k, v, param) for k, v in value.items()}
    elif isinstance(value, (list, tuple)):
        return type(value)(_cast_state(opt_name, index, None, v, param) for v in value)
    else:
        return copy.deepcopy(value)
    if array.ndim and tuple(array.shape) != tuple(param.shape):
        raise ValueError(f"{opt_name}.load_state_dict: state '{key}' of parameter {index} has "
                         f"shape {tuple(array.shape)} but the parameter has shape "
                         f"{tuple(param.shape)}")
    dtype = param._data.dtype if array.dtype.kind in "fc" else array.dtype
    xp = backend.xp_of(param._data)
    if xp is np:
        out = np.array(backend.to_device(array, "cpu"), dtype=dtype, copy=True)
    else:
        with param._data.device:
            out = xp.array(array, dtype=dtype, copy=True)
    return Tensor._make(out)


def _as_step(value):
    """The step count as a Python int (or float when it is not integral)."""
    if isinstance(value, Tensor):
        value = value.item()
    elif hasattr(value, "item") and not isinstance(value, numbers.Number):
        value = value.item()
    elif isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    return value
