"""`minicnn train deit_tiny_patch16_224 --teacher RUN_DIR --distill hard|soft`: a LeNet-5
teacher trained for one epoch of the bundled digits, then DeiT-Ti⚗ students distilled from it
on a reduced budget (30 batches) that learn (test loss well below the ln 10 an untrained
student starts at, accuracy 30 points above the 10 % of chance); run.json's record of the
teacher, `minicnn evaluate` and `--resume` on a distilled run; the frozen teacher and the
hook that hands its logits to the loss; the user errors."""
import json
import math
import re
import shutil

import numpy as np
import pytest

import minicnn as mc
from minicnn import nn
from minicnn.cli import distillation_training, main, zoo
from minicnn.functional import cross_entropy
from minicnn.models import VisionTransformerDistilled

from cli_helpers import image_folder, minicnn

STUDENT = "deit_tiny_patch16_224"
CHANCE = 0.1                    # ten digit classes
MARGIN = 0.3                    # a learning student is at least this far above chance
STEPS = "30"
ACCURACY = re.compile(r"^test accuracy: (\d\.\d{4}) \(top-5: (\d\.\d{4})\)$")


@pytest.fixture(scope="module")
def teacher(tmp_path_factory):
    """LeNet-5 trained for one epoch (62 batches) of the bundled digits."""
    folder = tmp_path_factory.mktemp("teacher") / "lenet5"
    proc = minicnn("train", "lenet5", "--epochs", "1", "--workers", "0", "--out", folder)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return folder


def _distil(teacher, out, *argv):
    proc = minicnn("train", STUDENT, "--teacher", teacher, *argv, "--epochs", "1",
                   "--max-steps", STEPS, "--workers", "0", "--out", out)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


def _assert_learned(out):
    """Test loss well below the untrained student's ln 10, accuracy above chance."""
    row = json.loads((out / "history.json").read_text())[-1]
    assert row["val_loss"] < 0.6 * math.log(10)
    assert row["val_acc"] > CHANCE + MARGIN


def test_an_untrained_student_starts_at_the_chance_loss():
    """The heads start near zero, so the loss the students fall from is ln 10."""
    mc.manual_seed(0)
    model = zoo.lookup("deit_tiny_distilled_patch16_224").build(10, 1, 16)
    model.eval()
    with mc.no_grad():
        loss = cross_entropy(model(mc.randn(64, 1, 16, 16)), mc.randint(0, 10, (64,)))
    assert float(loss.item()) == pytest.approx(math.log(10), abs=0.05)


def test_hard_distillation_learns_and_evaluates_with_both_heads(teacher, tmp_path):
    """16×16 students: one patch, and the teacher's input resized to its 32×32."""
    out = tmp_path / "hard"
    proc = _distil(teacher, out, "--image-size", "16")
    assert f"distillation: hard, from the teacher lenet5 of {teacher}" in proc.stdout
    record = json.loads((out / "run.json").read_text())
    assert record["model"] == "deit_tiny_distilled_patch16_224"
    assert record["input_size"] == [1, 16, 16]
    assert record["distillation"] == {"teacher": str(teacher), "teacher_model": "lenet5",
                                      "mode": "hard"}
    _assert_learned(out)
    reported = proc.stdout.splitlines()[-1]
    evaluated = minicnn("evaluate", out, cwd=tmp_path)
    assert evaluated.returncode == 0, evaluated.stderr[-3000:]
    assert evaluated.stdout.splitlines()[-1] == reported      # the heads' mean, as trained
    assert ACCURACY.match(reported)


def test_soft_distillation_learns_and_resumes_with_its_teacher(teacher, tmp_path):
    out = tmp_path / "soft"
    proc = _distil(teacher, out, "--distill", "soft")
    assert "distillation: soft (tau 3, alpha 0.1)" in proc.stdout
    record = json.loads((out / "run.json").read_text())
    assert record["distillation"] == {"teacher": str(teacher), "teacher_model": "lenet5",
                                      "mode": "soft", "tau": 3.0, "alpha": 0.1}
    assert record["input_size"] == [1, 32, 32]
    _assert_learned(out)
    resumed = minicnn("train", "--resume", out, "--epochs", "2", "--max-steps", "2",
                      "--workers", "0")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "distillation: soft (tau 3, alpha 0.1)" in resumed.stdout
    assert len(json.loads((out / "run.json").read_text())["trainings"]) == 2


