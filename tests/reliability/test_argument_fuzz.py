"""Fuzz the arguments of every op and layer constructor that takes sizes, windows or rates.

Hypothesis picks one argument of a valid call and replaces it with a wrong value of its
kind (a float, a bool, a string, None, a negative or zero size, a tuple of the wrong
length, NaN, ...). Every such call must raise TypeError or ValueError naming the op and
the argument: never another exception, never a result.
"""
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minicnn as mc
import minicnn.functional as F

NAN, INF = float("nan"), float("inf")

# wrong values for each kind of argument (none of them valid for that kind)
POSITIVE_OR_DEFAULT = [0, -1, -3, 1.5, 2.0, np.float64(2.0), True, False, "2", (1, 2, 3),
                       (2, 0), (1.5, 1), [2, None], NAN]     # None and () mean "the default"
POSITIVE = POSITIVE_OR_DEFAULT + [None, ()]
NON_NEGATIVE = [-1, -2, 1.5, np.float32(1.0), True, "1", None, (1, 2, 3), (0, -1), [1.0, 0],
                NAN]
SIZE = [-1, -7, 2.5, np.float64(3.0), True, "3", None, (2,), [2, 3], NAN]
POSITIVE_INT = [0, -1, 1.5, True, "2", None, NAN]
PROBABILITY = [-0.1, 1.5, 2, NAN, INF, True, "0.5", None]
EPS = [-1e-5, -1, NAN, INF, "1e-5", True, None]
MOMENTUM = [-0.1, 1.5, NAN, "0.1", True]
REAL = [NAN, "1", True, None]


def _x(*shape, seed=0):
    return mc.tensor(np.random.default_rng(seed).standard_normal(shape).astype(np.float32))


def _pool_indices():
    return F.max_pool2d(_x(1, 2, 4, 4), 2, return_indices=True)


