"""`python -m benchmarks.tonics`: does TOnICS's curriculum align images and captions better
than random minibatches with the same data? (Srinivasan et al., 2022, in miniature.)

clip_tiny trains contrastively on DigitCaptions' train pairs under each curriculum, for
the same number of pairs, from the same initial weights per seed, with the same learning
rate as a function of the pairs seen (linear warmup, then cosine to zero). After every
epoch it is evaluated by recall@1 (image→text and text→image) on the test pairs. TOnICS
draws random minibatches for the first half of the epochs and one shared digit per
minibatch after, as `minicnn train clip_tiny --curriculum tonics` does. Each (curriculum,
seed) is one process with one compute thread; `--jobs` run at once.

Writes a JSON file of every evaluation and a PNG of recall@1 (mean over seeds, each seed
faint) against the pairs seen, and prints the table of means and spreads.
"""
import argparse
import json
import math
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np

import minicnn as mc
from minicnn.models import ContrastiveCLIP, clip_tiny, contrastive_loss
from minicnn.models.clip_digit_captions import (CURRICULA, caption_pairs, pair_loader,
                                                retrieval_scores, tonics_switch)

SIZE = 48
WARMUP_SHARE = 0.05


def learning_rate(peak, pairs_seen, budget):
    """Linear warmup over the first WARMUP_SHARE of the budget, then cosine to zero."""
    warmup = WARMUP_SHARE * budget
    if pairs_seen < warmup:
        return peak * (pairs_seen + 1) / warmup
    return 0.5 * peak * (1 + math.cos(math.pi * min(1.0, (pairs_seen - warmup) /
                                                     (budget - warmup))))


def train_one(curriculum, seed, epochs, batch_size, lr, train_length, test_length):
    """The evaluations of one run: [{"epoch", "pairs_seen", "loss", recalls ...}]."""
    mc.set_num_threads(1)
    train = caption_pairs("train", SIZE, length=train_length)
    test = caption_pairs("test", SIZE, length=test_length)
    mc.manual_seed(seed)
    model = ContrastiveCLIP(clip_tiny(SIZE))
    optimizer = mc.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.1)
    loader = pair_loader(train, batch_size, curriculum, seed=seed,
                         phase_switch=tonics_switch(epochs))
    budget, seen, rows = epochs * len(train), 0, []
    for epoch in range(epochs):
        if loader.batch_sampler is not None:
            loader.batch_sampler.set_epoch(epoch)
        model.train()
        losses = []
        for batch, _ in loader:
            for group in optimizer.param_groups:
                group["lr"] = learning_rate(lr, seen, budget)
            loss = contrastive_loss(model(batch))
            optimizer.zero_grad()
            loss.backward()
            mc.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            losses.append(loss.item())
            seen += len(batch)
        rows.append(dict(epoch=epoch + 1, pairs_seen=seen, loss=float(np.mean(losses)),
                         **retrieval_scores(model.clip, test)))
    return {"curriculum": curriculum, "seed": seed, "evaluations": rows}


def _recall1(run):
    return [(r["image_to_text_R@1"] + r["text_to_image_R@1"]) / 2 for r in run["evaluations"]]


def summary(runs):
    """Per curriculum and epoch: pairs seen (mean), and mean ± std over seeds of the two
    recall@1 and their average."""
    table = {}
    for curriculum in CURRICULA:
        mine = [r for r in runs if r["curriculum"] == curriculum]
        rows = []
        for i in range(len(mine[0]["evaluations"])):
            evals = [r["evaluations"][i] for r in mine]
            row = {"epoch": evals[0]["epoch"],
                   "pairs_seen": float(np.mean([e["pairs_seen"] for e in evals]))}
            for key in ("image_to_text_R@1", "text_to_image_R@1", "image_to_text_R@5",
                        "text_to_image_R@5", "loss"):
                values = [e[key] for e in evals]
                row[key] = (float(np.mean(values)), float(np.std(values)))
            rows.append(row)
        table[curriculum] = rows
    return table


def print_table(table, seeds):
    print(f"| curriculum | epoch | pairs seen | image→text R@1 | text→image R@1 | "
          f"image→text R@5 | text→image R@5 |  (mean ± std over {seeds} seeds)")
    print("|---|---|---|---|---|---|---|")
    for curriculum, rows in table.items():
        for row in rows:
            cells = " | ".join(f"{row[k][0]:.4f} ± {row[k][1]:.4f}" for k in (
                "image_to_text_R@1", "text_to_image_R@1", "image_to_text_R@5",
                "text_to_image_R@5"))
            print(f"| {curriculum} | {row['epoch']} | {row['pairs_seen']:.0f} | {cells} |")


def write_png(path, runs, test_length):
    """recall@1 (the mean of both directions) against pairs seen, per curriculum."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(6, 4))
    for curriculum, colour in zip(CURRICULA, ("tab:blue", "tab:orange")):
        mine = [r for r in runs if r["curriculum"] == curriculum]
        seen = [e["pairs_seen"] for e in mine[0]["evaluations"]]
        curves = np.array([_recall1(r) for r in mine])
        for curve in curves:
            axes.plot(seen, curve, color=colour, alpha=0.25, linewidth=1)
        axes.plot(seen, curves.mean(axis=0), color=colour, linewidth=2,
                  label=f"{curriculum} (mean of {len(mine)} seeds)")
    axes.axhline(1 / test_length, color="grey", linestyle=":", label="chance")
    axes.set_xlabel("training pairs seen")
    axes.set_ylabel(f"recall@1, mean of both directions ({test_length} test pairs)")
    axes.set_title("clip_tiny on DigitCaptions: random vs TOnICS minibatches")
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.tonics", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=8, help="epochs per run (default: 8)")
    parser.add_argument("--seeds", type=int, default=3, help="seeds per curriculum (default: 3)")
    parser.add_argument("--batch-size", type=int, default=64, help="(default: 64)")
    parser.add_argument("--lr", type=float, default=2e-3, help="peak AdamW rate (default: 2e-3)")
    parser.add_argument("--train-pairs", type=int, default=4000, help="(default: 4000)")
    parser.add_argument("--test-pairs", type=int, default=1000, help="(default: 1000)")
    parser.add_argument("--jobs", type=int, default=2, help="runs at once (default: 2)")
    parser.add_argument("--json", default="tonics.json", help="(default: %(default)s)")
    parser.add_argument("--png", default="tonics.png", help="(default: %(default)s)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    jobs = [(c, s, args.epochs, args.batch_size, args.lr, args.train_pairs, args.test_pairs)
            for s in range(args.seeds) for c in CURRICULA]
    with ProcessPoolExecutor(args.jobs) as pool:
        runs = list(pool.map(train_one, *zip(*jobs)))
    table = summary(runs)
    print_table(table, args.seeds)
    with open(args.json, "w") as f:
        json.dump({"settings": vars(args), "runs": runs, "summary": table}, f, indent=1)
    print(f"wrote {args.json} and {write_png(args.png, runs, args.test_pairs)} in "
          f"{time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
