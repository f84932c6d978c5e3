"""DeiT's soft and hard distillation losses: values equal to the same formulas written with
torch, limiting cases, the (class, distillation) pair, gradients (gradcheck in float64 and
against torch), label smoothing of the label term, no gradient into the teacher, probability
targets, argument errors."""
import numpy as np
import pytest

import minicnn as mc
from minicnn import nn
from minicnn.models import hard_distillation_loss, soft_distillation_loss
from minicnn.utils import gradcheck

F = nn.functional


def _logits(n=4, c=5, seed=0, scale=2.0, dtype=np.float32):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((n, c)) * scale).astype(dtype)


def _labels(n=4, c=5, seed=9):
    return np.random.default_rng(seed).integers(0, c, n)


def _torch_soft(torch, cls, dist, teacher, y, alpha, tau):
    """(1 − α)·CE(cls, y) + α·τ²·KL(softmax(Zt/τ) ‖ softmax(dist/τ)), batchmean."""
    tf = torch.nn.functional
    kl = tf.kl_div(tf.log_softmax(dist / tau, dim=1), tf.softmax(teacher / tau, dim=1),
                   reduction="batchmean")
    return (1 - alpha) * tf.cross_entropy(cls, y) + alpha * tau * tau * kl


def _torch_hard(torch, cls, dist, teacher, y):
    tf = torch.nn.functional
    return 0.5 * tf.cross_entropy(cls, y) + 0.5 * tf.cross_entropy(dist, teacher.argmax(dim=1))


@pytest.mark.parametrize("pair", [False, True])
@pytest.mark.parametrize("alpha, tau", [(0.5, 1.0), (0.1, 3.0), (0.9, 0.5), (1.0, 2.0),
                                        (0.0, 1.0)])