def _student():
    return VisionTransformerDistilled(img_size=16, patch_size=8, in_chans=1, embed_dim=16,
                                      depth=1, num_heads=2, num_classes=4)


def test_the_frozen_teacher_sees_the_batch_at_its_own_size_and_channels():
    mc.manual_seed(0)
    net = nn.Sequential(nn.Flatten(), nn.Linear(3 * 8 * 8, 4))
    teacher = distillation_training.FrozenTeacher(net, (3, 8, 8), "cpu")
    x = mc.randn(2, 1, 16, 16)
    got = teacher(x)
    fitted = mc.nn.functional.interpolate(x.expand(-1, 3, -1, -1), size=(8, 8),
                                          mode="bilinear", align_corners=False)
    np.testing.assert_allclose(got.numpy(), net(fitted).detach().numpy(), rtol=1e-6)
    assert not got.requires_grad and not net.training
    assert not any(p.requires_grad for p in net.parameters())


@pytest.mark.parametrize("mode, extra", [("hard", {}), ("soft", {"tau": 3.0, "alpha": 0.1})])
def test_the_hook_hands_the_teachers_logits_to_the_loss(mode, extra):
    """In training the student's output carries the teacher's logits and the loss is the
    distillation objective; in eval it is the heads' mean and the loss cross-entropy; the
    teacher is no part of the student's state_dict and gets no gradient."""
    mc.manual_seed(0)
    student, net = _student(), nn.Sequential(nn.Flatten(), nn.Linear(16 * 16, 4))
    keys = list(student.state_dict())
    teacher = distillation_training.FrozenTeacher(net, (1, 16, 16), "cpu")
    distillation_training.attach_teacher(student, teacher)
    loss_fn = distillation_training._loss
    distillation = dict(mode=mode, **extra)
    x, y = mc.randn(3, 1, 16, 16), mc.tensor([0, 1, 2])
    student.train()
    out = student(x)
    assert isinstance(out, distillation_training.DistillationOutputs)
    np.testing.assert_allclose(out.teacher_logits.numpy(), net(x).detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(out.logits.detach().numpy(),
                               ((out.cls_logits + out.dist_logits) / 2).detach().numpy(),
                               rtol=1e-6)
    loss = loss_fn(out, y, distillation, 0.1)
    reference = (mc.models.hard_distillation_loss if mode == "hard" else
                 mc.models.soft_distillation_loss)
    want = reference((out.cls_logits, out.dist_logits), out.teacher_logits, y,
                     label_smoothing=0.1, **extra)
    assert float(loss.item()) == pytest.approx(float(want.item()))
    loss.backward()
    assert student.dist_token.grad is not None
    assert all(p.grad is None for p in net.parameters())
    student.eval()
    mean = student(x)
    assert not isinstance(mean, tuple)
    assert float(loss_fn(mean, y, distillation, 0.1).item()) == \
        pytest.approx(float(cross_entropy(mean, y, label_smoothing=0.1).item()))
    assert list(student.state_dict()) == keys


@pytest.mark.gpu
def test_the_teacher_and_the_loss_on_cuda_match_the_cpu():
    """A student on the GPU: the teacher moves there, and the distillation loss and the
    student's gradients equal the CPU's."""
    results = []
    for device in ("cpu", "cuda"):
        mc.manual_seed(0)
        student = _student().double().to(device)
        net = nn.Sequential(nn.Flatten(), nn.Linear(3 * 8 * 8, 4)).double()
        teacher = distillation_training.FrozenTeacher(net, (3, 8, 8), device)
        distillation_training.attach_teacher(student, teacher)
        x = mc.tensor(np.random.default_rng(0).standard_normal((3, 1, 16, 16)), device=device)
        out = student(x)
        assert out.teacher_logits.device.type == device
        loss = distillation_training._loss(out, mc.tensor([0, 1, 2], device=device),
                                           {"mode": "soft", "tau": 3.0, "alpha": 0.1}, 0.1)
        loss.backward()
        results.append((float(loss.item()), student.dist_token.grad.cpu().numpy()))
    assert results[1][0] == pytest.approx(results[0][0], rel=1e-9)
    np.testing.assert_allclose(results[1][1], results[0][1], rtol=1e-7, atol=1e-12)


def _status(argv):
    try:
        return main([str(a) for a in argv])
    except SystemExit as error:
        return error.code


def _copy_run(teacher, folder, edit=None, weights=None):
    """A copy of the teacher's run, with run.json edited and the weights replaced."""
    shutil.copytree(teacher, folder)
    record = json.loads((folder / "run.json").read_text())
    if edit:
        edit(record)
    (folder / "run.json").write_text(json.dumps(record))
    if weights is not None:
        (folder / "checkpoint.npz").write_bytes(weights)
    return folder


def _other_classes(record):
    record["data"]["classes"] = [f"c{i}" for i in range(10)]


@pytest.mark.parametrize("argv, message", [
    (["--distill", "soft"], "--distill needs --teacher RUN_DIR"),
    (["--teacher", "{teacher}", "--distill-tau", "2"],
     "--distill-tau sets soft distillation; it does not combine with --distill hard"),
    (["--teacher", "{missing}"], "--teacher {missing}: no such run folder"),
    (["--teacher", "{unreadable}"], "--teacher {unreadable}: run.json cannot be read"),
    (["--teacher", "{corrupt}"], "--teacher {corrupt}: load: {corrupt}/checkpoint.npz is "
                                 "none of the formats mc.load reads"),
    (["--teacher", "{other}"], "--teacher {other}: the teacher lenet5 knows the classes (c0, "
                               "c1, c2, c3, c4, c5, c6, c7, c8, c9), the student learns (0 - "
                               "zero, 1 - one, 2 - two,"),
])
def test_user_errors(teacher, argv, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    paths = {"teacher": teacher, "missing": tmp_path / "missing",
             "unreadable": tmp_path / "unreadable",
             "corrupt": _copy_run(teacher, tmp_path / "corrupt", weights=b"garbage"),
             "other": _copy_run(teacher, tmp_path / "other", _other_classes)}
    (tmp_path / "unreadable").mkdir()
    (tmp_path / "unreadable" / "run.json").write_text("{")
    argv = [a.format(**paths) for a in argv]
    assert _status(["train", STUDENT, *argv, "--out", tmp_path / "run"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"minicnn train: error: {message.format(**paths)}")
    assert err.count("\n") == 1
    assert not (tmp_path / "run").exists()


def test_a_grayscale_teacher_for_colour_images_is_refused(teacher, capsys, tmp_path):
    def classes_a_b(record):
        record["data"]["classes"] = ["a", "b"]

    gray = _copy_run(teacher, tmp_path / "gray", classes_a_b)
    data = image_folder(tmp_path / "data")
    assert _status(["train", STUDENT, "--dataset", data, "--teacher", gray,
                    "--out", tmp_path / "run"]) == 2
    assert capsys.readouterr().err == (f"minicnn train: error: --teacher {gray}: the teacher "
                                       f"takes 1 channel(s), the student's images have 3\n")
    assert not (tmp_path / "run").exists()


def test_a_model_without_a_distillation_token_and_resume_are_refused(teacher, capsys,
                                                                      tmp_path):
    assert _status(["train", "resnet18", "--teacher", teacher]) == 2
    assert capsys.readouterr().err == (
        "minicnn train: error: --teacher: resnet18 has no distillation token; the student is "
        "a DeiT: deit_base_distilled_patch16_224, deit_base_patch16_224, "
        "deit_small_distilled_patch16_224, deit_small_patch16_224, "
        "deit_tiny_distilled_patch16_224, deit_tiny_patch16_224\n")
    assert _status(["train", "--resume", teacher, "--teacher", teacher]) == 2
    assert capsys.readouterr().err.startswith(
        "minicnn train: error: --teacher cannot be given with --resume")
