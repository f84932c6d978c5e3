"""`fit`: the training loop, with progress bar, validation, history, checkpoints, resume,
and a policy for non-finite losses and gradients."""
import math
import os
import time
import warnings

from .. import grad_mode
from .. import random as mc_random
from ..functional import cross_entropy
from ..nn.parallel import DistributedDataParallel
from ..nn.utils import clip_grad_norm_
from .checkpoint import load_checkpoint, loader_generator, save_checkpoint
from .history import plot_history, write_history
from .interrupt import TrainingInterrupted, deferred_interrupt
from .metrics import confusion_counts, topk_correct
from .nonfinite import POLICIES, NonFiniteError, nonfinite_entry
from .progress import epoch_line, progress_bar
from .ranks import Ranks


class Callback:
    """Hooks into `fit`; override what you need. `state` is a dict describing the moment."""

    def on_step_end(self, state):
        pass

    def on_epoch_end(self, state):
        pass


def _to(batch, device):
    inputs, targets = batch[0], batch[1]
    return inputs.to(device), targets.to(device)


def evaluate(model, loader, loss_fn=cross_entropy, device="cpu", topk=(1, 5), confusion=False):
    """Mean loss and top-k accuracies of `model` over `loader`, in eval mode, without grad;
    with confusion=True also "confusion", the (C, C) counts of true class (row) against
    predicted class (column)."""
    modes = [(module, module.training) for module in model.modules()]
    model.eval()
    total, loss_sum, correct, counts = 0, 0.0, [0] * len(topk), 0
    try:
        with grad_mode.no_grad():
            for batch in loader:
                inputs, targets = _to(batch, device)
                outputs = model(inputs)
                n = len(targets)
                loss_sum += float(loss_fn(outputs, targets).item()) * n
                logits = _logits(outputs)
                hits = topk_correct(logits, targets, topk)
                correct = [c + h for c, h in zip(correct, hits)]
                if confusion:
                    counts = counts + confusion_counts(logits, targets, logits.shape[1])
                total += n
    finally:  # each module's own mode: a layer frozen in eval mode stays so
        for module, mode in modes:
            module.training = mode
    result = {"loss": loss_sum / max(total, 1)}
    result.update({f"top{k}": c / max(total, 1) for k, c in zip(topk, correct)})
    if confusion:
        result["confusion"] = counts
    return result


def _train_step(model, optimizer, loss_fn, inputs, targets, clip_grad_norm, ranks):
    """Forward, backward and optimizer step on one batch. Returns the outputs, the loss and
    None; or, with no step taken and no gradient kept, what is not finite: the loss (on
    any rank; then there is no backward either) or a parameter's gradient (averaged over
    the ranks by DistributedDataParallel, so every rank sees the same)."""
    outputs = model(inputs)
    loss = loss_fn(outputs, targets)
    loss_value = float(loss.item())
    bad_rank = ranks.first_with(not math.isfinite(loss_value))
    if bad_rank is not None:
        return outputs, loss_value, (f"the loss is {loss_value}" if bad_rank == ranks.rank
                                     else f"the loss on rank {bad_rank} is not finite")
    optimizer.zero_grad()
    loss.backward()
    bad = nonfinite_entry({name: p.grad for name, p in model.named_parameters()
                           if p.grad is not None})
    if bad is not None:
        optimizer.zero_grad()
        return outputs, loss_value, f"the gradient of {bad} holds NaN or inf"
    if clip_grad_norm is not None:
        clip_grad_norm_(model.parameters(), clip_grad_norm)
    optimizer.step()
    return outputs, loss_value, None


def _checkpoint_description(path, epoch, step_in_epoch):
    """How a message names a checkpoint written at this position of the run."""
    if step_in_epoch == 0:
        return f"{path} (written after epoch {epoch})" if epoch else \
            f"{path} (written before the first batch)"
    return f"{path} (written at epoch {epoch + 1}, step {step_in_epoch})"


def _unsaved(error):
    """The problem of a checkpoint that save_checkpoint refused to write."""
    return f"{error.entry} holds NaN or inf, so the checkpoint is not written,"


def _nonfinite_message(problem, epoch, step, steps_per_epoch, last_checkpoint):
    """What `fit` says when it stops: what is not finite, where, and what is left on disk."""
    kept = last_checkpoint or "none written in this run"
    return (f"fit: {problem} at epoch {epoch + 1}, step {step + 1} of {steps_per_epoch}; "
            f"training stopped. Last good checkpoint: {kept}")


