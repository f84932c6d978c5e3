"""The exercises: every plain NumPy solution (solutions.py) passes on several seeds; a
solution with a planted bug fails, naming the output that is wrong, its error and a small
example; a wrong shape, a wrong number of outputs and an exception are reported as such;
`minicnn exercises` lists the signatures and `minicnn check NAME FILE` exits 0, 1 or 2."""
from pathlib import Path

import numpy as np
import pytest
import solutions

from minicnn.cli import main
from minicnn.exercises import EXERCISES, check

SOLUTIONS = Path(solutions.__file__)
SIGNATURES = [
    "conv2d_forward(x, w, b, stride=1, padding=0) -> y",
    "conv2d_backward(x, w, grad_out, stride=1, padding=0) -> (dx, dw, db)",
    "im2col(x, kh, kw, stride=1, padding=0) -> cols",
    "col2im(cols, x_shape, kh, kw, stride=1, padding=0) -> dx",
    "max_pool2d_backward(x, grad_out, kernel, stride) -> dx",
    "avg_pool2d_backward(x_shape, grad_out, kernel, stride) -> dx",
    "batch_norm_backward(x, gamma, grad_out, eps=1e-5) -> (dx, dgamma, dbeta)",
    "lrn_backward(x, grad_out, size=5, alpha=1e-4, beta=0.75, k=2.0) -> dx",
    "softmax_backward(y, grad_out) -> dx",
]


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("name", EXERCISES)
def test_a_correct_solution_passes(name, seed):
    result = check(EXERCISES[name], getattr(solutions, name), seed)
    assert result.passed, result.lines()
    assert result.cases >= 7


# ---------------------------------------------------------------- planted bugs

def _conv_backward_dw_halved(x, w, grad_out, stride=1, padding=0):
    dx, dw, db = solutions.conv2d_backward(x, w, grad_out, stride, padding)
    return dx, dw / 2, db


def _conv_backward_db_mean(x, w, grad_out, stride=1, padding=0):
    dx, dw, _ = solutions.conv2d_backward(x, w, grad_out, stride, padding)
    return dx, dw, grad_out.mean(axis=(0, 2, 3))


def _conv_forward_without_bias(x, w, b, stride=1, padding=0):
    return solutions.conv2d_forward(x, w, np.zeros_like(b), stride, padding)


def _im2col_taps_before_channels(x, kh, kw, stride=1, padding=0):
    cols = solutions.im2col(x, kh, kw, stride, padding)
    C = x.shape[1]
    return cols.reshape(C, kh * kw, -1).swapaxes(0, 1).reshape(cols.shape)    # rows (a, e, c)


