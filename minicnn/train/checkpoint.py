"""Training checkpoints: everything needed to continue a run exactly where it stopped."""
import copy

from .. import random as mc_random
from ..io import load, save
from .nonfinite import NonFiniteError, nonfinite_entry

_KEYS = ("model", "optimizer", "scheduler", "epoch", "step_in_epoch", "global_step", "rng",
         "epoch_rng", "history")


def loader_generator(loader):
    """The numpy Generator that orders `loader`'s epochs (its own, or minicnn's)."""
    own = getattr(loader, "generator", None)
    return own if own is not None else mc_random.generator()


def save_checkpoint(path, model, optimizer, scheduler, epoch, step_in_epoch, global_step,
                    epoch_rng, history, epoch_totals=None):
    """Write model, optimizer and scheduler state, the position in the run, and the random
    states (now, and at the start of this epoch so its batch order can be drawn again).
    `epoch_totals` (mid-epoch) are the running sums of the epoch's history row.

    Raises NonFiniteError, and leaves the file at `path` as it was, when a weight, buffer
    or optimizer state holds NaN or ±inf: the last good checkpoint is kept."""
    weights = {"model": model.state_dict(), "optimizer": optimizer.state_dict()}
    bad = nonfinite_entry(weights)
    if bad is not None:
        raise NonFiniteError(f"save_checkpoint: {bad} holds NaN or inf; {path} is left as "
                             f"it was", entry=bad)
    save({
        **weights,
        "scheduler": scheduler.state_dict() if scheduler is not None else None,
        "epoch": epoch,
        "step_in_epoch": step_in_epoch,
        "global_step": global_step,
        "rng": mc_random.get_rng_state(),
        "epoch_rng": epoch_rng,
        "history": history,
        "epoch_totals": epoch_totals,
    }, path)


def load_checkpoint(path, model, optimizer, scheduler):
    """Restore model, optimizer and scheduler in place; return the rest of the checkpoint.

    Raises ValueError for a file that is truncated or is no training checkpoint; if any
    part fails to load, model, optimizer and scheduler are left as they were."""
    state = load(path)
    if not isinstance(state, dict) or any(key not in state for key in _KEYS):
        found = sorted(state) if isinstance(state, dict) else type(state).__name__
        raise ValueError(f"load_checkpoint: {path} is not a training checkpoint (expected the "
                         f"keys {list(_KEYS)}, found {found})")
    saved_model = {k: v.detach().clone() for k, v in model.state_dict().items()}
    saved_optimizer = copy.deepcopy(optimizer.state_dict())
    saved_scheduler = copy.deepcopy(scheduler.state_dict()) if scheduler is not None else None
    try:
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        if scheduler is not None and state["scheduler"] is not None:
            scheduler.load_state_dict(state["scheduler"])
    except Exception:
        model.load_state_dict(saved_model)
        optimizer.load_state_dict(saved_optimizer)
        if scheduler is not None:
            scheduler.load_state_dict(saved_scheduler)
        raise
    return state
