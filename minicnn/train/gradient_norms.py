"""A callback of `fit` that follows each layer's gradient norm through training: the
picture of vanishing gradients (a deep plain network's first layers get almost nothing)
and of what residual connections change."""
import math

from ..backend import to_device
from .loop import Callback


def _layers(model):
    """(name, own parameters) of each module that holds parameters itself, in the order
    the model registers them (for a Sequential network, input to output)."""
    layers = []
    for name, module in model.named_modules():
        params = list(module.parameters(recurse=False))
        if params:
            layers.append((name or type(model).__name__, params))
    return layers


def _norm(params):
    """The 2-norm of the gradients of `params` together (0 where none arrived)."""
    total = 0.0
    for p in params:
        if p.grad is not None:
            grad = to_device(p.grad._data, "cpu")
            total += float((grad.astype("float64") ** 2).sum())
    return math.sqrt(total)


class GradientNormRecorder(Callback):
    """After every training step, records the 2-norm of each layer's parameter gradients
    (a layer: a module holding parameters itself; its weight and bias together), as the
    optimizer used them (after `clip_grad_norm`, where fit was given one).

    `steps` holds the global step of each record, `norms` {layer name: [norm per step]},
    in the model's order; `plot(path)` draws them. Pass it to fit:
    `fit(model, loader, optimizer, callbacks=[recorder])`.
    """

    def __init__(self):
        self.steps = []
        self.norms = {}

    def on_step_end(self, state):
        layers = _layers(state["model"])
        self.steps.append(state["global_step"])
        for name, params in layers:
            self.norms.setdefault(name, []).append(_norm(params))

    def mean_norms(self):
        """{layer name: its mean gradient norm over the recorded steps}."""
        return {name: sum(values) / len(values) for name, values in self.norms.items()}

    def plot(self, path, title="gradient norm per layer"):
        """A PNG at `path`: each layer's gradient norm per step (left, a line per layer,
        darker for earlier layers) and its mean against the layer's depth (right), both on a
        log scale. Returns the path, or None (with a one-line notice) when matplotlib is not
        installed or nothing was recorded."""
        if not self.steps:
            print("no training step was recorded: no plot")
            return None
        try:
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError:
            print("matplotlib is not installed: no plot (pip install matplotlib)")
            return None
        names = list(self.norms)
        colours = plt.get_cmap("viridis")
        fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
        for depth, name in enumerate(names):
            left.plot(self.steps, self.norms[name], color=colours(depth / max(len(names) - 1, 1)),
                      label=name if len(names) <= 12 else None)
        left.set_xlabel("step")
        left.set_ylabel("gradient 2-norm")
        if len(names) <= 12:
            left.legend(fontsize=7)
        means = self.mean_norms()
        right.plot(range(len(names)), [means[n] for n in names], marker="o")
        right.set_xlabel("layer (input → output)")
        right.set_ylabel("mean gradient 2-norm")
        if len(names) <= 24:
            right.set_xticks(range(len(names)), labels=names, rotation=90, fontsize=7)
        for axis in (left, right):
            axis.set_yscale("log")
            axis.grid(alpha=0.3)
        fig.suptitle(title)
        fig.tight_layout()
        fig.savefig(path, dpi=100)
        plt.close(fig)
        return path
