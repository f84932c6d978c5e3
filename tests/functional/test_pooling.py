"""Pooling ops: the messages of bad input (gradients and PyTorch parity on fixed and drawn
configurations with untied inputs: op_table.py)."""
import pytest

import minicnn as mc
from minicnn.functional.pooling import adaptive_avg_pool2d, avg_pool2d, max_pool2d, max_unpool2d


def _t(*shape):
    return mc.zeros(*shape)


@pytest.mark.parametrize("call, message", [
    (lambda: max_pool2d(_t(4, 4), 2), r"max_pool2d: expected input of shape \(N, C, H, W\)"),
    (lambda: max_pool2d(_t(1, 1, 4, 4), 2, stride=0), r"max_pool2d: stride must be positive"),
    (lambda: max_pool2d(_t(1, 1, 4, 4), 2, padding=2),
     r"max_pool2d: padding \(2, 2\) should be at most half of kernel_size \(2, 2\)"),
    (lambda: max_pool2d(_t(1, 1, 2, 2), 5),
     r"max_pool2d: output size \(0, 0\) is not positive \(input shape \(1, 1, 2, 2\)"),
    (lambda: avg_pool2d(_t(1, 1, 4, 4), 2, divisor_override=0),
     r"avg_pool2d: divisor_override must not be zero"),
    (lambda: adaptive_avg_pool2d(_t(1, 1, 4, 4), -1),
     r"adaptive_avg_pool2d: output_size must be non-negative"),
    (lambda: max_unpool2d(_t(1, 1, 2, 2), mc.zeros(1, 1, 3, 3, dtype=mc.int64), 2),
     r"max_unpool2d: indices shape \(1, 1, 3, 3\) does not match input shape \(1, 1, 2, 2\)"),
])
def test_bad_input_is_refused_with_a_clear_message(call, message):
    with pytest.raises(ValueError, match=message):
        call()
