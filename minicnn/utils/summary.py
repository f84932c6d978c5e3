"""`summary(model, input_size)`: each layer's output shape and parameter count, and totals."""

from .. import grad_mode
from ..creation import zeros

def _leaves(model, depth):
    """(name, module) for the modules to report: leaves, or modules `depth` levels down."""
    for name, module in model.named_modules():
        level = name.count(".") + 1 if name else 0
        has_children = any(True for _ in module.children())
        if (depth is None and not has_children and name) or (depth is not None and (
                level == depth or (level < depth and not has_children and name))):
            yield name, module

def summary(model, input_size=(3, 224, 224), batch_size=1, depth=None, dtype=None,
            print_table=True):
    """Run one zero batch of `input_size` (C, H, W) through `model` and report every leaf
    layer (or every module `depth` levels down): name, type, output shape, parameters.
    Returns the rows as dicts; prints them as a table unless print_table is False."""
    rows, handles = [], []
    for name, module in _leaves(model, depth):
        def record(mod, inputs, output, name=name):
            out = output[0] if isinstance(output, (tuple, list)) else output
            rows.append({"name": name, "type": type(mod).__name__,
                         "output_shape": tuple(out.shape),
                         "params": sum(p.numel() for p in mod.parameters())})
        handles.append(module.register_forward_hook(record))
    modes = [(module, module.training) for module in model.modules()]
    model.eval()
    try:
        with grad_mode.no_grad():
            kwargs = {} if dtype is None else {"dtype": dtype}
            model(zeros((batch_size,) + tuple(input_size), **kwargs))
    finally:
        for handle in handles:
            handle.remove()
        for module, mode in modes:  # each module's own mode, as it was
            module.training = mode
    if print_table:
        print(format_summary(model, rows))
    return rows

def format_summary(model, rows):
    total = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    widths = [max([len("layer")] + [len(r["name"]) for r in rows]),
              max([len("type")] + [len(r["type"]) for r in rows]),
              max([len("output shape")] + [len(str(r["output_shape"])) for r in rows])]
    header = f"{'layer':<{widths[0]}}  {'type':<{widths[1]}}  {'output shape':<{widths[2]}}" \
             f"  {'params':>12}"
    lines = [header, "-" * len(header)]
    for r in rows:
        lines.append(f"{r['name']:<{widths[0]}}  {r['type']:<{widths[1]}}  "
                     f"{str(r['output_shape']):<{widths[2]}}  {r['params']:>12,}")
    lines += ["-" * len(header), f"total parameters: {total:,}  (trainable {trainable:,})"]
    return "\n".join(lines)

