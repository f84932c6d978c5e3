"""Ranges over several runs: one table from the JSON files of `python -m benchmarks --json`.

    python -m benchmarks.ranges RUN1.json RUN2.json RUN3.json [--markdown]

One run on a shared machine can be off by a neighbour's job; several runs of the same
benchmark show how far each figure moves. Per timing row, in the first file's order (rows
that only later files have come after it): each library's median time as min–max over the
runs, the ratio minicnn / torch as min–max and the median of the runs' ratios, and for the
convolution rows minicnn's GFLOP/s as min–max; a row missing from some runs (a failed row,
a run with --only) says in how many it is. The peak-memory rows likewise: each library's
peak as min–max, the ratio as min–max and its median.

Without --markdown, a line per file (its CPU, threads and load average) comes before the
tables; with it, only the tables, to paste. A missing or unreadable file, a file that is
not a benchmark document (no "schema" of this version), or no file at all is refused with
one line on stderr and exit status 2.
"""
import argparse
import json
import statistics
import sys

from .harness import LIBRARIES
from .report import SCHEMA_VERSION, markdown_table

REFUSED = 2
DASH = "–"


class Refused(Exception):
    """A reason to refuse the whole command, said in one line."""


def load(path):
    """The benchmark document in `path`, or Refused saying why it is not one."""
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except FileNotFoundError:
        raise Refused(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise Refused(f"{path}: not readable as JSON ({error})") from None
    if not isinstance(doc, dict) or "schema" not in doc:
        raise Refused(f"{path}: not a benchmark JSON (no \"schema\" key; write one with "
                      f"python -m benchmarks --json)")
    if doc["schema"] != SCHEMA_VERSION:
        raise Refused(f"{path}: benchmark JSON schema {doc['schema']!r}, this reads schema "
                      f"{SCHEMA_VERSION}")
    return doc


def by_name(docs, key):
    """name → the rows of that name, one per document that has it, names in order of first
    appearance (the first document's order, then the rows only later ones have)."""
    rows = {}
    for doc in docs:
        for row in doc.get(key, []):
            rows.setdefault(row["name"], []).append(row)
    return rows


def span(values, digits):
    """"min–max" of `values` to `digits` decimals; one figure when they round alike."""
    low, high = f"{min(values):.{digits}f}", f"{max(values):.{digits}f}"
    return low if low == high else f"{low}{DASH}{high}"


def _name(name, found, runs):
    return name if found == runs else f"{name} (in {found} of {runs} runs)"


def timing_ranges(docs):
    """The timing table over `docs`: times, ratios and minicnn's GFLOP/s as ranges."""
    lines = []
    for name, rows in by_name(docs, "rows").items():
        ratios = [r["ratio"] for r in rows]
        rates = [r["gflops"]["minicnn"] for r in rows if "gflops" in r]
        lines.append([_name(name, len(rows), len(docs)),
                      *(span([r[lib]["median_ms"] for r in rows], 2) for lib in LIBRARIES),
                      span(ratios, 2), f"**{statistics.median(ratios):.2f}**",
                      span(rates, 1) if rates else ""])
    return markdown_table(["row", "minicnn median ms", "torch median ms", "minicnn / torch",
                           "median of the ratios", "minicnn GFLOP/s"], lines)


def memory_ranges(docs):
    """The peak-memory table over `docs`: each library's peak and the ratio as ranges."""
    lines = []
    for name, rows in by_name(docs, "memory").items():
        ratios = [r["ratio"] for r in rows]
        lines.append([_name(name, len(rows), len(docs)),
                      *(span([r[lib]["peak_mb"] for r in rows], 0) for lib in LIBRARIES),
                      span(ratios, 2), f"**{statistics.median(ratios):.2f}**"])
    return markdown_table(["training step", "minicnn peak MB", "torch peak MB",
                           "minicnn / torch", "median of the ratios"], lines)


def run_line(path, doc):
    """`path`: the run's CPU, threads and load average before it started."""
    machine = doc.get("machine", {})
    load = machine.get("load_average")
    return (f"{path}: {machine.get('cpu', 'unknown CPU')}, {machine.get('threads', '?')} "
            f"threads, load average {load[0] if load else 'unknown'}")


def report(paths, docs, markdown_only=False):
    """The text to print: the runs (unless `markdown_only`), then the tables."""
    parts = [] if markdown_only else [
        f"{len(docs)} run{'s' if len(docs) > 1 else ''}:\n"
        + "\n".join(run_line(p, d) for p, d in zip(paths, docs))]
    parts.append(timing_ranges(docs))
    if any(doc.get("memory") for doc in docs):
        parts.append(memory_ranges(docs))
    return "\n\n".join(parts)


def parser():
    result = argparse.ArgumentParser(
        prog="python -m benchmarks.ranges",
        description="Ranges of each row's figures over several runs of python -m benchmarks "
                    "--json")
    result.add_argument("files", nargs="*", metavar="RUN.json",
                        help="JSON files written by python -m benchmarks --json")
    result.add_argument("--markdown", action="store_true",
                        help="print only the markdown tables, without the line per run")
    return result


def main(argv=None):
    args = parser().parse_args(argv)
    try:
        if not args.files:
            raise Refused("give at least one JSON file of python -m benchmarks --json")
        docs = [load(path) for path in args.files]
    except Refused as why:
        print(f"benchmarks.ranges: {why}", file=sys.stderr)
        return REFUSED
    print(report(args.files, docs, args.markdown))
    return 0


if __name__ == "__main__":
    sys.exit(main())