def _logits(outputs):
    """The class logits of a model's output: the first of a tuple (a network with
    auxiliary classifiers in training mode returns its main logits first)."""
    return outputs[0] if isinstance(outputs, tuple) else outputs


def _checkpoint(ranks, path, module, *state):
    """save_checkpoint on rank 0, with every rank raising the same NonFiniteError when the
    weights cannot be written (the replicas hold the same weights)."""
    problem = None
    if ranks.main:
        try:
            save_checkpoint(path, module, *state)
        except NonFiniteError as error:
            problem = error
    if ranks.any(problem is not None):
        raise problem or NonFiniteError("save_checkpoint: a weight holds NaN or inf on rank 0",
                                        entry="a weight (on rank 0)")


def _interrupted(checkpoint, epoch, step, steps_per_epoch):
    """The TrainingInterrupted that `fit` raises on Ctrl-C."""
    where = f"epoch {epoch + 1}, step {step} of {steps_per_epoch}" if step else \
        f"the start of epoch {epoch + 1}"
    kept = checkpoint or "none (fit was given no out_dir)"
    return TrainingInterrupted(f"fit: interrupted at {where}; checkpoint: {kept}",
                               checkpoint, epoch, step)


def fit(model, train_loader, optimizer, loss_fn=cross_entropy, epochs=1, val_loader=None,
        scheduler=None, device="cpu", callbacks=(), clip_grad_norm=None, out_dir=None,
        checkpoint_every=None, resume=None, scheduler_step="epoch", progress=True,
        on_nonfinite="stop", max_steps=None):
    """Train `model` for `epochs` epochs and return the history (one dict per epoch:
    epoch, train_loss, train_acc, lr (after the epoch's scheduler steps), seconds,
    images_per_s, and with a val_loader val_loss, val_acc, val_top5).

    - loss_fn(outputs, targets): a model whose training output is a tuple (auxiliary
      classifiers) has its accuracy counted on the first element;
    - scheduler: stepped once per epoch, or once per batch with scheduler_step="batch";
    - clip_grad_norm: rescale gradients to this total 2-norm before each step;
    - out_dir: where history.csv/json, curves.png and checkpoint.npz go;
    - checkpoint_every: also checkpoint every this many batches (default: each epoch end);
    - resume: a checkpoint path; the run continues from it, mid-epoch included, and with
      the same seed reaches the same weights as a run that was never interrupted;
    - max_steps: stop after this many batches in this call (a smoke run, or a run in
      slices): the epoch it ends in gets a history row and a validation for the batches
      run, and a mid-epoch checkpoint, so resume goes on from there;
    - set_epoch(epoch) of the loader's sampler, or else of its batch_sampler, is called
      before each epoch, and the epoch's number of batches is read after it (a batch
      sampler such as TOnICSBatchSampler may give a different number each epoch);
    - progress: a live progress bar while stdout is a terminal, and a line per epoch
      (`epoch 3/10  loss …  acc …  val_acc …  (… s)`); False shows nothing;
    - on_nonfinite: what a NaN or infinite loss or gradient does, checked before each
      optimizer step: "stop" (default) ends training with a RuntimeWarning naming the epoch,
      the step and the last good checkpoint, and a last history row (the epoch so far)
      whose "stopped" holds that message; "skip" drops the batch (no optimizer or
      scheduler step) and counts it in each row's "skipped_batches"; "raise" raises
      NonFiniteError with the message. Weights that are not finite when a checkpoint is
      due stop (or raise) the same way; a checkpoint is never written with them.

    Ctrl-C (SIGINT, in the main thread) stops training at the end of the batch in progress,
    writes a mid-epoch checkpoint and raises TrainingInterrupted (a KeyboardInterrupt) that
    names it; a second Ctrl-C interrupts at once.

    Data-parallel: in processes of an initialized process group, with `model` wrapped in
    DistributedDataParallel and a train_loader whose sampler is a DistributedSampler (fit
    calls its set_epoch), every rank calls fit alike. Rank 0 alone shows progress, writes
    the checkpoints and history, and evaluates on val_loader; the history's train loss and
    accuracy cover every rank's batches; checkpoints hold the wrapped module's state, so a
    run resumes with any number of processes at an epoch boundary. A stop (Ctrl-C on any
    rank, a non-finite loss on any rank) is agreed at each step, so all ranks stop together.
    """
    if scheduler_step not in ("epoch", "batch"):
        raise ValueError(f"fit: scheduler_step must be 'epoch' or 'batch', got {scheduler_step!r}")
    if on_nonfinite not in POLICIES:
        raise ValueError(f"fit: on_nonfinite must be one of {POLICIES}, got {on_nonfinite!r}")
    if max_steps is not None and (isinstance(max_steps, bool) or not isinstance(max_steps, int)
                                  or max_steps < 1):
        raise ValueError(f"fit: max_steps must be a positive integer or None, got "
                         f"{max_steps!r}")
    model.to(device)
    ranks = Ranks()
    module = model.module if isinstance(model, DistributedDataParallel) else model
    progress = progress and ranks.main
    sampler = getattr(train_loader, "sampler", None)
    if sampler is None:
        sampler = getattr(train_loader, "batch_sampler", None)
    history, start_epoch, start_step, global_step = [], 0, 0, 0
    resume_rng = resume_totals = last_checkpoint = stopped = None
    if resume is not None:
        state = load_checkpoint(resume, module, optimizer, scheduler)
        history = list(state["history"])
        start_epoch, start_step = state["epoch"], state["step_in_epoch"]
        global_step = state["global_step"]
        resume_rng = state["epoch_rng"], state["rng"]
        mc_random.set_rng_state(state["rng"])  # also when no epoch is left to run
        # rank 0 carries the epoch's totals so far, summed over the ranks when written
        resume_totals = state.get("epoch_totals") if start_step > 0 and ranks.main else None
        last_checkpoint = f"{resume} (the one this run resumed from)"
    checkpoint_path = None
    if out_dir:
        if ranks.main:
            os.makedirs(out_dir, exist_ok=True)
        checkpoint_path = os.path.join(out_dir, "checkpoint.npz")
    steps_per_epoch = len(train_loader)
    batches_run = 0

    with deferred_interrupt() as interrupt:
        for epoch in range(start_epoch, epochs):
            if max_steps is not None and batches_run >= max_steps:
                break
            if ranks.any(interrupt.requested):  # at an epoch boundary, after its checkpoint
                raise _interrupted(last_checkpoint, epoch, 0, steps_per_epoch)
            if hasattr(sampler, "set_epoch"):
                sampler.set_epoch(epoch)
                steps_per_epoch = len(train_loader)  # an epoch's batches may vary in number
            model.train()
            generator = loader_generator(train_loader)
            first = start_step if epoch == start_epoch else 0
            resuming = resume_rng is not None and epoch == start_epoch
            if resuming:
                epoch_state, step_state = resume_rng
                if first == 0:  # at an epoch boundary the run's state is the epoch's start
                    mc_random.set_rng_state(step_state)
                generator.bit_generator.state = epoch_state
            epoch_rng = generator.bit_generator.state
            if hasattr(train_loader, "iterate"):
                batches = train_loader.iterate(first)
            else:  # a plain iterable: draw (and drop) the batches already trained on
                batches = iter(train_loader)
                for _ in range(first):
                    next(batches)
            if resuming and first > 0:  # mid-epoch: continue from the state after the last step
                mc_random.set_rng_state(step_state)
            seen, loss_sum, correct, elapsed, skipped = 0, 0.0, 0, 0.0, 0
            if resuming and first > 0 and resume_totals:  # the row covers the whole epoch
                seen, loss_sum, correct = (resume_totals["seen"], resume_totals["loss_sum"],
                                           resume_totals["correct"])
                elapsed = resume_totals.get("seconds", 0.0)
                skipped = resume_totals.get("skipped", 0)
            started = time.perf_counter() - elapsed

            def totals():
                """The epoch's row so far, over every rank."""
                all_seen, all_loss, all_correct = ranks.sum([seen, loss_sum, correct])
                return {"seen": int(all_seen), "loss_sum": all_loss, "correct": int(all_correct),
                        "seconds": time.perf_counter() - started, "skipped": skipped}

            bar = progress_bar(steps_per_epoch, first, f"epoch {epoch + 1}/{epochs}", progress)
            done = steps_per_epoch  # the batches of this epoch done when the loop ends
            stop_asked = False      # Ctrl-C on some rank, agreed by all
            for step in range(first, steps_per_epoch):
                stop_asked = ranks.any(interrupt.requested)
                if stop_asked or (max_steps is not None and batches_run >= max_steps):
                    done = step
                    break
                inputs, targets = _to(next(batches), device)
                outputs, loss, problem = _train_step(model, optimizer, loss_fn, inputs,
                                                     targets, clip_grad_norm, ranks)
                batches_run += 1
                if problem is not None and on_nonfinite != "skip":
                    stopped = _nonfinite_message(problem, epoch, step, steps_per_epoch,
                                                 last_checkpoint)
                    break
                if problem is not None:
                    skipped += 1
                else:
                    if scheduler is not None and scheduler_step == "batch":
                        scheduler.step()
                    global_step += 1
                    n = len(targets)
                    seen += n
                    loss_sum += loss * n
                    correct += topk_correct(_logits(outputs), targets, (1,))[0]
                    rate = seen / max(time.perf_counter() - started, 1e-9)
                    bar.set_postfix(loss=f"{loss_sum / seen:.4f}", acc=f"{correct / seen:.3f}",
                                    img_s=f"{rate:.0f}")
                bar.update(1)
                if checkpoint_path and checkpoint_every and (step + 1) % checkpoint_every == 0 \
                        and step + 1 < steps_per_epoch:
                    try:
                        _checkpoint(ranks, checkpoint_path, module, optimizer, scheduler, epoch,
                                    step + 1, global_step, epoch_rng, history, totals())
                    except NonFiniteError as error:
                        stopped = _nonfinite_message(_unsaved(error), epoch, step,
                                                     steps_per_epoch, last_checkpoint)
                        break
                    last_checkpoint = _checkpoint_description(checkpoint_path, epoch, step + 1)
                if problem is None:
                    state = {"epoch": epoch, "step": step, "global_step": global_step,
                             "loss": loss, "model": model, "optimizer": optimizer}
                    for callback in callbacks:
                        callback.on_step_end(state)
            bar.close()
            partial = stopped is None and done < steps_per_epoch
            # resume goes on from here; a checkpoint at this very position may exist already
            # (the one resumed from, or the last epoch's)
            written = done == first and last_checkpoint is not None
            if partial and checkpoint_path and not written:
                try:
                    _checkpoint(ranks, checkpoint_path, module, optimizer, scheduler, epoch,
                                done, global_step, epoch_rng, history, totals())
                    last_checkpoint = _checkpoint_description(checkpoint_path, epoch, done)
                except NonFiniteError as error:
                    stopped = _nonfinite_message(_unsaved(error), epoch, done - 1,
                                                 steps_per_epoch, last_checkpoint)
            if partial and stop_asked and stopped is None:
                raise _interrupted(last_checkpoint, epoch, done, steps_per_epoch)
            if stopped is None and not partial and scheduler is not None \
                    and scheduler_step == "epoch":
                scheduler.step()
            epoch_totals = totals()
            seen_all = epoch_totals["seen"]
            row = {"epoch": epoch + 1, "train_loss": epoch_totals["loss_sum"] / max(seen_all, 1),
                   "train_acc": epoch_totals["correct"] / max(seen_all, 1),
                   "lr": optimizer.param_groups[0]["lr"],
                   "seconds": time.perf_counter() - started,
                   "images_per_s": seen_all / max(time.perf_counter() - started, 1e-9)}
            if on_nonfinite == "skip":
                row["skipped_batches"] = skipped
            if stopped is None and val_loader is not None and ranks.main:
                scores = evaluate(module, val_loader, loss_fn, device)
                row.update(val_loss=scores["loss"], val_acc=scores["top1"],
                           val_top5=scores["top5"])
            history.append(row)
            if stopped is None and not partial and checkpoint_path:
                next_rng = loader_generator(train_loader).bit_generator.state
                try:
                    _checkpoint(ranks, checkpoint_path, module, optimizer, scheduler, epoch + 1,
                                0, global_step, next_rng, history)
                    last_checkpoint = _checkpoint_description(checkpoint_path, epoch + 1, 0)
                except NonFiniteError as error:
                    stopped = _nonfinite_message(_unsaved(error), epoch, steps_per_epoch - 1,
                                                 steps_per_epoch, last_checkpoint)
            if stopped is not None:
                row["stopped"] = stopped
            if checkpoint_path and ranks.main:
                write_history(history, out_dir)
            if progress:
                print(epoch_line(row, epochs), flush=True)
            if stopped is not None:
                if on_nonfinite == "raise":
                    raise NonFiniteError(stopped)
                warnings.warn(stopped, RuntimeWarning, stacklevel=2)
                break
            for callback in callbacks:
                callback.on_epoch_end({"epoch": epoch, "row": row, "model": model})
            resume_rng = resume_totals = None
            if partial:
                break
    if out_dir and history and ranks.main:
        plot_history(history, os.path.join(out_dir, "curves.png"))
    return history
