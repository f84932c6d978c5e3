"""`summary(model, input_size)`: every layer's output shape, groups (of a convolution),
parameters, multiply-accumulates, receptive field and output bytes, with totals;
`count_macs(model, input_size)` and `receptive_field(model, input_size)`, the totals of the
same traced forward pass.

One batch of zeros runs through the model in eval mode with a hook on every module, so a
module called several times in one forward (a shared layer) is reported and counted once per
call. Multiply-accumulates (MACs) are counted where the arithmetic is, as torchvision's
published GFLOPS are:

    Conv2d              N·C_out·H_out·W_out · (C_in / groups)·kh·kw
    ConvTranspose2d     N·C_in·H_in·W_in · (C_out / groups)·kh·kw   (per input pixel)
    Linear              output elements · in_features
    MultiheadAttention  the q, k, v in-projections and the out-projection, per token given

Biases, normalisation, pooling, activations and the functional ops between modules (residual
adds, concatenations) are not counted. The receptive-field column follows
minicnn/nn/receptive_field.py.
"""
from .. import grad_mode
from ..creation import zeros
from .attention import MultiheadAttention
from .conv import Conv2d, ConvTranspose2d
from .linear import Linear
from .receptive_field import ReceptiveFields, attention_inputs, tensors_in

__all__ = ["count_macs", "receptive_field", "summary", "trace"]


def summary(model, input_size=(3, 224, 224), batch_size=1, depth=None, dtype=None,
            print_table=True):
    """Run one zero batch of `input_size` (C, H, W) through `model` and report every leaf
    layer, or with `depth` every module that many levels down (its MACs those of the layers
    inside it): name, type, output_shape, groups (a convolution's `groups`, None for other
    modules), params, macs, receptive_field (input pixels; see minicnn/nn/receptive_field.py)
    and activation_bytes (the bytes of its output).

    Returns the rows as dicts; prints them as a table, with the totals, unless print_table
    is False. Every module's train/eval mode is restored afterwards."""
    rows, totals = trace(model, input_size, batch_size, depth, dtype)
    if print_table:
        print(format_table(rows, totals))
    return rows


def count_macs(model, input_size=(3, 224, 224), batch_size=1, dtype=None):
    """Total multiply-accumulates of one forward pass of a (batch_size, *input_size) batch."""
    return trace(model, input_size, batch_size, dtype=dtype, receptive_fields=False)[1]["macs"]


def receptive_field(model, input_size=(3, 224, 224), dtype=None):
    """Receptive field, in input pixels, of the final spatial output of `model` on a
    (C, H, W) input: an int, or (height, width) where the two differ. See
    minicnn/nn/receptive_field.py for the method and the convention (not capped at the
    input size)."""
    return trace(model, input_size, dtype=dtype)[1]["receptive_field"]


