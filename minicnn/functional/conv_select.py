"""The one place that picks conv2d's algorithm.

Every conv2d call goes through `select`, which returns one of ALGORITHMS:

    naive           loops over output positions, forward and backward (conv_naive.py)
    im2col          im2col + one GEMM per group over each batch chunk (conv.py, conv_gemm.py)
    winograd_f2     Winograd F(2×2, 3×3), forward and gradients (conv_winograd.py)
    winograd_f4     Winograd F(4×4, 3×3), forward only (conv_winograd.py)
    winograd_5x5    Winograd F(2×2, 5×5), forward only (conv_winograd.py)
    space_to_depth  a strided window as a stride-1 3×3 one over blocks, then F(4×4, 3×3),
                    forward only (conv_space_to_depth.py)
    pointwise       a 1×1 convolution as one GEMM per image (conv_pointwise.py)
    depthwise       a direct kernel, one filter per channel (kernels depthwise_conv2d)
    grouped         direct kernels over groups of few channels (conv_direct.py)

By default ("auto") the first rule of RULES whose condition holds picks the algorithm; each
rule says why. With `mc.backends.cudnn.benchmark = True`, each new call shape instead takes
the fastest algorithm that computes it, measured once (conv_measured.py).
`set_conv_algorithm(name)` (`mc.conv_algorithm(name)`, also a context manager) forces one
algorithm on every conv2d call instead, and a call it cannot compute
raises a ValueError naming the algorithm and the reason (`why_not`); "auto" restores the
rules. `minicnn.functional.conv_algorithm(input, weight, ...)` says which algorithm a call
would take.

The setting is process-wide, as set_kernels' is.
"""
from dataclasses import dataclass
from functools import cached_property

from .. import kernels
from ..kernels.dispatch import Restore
from ..kernels.shapes import conv_output_shape
from .conv_pointwise import PER_IMAGE_MIN_PIXELS
from .conv_space_to_depth import WINDOW_IN_BLOCKS
from .conv_winograd import (MIN_BATCH_TILES, MIN_CHANNELS, MIN_TILES5,
                            winograd4_beats_winograd2, winograd4_pays, winograd5_pays,
                            magnitudes, winograd_batch_pays, winograd_stays_finite)

AUTO = "auto"
# An ungrouped convolution of fewer than MIN_CHANNELS input channels takes the direct
# "grouped" kernels up to this many output channels; with more, its GEMM is wide enough.
FEW_OUTPUT_CHANNELS = 32
# An ungrouped forward without gradients from at most this many input channels (grey, RGB,
# RGBA stems) takes the direct "grouped" kernels at any stride and output width: im2col's
# columns are then as many copies of the image as the window has taps, and its GEMM's inner
# dimension (C·kh·kw: 27 for an RGB 3×3) too short for BLAS's rate.
FEW_INPUT_CHANNELS = 4
# ... while that inner dimension stays under this: from here on im2col's GEMM runs near
# BLAS's rate and the direct kernels' per-tap passes cost more (a ViT's 16×16 RGB patches,
# 768, and AlexNet's 11×11 stem, 363, ran faster through im2col; benchmarks/NOTES.md).
STEM_MAX_DEPTH = 256


@dataclass(frozen=True)
class ConvCall:
    """One conv2d call as the selector sees it: the input and weight arrays after the
    checks ('same' padding resolved into `padding`), and whether any input of the call
    records a gradient."""

    x: object               # (N, C, H, W) array
    w: object               # (OC, C / groups, kh, kw) array
    stride: tuple
    padding: tuple
    dilation: tuple
    groups: int
    needs_grad: bool
    output_hw: tuple = None         # (oh, ow), computed from the rest when not given

    def __post_init__(self):
        if self.output_hw is None:
            object.__setattr__(self, "output_hw", conv_output_shape(
                self.x.shape[2:], self.kernel_size, self.stride, self.padding, self.dilation))

    @cached_property
    def magnitudes(self):
        """(max|x|, max|w|), read once a call: the Winograd paths' bound, which their
        backward reuses."""
        return magnitudes(self.x, self.w)

    @property
    def kernel_size(self):
        return tuple(self.w.shape[2:])

    @property
    def channels_per_group(self):
        return self.x.shape[1] // self.groups

    @property
    def on_cuda(self):
        return kernels.active_form(self.x) == "cuda"

    def describe(self):
        return (f"input shape {tuple(self.x.shape)}, weight shape {tuple(self.w.shape)}, "
                f"stride {self.stride}, padding {self.padding}, dilation {self.dilation}, "
                f"groups={self.groups}")