def _col2im_overwrites(cols, x_shape, kh, kw, stride=1, padding=0):
    """Every tap written with = instead of added: overlapping windows lose entries."""
    N, C, H, W = x_shape
    oh, ow = ((n + 2 * padding - k) // stride + 1 for n, k in ((H, kh), (W, kw)))
    cols = cols.reshape(C, kh, kw, N, oh, ow)
    dxp = np.zeros((N, C, H + 2 * padding, W + 2 * padding))
    for a in range(kh):
        for e in range(kw):
            dxp[:, :, a:a + stride * (oh - 1) + 1:stride, e:e + stride * (ow - 1) + 1:stride] = \
                cols[:, a, e].transpose(1, 0, 2, 3)
    return dxp[:, :, padding:padding + H, padding:padding + W]


def _max_pool_overwrites(x, grad_out, kernel, stride):
    dx = np.zeros_like(x)
    for i in range(grad_out.shape[2]):
        for j in range(grad_out.shape[3]):
            window = x[:, :, i * stride:i * stride + kernel, j * stride:j * stride + kernel]
            mask = window == window.max(axis=(2, 3), keepdims=True)
            dx[:, :, i * stride:i * stride + kernel, j * stride:j * stride + kernel][mask] = \
                np.broadcast_to(grad_out[:, :, i:i + 1, j:j + 1], mask.shape)[mask]
    return dx


def _avg_pool_divides_by_kernel(x_shape, grad_out, kernel, stride):
    return solutions.avg_pool2d_backward(x_shape, grad_out, kernel, stride) * kernel


def _batch_norm_dbeta_mean(x, gamma, grad_out, eps=1e-5):
    dx, dgamma, _ = solutions.batch_norm_backward(x, gamma, grad_out, eps)
    return dx, dgamma, grad_out.mean(axis=(0, 2, 3))


def _batch_norm_ignores_eps(x, gamma, grad_out, eps=1e-5):
    return solutions.batch_norm_backward(x, gamma, grad_out, 0.0)


def _lrn_window_reversed(x, grad_out, size=5, alpha=1e-4, beta=0.75, k=2.0):
    """The window c − (size − 1)//2 … c + size//2: off by one channel for an even size."""
    before, after = (size - 1) // 2, size // 2
    s = k + alpha / size * solutions._window_sums(x ** 2, before, after, size)
    through_s = solutions._window_sums(grad_out * x * s ** (-beta - 1), after, before, size)
    return grad_out * s ** -beta - 2 * alpha / size * beta * x * through_s


def _softmax_without_the_sum(y, grad_out):
    return y * grad_out


@pytest.mark.parametrize("name, planted, output", [
    ("conv2d_forward", _conv_forward_without_bias, "y"),
    ("conv2d_backward", _conv_backward_dw_halved, "dw"),
    ("conv2d_backward", _conv_backward_db_mean, "db"),
    ("im2col", _im2col_taps_before_channels, "cols"),
    ("col2im", _col2im_overwrites, "dx"),
    ("max_pool2d_backward", _max_pool_overwrites, "dx"),
    ("avg_pool2d_backward", _avg_pool_divides_by_kernel, "dx"),
    ("batch_norm_backward", _batch_norm_dbeta_mean, "dbeta"),
    ("batch_norm_backward", _batch_norm_ignores_eps, "dx"),
    ("lrn_backward", _lrn_window_reversed, "dx"),
    ("softmax_backward", _softmax_without_the_sum, "dx"),
])
def test_a_planted_bug_fails_naming_the_wrong_output(name, planted, output):
    result = check(EXERCISES[name], planted)
    assert not result.passed
    failure = result.failure
    assert failure.output == output and failure.problem == f"{output} is wrong"
    lines = result.lines()
    assert lines[0] == f"FAIL  {name}: {output} is wrong"
    assert lines[1].startswith(f"  case {failure.case} of {result.cases} (seed 0): ")
    assert lines[2].startswith("  max error ") and f"the worst {output}[" in lines[2]


def test_the_failure_shows_a_small_example():
    result = check(EXERCISES["conv2d_backward"], _conv_backward_dw_halved)
    assert result.failure.case == 1                     # the smallest case fails already
    lines = result.lines()
    assert lines[1] == ("  case 1 of 8 (seed 0): x (1, 1, 4, 4), w (1, 1, 3, 3), "
                        "grad_out (1, 1, 2, 2), stride=1, padding=0")
    assert lines[3] == "  expected dw:" and "  got dw:" in lines
    expected = solutions.conv2d_backward(*EXERCISES["conv2d_backward"].cases(
        np.random.default_rng(0))[0])[1]
    worst = np.unravel_index(np.argmax(np.abs(expected)), expected.shape)
    assert lines[2] == (f"  max error {np.abs(expected).max() / 2:.3g}; 9 of 9 elements "
                        f"wrong, the worst dw[{', '.join(map(str, worst))}]: expected "
                        f"{expected[worst]:.6g}, got {expected[worst] / 2:.6g}")


@pytest.mark.parametrize("planted, problem", [
    (lambda x, w, g, s=1, p=0: solutions.conv2d_backward(x, w, g, s, p)[:2],
     "returned 2 values; it should return 3: (dx, dw, db)"),
    (lambda x, w, g, s=1, p=0: solutions.conv2d_backward(x, w, g, s, p)[0],
     "returned one value, not a tuple; it should return 3: (dx, dw, db)"),
    (lambda x, w, g, s=1, p=0: (*solutions.conv2d_backward(x, w, g, s, p)[:2], 0.0),
     "db has shape (); it should have (1,)"),
    (lambda x, w, g, s=1, p=0: (None, None, None), "dx is None; return it as an array"),
    (lambda x, w, g, s=1, p=0: ("dx", 0, 0), "dx is not an array of numbers (str: could not "
                                             "convert string to float: 'dx')"),
])
def test_what_a_solution_returns_is_checked(planted, problem):
    result = check(EXERCISES["conv2d_backward"], planted)
    assert result.failure.problem == problem


def test_an_exception_in_the_solution_is_shown_with_its_traceback():
    result = check(EXERCISES["softmax_backward"], lambda y, g: 1 // 0)
    assert result.failure.problem == "raised ZeroDivisionError: integer division or modulo by zero"
    lines = result.lines()
    assert lines[2] == "  Traceback (most recent call last):"
    assert "1 // 0" in "\n".join(lines) and lines[-1] == "  ZeroDivisionError: integer " \
                                                          "division or modulo by zero"
    assert "checker.py" not in "\n".join(lines)


# ---------------------------------------------------------------- the commands

def test_exercises_lists_every_signature(capsys):
    assert main(["exercises"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line for line in lines if line and not line.startswith(" ")][:-1] == SIGNATURES
    assert lines[-1].startswith("9 exercises; check a solution with `minicnn check NAME FILE`")
    assert "    Row r = (c·kh + a)·kw + e holds channel c at window offset (a, e); column" in lines


def test_exercises_shows_one_by_name(capsys):
    assert main(["exercises", "lrn_backward"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == SIGNATURES[7] and "PyTorch's" in lines[1]


@pytest.mark.parametrize("name", EXERCISES)
def test_check_passes_a_correct_file(name, capsys):
    assert main(["check", name, str(SOLUTIONS)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"PASS  {name}: ") and out.count("\n") == 1


def test_check_fails_a_planted_bug_naming_the_output(tmp_path, capsys):
    planted = tmp_path / "mine.py"
    planted.write_text("from solutions import conv2d_backward as correct\n\n"
                       "def conv2d_backward(x, w, grad_out, stride=1, padding=0):\n"
                       "    dx, dw, db = correct(x, w, grad_out, stride, padding)\n"
                       "    return dx, dw + 0.25, db\n")
    (tmp_path / "solutions.py").write_text(SOLUTIONS.read_text())  # a neighbour it imports
    assert main(["check", "conv2d_backward", str(planted), "--seed", "3"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "FAIL  conv2d_backward: dw is wrong"
    assert lines[1].startswith("  case 1 of 8 (seed 3): x (1, 1, 4, 4)")
    assert lines[2].startswith("  max error 0.25; 9 of 9 elements wrong")


@pytest.mark.parametrize("argv, message", [
    (["check", "im2col", "{tmp}/nowhere.py"], "{tmp}/nowhere.py: no such file"),
    (["check", "im2col", "{tmp}/empty.py"],
     "{tmp}/empty.py defines no im2col; write `def im2col(...)` there"),
    (["check", "im2col", "{tmp}/broken.py"],
     "{tmp}/broken.py: importing it raised SyntaxError: "),
    (["check", "im2col", "{tmp}/value.py"], "{tmp}/value.py: im2col is a int, not a function"),
    (["check", "im2col", "{tmp}/notes.txt"], "{tmp}/notes.txt: not a Python file"),
    (["check", "im2kol", str(SOLUTIONS)], "unknown exercise 'im2kol'; did you mean im2col? "
                                          "`minicnn exercises` lists the 9 exercises"),
    (["exercises", "conv"], "unknown exercise 'conv'"),
])
def test_usage_errors_are_one_line_without_a_traceback(argv, message, tmp_path, capsys):
    (tmp_path / "empty.py").write_text("import numpy as np\n")
    (tmp_path / "broken.py").write_text("def im2col(x:\n")
    (tmp_path / "value.py").write_text("im2col = 3\n")
    (tmp_path / "notes.txt").write_text("def im2col(x): pass\n")
    argv = [a.format(tmp=tmp_path) for a in argv]
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1
    assert err.startswith(f"minicnn {argv[0]}: error: {message.format(tmp=tmp_path)}")
