"""The three outputs: markdown tables (stdout), a JSON file, a PNG bar chart of the ratios."""
import json

SCHEMA_VERSION = 1
SUITE_COLOURS = {"ops": "tab:blue", "models": "tab:green", "gpu": "tab:orange"}


def markdown_table(headers, rows):
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def gflops_cell(rate, peak=None):
    """"12.3 (45%)": GFLOP/s and its share of `peak`; without a peak the rate alone; empty
    for a row without a flop count."""
    if rate is None:
        return ""
    return f"{rate:.1f} ({100 * rate / peak:.0f}%)" if peak else f"{rate:.1f}"


def timing_table(rows, fma_peak=None):
    """Medians, minimums and the ratio per row; when some rows count their flops (the
    convolutions), a GFLOP/s column per library, as a share of `fma_peak` where given."""
    def cell(stats):
        return f"{stats['median_ms']:.2f} / {stats['min_ms']:.2f}"

    headers = ["row", "minicnn median / min ms", "torch median / min ms", "minicnn / torch"]
    lines = [[r["name"], cell(r["minicnn"]), cell(r["torch"]), f"**{r['ratio']:.2f}**"]
             for r in rows]
    if any("gflops" in r for r in rows):
        share = " (% of FMA peak)" if fma_peak else ""
        headers += [f"minicnn GFLOP/s{share}", f"torch GFLOP/s{share}"]
        for line, r in zip(lines, rows):
            rates = r.get("gflops", {})
            line += [gflops_cell(rates.get("minicnn"), fma_peak),
                     gflops_cell(rates.get("torch"), fma_peak)]
    return markdown_table(headers, lines)


def memory_table(rows):
    return markdown_table(
        ["training step", "minicnn peak MB", "torch peak MB", "minicnn / torch"],
        [[r["name"], f"{r['minicnn']['peak_mb']:.0f}", f"{r['torch']['peak_mb']:.0f}",
          f"**{r['ratio']:.2f}**"] for r in rows])


def _rate(value):
    return "—" if value is None else f"{value:.1f}"


def _share(value, ceiling):
    return f"{100 * value / ceiling:.0f}%" if ceiling else "—"


def throughput_table(rows):
    """The gpu suite's rows: each library's rate and its share of the row's ceiling, the
    ratio minicnn / torch of the times, and the card."""
    lines = []
    for r in rows:
        t = r["throughput"]
        lines.append([r["name"], t["unit"],
                      _rate(t["minicnn"]), _share(t["minicnn"], t["ceiling"]),
                      _rate(t["torch"]), _share(t["torch"], t["ceiling"]),
                      f"{_rate(t['ceiling'])} ({t['ceiling_name']})" if t["ceiling"] else "—",
                      f"**{r['ratio']:.2f}**", r["card"]])
    return markdown_table(["row", "unit", "minicnn", "of ceiling", "torch", "of ceiling",
                           "ceiling", "minicnn / torch", "card"], lines)


def failure_lines(failures):
    return "\n".join([f"{len(failures)} row{'s' if len(failures) > 1 else ''} failed:"]
                     + [f"- {f['name']}: {f['error']}" for f in failures])


def document(machine, settings, rows, memory, failures=()):
    """The JSON document: the machine header, the run's settings, timing and memory rows,
    and the rows that failed (with --keep-going)."""
    return {"schema": SCHEMA_VERSION, "machine": machine, "settings": settings,
            "rows": rows, "memory": memory, "failures": list(failures)}


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
    colours = [SUITE_COLOURS[r["suite"]] for r in rows]
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