# ---------------------------------------------------------------- where each one can run
# Each returns None where the algorithm computes the call exactly, else the reason it cannot.

def _anywhere(call):
    return None


def _why_not_depthwise(call):
    if call.w.shape[1] != 1 or call.groups != call.x.shape[1]:
        return (f"it convolves each input channel with its own filters, which needs groups "
                f"equal to the input channels and one input channel per filter (got "
                f"groups={call.groups} for {call.x.shape[1]} channels)")
    return None


def _why_not_grouped(call):
    if call.on_cuda:
        return "its kernels have no CUDA form (CuPy arrays take im2col + cuBLAS)"
    return None


def _why_not_pointwise(call):
    if call.kernel_size != (1, 1) or call.padding != (0, 0) or call.groups != 1:
        return (f"it multiplies each pixel by a (C_out, C_in) matrix, which needs a 1×1 "
                f"kernel, no padding and groups=1 (got kernel {call.kernel_size}, padding "
                f"{call.padding}, groups={call.groups})")
    return None


def _why_not_transforms(call):
    """What keeps the Winograd transforms from a call whose window shape suits them."""
    if call.on_cuda:
        return "its transforms have no CUDA form (CuPy arrays take im2col + cuBLAS)"
    if not winograd_stays_finite(call.x, call.w, call.magnitudes):
        return ("the input and weight hold values too large (or not finite) for its "
                "transforms, which would carry an inf or a NaN into outputs whose window does "
                "not hold it")
    return None


def _why_not_forward_only(call):
    if call.needs_grad:
        return ("it computes the forward pass only, and an input of this call requires a "
                "gradient (run it under mc.no_grad())")
    return None


def _why_not_winograd_f2(call):
    if call.kernel_size != (3, 3) or call.stride != (1, 1) or call.dilation != (1, 1):
        return (f"it computes 3×3 windows at stride 1 without dilation (got kernel "
                f"{call.kernel_size}, stride {call.stride}, dilation {call.dilation})")
    return _why_not_transforms(call)


def _why_not_winograd_f4(call):
    return _why_not_forward_only(call) or _why_not_winograd_f2(call)


def _why_not_winograd_5x5(call):
    if call.kernel_size != (5, 5) or call.stride != (1, 1) or call.dilation != (1, 1):
        return (f"it computes 5×5 windows at stride 1 without dilation (got kernel "
                f"{call.kernel_size}, stride {call.stride}, dilation {call.dilation})")
    return _why_not_forward_only(call) or _why_not_transforms(call)


