"""conv2d and conv_transpose2d: batch chunks (workspace limit, threads, one image a chunk) and
errors (gradcheck and PyTorch parity over fixed and drawn configurations: op_table.py)."""
import numpy as np
import pytest
from conftest import assert_torch_parity, random_array

import minicnn as mc
import minicnn.functional as F
from minicnn.functional.conv import conv2d, conv_transpose2d, set_workspace_limit

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def test_workspace_limit_chunks_the_batch_without_changing_results():
    x, w = random_array((5, 3, 8, 8), 0, np.float32), random_array((4, 3, 3, 3), 1, np.float32)
    whole = conv2d(mc.tensor(x), mc.tensor(w), padding=1).numpy()
    set_workspace_limit(3 * 9 * 64 * 4 * 2)  # two images per chunk
    try:
        chunked = conv2d(mc.tensor(x), mc.tensor(w), padding=1).numpy()
    finally:
        set_workspace_limit(256 * 2 ** 20)
    np.testing.assert_allclose(chunked, whole, rtol=1e-6)
    with pytest.raises(ValueError, match="set_workspace_limit: the limit must be positive"):
        set_workspace_limit(0)


def _grads_on_threads(threads, op, arrays, **kw):
    mc.set_num_threads(threads)
    x, w, b = (mc.tensor(a, requires_grad=True) for a in arrays)
    y = op(x, w, b, **kw)
    (y * mc.tensor(random_array(y.shape, 3, np.float32))).sum().backward()
    return [y.detach().numpy(), x.grad.numpy(), w.grad.numpy(), b.grad.numpy()]


@pytest.mark.parametrize("op, w_shape, kw", [
    (conv2d, (6, 2, 3, 2), dict(stride=2, padding=1, groups=2)),
    (conv_transpose2d, (4, 3, 3, 2), dict(stride=2, padding=1, output_padding=1, groups=2)),
])
def test_im2col_chunks_on_threads_equal_one_thread(op, w_shape, kw):
    """One image a chunk, seven chunks over three threads, each thread summing its own
    chunks' filter gradients."""
    arrays = (random_array((7, 4, 9, 8), 0, np.float32), random_array(w_shape, 1, np.float32),
              random_array((w_shape[0] if op is conv2d else w_shape[1] * 2,), 2, np.float32))
    before = mc.get_num_threads()
    set_workspace_limit(1)
    try:
        one, split = (_grads_on_threads(n, op, arrays, **kw) for n in (1, 3))
    finally:
        set_workspace_limit(256 * 2 ** 20)
        mc.set_num_threads(before)
    for a, b in zip(one, split):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-5 * np.abs(a).max())


@pytest.mark.parametrize("threads", [1, 3])
def test_one_image_chunks_of_wide_outputs_match_torch(threads):
    """Outputs of ONE_IMAGE_COLUMNS pixels or more: a forward GEMM per image, on threads."""
    from minicnn.functional.conv import ONE_IMAGE_COLUMNS

    x, w = random_array((5, 4, 18, 17), 0, np.float32), random_array((6, 2, 3, 2), 1, np.float32)
    b = random_array((6,), 2, np.float32)
    assert 18 * 18 >= ONE_IMAGE_COLUMNS
    before = mc.get_num_threads()
    mc.set_num_threads(threads)
    try:
        assert_torch_parity(lambda *t: conv2d(*t, padding=1, groups=2),
                            lambda *t: TF.conv2d(*t, padding=1, groups=2), x, w, b,
                            rtol=1e-4, atol=1e-4)
    finally:
        mc.set_num_threads(before)



