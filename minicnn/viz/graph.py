"""The backward graph of a tensor as Graphviz dot text: what backward() will walk."""
from ..backprop import AccumulateGrad
from ..tensor import Tensor


def _shapes(node):
    """The output shapes a Function node recorded, as text."""
    meta = getattr(node, "output_meta", None) or ()
    return ", ".join(str(tuple(shape)) for shape, _ in meta)


def _quoted(text):
    """`text` as a dot string, its line breaks as dot's \\n."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def graph(tensor, params=None):
    """Graphviz dot text of the graph that `tensor.backward()` walks: one box per Function
    (its name, as `grad_fn` shows it, and its output shapes), one blue box per leaf that
    receives a gradient (its AccumulateGrad: the leaf's name from `params`, a
    {name: tensor} dict such as dict(model.named_parameters()), and its shape), and a green
    box for `tensor`. Arrows follow the forward pass, from each input to the op using it.
    Render with `dot -Tpng`, or any Graphviz viewer."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"graph: tensor must be a Tensor, got {type(tensor).__name__}")
    if tensor.grad_fn is None:
        raise ValueError(f"graph: the tensor of shape {tuple(tensor.shape)} has no grad_fn "
                         f"(a leaf, or computed without grad): there is no graph to draw")
    names = {id(t): name for name, t in (params or {}).items()}
    ids = {}
    lines = ["digraph backward {",
             '  node [shape=box, style=filled, fillcolor=white, fontname="monospace"];']

    def node_id(node):
        if node not in ids:
            ids[node] = f"n{len(ids)}"
            if isinstance(node, AccumulateGrad):
                leaf = node.variable
                label = f"{names.get(id(leaf), 'AccumulateGrad')}\n{tuple(leaf.shape)}"
                extra = ", fillcolor=lightblue"
            else:
                label, extra = f"{node.name}Backward\n{_shapes(node)}", ""
            lines.append(f"  {ids[node]} [label={_quoted(label)}{extra}];")
        return ids[node]

    output_label = _quoted(f"output\n{tuple(tensor.shape)}")
    lines.append(f"  output [label={output_label}, fillcolor=darkolivegreen1];")
    lines.append(f"  {node_id(tensor.grad_fn)} -> output;")
    seen, stack = {tensor.grad_fn}, [tensor.grad_fn]
    while stack:
        node = stack.pop()
        for following, _ in node.next_functions:
            if following is None:
                continue
            lines.append(f"  {node_id(following)} -> {node_id(node)};")
            if following not in seen:
                seen.add(following)
                stack.append(following)
    lines.append("}")
    return "\n".join(lines) + "\n"