def _space_to_depth_blocks(call):
    return tuple(-(-k // s) for k, s in zip(call.kernel_size, call.stride))


def _why_not_space_to_depth(call):
    if call.stride == (1, 1) or _space_to_depth_blocks(call) != (WINDOW_IN_BLOCKS,) * 2:
        return (f"it needs a stride above 1 whose window spans three strides each way, "
                f"⌈kernel / stride⌉ = 3 (got kernel {call.kernel_size}, stride {call.stride})")
    if call.dilation != (1, 1) or call.groups != 1:
        return (f"it needs dilation 1 and groups=1 (got dilation {call.dilation}, "
                f"groups={call.groups})")
    return _why_not_forward_only(call) or _why_not_transforms(call)


@dataclass(frozen=True)
class Algorithm:
    """A convolution algorithm: its name, what it is, `why_not(call)` (None where it computes
    the call, else the reason it cannot), and whether it computes the forward pass only."""

    name: str
    summary: str
    why_not: object
    forward_only: bool = False


ALGORITHMS = {a.name: a for a in (
    Algorithm("naive", "loops over output positions, forward and backward", _anywhere),
    Algorithm("im2col", "im2col + one GEMM per group over each batch chunk", _anywhere),
    Algorithm("winograd_f2", "Winograd F(2×2, 3×3): 16 products per 2×2 output tile",
              _why_not_winograd_f2),
    Algorithm("winograd_f4", "Winograd F(4×4, 3×3): 36 products per 4×4 output tile",
              _why_not_winograd_f4, forward_only=True),
    Algorithm("winograd_5x5", "Winograd F(2×2, 5×5): 36 products per 2×2 output tile",
              _why_not_winograd_5x5, forward_only=True),
    Algorithm("space_to_depth", "a strided window as a stride-1 3×3 window over sh×sw "
              "blocks, by F(4×4, 3×3)", _why_not_space_to_depth, forward_only=True),
    Algorithm("pointwise", "a 1×1 convolution as one GEMM per image", _why_not_pointwise),
    Algorithm("depthwise", "a direct kernel, one filter per channel", _why_not_depthwise),
    Algorithm("grouped", "direct kernels over groups of few channels", _why_not_grouped),
)}


# ---------------------------------------------------------------- the auto rules

def _always(call):
    return True


def _reference_mode(call):
    return kernels.get_kernels() == "reference"


def _depthwise_pays(call):
    return call.groups > 1 and _why_not_depthwise(call) is None


def _grouped_pays(call):
    return (call.channels_per_group < MIN_CHANNELS
            and (call.groups > 1 or _few_channels_at_stride_one(call))
            and _why_not_grouped(call) is None)


def _few_channels_at_stride_one(call):
    """An ungrouped window larger than 1×1 at stride 1 onto few output channels (1×1 windows
    take pointwise's GEMM, strided ones space_to_depth's transforms or im2col)."""
    return (call.w.shape[0] <= FEW_OUTPUT_CHANNELS and call.kernel_size != (1, 1)
            and call.stride == (1, 1))


def _tiles_the_image(call):
    """A window as wide as its stride, undilated (a ViT's patch embedding): im2col's columns
    are then the image rearranged, each pixel copied once."""
    return call.stride == call.kernel_size and call.dilation == (1, 1)


def _image_stem_pays(call):
    depth = call.x.shape[1] * call.kernel_size[0] * call.kernel_size[1]      # C·kh·kw
    return (not call.needs_grad and call.groups == 1 and call.x.shape[1] <= FEW_INPUT_CHANNELS
            and call.kernel_size != (1, 1) and depth < STEM_MAX_DEPTH
            and not _tiles_the_image(call) and _why_not_grouped(call) is None)


def _pointwise_pays(call):
    return _why_not_pointwise(call) is None


def _space_to_depth_pays(call):
    return (call.x.shape[1] * call.stride[0] * call.stride[1] >= MIN_CHANNELS
            and winograd4_pays(*call.output_hw) and _why_not_space_to_depth(call) is None)


def _winograd_3x3_pays(call):
    """What both 3×3 algorithms need beyond computing the call: enough channels a group
    and enough 2×2 output tiles over the batch."""
    return (call.channels_per_group >= MIN_CHANNELS
            and winograd_batch_pays(call.x.shape[0], *call.output_hw))


def _winograd_f4_pays(call):
    return (_winograd_3x3_pays(call) and winograd4_beats_winograd2(*call.output_hw)
            and _why_not_winograd_f4(call) is None)


def _winograd_5x5_pays(call):
    return (call.channels_per_group >= MIN_CHANNELS and winograd5_pays(*call.output_hw)
            and _why_not_winograd_5x5(call) is None)


def _winograd_f2_pays(call):
    return _winograd_3x3_pays(call) and _why_not_winograd_f2(call) is None


@dataclass(frozen=True)
class Rule:
    """Where `condition(call)` holds, auto takes `algorithm`, for `reason`."""

    algorithm: str
    condition: object
    reason: str


# In order: the first rule whose condition holds picks. The conditions call why_not last,
# since winograd_stays_finite reads the whole input.
RULES = (
    Rule("im2col", _reference_mode,
         'set_kernels("reference") is in force: the readable path, im2col + GEMM with its '
         "batch chunks in turn on the calling thread"),
    Rule("depthwise", _depthwise_pays,
         "one filter per channel: im2col would copy every pixel kh·kw times to feed GEMMs "
         "of one channel each"),
    Rule("grouped", _grouped_pays,
         f"groups of fewer than {MIN_CHANNELS} channels (too few for Winograd's rule), or "
         f"one such group with at most {FEW_OUTPUT_CHANNELS} output channels at stride 1 "
         "(LeNet's 1→6 and 6→16 5×5): im2col would run one GEMM per group, too thin for BLAS's rate "
         "(ResNeXt's 32 groups of 4: 4 rows by 36 columns; LeNet's first: 6 rows by 25), "
         "where the direct kernels compute four output channels from four sources per pass, "
         "the group's planes in cache"),
    Rule("pointwise", _pointwise_pays,
         f"a 1×1 window: one GEMM per image, straight from and into NCHW, without im2col's "
         f"copy and transpose; on maps under {PER_IMAGE_MIN_PIXELS} pixels, where those "
         "GEMMs grow too thin, one GEMM over the whole batch, not one per thread's chunk"),
    Rule("space_to_depth", _space_to_depth_pays,
         f"a forward without gradients whose window spans three strides, with at least "
         f"{MIN_CHANNELS} block channels and enough 4×4 tiles: F(4×4, 3×3) over the blocks "
         "takes fewer products than im2col (AlexNet's 11×11/4 stem: 108 against 363 per "
         "output)"),
    Rule("grouped", _image_stem_pays,
         f"a forward without gradients from at most {FEW_INPUT_CHANNELS} input channels and "
         f"a window wider than 1×1 whose C·kh·kw is under {STEM_MAX_DEPTH}, at any stride "
         "(RGB stems: MobileNet's 3×3/2, ResNet's 7×7/2), unless the window is as wide as "
         "its stride (patches): im2col's GEMM would have that inner dimension (27 for a "
         "3×3), too short for BLAS's rate, after copying the image once per tap; the direct "
         "kernels split the few planes into phase planes once and read each tap as a slice. "
         "Patches overlap nowhere, so im2col copies each pixel once"),
    Rule("winograd_f4", _winograd_f4_pays,
         f"a stride-1 3×3 forward without gradients, at least {MIN_CHANNELS} channels a "
         f"group, {MIN_BATCH_TILES} 2×2 output tiles over the batch, enough 4×4 tiles an "
         "image and few of them past the map's edge: 4× fewer products than im2col (at 14² "
         "its tiles cover 16², and F(2×2) runs faster)"),
    Rule("winograd_f2", _winograd_f2_pays,
         f"a stride-1 3×3 window with at least {MIN_CHANNELS} channels a group and "
         f"{MIN_BATCH_TILES} 2×2 output tiles over the batch: 2.25× fewer products than "
         "im2col, for the forward pass and both gradients (with fewer tiles, one image at "
         "4×4 or 7×7, its GEMMs are too thin to pay for the filter transform)"),
    Rule("winograd_5x5", _winograd_5x5_pays,
         f"a stride-1 5×5 forward without gradients, at least {MIN_CHANNELS} channels a "
         f"group and {MIN_TILES5} 2×2 output tiles an image: 2.8× fewer products than "
         "im2col (AlexNet's conv2, GoogLeNet's 5×5 branches at 28²; at 7² the transforms "
         "cost more than the GEMMs save)"),
    Rule("im2col", _always,
         "every other convolution: the general path"),
)

_forced = AUTO


def set_conv_algorithm(name):
    """Force conv2d's algorithm: a name of ALGORITHMS on every call (a call it cannot
    compute raises), or "auto", the default, for the rules of RULES. Takes effect at once;
    used as `with mc.conv_algorithm("naive"):` it is undone on exit."""
    global _forced
    if name != AUTO and name not in ALGORITHMS:
        raise ValueError(f"conv_algorithm: algorithm must be 'auto' or one of "
                         f"{', '.join(ALGORITHMS)}, got {name!r}")
    previous, _forced = _forced, name
    return Restore(lambda: set_conv_algorithm(previous))


def get_conv_algorithm():
    """The algorithm in force: "auto" or a name of ALGORITHMS."""
    return _forced


def rule_for(call):
    """The first rule of RULES whose condition holds for `call`."""
    return next(rule for rule in RULES if rule.condition(call))


def candidates(call, first):
    """The algorithms that compute `call` exactly, `first` (the rules' choice) first; naive
    is left out, its loops being the textbook's."""
    return [first] + [name for name, algorithm in ALGORITHMS.items()
                      if name not in (first, "naive") and algorithm.why_not(call) is None]


def select(call, measure=None):
    """The algorithm conv2d takes for `call`: the forced one (ValueError where it cannot
    compute the call, naming it and the reason), else the first rule's of RULES — or, where
    `measure` is given (conv2d gives it under mc.backends.cudnn.benchmark),
    `measure(candidates)`'s (the fastest of a thunk's names), as long as it computes this
    call."""
    if _forced == AUTO:
        rule = rule_for(call)
        if measure is None or rule.condition is _reference_mode:
            return rule.algorithm
        choice = measure(lambda: candidates(call, rule.algorithm))
        if choice != rule.algorithm and ALGORITHMS[choice].why_not(call) is not None:
            return rule.algorithm
        return choice
    reason = ALGORITHMS[_forced].why_not(call)
    if reason is not None:
        raise ValueError(f"conv2d: algorithm {_forced!r} cannot compute this convolution: "
                         f"{reason} ({call.describe()})")
    return _forced
