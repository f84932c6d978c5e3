"""The convolution selector (conv_select.py): F.conv_algorithm names the path each call
takes, conv2d runs exactly that path, mc.conv_algorithm forces one (and refuses, naming the
algorithm and the reason, a call it cannot compute), and under set_kernels("reference")
convolutions take im2col with no threads."""
import numpy as np
import pytest
from conftest import random_array

import minicnn as mc
import minicnn.functional as F
from minicnn.functional import conv, conv_select, conv_space_to_depth, conv_winograd, workspace

# name: input shape, weight shape, keyword arguments, the algorithm with and without gradients
CALLS = {
    "depthwise": ((2, 4, 7, 7), (8, 1, 3, 3), dict(padding=1, groups=4),
                  "depthwise", "depthwise"),
    "grouped": ((2, 8, 7, 6), (12, 2, 3, 3), dict(padding=1, groups=4), "grouped", "grouped"),
    "pointwise": ((2, 8, 8, 8), (6, 8, 1, 1), {}, "pointwise", "pointwise"),
    "pointwise_small_map": ((2, 8, 4, 4), (6, 8, 1, 1), {}, "pointwise", "pointwise"),
    "winograd": ((7, 16, 7, 9), (5, 16, 3, 3), dict(padding=1), "winograd_f2", "winograd_f2"),
    "winograd_large_map": ((2, 16, 16, 19), (5, 16, 3, 3), dict(padding=1),
                           "winograd_f2", "winograd_f4"),
    "winograd_map_of_14": ((3, 16, 14, 14), (5, 16, 3, 3), dict(padding=1),
                           "winograd_f2", "winograd_f2"),
    "winograd_batch_of_128_tiles": ((8, 16, 8, 8), (5, 16, 3, 3), dict(padding=1),
                                    "winograd_f2", "winograd_f2"),
    "winograd_batch_of_112_tiles": ((7, 16, 8, 8), (5, 16, 3, 3), dict(padding=1),
                                    "im2col", "im2col"),
    "winograd_one_large_map_few_tiles": ((1, 16, 15, 15), (5, 16, 3, 3), dict(padding=1),
                                         "im2col", "im2col"),
    "alexnet_like_stem": ((1, 4, 35, 35), (6, 4, 5, 5), dict(stride=2, padding=1),
                          "im2col", "space_to_depth"),
    "few_channels_3x3": ((2, 3, 7, 8), (4, 3, 3, 3), dict(padding=1), "grouped", "grouped"),
    "rgb_3x3": ((2, 3, 7, 8), (33, 3, 3, 3), dict(padding=1), "im2col", "grouped"),
    "rgb_strided_stem": ((1, 3, 21, 20), (40, 3, 7, 7), dict(stride=2, padding=3),
                         "im2col", "grouped"),
    "rgb_9x9_stem": ((1, 3, 21, 20), (8, 3, 9, 9), dict(stride=3), "im2col", "grouped"),
    "rgb_patches": ((1, 3, 32, 32), (8, 3, 16, 16), dict(stride=16), "im2col", "im2col"),
    "rgb_small_patches": ((1, 3, 32, 32), (8, 3, 4, 4), dict(stride=4), "im2col", "im2col"),
    "rgb_overlapping_4x4": ((1, 3, 32, 32), (8, 3, 4, 4), dict(stride=2), "im2col", "grouped"),
    "rgb_1x1": ((2, 3, 7, 8), (33, 3, 1, 1), {}, "pointwise", "pointwise"),
    "five_channels_3x3": ((2, 5, 7, 8), (33, 5, 3, 3), dict(padding=1), "im2col", "im2col"),
    "dilated": ((2, 16, 9, 9), (4, 16, 3, 3), dict(dilation=2), "im2col", "im2col"),
    "five_by_five": ((1, 16, 14, 15), (6, 16, 5, 5), dict(padding=2), "im2col", "winograd_5x5"),
    "five_by_five_on_7x7": ((2, 16, 7, 7), (6, 16, 5, 5), dict(padding=2), "im2col", "im2col"),
    "five_by_five_few_channels": ((1, 8, 14, 15), (40, 8, 5, 5), dict(padding=2),
                                  "im2col", "im2col"),
}
NODES = {"naive": "Conv2dNaive", "im2col": "Conv2dGemm", "winograd_f2": "Conv2dWinograd",
         "pointwise": "Conv2dPointwise", "depthwise": "DirectConv2d",
         "grouped": "DirectConv2d"}