# (op name in messages, call taking keyword arguments, the valid arguments, bad values per
# argument)
CASES = [
    ("conv2d", lambda **a: F.conv2d(_x(1, 4, 6, 6), _x(6, 2, 3, 3), **a),
     dict(stride=1, padding=1, dilation=1, groups=2),
     dict(stride=POSITIVE, padding=NON_NEGATIVE, dilation=POSITIVE, groups=POSITIVE_INT)),
    ("conv_transpose2d", lambda **a: F.conv_transpose2d(_x(1, 4, 5, 5), _x(4, 3, 3, 3), **a),
     dict(stride=2, padding=1, output_padding=1, groups=1, dilation=1),
     dict(stride=POSITIVE, padding=NON_NEGATIVE, output_padding=NON_NEGATIVE,
          groups=POSITIVE_INT, dilation=POSITIVE)),
    ("max_pool2d", lambda **a: F.max_pool2d(_x(1, 2, 8, 8), **a),
     dict(kernel_size=3, stride=2, padding=1, dilation=1),
     dict(kernel_size=POSITIVE, stride=POSITIVE_OR_DEFAULT, padding=NON_NEGATIVE,
          dilation=POSITIVE)),
    ("avg_pool2d", lambda **a: F.avg_pool2d(_x(1, 2, 8, 8), **a),
     dict(kernel_size=3, stride=2, padding=1, divisor_override=None),
     dict(kernel_size=POSITIVE, stride=POSITIVE_OR_DEFAULT, padding=NON_NEGATIVE,
          divisor_override=[0, 1.5, True, "2", NAN])),
    ("adaptive_avg_pool2d", lambda **a: F.adaptive_avg_pool2d(_x(1, 2, 8, 8), **a),
     dict(output_size=3),
     dict(output_size=[-1, 2.5, True, "3", None, (2,), (2, 3, 4), (2.0, 2), NAN])),
    ("adaptive_max_pool2d", lambda **a: F.adaptive_max_pool2d(_x(1, 2, 8, 8), **a),
     dict(output_size=(3, None)), dict(output_size=[-1, 2.5, True, "3", None, (2,), NAN])),
    ("max_unpool2d", lambda **a: F.max_unpool2d(*_pool_indices(), **a),
     dict(kernel_size=2, stride=2, padding=0, output_size=None),
     dict(kernel_size=POSITIVE, stride=POSITIVE_OR_DEFAULT, padding=NON_NEGATIVE,
          output_size=[(4, 4.5), (True, 4), "44", (4, 4, 4)])),
    ("embedding", lambda **a: F.embedding(mc.tensor([0, 2]), _x(5, 3), **a),
     dict(padding_idx=1, max_norm=None, norm_type=2.0),
     dict(padding_idx=[1.5, True, "1", 5, -6], max_norm=["1", True, NAN],
          norm_type=["2", True, NAN])),
    ("batch_norm", lambda **a: F.batch_norm(_x(4, 3), mc.zeros(3), mc.ones(3), training=True,
                                            **a),
     dict(momentum=0.1, eps=1e-5), dict(momentum=MOMENTUM, eps=EPS)),
    ("layer_norm", lambda **a: F.layer_norm(_x(2, 3, 4), **a),
     dict(normalized_shape=(3, 4), eps=1e-5),
     dict(normalized_shape=[(3.0, 4), (3, None), "4", 4.0, True, None], eps=EPS)),
    ("group_norm", lambda **a: F.group_norm(_x(2, 4, 3), **a),
     dict(num_groups=2, eps=1e-5), dict(num_groups=POSITIVE_INT + [3], eps=EPS)),
    ("local_response_norm", lambda **a: F.local_response_norm(_x(1, 4, 3, 3), **a),
     dict(size=2, alpha=1e-4, beta=0.75, k=1.0),
     dict(size=POSITIVE_INT, alpha=REAL, beta=REAL, k=REAL)),
    ("dropout", lambda **a: F.dropout(_x(3, 4), **a), dict(p=0.5), dict(p=PROBABILITY)),
    ("dropout2d", lambda **a: F.dropout2d(_x(1, 3, 4, 4), **a), dict(p=0.5),
     dict(p=PROBABILITY)),
    ("interpolate", lambda **a: F.interpolate(_x(1, 2, 4, 4), **a), dict(size=6),
     dict(size=[0, -1, 2.5, True, "6", (6,), (6, 6, 6), (6.0, 6)])),
    ("interpolate", lambda **a: F.interpolate(_x(1, 2, 4, 4), **a), dict(scale_factor=2.0),
     dict(scale_factor=[0, -1.5, NAN, INF, True, "2", (2.0,), (2.0, None)])),
    ("scaled_dot_product_attention",
     lambda **a: F.scaled_dot_product_attention(_x(2, 3, 4), _x(2, 5, 4), _x(2, 5, 4), **a),
     dict(dropout_p=0.0), dict(dropout_p=PROBABILITY)),
    ("Conv2d", lambda **a: mc.nn.Conv2d(**a),
     dict(in_channels=4, out_channels=6, kernel_size=3, stride=1, padding=1, dilation=1,
          groups=2),
     dict(in_channels=SIZE[:4] + [True, "4", None], out_channels=SIZE[:4] + [True, None],
          kernel_size=POSITIVE, stride=POSITIVE, padding=NON_NEGATIVE, dilation=POSITIVE,
          groups=POSITIVE_INT)),
    ("ConvTranspose2d", lambda **a: mc.nn.ConvTranspose2d(**a),
     dict(in_channels=4, out_channels=6, kernel_size=3, stride=2, padding=1,
          output_padding=1),
     dict(kernel_size=POSITIVE, stride=POSITIVE, padding=NON_NEGATIVE + ["same"],
          output_padding=NON_NEGATIVE)),
    ("Linear", lambda **a: mc.nn.Linear(**a), dict(in_features=3, out_features=2),
     dict(in_features=SIZE[:4] + [True, "3", None], out_features=SIZE[:4] + [False, None])),
    ("MaxPool2d", lambda **a: mc.nn.MaxPool2d(**a),
     dict(kernel_size=3, stride=2, padding=1, dilation=1),
     dict(kernel_size=POSITIVE, stride=POSITIVE_OR_DEFAULT, padding=NON_NEGATIVE,
          dilation=POSITIVE)),
    ("AvgPool2d", lambda **a: mc.nn.AvgPool2d(**a),
     dict(kernel_size=3, stride=2, padding=1, divisor_override=None),
     dict(kernel_size=POSITIVE, stride=POSITIVE_OR_DEFAULT, padding=NON_NEGATIVE,
          divisor_override=[0, 1.5, True, "2"])),
    ("MaxUnpool2d", lambda **a: mc.nn.MaxUnpool2d(**a),
     dict(kernel_size=2, stride=2, padding=0),
     dict(kernel_size=POSITIVE, stride=POSITIVE_OR_DEFAULT, padding=NON_NEGATIVE)),
    ("AdaptiveAvgPool2d", lambda **a: mc.nn.AdaptiveAvgPool2d(**a), dict(output_size=2),
     dict(output_size=[-1, 2.5, True, "2", None, (2,), NAN])),
    ("AdaptiveMaxPool2d", lambda **a: mc.nn.AdaptiveMaxPool2d(**a), dict(output_size=2),
     dict(output_size=[-1, 2.5, True, "2", None, (2, 2, 2), NAN])),
    ("BatchNorm2d", lambda **a: mc.nn.BatchNorm2d(**a),
     dict(num_features=3, eps=1e-5, momentum=0.1),
     dict(num_features=SIZE[:4] + [True, None], eps=EPS, momentum=MOMENTUM)),
    ("BatchNorm1d", lambda **a: mc.nn.BatchNorm1d(**a), dict(num_features=3),
     dict(num_features=SIZE[:4] + [True, None])),
    ("LayerNorm", lambda **a: mc.nn.LayerNorm(**a), dict(normalized_shape=(3, 4), eps=1e-5),
     dict(normalized_shape=[(3, -4), (3.0, 4), 4.0, True, "4", None], eps=EPS)),
    ("GroupNorm", lambda **a: mc.nn.GroupNorm(**a), dict(num_groups=2, num_channels=4),
     dict(num_groups=POSITIVE_INT + [3], num_channels=SIZE[:4] + [True, None])),
    ("LocalResponseNorm", lambda **a: mc.nn.LocalResponseNorm(**a), dict(size=2),
     dict(size=POSITIVE_INT)),
    ("Embedding", lambda **a: mc.nn.Embedding(**a),
     dict(num_embeddings=5, embedding_dim=3, padding_idx=None),
     dict(num_embeddings=SIZE[:4] + [True, None], embedding_dim=SIZE[:4] + [None],
          padding_idx=[1.5, True, "1", 5, -6])),
    ("Dropout", lambda **a: mc.nn.Dropout(**a), dict(p=0.5), dict(p=PROBABILITY)),
    ("Dropout2d", lambda **a: mc.nn.Dropout2d(**a), dict(p=0.5), dict(p=PROBABILITY)),
    ("MultiheadAttention", lambda **a: mc.nn.MultiheadAttention(**a),
     dict(embed_dim=4, num_heads=2, dropout=0.0),
     dict(embed_dim=POSITIVE_INT, num_heads=POSITIVE_INT + [3], dropout=PROBABILITY)),
]


def _case_id(case):
    return f"{case[0]}-{'-'.join(case[3])}"


def _describe(value):
    return repr(value) if not (isinstance(value, float) and math.isnan(value)) else "nan"


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_every_valid_call_in_the_table_runs(case):
    _, call, valid, _ = case
    call(**valid)


@pytest.mark.parametrize("case", CASES, ids=_case_id)
@given(data=st.data())
def test_a_wrong_argument_raises_naming_the_op_and_the_argument(case, data):
    op, call, valid, bad = case
    name = data.draw(st.sampled_from(sorted(bad)), label="argument")
    value = data.draw(st.sampled_from(bad[name]), label="value")
    with pytest.raises((TypeError, ValueError)) as info:
        call(**{**valid, name: value})
    message = str(info.value)
    assert op in message and name in message, \
        f"{op}({name}={_describe(value)}): message does not name both: {message!r}"
