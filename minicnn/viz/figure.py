"""An image and what a method made of it, side by side in one PNG."""


def save_side_by_side(path, image, picture, title="", cmap="viridis", symmetric=False,
                      overlay=False):
    """Write `image` (H × W, or H × W × 3, values in [0, 1]; None: the picture alone) and
    `picture` beside it as a PNG at `path`; returns the path.

    A 2-D picture is drawn with `cmap` and a colour bar, around 0 when `symmetric` (a
    signed attribution), over the image when `overlay` (a heat map at the image's side);
    an H × W × 3 picture is drawn as colours. Returns None, with a one-line notice, when
    matplotlib is not installed.
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no plot (pip install matplotlib)")
        return None
    panels = 1 if image is None else 2
    fig, axes = plt.subplots(1, panels, figsize=(4.5 * panels, 4.5), squeeze=False)
    axes = axes[0]
    if image is not None:
        axes[0].imshow(image, cmap="gray" if image.ndim == 2 else None, vmin=0, vmax=1)
        axes[0].set_title("image")
    axis = axes[-1]
    if picture.ndim == 3:
        axis.imshow(picture)
    else:
        limit = float(abs(picture).max()) or 1.0
        bounds = {"vmin": -limit, "vmax": limit} if symmetric else {}
        if overlay and image is not None:
            axis.imshow(image, cmap="gray" if image.ndim == 2 else None, vmin=0, vmax=1)
        shown = axis.imshow(picture, cmap=cmap, alpha=0.5 if overlay else None, **bounds)
        fig.colorbar(shown, ax=axis, fraction=0.046, pad=0.04)
    axis.set_title(title)
    for axis in axes:
        axis.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
