"""Training checkpoints: everything needed to continue a run exactly where it stopped."""
from .. import random as mc_random
from ..io import load, save


def loader_generator(loader):
    """The numpy Generator that orders `loader`'s epochs (its own, or minicnn's)."""
    own = getattr(loader, "generator", None)
    return own if own is not None else mc_random.generator()


def save_checkpoint(path, model, optimizer, scheduler, epoch, step_in_epoch, global_step,
                    epoch_rng, history):
    """Write model, optimizer and scheduler state, the position in the run, and the random
    states (now, and at the start of this epoch so its batch order can be drawn again)."""
    save({
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict() if scheduler is not None else None,
        "epoch": epoch,
        "step_in_epoch": step_in_epoch,
        "global_step": global_step,
        "rng": mc_random.get_rng_state(),
        "epoch_rng": epoch_rng,
        "history": history,
    }, path)


def load_checkpoint(path, model, optimizer, scheduler):
    """Restore model, optimizer and scheduler in place; return the rest of the checkpoint."""
    state = load(path)
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    if scheduler is not None and state["scheduler"] is not None:
        scheduler.load_state_dict(state["scheduler"])
    return state
