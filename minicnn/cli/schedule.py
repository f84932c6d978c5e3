"""The learning-rate schedule of `minicnn train`: an optional linear warmup, then `none`,
`step`, `cosine` or `onecycle`, each a closed-form function of the batch count.

Because the learning rate at step t follows from t and the run's total alone, a resumed run
rebuilds its schedule for its (possibly new) total and continues at its step: extending a
run from 10 to 20 epochs stretches the rest of the curve over the new total, so the rate
jumps to where step t lies on the longer schedule (with `cosine`, back up towards the peak).
Only the position is kept in the checkpoint.

- warmup: the rate rises linearly to `lr` over the first warmup steps; the schedule below
  then runs over the remaining steps;
- none: `lr` throughout;
- step: `lr`, ×0.1 after half of the steps, ×0.01 after three quarters;
- cosine: from `lr` down to 0 along half a cosine;
- onecycle: as torch.optim.lr_scheduler.OneCycleLR with its defaults: from lr/25 up to `lr`
  over the first 30% of the steps, then down to lr/25/10⁴, with the momentum (SGD's and
  RMSprop's momentum, Adam's β₁) cycling the other way between 0.95 and 0.85.
"""
import math

from ..optim.lr_scheduler import LRScheduler

KINDS = ("none", "step", "cosine", "onecycle")
_ONECYCLE = dict(pct_start=0.3, div_factor=25.0, final_div_factor=1e4, base_momentum=0.85,
                 max_momentum=0.95)


def _cosine(start, end, fraction):
    """From `start` (fraction 0) to `end` (fraction 1) along half a cosine."""
    return end + (start - end) / 2.0 * (math.cos(math.pi * fraction) + 1)


def onecycle(step, total):
    """(lr factor, momentum) of OneCycleLR at `step` of `total`, lr factor relative to max_lr."""
    c = _ONECYCLE
    low = 1 / c["div_factor"]
    phases = [(float(c["pct_start"] * total) - 1, low, 1.0, c["max_momentum"],
               c["base_momentum"]),
              (total - 1, 1.0, low / c["final_div_factor"], c["base_momentum"],
               c["max_momentum"])]
    start = 0.0
    for i, (end, lr0, lr1, m0, m1) in enumerate(phases):
        if step <= end or i == len(phases) - 1:
            fraction = (step - start) / max(end - start, 1e-12)
            return _cosine(lr0, lr1, fraction), _cosine(m0, m1, fraction)
        start = end
    raise AssertionError("unreachable")


def factor(kind, step, total, warmup=0):
    """The lr at `step` (0-based) of `total` steps, as a fraction of the peak lr."""
    if step < warmup:
        return (step + 1) / warmup
    step, total = step - warmup, max(total - warmup, 1)
    fraction = min(step / total, 1.0)
    if kind == "none":
        return 1.0
    if kind == "step":
        return 0.1 ** ((fraction >= 0.5) + (fraction >= 0.75))
    if kind == "cosine":
        return _cosine(1.0, 0.0, fraction)
    return onecycle(min(step, total), total)[0]


class TrainingSchedule(LRScheduler):
    """`kind` over `total_steps` batches after `warmup_steps` of linear warmup; step it
    after every batch. Its state_dict is its position; loading one moves this schedule (as
    built, with its own total) to that position."""

    def __init__(self, optimizer, kind, total_steps, warmup_steps=0):
        if kind not in KINDS:
            raise ValueError(f"TrainingSchedule: kind must be one of {KINDS}, got {kind!r}")
        if kind == "onecycle" and warmup_steps:
            raise ValueError("TrainingSchedule: onecycle warms up by itself; warmup_steps "
                             "must be 0")
        self.kind, self.total_steps, self.warmup_steps = kind, total_steps, warmup_steps
        self._momentum_key = None
        if kind == "onecycle":
            defaults = optimizer.defaults
            self._momentum_key = "betas" if "betas" in defaults else \
                "momentum" if "momentum" in defaults else None
        super().__init__(optimizer)

    def get_lr(self):
        step = self.last_epoch
        if self._momentum_key is not None:
            momentum = onecycle(min(step, self.total_steps), self.total_steps)[1]
            for group in self.optimizer.param_groups:
                if self._momentum_key == "betas":
                    group["betas"] = (momentum, *group["betas"][1:])
                else:
                    group["momentum"] = momentum
        scale = factor(self.kind, step, self.total_steps, self.warmup_steps)
        return [base * scale for base in self.base_lrs]

    def state_dict(self):
        return {"last_epoch": self.last_epoch, "_step_count": self._step_count}

    def load_state_dict(self, state_dict):
        self._step_count = state_dict["_step_count"]
        self._update_lr(state_dict["last_epoch"])
