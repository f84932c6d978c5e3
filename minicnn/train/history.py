"""The record of a training run: one row per epoch, written as CSV and JSON, plotted as PNG."""
import csv
import json
import os


def write_history(rows, folder):
    """history.csv and history.json in `folder`; returns their paths."""
    os.makedirs(folder, exist_ok=True)
    csv_path, json_path = os.path.join(folder, "history.csv"), os.path.join(folder, "history.json")
    fields = list(dict.fromkeys(k for row in rows for k in row))
    with open(csv_path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    with open(json_path, "w") as f:
        json.dump(rows, f, indent=2)
    return csv_path, json_path


def plot_history(rows, path):
    """Loss and accuracy curves as a PNG; returns the path, or None (with a one-line notice)
    when matplotlib is not installed."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no plot (pip install matplotlib)")
        return None
    epochs = [row["epoch"] for row in rows]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    for key, axis in (("loss", left), ("acc", right)):
        for split in ("train", "val"):
            values = [row.get(f"{split}_{key}") for row in rows]
            if any(v is not None for v in values):
                axis.plot(epochs, values, marker="o", label=split)
        axis.set_xlabel("epoch")
        axis.set_ylabel("loss" if key == "loss" else "top-1 accuracy")
        axis.grid(alpha=0.3)
        axis.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
