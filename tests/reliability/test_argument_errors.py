"""Wrong arguments fail before any work with TypeError or ValueError naming the op, the
argument and the value, in the functional and the module form alike; the argument forms
PyTorch accepts (NumPy integers, one-element sequences, zero sizes) work."""
import re

import numpy as np
import pytest

import minicnn as mc
import minicnn.functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def _x(*shape):
    return mc.tensor(np.random.default_rng(0).standard_normal(shape).astype(np.float32))


X, W = _x(2, 4, 8, 8), _x(6, 4, 3, 3)


@pytest.mark.parametrize("call, error, message", [
    (lambda: F.conv2d(X, W, stride=1.5), TypeError,
     "conv2d: stride must be an int or a pair of ints, got 1.5"),
    (lambda: F.conv2d(X, W, stride=(1, 1.5)), TypeError, "conv2d: stride must be an int"),
    (lambda: F.conv2d(X, W, stride=True), TypeError, "conv2d: stride must be an int"),
    (lambda: F.conv2d(X, W, padding=True), TypeError,
     "conv2d: padding must be an int or a pair of ints, got True"),
    (lambda: F.conv2d(X, W, padding=1.0), TypeError, "conv2d: padding must be an int"),
    (lambda: F.conv2d(X, W, padding=(1, 1, 1)), TypeError,
     r"conv2d: padding must be an int or a pair of ints, got (1, 1, 1) (3 values)"),
    (lambda: F.conv2d(X, W, padding=-1), ValueError,
     "conv2d: padding must be non-negative, got -1"),
    (lambda: F.conv2d(X, W, dilation=0), ValueError,
     "conv2d: dilation must be positive, got 0"),
    (lambda: F.conv2d(X, W, groups=1.0), TypeError,
     "conv2d: groups must be an int, got 1.0 (float)"),
    (lambda: F.conv2d(X, W, groups=True), TypeError,
     "conv2d: groups must be an int, got True (bool)"),
    (lambda: F.conv2d(X, _x(6, 4, 0, 3)), ValueError,
     "conv2d: kernel size (0, 3) must be positive (weight shape (6, 4, 0, 3))"),
    (lambda: F.conv2d(X, _x(6, 2, 3, 3), groups=3), ValueError,
     "conv2d: input channels 4 are not divisible by groups=3"),
    (lambda: F.conv2d(_x(2, 3, 8, 8), W), ValueError,
     "conv2d: input has 3 channels but weight expects 4"),
    (lambda: F.conv2d(_x(4, 8), W), ValueError,
     "conv2d: expected input of shape (N, C, H, W) or (C, H, W), got shape (4, 8)"),
    (lambda: F.conv2d(_x(1, 2, 4, 8, 8), W), ValueError,
     "conv2d: expected input of shape (N, C, H, W) or (C, H, W), got shape (1, 2, 4, 8, 8)"),
    (lambda: F.conv2d(X.numpy(), W), TypeError,
     "conv2d: argument 'input' must be a Tensor, got ndarray"),
    (lambda: F.conv_transpose2d(X, _x(4, 2, 3, 3), stride=1.5), TypeError,
     "conv_transpose2d: stride must be an int"),
    (lambda: F.conv_transpose2d(X, _x(4, 2, 3, 3), output_padding=-1), ValueError,
     "conv_transpose2d: output_padding must be non-negative, got -1"),
    (lambda: F.conv_transpose2d(X, _x(4, 2, 3, 3), padding="same"), TypeError,
     "conv_transpose2d: padding must be an int or a pair of ints, got 'same'"),
    (lambda: F.max_pool2d(X, 0), ValueError, "max_pool2d: kernel_size must be positive, got 0"),
    (lambda: F.max_pool2d(X, 1.5), TypeError,
     "max_pool2d: kernel_size must be an int or a pair of ints, got 1.5"),
    (lambda: F.max_pool2d(X, True), TypeError, "max_pool2d: kernel_size must be an int"),
    (lambda: F.max_pool2d(X, 2, stride=0), ValueError, "max_pool2d: stride must be positive"),
    (lambda: F.max_pool2d(X, 2, dilation=0), ValueError,
     "max_pool2d: dilation must be positive"),
    (lambda: F.max_pool2d(_x(8, 8), 2), ValueError,
     "max_pool2d: expected input of shape (N, C, H, W) or (C, H, W), got shape (8, 8)"),
    (lambda: F.avg_pool2d(X, 0), ValueError, "avg_pool2d: kernel_size must be positive"),
    (lambda: F.avg_pool2d(X, 2, divisor_override=1.5), TypeError,
     "avg_pool2d: divisor_override must be an int, got 1.5 (float)"),
    (lambda: F.adaptive_avg_pool2d(X, 1.5), TypeError,
     "adaptive_avg_pool2d: output_size must be an int or a pair of ints, got 1.5"),
    (lambda: F.adaptive_max_pool2d(X, (2, 2, 2)), TypeError,
     "adaptive_max_pool2d: output_size must be an int or a pair, got (2, 2, 2)"),
    (lambda: F.max_unpool2d(*F.max_pool2d(X, 2, return_indices=True), 1.5), TypeError,
     "max_unpool2d: kernel_size must be an int or a pair of ints, got 1.5"),
    (lambda: F.max_unpool2d(*F.max_pool2d(X, 2, return_indices=True), 2, stride=0),
     ValueError, "max_unpool2d: stride must be positive, got 0"),
    (lambda: F.dropout(X, "a"), TypeError,
     "dropout: p must be a number between 0 and 1, got 'a' (str)"),
    (lambda: F.dropout(X, True), TypeError, "dropout: p must be a number between 0 and 1"),
    (lambda: F.dropout(X, float("nan")), ValueError,
     "dropout: dropout probability has to be between 0 and 1, but got nan (argument 'p')"),
    (lambda: F.embedding(mc.tensor([1]), _x(3, 2), padding_idx=1.5), TypeError,
     "embedding: padding_idx must be an int, got 1.5 (float)"),
    (lambda: F.batch_norm(X, None, None, training=True, momentum="a"), TypeError,
     "batch_norm: momentum must be a number, got 'a' (str)"),
    (lambda: F.batch_norm(X, mc.zeros(4), mc.ones(4), eps=-1.0), ValueError,
     "batch_norm: eps must be non-negative and finite, got -1.0"),
    (lambda: F.layer_norm(_x(2, 3), (3.0,)), TypeError,
     "layer_norm: normalized_shape must be an int or a sequence of ints, got (3.0,)"),
    (lambda: F.group_norm(X, 1.5), TypeError, "group_norm: num_groups must be an int"),
    (lambda: F.local_response_norm(X, 1.5), TypeError,
     "local_response_norm: size must be an int, got 1.5 (float)"),
    (lambda: F.local_response_norm(X, 2, alpha="a"), TypeError,
     "local_response_norm: alpha must be a number, got 'a' (str)"),
    (lambda: F.interpolate(X, size=0), ValueError, "interpolate: size must be positive, got 0"),
    (lambda: F.interpolate(X, scale_factor=float("nan")), ValueError,
     "interpolate: scale_factor must be positive and finite, got nan"),
])
def test_functional_argument_errors(call, error, message):
    with pytest.raises(error, match=re.escape(message)):
        call()


