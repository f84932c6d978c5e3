"""The three outputs: markdown tables (stdout), a JSON file, a PNG bar chart of the ratios."""
import json

SCHEMA_VERSION = 1


def markdown_table(headers, rows):
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def timing_table(rows):
    def cell(stats):
        return f"{stats['median_ms']:.2f} / {stats['min_ms']:.2f}"

    return markdown_table(
        ["row", "minicnn median / min ms", "torch median / min ms", "minicnn / torch"],
        [[r["name"], cell(r["minicnn"]), cell(r["torch"]), f"**{r['ratio']:.2f}**"]
         for r in rows])


def memory_table(rows):
    return markdown_table(
        ["training step", "minicnn peak MB", "torch peak MB", "minicnn / torch"],
        [[r["name"], f"{r['minicnn']['peak_mb']:.0f}", f"{r['torch']['peak_mb']:.0f}",
          f"**{r['ratio']:.2f}**"] for r in rows])


def document(machine, settings, rows, memory):
    """The JSON document: the machine header, the run's settings, timing and memory rows."""
    return {"schema": SCHEMA_VERSION, "machine": machine, "settings": settings,
            "rows": rows, "memory": memory}


def write_json(path, doc):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1, ensure_ascii=False)
        f.write("\n")


def write_png(path, rows, memory, title):
    """Horizontal bars of minicnn / torch per row (timings, then peak memory) with a line at
    1.0; returns a notice instead when matplotlib is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return f"matplotlib is not installed: no chart written to {path}"
    labels = [r["name"] for r in rows] + [f"{r['name']} peak memory" for r in memory]
    ratios = [r["ratio"] for r in rows] + [r["ratio"] for r in memory]
    colours = ["tab:blue" if r["suite"] == "ops" else "tab:green" for r in rows]
    colours += ["tab:purple"] * len(memory)
    fig, ax = plt.subplots(figsize=(9, 1.5 + 0.28 * len(labels)))
    positions = range(len(labels))[::-1]
    ax.barh(list(positions), ratios, color=colours)
    ax.axvline(1.0, color="black", linewidth=1)
    ax.set_yticks(list(positions), labels, fontsize=8)
    ax.set_xlabel("minicnn / PyTorch (below 1: minicnn is faster or smaller)")
    ax.set_title(title, fontsize=9)
    for y, ratio in zip(positions, ratios):
        ax.text(ratio, y, f" {ratio:.2f}", va="center", fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return f"chart: {path}"