def layer_macs(module, args, kwargs, output):
    """Multiply-accumulates of one call of `module` (0 for layers without a rule above)."""
    if isinstance(module, ConvTranspose2d):
        kh, kw = module.kernel_size
        inputs = tensors_in(args) + tensors_in(kwargs)
        return inputs[0].numel() * (module.out_channels // module.groups) * kh * kw
    if isinstance(module, Conv2d):
        kh, kw = module.kernel_size
        return tensors_in(output)[0].numel() * (module.in_channels // module.groups) * kh * kw
    if isinstance(module, Linear):
        return tensors_in(output)[0].numel() * module.in_features
    if isinstance(module, MultiheadAttention):   # q.numel()·E = tokens·E·E, and so on
        query, key, value = attention_inputs(args, kwargs)
        return (2 * query.numel() + key.numel() + value.numel()) * module.embed_dim
    return 0


def _is_leaf(module):
    """A layer of the table: no children, or attention (whose out_proj it applies itself)."""
    return isinstance(module, MultiheadAttention) or not any(True for _ in module.children())


def _reported(model, depth):
    """(name, module) for the modules to report: leaves, or modules `depth` levels down
    (and leaves above that depth)."""
    for name, module in model.named_modules():
        level = name.count(".") + 1 if name else 0
        leaf = _is_leaf(module)
        if name and (leaf if depth is None else level == depth or (level < depth and leaf)):
            yield name, module


def trace(model, input_size=(3, 224, 224), batch_size=1, depth=None, dtype=None,
          receptive_fields=True):
    """The forward pass behind `summary`: returns (rows, totals), totals holding params,
    trainable, macs, activation_bytes (every leaf's output) and receptive_field (of the
    final spatial output). With receptive_fields the graph is recorded (the fields are
    followed through it); without, the pass runs under no_grad."""
    names = {id(module): name for name, module in _reported(model, depth)}
    parameters = list(model.parameters())
    totals = {"params": sum(p.numel() for p in parameters),
              "trainable": sum(p.numel() for p in parameters if p.requires_grad),
              "macs": 0, "activation_bytes": 0, "receptive_field": None}
    rows, open_rows = [], []
    template = parameters[0] if parameters else None
    x = zeros((batch_size,) + tuple(input_size),
              dtype=dtype if dtype is not None or template is None else template.dtype,
              device=template.device if template is not None else None,
              requires_grad=receptive_fields)
    fields = ReceptiveFields(x) if receptive_fields and x.ndim == 4 else None

    def before(module, args):
        if id(module) in names:
            row = {"name": names[id(module)], "type": type(module).__name__,
                   "output_shape": None,
                   "groups": module.groups if isinstance(module, (Conv2d, ConvTranspose2d))
                   else None,
                   "params": sum(p.numel() for p in module.parameters()),
                   "macs": 0, "receptive_field": None, "activation_bytes": 0}
            rows.append(row)
            open_rows.append((row, totals["macs"]))

    def after(module, args, kwargs, output):
        outputs = tensors_in(output)
        nbytes = sum(t.numel() * t.element_size() for t in outputs)
        totals["macs"] += layer_macs(module, args, kwargs, output)
        if _is_leaf(module):
            totals["activation_bytes"] += nbytes
        field = fields.after_module(module, args, kwargs, output) if fields else None
        if id(module) in names:
            row, macs_before = open_rows.pop()
            row.update(output_shape=tuple(outputs[0].shape) if outputs else None,
                       macs=totals["macs"] - macs_before, activation_bytes=nbytes,
                       receptive_field=fields.reported(field) if fields else None)

    handles = []
    for module in model.modules():
        handles.append(module.register_forward_pre_hook(before))
        handles.append(module.register_forward_hook(after, with_kwargs=True))
    modes = [(module, module.training) for module in model.modules()]
    model.eval()
    try:
        with grad_mode.enable_grad() if fields else grad_mode.no_grad():
            output = model(x)
        if fields:
            totals["receptive_field"] = fields.final(output)
    finally:
        for handle in handles:
            handle.remove()
        for module, mode in modes:  # each module's own mode, as it was
            module.training = mode
    return rows, totals


_COUNTS = ["", "K", "M", "G", "T"]
_BYTES = ["bytes", "KiB", "MiB", "GiB", "TiB"]


def _scaled(value, units, base):
    """`value` with the largest unit it reaches, e.g. 1.81 G."""
    for exponent in range(len(units) - 1, 0, -1):
        if value >= base ** exponent:
            return f"{value / base ** exponent:.2f} {units[exponent]}"
    return f"{value} {units[0]}".rstrip()


def _cells(row):
    field = row["receptive_field"]
    if isinstance(field, tuple):
        field = "x".join(map(str, field))
    groups = "-" if row["groups"] is None else str(row["groups"])
    return [row["name"], row["type"], str(row["output_shape"]), groups, f"{row['params']:,}",
            f"{row['macs']:,}", "-" if field is None else str(field),
            f"{row['activation_bytes']:,}"]


def format_table(rows, totals):
    """The table `summary` prints: one line a row, then the totals."""
    header = ["layer", "type", "output shape", "groups", "params", "MACs", "RF", "output bytes"]
    cells = [_cells(row) for row in rows]
    widths = [max(len(line[i]) for line in [header] + cells) for i in range(len(header))]

    def line(values):   # text columns to the left, numbers to the right
        return "  ".join(v.ljust(w) if i < 3 else v.rjust(w)
                         for i, (v, w) in enumerate(zip(values, widths))).rstrip()

    top = line(header)
    lines = [top, "-" * len(top)] + [line(c) for c in cells] + ["-" * len(top)]
    lines += [f"total parameters: {totals['params']:,}  (trainable {totals['trainable']:,})",
              f"total MACs: {totals['macs']:,}  ({_scaled(totals['macs'], _COUNTS, 1000)})",
              f"total activation memory: {totals['activation_bytes']:,} bytes  "
              f"({_scaled(totals['activation_bytes'], _BYTES, 1024)})"]
    field = totals["receptive_field"]
    if field is not None:
        field = "x".join(map(str, field)) if isinstance(field, tuple) else field
        lines.append(f"receptive field of the final feature map: {field} pixels")
    return "\n".join(lines)