@pytest.mark.parametrize("call, error, message", [
    (lambda: mc.nn.Conv2d(4, 6, 0), ValueError, "Conv2d: kernel_size must be positive, got 0"),
    (lambda: mc.nn.Conv2d(4, 6, 3, stride=1.5), TypeError,
     "Conv2d: stride must be an int or a pair of ints, got 1.5"),
    (lambda: mc.nn.Conv2d(4, 6, 3, padding=True), TypeError,
     "Conv2d: padding must be an int or a pair of ints, got True"),
    (lambda: mc.nn.Conv2d(4, 6, 3, padding=-1), ValueError,
     "Conv2d: padding must be non-negative, got -1"),
    (lambda: mc.nn.Conv2d(4, 6, 3, dilation=0), ValueError,
     "Conv2d: dilation must be positive, got 0"),
    (lambda: mc.nn.Conv2d(-1, 6, 3), ValueError,
     "Conv2d: in_channels must be a non-negative int, got -1"),
    (lambda: mc.nn.Conv2d(True, 6, 3), TypeError,
     "Conv2d: in_channels must be an int, got True (bool)"),
    (lambda: mc.nn.Conv2d(4, 6, 3, groups=1.0), TypeError,
     "Conv2d: groups must be an int, got 1.0 (float)"),
    (lambda: mc.nn.Conv2d(4, 6, 3, groups=3), ValueError,
     "Conv2d: in_channels=4 must be divisible by groups=3"),
    (lambda: mc.nn.ConvTranspose2d(4, 6, 3, output_padding=-1), ValueError,
     "ConvTranspose2d: output_padding must be non-negative, got -1"),
    (lambda: mc.nn.Linear(-1, 3), ValueError,
     "Linear: in_features must be a non-negative int, got -1"),
    (lambda: mc.nn.Linear(3, 1.5), TypeError, "Linear: out_features must be an int, got 1.5"),
    (lambda: mc.nn.MaxPool2d(0), ValueError, "MaxPool2d: kernel_size must be positive, got 0"),
    (lambda: mc.nn.MaxPool2d(2, padding=2), ValueError,
     "MaxPool2d: padding (2, 2) should be at most half of kernel_size (2, 2)"),
    (lambda: mc.nn.AvgPool2d(2, stride=1.5), TypeError, "AvgPool2d: stride must be an int"),
    (lambda: mc.nn.AvgPool2d(2, divisor_override=0), ValueError,
     "AvgPool2d: divisor_override must not be zero, got 0"),
    (lambda: mc.nn.MaxUnpool2d(0), ValueError, "MaxUnpool2d: kernel_size must be positive"),
    (lambda: mc.nn.AdaptiveAvgPool2d(-1), ValueError,
     "AdaptiveAvgPool2d: output_size must be non-negative, got -1"),
    (lambda: mc.nn.AdaptiveMaxPool2d((2, 1.5)), TypeError,
     "AdaptiveMaxPool2d: output_size must be an int, got 1.5 (float)"),
    (lambda: mc.nn.BatchNorm2d(-1), ValueError,
     "BatchNorm2d: num_features must be a non-negative int, got -1"),
    (lambda: mc.nn.BatchNorm1d(1.5), TypeError,
     "BatchNorm1d: num_features must be an int, got 1.5 (float)"),
    (lambda: mc.nn.BatchNorm2d(3, eps=-1e-5), ValueError,
     "BatchNorm2d: eps must be non-negative and finite, got -1e-05"),
    (lambda: mc.nn.BatchNorm2d(3, momentum=1.5), ValueError,
     "BatchNorm2d: momentum must be between 0 and 1, got 1.5"),
    (lambda: mc.nn.LayerNorm(-1), ValueError,
     "LayerNorm: normalized_shape must be non-negative, got -1"),
    (lambda: mc.nn.LayerNorm(1.5), TypeError,
     "LayerNorm: normalized_shape must be an int or a sequence of ints, got 1.5"),
    (lambda: mc.nn.GroupNorm(0, 4), ValueError,
     "GroupNorm: num_groups must be a positive int, got 0"),
    (lambda: mc.nn.GroupNorm(1.5, 3), TypeError, "GroupNorm: num_groups must be an int"),
    (lambda: mc.nn.GroupNorm(3, 4), ValueError,
     "GroupNorm: num_channels (4) must be divisible by num_groups (3)"),
    (lambda: mc.nn.LocalResponseNorm(0), ValueError,
     "LocalResponseNorm: size must be a positive int, got 0"),
    (lambda: mc.nn.Embedding(-1, 3), ValueError,
     "Embedding: num_embeddings must be a non-negative int, got -1"),
    (lambda: mc.nn.Embedding(3, 3, padding_idx=1.5), TypeError,
     "Embedding: padding_idx must be an int, got 1.5 (float)"),
    (lambda: mc.nn.Dropout("a"), TypeError, "Dropout: p must be a number between 0 and 1"),
    (lambda: mc.nn.Dropout2d(-0.5), ValueError,
     "Dropout2d: dropout probability has to be between 0 and 1, but got -0.5"),
    (lambda: mc.nn.MultiheadAttention(4, 1.5), TypeError,
     "MultiheadAttention: num_heads must be an int, got 1.5 (float)"),
    (lambda: mc.nn.MultiheadAttention(4, 3), ValueError,
     "MultiheadAttention: embed_dim must be divisible by num_heads"),
    (lambda: mc.nn.MultiheadAttention(4, 2, dropout=2.0), ValueError,
     "MultiheadAttention: dropout probability has to be between 0 and 1, but got 2.0"),
])
def test_module_constructor_argument_errors(call, error, message):
    with pytest.raises(error, match=re.escape(message)):
        call()


