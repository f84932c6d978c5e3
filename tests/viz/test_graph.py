"""grad_fn.next_functions and the grad_fn repr as PyTorch has them, and mc.viz.graph's dot
text of the backward graph."""
import re

import numpy as np
import pytest

import minicnn as mc
import minicnn.functional as F


def _expression(lib, a, b, c, w):
    """relu(a · b + c) @ w, summed, with b a constant: every kind of edge (a node, a leaf,
    an input without gradient) and a leaf used twice."""
    h = lib.relu(a * b + c)
    return (h @ w + h @ w).sum()


def _structure(fn, leaves):
    """A nested, library-neutral description of the graph below `fn`: each node as
    (lower-case op name, its edges), each leaf as its name in `leaves`."""
    if fn is None:
        return None
    name = fn.name() if callable(fn.name) else fn.name
    if name.endswith("AccumulateGrad"):
        return leaves[id(fn.variable)]
    name = re.sub(r"backward\d*$", "", name.lower())
    name = {"mm": "matmul"}.get(name, name)
    return name, tuple((_structure(f, leaves), index) for f, index in fn.next_functions)


def test_next_functions_follow_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s) for s in ((2, 3), (2, 3), (3,), (3, 4))]
    ours = [mc.tensor(a, requires_grad=i != 1) for i, a in enumerate(arrays)]
    theirs = [torch.tensor(a, requires_grad=i != 1) for i, a in enumerate(arrays)]
    names = "abcw"
    expected = _structure(_expression(torch, *theirs).grad_fn,
                          {id(t): n for t, n in zip(theirs, names)})
    got = _structure(_expression(F, *ours).grad_fn, {id(t): n for t, n in zip(ours, names)})
    assert got == expected


def test_a_leaf_has_one_accumulate_grad_node():
    a = mc.randn(3, requires_grad=True)
    y = a * a
    (first, i), (second, j) = y.grad_fn.next_functions
    assert first is second and first.variable is a and (i, j) == (0, 0)
    assert first.next_functions == ()
    assert re.fullmatch(r"<AccumulateGrad object at 0x[0-9a-f]+>", repr(first))


def test_grad_fn_repr_names_the_function():
    y = mc.randn(2, requires_grad=True) + 1.0
    assert re.fullmatch(r"<AddBackward object at 0x[0-9a-f]+>", repr(y.grad_fn))
    assert "grad_fn=<AddBackward>" in repr(y)


def test_graph_draws_every_node_once_with_its_shapes():
    mc.manual_seed(0)
    model = mc.nn.Sequential(mc.nn.Linear(4, 3), mc.nn.ReLU(), mc.nn.Linear(3, 2))
    loss = model(mc.randn(5, 4)).sum()
    dot = mc.viz.graph(loss, params=dict(model.named_parameters()))
    assert dot.startswith("digraph backward {") and dot.rstrip().endswith("}")
    labels = re.findall(r'\[label="([^"]*)"', dot)
    assert sorted(labels) == sorted([
        "output\\n()", "SumBackward\\n()", "LinearBackward\\n(5, 2)", "ReLUBackward\\n(5, 3)",
        "LinearBackward\\n(5, 3)", "0.weight\\n(3, 4)", "0.bias\\n(3,)", "2.weight\\n(2, 3)",
        "2.bias\\n(2,)"])
    assert len(re.findall(r"->", dot)) == 8
    assert dot.count("fillcolor=lightblue") == 4


def test_graph_refuses_a_tensor_without_a_graph():
    with pytest.raises(ValueError, match=r"graph: the tensor of shape \(2,\) has no grad_fn"):
        mc.viz.graph(mc.randn(2))
    with pytest.raises(TypeError, match=r"graph: tensor must be a Tensor, got list"):
        mc.viz.graph([1.0])