def test_soft_loss_and_gradients_equal_torch(pair, alpha, tau):
    torch = pytest.importorskip("torch")
    cls, dist, teacher, y = _logits(seed=0), _logits(seed=1), _logits(seed=2), _labels()
    t_cls = torch.tensor(cls, requires_grad=True)
    t_dist = torch.tensor(dist, requires_grad=True) if pair else t_cls
    want = _torch_soft(torch, t_cls, t_dist, torch.tensor(teacher), torch.tensor(y), alpha, tau)
    want.backward()
    m_cls = mc.tensor(cls, requires_grad=True)
    m_dist = mc.tensor(dist, requires_grad=True) if pair else m_cls
    student = (m_cls, m_dist) if pair else m_cls
    got = soft_distillation_loss(student, mc.tensor(teacher), mc.tensor(y), alpha=alpha, tau=tau)
    got.backward()
    assert got.shape == ()
    np.testing.assert_allclose(float(got.item()), float(want.item()), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(m_cls.grad.numpy(), t_cls.grad.numpy(), rtol=1e-4, atol=1e-6)
    if pair:
        np.testing.assert_allclose(m_dist.grad.numpy(), t_dist.grad.numpy(), rtol=1e-4,
                                   atol=1e-6)


@pytest.mark.parametrize("pair", [False, True])
def test_hard_loss_and_gradients_equal_torch(pair):
    torch = pytest.importorskip("torch")
    cls, dist, teacher, y = _logits(seed=3), _logits(seed=4), _logits(seed=5), _labels()
    t_cls = torch.tensor(cls, requires_grad=True)
    t_dist = torch.tensor(dist, requires_grad=True) if pair else t_cls
    want = _torch_hard(torch, t_cls, t_dist, torch.tensor(teacher), torch.tensor(y))
    want.backward()
    m_cls = mc.tensor(cls, requires_grad=True)
    m_dist = mc.tensor(dist, requires_grad=True) if pair else m_cls
    got = hard_distillation_loss((m_cls, m_dist) if pair else m_cls, mc.tensor(teacher),
                                 mc.tensor(y))
    got.backward()
    np.testing.assert_allclose(float(got.item()), float(want.item()), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(m_cls.grad.numpy(), t_cls.grad.numpy(), rtol=1e-4, atol=1e-6)
    if pair:
        np.testing.assert_allclose(m_dist.grad.numpy(), t_dist.grad.numpy(), rtol=1e-4,
                                   atol=1e-6)


def test_label_smoothing_smooths_the_label_term_only():
    """DeiT smooths the true labels; the teacher's term (KL, or CE to its argmax) is kept."""
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    cls, dist, teacher, y = _logits(seed=12), _logits(seed=13), _logits(seed=14), _labels()
    t_cls, t_dist, t_teacher, t_y = map(torch.tensor, (cls, dist, teacher, y))
    kl = tf.kl_div(tf.log_softmax(t_dist / 3.0, dim=1), tf.softmax(t_teacher / 3.0, dim=1),
                   reduction="batchmean")
    soft = 0.9 * tf.cross_entropy(t_cls, t_y, label_smoothing=0.1) + 0.1 * 9.0 * kl
    hard = 0.5 * tf.cross_entropy(t_cls, t_y, label_smoothing=0.1) + \
        0.5 * tf.cross_entropy(t_dist, t_teacher.argmax(dim=1))
    student, m_teacher, m_y = (mc.tensor(cls), mc.tensor(dist)), mc.tensor(teacher), mc.tensor(y)
    got_soft = soft_distillation_loss(student, m_teacher, m_y, alpha=0.1, tau=3.0,
                                      label_smoothing=0.1)
    got_hard = hard_distillation_loss(student, m_teacher, m_y, label_smoothing=0.1)
    np.testing.assert_allclose(float(got_soft.item()), float(soft.item()), rtol=1e-5)
    np.testing.assert_allclose(float(got_hard.item()), float(hard.item()), rtol=1e-5)


def test_limits_written_out_in_numpy():
    s, t, y = _logits(seed=6, dtype=np.float64), _logits(seed=7, dtype=np.float64), _labels()

    def log_softmax(z):
        z = z - z.max(axis=1, keepdims=True)
        return z - np.log(np.exp(z).sum(axis=1, keepdims=True))

    ce = -log_softmax(s)[np.arange(4), y].mean()
    tau = 2.0
    p_t, log_s = np.exp(log_softmax(t / tau)), log_softmax(s / tau)
    kl = (p_t * (np.log(p_t) - log_s)).sum() / 4
    S, T, Y = mc.tensor(s), mc.tensor(t), mc.tensor(y)
    assert float(soft_distillation_loss(S, T, Y, alpha=0.0).item()) == pytest.approx(ce)
    assert float(soft_distillation_loss(S, T, Y, alpha=1.0, tau=tau).item()) == \
        pytest.approx(tau * tau * kl)
    assert float(soft_distillation_loss(S, T, Y, alpha=0.3, tau=tau).item()) == \
        pytest.approx(0.7 * ce + 0.3 * tau * tau * kl)
    assert float(soft_distillation_loss(S, S, Y, alpha=1.0).item()) == pytest.approx(0, abs=1e-12)
    agreeing = mc.tensor(np.eye(5)[y] * 10.0)                # teacher's argmax = the labels
    assert float(hard_distillation_loss(S, agreeing, Y).item()) == pytest.approx(ce)
    hard_t = t.argmax(axis=1)
    assert float(hard_distillation_loss(S, T, Y).item()) == pytest.approx(
        0.5 * ce - 0.5 * log_softmax(s)[np.arange(4), hard_t].mean())


@pytest.mark.parametrize("loss", ["soft", "hard"])
@pytest.mark.parametrize("pair", [False, True])
def test_gradcheck_float64(loss, pair):
    y, teacher = mc.tensor(_labels(3, 4)), mc.tensor(_logits(3, 4, seed=8, dtype=np.float64))
    inputs = [mc.tensor(_logits(3, 4, seed=s, dtype=np.float64), requires_grad=True)
              for s in ((10, 11) if pair else (10,))]

    def fn(*student):
        student = tuple(student) if pair else student[0]
        if loss == "soft":
            return soft_distillation_loss(student, teacher, y, alpha=0.4, tau=2.5)
        return hard_distillation_loss(student, teacher, y)

    assert gradcheck(fn, inputs)


@pytest.mark.parametrize("loss", [soft_distillation_loss, hard_distillation_loss])
def test_no_gradient_reaches_the_teacher(loss):
    student = mc.tensor(_logits(), requires_grad=True)
    teacher = mc.tensor(_logits(seed=1), requires_grad=True)
    loss(student, teacher, mc.tensor(_labels())).backward()
    assert teacher.grad is None and student.grad is not None


def test_probability_targets_as_after_mixup():
    s, t = mc.tensor(_logits()), mc.tensor(_logits(seed=1))
    y = _labels()
    probs = mc.tensor(np.eye(5, dtype=np.float32)[y])
    for loss in (soft_distillation_loss, hard_distillation_loss):
        np.testing.assert_allclose(float(loss(s, t, probs).item()),
                                   float(loss(s, t, mc.tensor(y)).item()), rtol=1e-6)


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(alpha=1.5), ValueError, "soft_distillation_loss: alpha must be in"),
    (dict(alpha=-0.1), ValueError, "alpha must be in"),
    (dict(tau=0.0), ValueError, "soft_distillation_loss: tau must be positive"),
])
def test_bad_soft_arguments_are_named(kwargs, error, message):
    with pytest.raises(error, match=message):
        soft_distillation_loss(mc.tensor(_logits()), mc.tensor(_logits()),
                               mc.tensor(_labels()), **kwargs)


@pytest.mark.parametrize("loss", [soft_distillation_loss, hard_distillation_loss])
def test_bad_shapes_and_pairs_are_named(loss):
    s, y = mc.tensor(_logits()), mc.tensor(_labels())
    with pytest.raises(ValueError, match=f"{loss.__name__}: student and teacher logits"):
        loss(s, mc.tensor(_logits(c=6)), y)
    with pytest.raises(ValueError, match="pair"):
        loss((s, s, s), s, y)
    with pytest.raises(TypeError, match="teacher_logits must be a Tensor"):
        loss(s, _logits(), y)