def _tensors(name, requires_grad, dtype=np.float64):
    x_shape, w_shape, kwargs = CALLS[name][:3]
    return (mc.tensor(random_array(x_shape, 0, dtype), requires_grad=requires_grad),
            mc.tensor(random_array(w_shape, 1, dtype), requires_grad=requires_grad),
            mc.tensor(random_array((w_shape[0],), 2, dtype), requires_grad=requires_grad),
            kwargs)


@pytest.fixture
def runs(monkeypatch):
    """What conv2d runs, recorded as it runs: the runner of conv.RUNNERS it calls, and inside
    it the Winograd tile size or the space-to-depth rearrangement."""
    runs = []
    convolve, blocked = conv_winograd._convolve, conv_space_to_depth.conv2d_space_to_depth

    def recording_convolve(x, w, b, padding, groups, tile, *rest, **options):
        runs.append(f"tile {tile}")
        return convolve(x, w, b, padding, groups, tile, *rest, **options)

    def recording_blocked(*args):
        runs.append("blocks")
        return blocked(*args)

    def recording(name, runner):
        def run(*args):
            runs.append(name)
            return runner(*args)
        return run

    monkeypatch.setattr(conv_winograd, "_convolve", recording_convolve)
    monkeypatch.setattr(conv_space_to_depth, "conv2d_space_to_depth", recording_blocked)
    for name, runner in list(conv.RUNNERS.items()):
        monkeypatch.setitem(conv.RUNNERS, name, recording(name, runner))
    return runs


# what runs inside each algorithm's runner
INSIDE = {"winograd_f2": ["tile 2"], "winograd_f4": ["tile 4"], "winograd_5x5": ["tile 2"],
          "space_to_depth": ["blocks"]}


def _ran(x, w, b, kwargs, runs):
    runs.clear()
    y = F.conv2d(x, w, b, **kwargs)
    assert runs[1:] == INSIDE.get(runs[0], [])
    if y.grad_fn is not None:
        assert type(y.grad_fn).__name__ == NODES[runs[0]]
        if NODES[runs[0]] == "DirectConv2d":
            assert y.grad_fn.params[0] == runs[0]
    return runs[0]


@pytest.mark.parametrize("name", CALLS)
def test_each_call_takes_the_algorithm_its_rule_names(name, runs):
    with_grad, without_grad = CALLS[name][3:]
    x, w, b, kwargs = _tensors(name, requires_grad=True)
    assert F.conv_algorithm(x, w, **kwargs) == with_grad
    assert _ran(x, w, b, kwargs, runs) == with_grad
    with mc.no_grad():
        assert F.conv_algorithm(x, w, **kwargs) == without_grad
        assert _ran(x, w, b, kwargs, runs) == without_grad
    x, w, b, kwargs = _tensors(name, requires_grad=False)     # nothing records a gradient
    assert F.conv_algorithm(x, w, **kwargs) == without_grad
    assert _ran(x, w, b, kwargs, runs) == without_grad


def test_a_bias_that_requires_grad_counts():
    x, w, b, kwargs = _tensors("winograd_large_map", requires_grad=False)
    assert F.conv_algorithm(x, w, **kwargs) == "winograd_f4"
    assert F.conv_algorithm(x, w, bias=b.requires_grad_(), **kwargs) == "winograd_f2"


@pytest.mark.parametrize("name", CALLS)
def test_reference_kernels_take_im2col_everywhere(name):
    x, w, b, kwargs = _tensors(name, requires_grad=True)
    with mc.set_kernels("reference"):
        assert F.conv_algorithm(x, w, **kwargs) == "im2col"
        with mc.no_grad():
            assert F.conv_algorithm(x, w, **kwargs) == "im2col"
        assert type(F.conv2d(x, w, b, **kwargs).grad_fn).__name__ == "Conv2dGemm"


