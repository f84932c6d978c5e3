"""`mc.viz`: what a trained network looks at, and the graph backward walks.

Attributions, each with the conventions of captum so that its results can be checked
against it: `saliency`, `guided_backprop`, `deconvnet`, `grad_cam`, `occlusion`,
`integrated_gradients`; the activations and weights themselves: `feature_maps`, `filters`;
the backward graph as Graphviz dot text: `graph`. `normalize`, `upsample`, `grid` and
`save_side_by_side` prepare and save pictures of them (`minicnn visualize` uses them).

Every attribution takes (model, x, target, ...): a batch x (N, C, H, W) and the class to
explain, one int for every image or one per image; the model runs in eval mode (each module's
mode is restored afterwards), x is not modified, the parameters' `.grad` are left as they
were and no hook is left behind.
"""
from .feature_maps import feature_maps
from .figure import save_side_by_side
from .filters import filters
from .grad_cam import grad_cam
from .graph import graph
from .image_grid import grid, normalize, upsample
from .integrated_gradients import integrated_gradients
from .occlusion import occlusion
from .relu_rules import deconvnet, guided_backprop
from .saliency import saliency

__all__ = ["deconvnet", "feature_maps", "filters", "grad_cam", "graph", "grid",
           "guided_backprop", "integrated_gradients", "normalize", "occlusion", "saliency",
           "save_side_by_side", "upsample"]