@pytest.mark.parametrize("out_channels, on_threads", [(512, True), (8, False)])
def test_im2col_forward_counts_the_filters_as_work(monkeypatch, out_channels, on_threads):
    """One image's columns under INLINE_WORK_BYTES (512 input channels, a 4×4 output): with
    512 filters of 4608 weights the GEMM reads 9.4 MB of them and goes to parallel_for
    (whose single chunk then leaves BLAS its threads); with 8 it runs inline, BLAS held
    to one thread."""
    from minicnn.functional import workspace

    x = random_array((1, 512, 8, 8), 0, np.float32)
    w = random_array((out_channels, 512, 3, 3), 1, np.float32)
    assert 512 * 9 * 16 * x.itemsize < workspace.INLINE_WORK_BYTES        # the columns
    calls, parallel_for = [], workspace.parallel_for
    monkeypatch.setattr(workspace, "parallel_for",
                        lambda fn, parts: calls.append(len(parts)) or parallel_for(fn, parts))
    before = mc.get_num_threads()
    mc.set_num_threads(2)
    try:
        with mc.no_grad():
            y = conv2d(mc.tensor(x), mc.tensor(w), stride=2, padding=1)
    finally:
        mc.set_num_threads(before)
    assert F.conv_algorithm(mc.tensor(x), mc.tensor(w), stride=2, padding=1) == "im2col"
    assert calls == ([1] if on_threads else [])
    np.testing.assert_allclose(y.numpy(), TF.conv2d(torch.tensor(x), torch.tensor(w), stride=2,
                                                     padding=1).numpy(), rtol=1e-4, atol=1e-3)

def _t(*shape, dtype=mc.float32):
    return mc.zeros(*shape, dtype=dtype)


@pytest.mark.parametrize("call, error, message", [
    (lambda: conv2d(_t(1, 3, 8, 8), _t(8, 4, 3, 3)), ValueError,
     r"conv2d: input has 3 channels but weight expects 4 \(weight shape \(8, 4, 3, 3\)"),
    (lambda: conv2d(_t(8, 8), _t(8, 4, 3, 3)), ValueError,
     r"conv2d: expected input of shape \(N, C, H, W\) or \(C, H, W\), got shape \(8, 8\)"),
    (lambda: conv2d(_t(1, 4, 8, 8), _t(6, 2, 3, 3), groups=3), ValueError,
     r"conv2d: input channels 4 are not divisible by groups=3"),
    (lambda: conv2d(_t(1, 4, 8, 8), _t(3, 2, 3, 3), groups=2), ValueError,
     r"conv2d: out channels 3 are not divisible by groups=2"),
    (lambda: conv2d(_t(1, 3, 4, 4), _t(2, 3, 7, 7), padding=1), ValueError,
     r"conv2d: kernel of size \(7, 7\) .* is larger than the padded input \(6, 6\)"),
    (lambda: conv2d(_t(1, 3, 8, 8), _t(2, 3, 3, 3), stride=0), ValueError,
     r"conv2d: stride must be positive, got 0"),
    (lambda: conv2d(_t(1, 3, 8, 8), _t(2, 3, 3, 3), stride=-1), ValueError,
     r"conv2d: stride must be positive"),
    (lambda: conv2d(_t(1, 3, 8, 8), _t(2, 3, 3, 3), padding=-1), ValueError,
     r"conv2d: padding must be non-negative"),
    (lambda: conv2d(_t(1, 3, 8, 8), _t(2, 3, 3, 3), padding="same", stride=2), ValueError,
     r"conv2d: padding='same' needs stride 1"),
    (lambda: conv2d(_t(1, 3, 8, 8), _t(2, 3, 3, 3), _t(3)), ValueError,
     r"conv2d: bias must have shape \(2,\), got \(3,\)"),
    (lambda: conv2d(_t(1, 3, 8, 8), _t(2, 3, 3, 3, dtype=mc.float64)), TypeError,
     r"conv2d: input dtype float32 does not match weight dtype float64"),
    (lambda: conv_transpose2d(_t(1, 3, 4, 4), _t(4, 2, 3, 3)), ValueError,
     r"conv_transpose2d: input has 3 channels but weight expects 4"),
    (lambda: conv_transpose2d(_t(1, 3, 4, 4), _t(3, 2, 3, 3), stride=2, output_padding=2),
     ValueError, r"conv_transpose2d: output_padding \(2, 2\) must be smaller"),
    (lambda: conv_transpose2d(_t(1, 3, 1, 1), _t(3, 2, 1, 1), padding=1), ValueError,
     r"conv_transpose2d: output size \(-1, -1\) is not positive"),
])
def test_bad_input_is_refused_with_a_clear_message(call, error, message):
    with pytest.raises(error, match=message):
        call()