def test_reference_kernels_run_convolutions_without_threads(monkeypatch):
    def no_threads(fn, parts):
        raise AssertionError("parallel_for called under set_kernels('reference')")

    monkeypatch.setattr(workspace, "parallel_for", no_threads)
    monkeypatch.setattr(conv, "parallel_for", no_threads)
    x = mc.tensor(random_array((5, 3, 20, 20), 0), requires_grad=True)   # 400 pixels an image
    w = mc.tensor(random_array((4, 3, 3, 3), 1), requires_grad=True)
    with mc.set_kernels("reference"):
        F.conv2d(x, w, padding=1).sum().backward()
        F.conv_transpose2d(x, w.transpose(0, 1)).sum().backward()
        with mc.conv_algorithm("winograd_f2"):
            F.conv2d(x.repeat(1, 6, 1, 1), w.repeat(1, 6, 1, 1), padding=1).sum().backward()
    with mc.conv_algorithm("im2col"), pytest.raises(AssertionError, match="parallel_for called"):
        F.conv2d(x, w, padding=1)


def test_every_algorithm_has_a_runner_and_every_rule_a_reason():
    assert set(conv.RUNNERS) == set(conv_select.ALGORITHMS)
    assert list(conv_select.ALGORITHMS) == ["naive", "im2col", "winograd_f2", "winograd_f4",
                                            "winograd_5x5", "space_to_depth", "pointwise",
                                            "depthwise", "grouped"]
    assert {rule.algorithm for rule in conv_select.RULES} == set(conv_select.ALGORITHMS) - {
        "naive"}
    assert all(rule.reason for rule in conv_select.RULES)
    assert conv_select.RULES[-1].condition(None)          # the last rule takes every call


@pytest.mark.parametrize("algorithm", list(conv_select.ALGORITHMS))
def test_forcing_an_algorithm_where_it_applies_gives_the_same_output(algorithm):
    """Each algorithm on a call it computes: the same output and gradients as im2col."""
    name = {"naive": "rgb_3x3", "im2col": "winograd", "winograd_f2": "rgb_3x3",
            "winograd_f4": "rgb_3x3", "winograd_5x5": "five_by_five_few_channels",
            "space_to_depth": "alexnet_like_stem", "pointwise": "pointwise_small_map",
            "depthwise": "depthwise", "grouped": "dilated"}[algorithm]
    forward_only = conv_select.ALGORITHMS[algorithm].forward_only
    results = []
    for forced in (algorithm, "im2col"):
        x, w, b, kwargs = _tensors(name, requires_grad=not forward_only)
        with mc.conv_algorithm(forced):
            assert F.conv_algorithm(x, w, **kwargs) == forced
            y = F.conv2d(x, w, b, **kwargs)
        if forward_only:
            results.append([y.numpy()])
            continue
        y.backward(mc.tensor(random_array(y.shape, 3)))
        results.append([y.detach().numpy(), x.grad.numpy(), w.grad.numpy(), b.grad.numpy()])
    for got, expected in zip(*results):
        np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-10 * np.abs(expected).max())


def test_conv_algorithm_sets_restores_and_works_as_a_context_manager():
    assert mc.get_conv_algorithm() == "auto"
    with mc.conv_algorithm("naive"):
        assert mc.get_conv_algorithm() == "naive"
        with mc.conv_algorithm("auto"):
            assert mc.get_conv_algorithm() == "auto"
        assert mc.get_conv_algorithm() == "naive"
    assert mc.get_conv_algorithm() == "auto"
    mc.conv_algorithm("im2col")
    try:
        x, w, _, kwargs = _tensors("winograd", requires_grad=True)
        assert F.conv_algorithm(x, w, **kwargs) == "im2col"
    finally:
        mc.conv_algorithm("auto")
    with pytest.raises(ValueError, match="conv_algorithm: algorithm must be 'auto' or one of "
                                         "naive, im2col, .* got 'winograd'"):
        mc.conv_algorithm("winograd")
    assert mc.get_conv_algorithm() == "auto"


