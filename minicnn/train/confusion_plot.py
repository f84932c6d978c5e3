"""The confusion matrix of a classifier as a PNG: true classes down, predicted across."""


def plot_confusion(counts, classes, path, title=""):
    """Write `counts` (C, C) as a heat map with the counts printed in its cells (when C is
    small enough to read them); returns the path, or None (with a one-line notice) when
    matplotlib is not installed."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no plot (pip install matplotlib)")
        return None
    n = len(classes)
    side = min(max(4.0, 0.5 * n + 2), 20.0)
    fig, axis = plt.subplots(figsize=(side, side))
    image = axis.imshow(counts, cmap="Blues")
    fig.colorbar(image, ax=axis, fraction=0.046, pad=0.04)
    if n <= 30:
        axis.set_xticks(range(n), labels=classes, rotation=90)
        axis.set_yticks(range(n), labels=classes)
        threshold = counts.max() / 2 if counts.size else 0
        for i in range(n):
            for j in range(n):
                axis.text(j, i, str(counts[i, j]), ha="center", va="center", fontsize=8,
                          color="white" if counts[i, j] > threshold else "black")
    axis.set_xlabel("predicted class")
    axis.set_ylabel("true class")
    axis.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
