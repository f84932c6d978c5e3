"""What `fit` shows while it trains: a live progress bar while stdout is a terminal, and one
line per epoch, so that a log file (stdout redirected or piped) gets the lines and no
redraws."""
import sys

from tqdm import tqdm


def progress_bar(total, initial, description, enabled, stream=None):
    """A tqdm bar on `stream` (stdout), shown only when enabled and the stream is a
    terminal; it clears itself on close, leaving the place to the epoch line."""
    stream = sys.stdout if stream is None else stream
    shown = enabled and hasattr(stream, "isatty") and stream.isatty()
    return tqdm(total=total, initial=initial, desc=description, unit="batch", file=stream,
                disable=not shown, leave=False, dynamic_ncols=True)


def epoch_line(row, epochs):
    """`epoch 3/10  loss 0.1234  acc 0.9612  val_acc 0.9750  (S.S s)` for a history row, S.S
    its seconds."""
    parts = [f"epoch {row['epoch']}/{epochs}", f"loss {row['train_loss']:.4f}",
             f"acc {row['train_acc']:.4f}"]
    if "val_acc" in row:
        parts.append(f"val_acc {row['val_acc']:.4f}")
    if row.get("skipped_batches"):
        parts.append(f"skipped {row['skipped_batches']} batches")
    return "  ".join(parts) + f"  ({row['seconds']:.1f} s)"