@pytest.mark.parametrize("call, message", [
    (lambda: mc.nn.Conv2d(4, 6, 3)(_x(4, 8)), "conv2d: expected input of shape"),
    (lambda: mc.nn.Conv2d(4, 6, 3)(_x(1, 3, 8, 8)),
     "conv2d: input has 3 channels but weight expects 4"),
    (lambda: mc.nn.MaxPool2d(2)(_x(1, 2, 3, 8, 8)), "max_pool2d: expected input of shape"),
    (lambda: mc.nn.Linear(3, 2)(_x(2, 4)),
     "linear: input has 4 features in its last dimension but weight expects 3"),
    (lambda: mc.nn.BatchNorm2d(3)(X), "batch_norm: weight must have shape (4,), one value per "
                                      "channel, for input of shape (2, 4, 8, 8) (4 channels), "
                                      "got shape (3,)"),
])
def test_module_forward_errors_name_the_op(call, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        call()


def _same(ours, theirs):
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-5, atol=1e-5)


def test_numpy_integers_are_ints():
    x, w = X.numpy(), W.numpy()
    tx, tw = torch.tensor(x), torch.tensor(w)
    _same(F.conv2d(X, W, stride=np.int64(2), padding=np.int32(1), groups=np.int64(1)),
          TF.conv2d(tx, tw, stride=2, padding=1))
    _same(F.max_pool2d(X, np.int64(2), stride=(np.int32(1), 2)),
          TF.max_pool2d(tx, 2, stride=(1, 2)))
    _same(F.avg_pool2d(X, 3, divisor_override=np.int64(4)),
          TF.avg_pool2d(tx, 3, divisor_override=4))
    assert mc.nn.Linear(np.int64(3), np.int32(2)).weight.shape == (2, 3)
    assert mc.nn.Conv2d(np.int64(4), 6, np.int64(3)).kernel_size == (3, 3)
    assert mc.nn.BatchNorm2d(np.int64(3)).running_mean.shape == (3,)