@pytest.mark.parametrize("algorithm, name, requires_grad, reason", [
    ("winograd_f2", "alexnet_like_stem", True, r"3×3 windows at stride 1 without dilation "
                                               r"\(got kernel \(5, 5\), stride \(2, 2\)"),
    ("winograd_f2", "dilated", True, r"without dilation .*dilation \(2, 2\)"),
    ("winograd_f4", "winograd", True, r"forward pass only, and an input of this call "
                                      r"requires a gradient \(run it under mc.no_grad\(\)\)"),
    ("winograd_5x5", "winograd", False, r"5×5 windows at stride 1 without dilation \(got "
                                        r"kernel \(3, 3\), stride \(1, 1\)"),
    ("winograd_5x5", "alexnet_like_stem", False, r"5×5 windows .*stride \(2, 2\)"),
    ("winograd_5x5", "five_by_five", True, r"forward pass only"),
    ("space_to_depth", "winograd", False, r"a stride above 1 whose window spans three "
                                          r"strides"),
    ("space_to_depth", "alexnet_like_stem", True, r"forward pass only"),
    ("pointwise", "winograd", True, r"needs a 1×1 kernel, no padding and groups=1 \(got "
                                    r"kernel \(3, 3\), padding \(1, 1\), groups=1\)"),
    ("depthwise", "winograd", True, r"groups equal to the input channels .*\(got groups=1 "
                                    r"for 16 channels\)"),
])
def test_forcing_an_algorithm_that_cannot_compute_the_call_names_it_and_why(
        algorithm, name, requires_grad, reason):
    x, w, b, kwargs = _tensors(name, requires_grad)
    message = rf"conv2d: algorithm '{algorithm}' cannot compute this convolution: .*{reason}"
    with mc.conv_algorithm(algorithm):
        with pytest.raises(ValueError, match=message):
            F.conv2d(x, w, b, **kwargs)
        with pytest.raises(ValueError, match=message):
            F.conv_algorithm(x, w, **kwargs)


def test_forcing_winograd_on_values_its_transforms_would_overflow_is_refused():
    x, w, b, kwargs = _tensors("winograd", requires_grad=True)
    x.data[0, 0, 0, 0] = np.inf
    assert F.conv_algorithm(x, w, **kwargs) == "im2col"
    with mc.conv_algorithm("winograd_f2"), pytest.raises(ValueError, match="too large"):
        F.conv2d(x, w, b, **kwargs)


def test_bad_arguments_fail_as_in_conv2d():
    x, w, _, _ = _tensors("rgb_3x3", requires_grad=False)
    with pytest.raises(ValueError, match="conv2d: input has 3 channels but weight expects 6"):
        F.conv_algorithm(x, w.repeat(1, 2, 1, 1))
    with pytest.raises(ValueError, match="conv2d: padding='same' needs stride 1"):
        F.conv_algorithm(x, w, stride=2, padding="same")


@pytest.mark.gpu
def test_cuda_arrays_never_take_the_winograd_transforms():
    x = mc.tensor(random_array((2, 16, 7, 9), 0, np.float32), device="cuda", requires_grad=True)
    w = mc.tensor(random_array((5, 16, 3, 3), 1, np.float32), device="cuda", requires_grad=True)
    assert F.conv_algorithm(x, w, padding=1) == "im2col"
    with mc.no_grad():
        assert F.conv_algorithm(x, w, padding=1) == "im2col"
    with mc.conv_algorithm("winograd_f2"), pytest.raises(ValueError, match="no CUDA form"):
        F.conv2d(x, w, padding=1)
    results = []
    for algorithm in ("naive", "im2col"):
        with mc.conv_algorithm(algorithm):
            y = F.conv2d(x, w, padding=1)
        y.sum().backward()
        results.append([y.detach().cpu().numpy(), x.grad.cpu().numpy(), w.grad.cpu().numpy()])
        x.grad = w.grad = None
    for got, expected in zip(*results):
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max())


@pytest.mark.gpu
def test_cuda_arrays_take_im2col_for_narrow_groups():
    """The direct grouped kernels have no CUDA form: CuPy arrays keep im2col + cuBLAS, with
    the same output and gradients as the cpu form's direct kernels."""
    x_cpu, w_cpu, _, kwargs = _tensors("grouped", requires_grad=True, dtype=np.float32)
    x, w = (mc.tensor(t.detach().numpy(), device="cuda", requires_grad=True)
            for t in (x_cpu, w_cpu))
    assert F.conv_algorithm(x, w, **kwargs) == "im2col"
    with mc.conv_algorithm("grouped"), pytest.raises(ValueError, match="no CUDA form"):
        F.conv2d(x, w, **kwargs)
    results = []
    for a, b in ((x, w), (x_cpu, w_cpu)):
        y = F.conv2d(a, b, **kwargs)
        y.sum().backward()
        results.append([t.cpu().numpy() for t in (y.detach(), a.grad, b.grad)])
    assert type(y.grad_fn).__name__ == "DirectConv2d"
    for got, expected in zip(*results):
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max())
