"""Op-by-op timings, minicnn against PyTorch: forward and forward+backward.

    python -m benchmarks.ops [--threads N] [--repeats R] [--only NAME ...]

Both libraries run in this process on the same inputs (weights copied from one to the
other), with the same thread count, after warm-up; repeats alternate between them and
the table gives medians and the ratio minicnn / PyTorch (below 1: minicnn is faster).
"""
import argparse
import os

from benchmarks.harness import (apply_torch_threads, machine_description, markdown_table,
                                set_threads, summarize, time_interleaved)


def cases():
    """name → (input shapes, minicnn op, torch op); each op takes (x, *params)."""
    import minicnn.functional as F
    import torch.nn.functional as TF

    def conv(**kw):
        return lambda x, w: F.conv2d(x, w, **kw), lambda x, w: TF.conv2d(x, w, **kw)

    sdpa = (lambda q, k, v: F.scaled_dot_product_attention(q, k, v),
            lambda q, k, v: TF.scaled_dot_product_attention(q, k, v))
    return {
        "conv3x3 N32 64→64 32²": ([(32, 64, 32, 32), (64, 64, 3, 3)], *conv(padding=1)),
        "alexnet conv1 11×11/4 N8 224²": ([(8, 3, 224, 224), (96, 3, 11, 11)],
                                          *conv(stride=4, padding=2)),
        "depthwise 3×3 N32 C128 32²": ([(32, 128, 32, 32), (128, 1, 3, 3)],
                                       *conv(padding=1, groups=128)),
        "pointwise 1×1 N32 128→256 32²": ([(32, 128, 32, 32), (256, 128, 1, 1)], *conv()),
        "grouped 3×3 g2 N32 64→64 32²": ([(32, 64, 32, 32), (64, 32, 3, 3)],
                                         *conv(padding=1, groups=2)),
        "maxpool 3×3/2 N32 C64 32²": ([(32, 64, 32, 32)],
                                      lambda x: F.max_pool2d(x, 3, 2),
                                      lambda x: TF.max_pool2d(x, 3, 2)),
        "LRN(5) N8 C96 55²": ([(8, 96, 55, 55)],
                              lambda x: F.local_response_norm(x, 5, 1e-4, 0.75, 2.0),
                              lambda x: TF.local_response_norm(x, 5, 1e-4, 0.75, 2.0)),
        "BatchNorm2d train N32 C64 32²": ([(32, 64, 32, 32), (64,), (64,)],
                                          lambda x, w, b: F.batch_norm(x, None, None, w, b,
                                                                       training=True),
                                          lambda x, w, b: TF.batch_norm(x, None, None, w, b,
                                                                        training=True)),
        "SDPA B32 h4 L65 d32": ([(32, 4, 65, 32)] * 3, *sdpa),
    }


def run_case(name, shapes, ours, theirs, repeats, warmup):
    import numpy as np
    import torch

    import minicnn as mc

    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    mc_in = [mc.tensor(a, requires_grad=True) for a in arrays]
    torch_in = [torch.tensor(a, requires_grad=True) for a in arrays]
    with mc.no_grad():
        out_shape = ours(*mc_in).shape
    grad = rng.standard_normal(out_shape).astype(np.float32)
    mc_grad, torch_grad = mc.tensor(grad), torch.tensor(grad)

    def mc_forward():
        with mc.no_grad():
            ours(*mc_in)

    def torch_forward():
        with torch.no_grad():
            theirs(*torch_in)

    def mc_both():
        for t in mc_in:
            t.grad = None
        ours(*mc_in).backward(mc_grad)

    def torch_both():
        for t in torch_in:
            t.grad = None
        theirs(*torch_in).backward(torch_grad)

    fwd = time_interleaved([mc_forward, torch_forward], repeats, warmup)
    both = time_interleaved([mc_both, torch_both], repeats, warmup)
    row = {"op": name}
    for label, (a, b) in (("forward", fwd), ("forward+backward", both)):
        sa, sb = summarize(a), summarize(b)
        row[label] = {"minicnn": sa, "torch": sb, "ratio": sa["median_ms"] / sb["median_ms"]}
    return row


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--only", nargs="*", help="run the rows whose name contains one of these")
    args = parser.parse_args(argv)
    set_threads(args.threads)

    import numba
    import numpy as np
    import torch

    import minicnn

    numba.set_num_threads(args.threads)
    apply_torch_threads(torch, args.threads)
    machine = machine_description()
    print(f"machine: {machine['cpu']}, {machine['cores']} cores, SIMD {' '.join(machine['simd'])}")
    print(f"threads: {args.threads}; minicnn {minicnn.__version__}, torch {torch.__version__}, "
          f"numpy {np.__version__}, numba {numba.__version__}; median of {args.repeats}")
    rows = []
    for name, (shapes, ours, theirs) in cases().items():
        if args.only and not any(key in name for key in args.only):
            continue
        row = run_case(name, shapes, ours, theirs, args.repeats, args.warmup)
        rows.append(row)
        print(f"  {name}: fwd {row['forward']['ratio']:.2f}×, "
              f"fwd+bwd {row['forward+backward']['ratio']:.2f}×", flush=True)
    table = [[r["op"]] + [f"{r[k]['minicnn']['median_ms']:.2f} / {r[k]['torch']['median_ms']:.2f}"
                          f" = **{r[k]['ratio']:.2f}**" for k in ("forward", "forward+backward")]
             for r in rows]
    print()
    print(markdown_table(["op", "forward ms (minicnn / torch = ratio)",
                          "forward+backward ms (minicnn / torch = ratio)"], table))
    return rows


if __name__ == "__main__":
    main()