def test_one_element_sequences_stand_for_both_axes_as_in_pytorch():
    x, w = X.numpy(), W.numpy()
    tx, tw = torch.tensor(x), torch.tensor(w)
    _same(F.conv2d(X, W, padding=(1,), dilation=[2]), TF.conv2d(tx, tw, padding=(1,),
                                                                dilation=[2]))
    _same(F.max_pool2d(X, (3,), stride=(2,), padding=(1,)),
          TF.max_pool2d(tx, (3,), stride=(2,), padding=(1,)))
    _same(F.max_pool2d(X, 2, stride=()), TF.max_pool2d(tx, 2, stride=()))


@pytest.mark.filterwarnings("ignore:Initializing zero-element tensors is a no-op")
def test_zero_sizes_are_accepted_where_pytorch_accepts_them():
    assert mc.nn.Linear(0, 3)(mc.zeros(2, 0)).shape == (2, 3)
    assert mc.nn.BatchNorm2d(0).running_var.shape == (0,)
    assert mc.nn.Embedding(0, 3).weight.shape == (0, 3)
    assert F.adaptive_avg_pool2d(X, 0).shape == TF.adaptive_avg_pool2d(
        torch.tensor(X.numpy()), 0).shape
    assert F.adaptive_max_pool2d(X, (0, 2)).shape == (2, 4, 0, 2)
    assert F.avg_pool2d(X, 2, divisor_override=-1).shape == (2, 4, 4, 4)
