#!/usr/bin/env python3
"""The mutation check of the CUDA kernels' tests: do the gpu tests of tests/kernels fail when
a kernel in kernels/cuda is wrong?

For each mutation of the table below (a file of kernels/cuda, a text found exactly once in
it, its replacement, what the bug is) the script writes the mutated file into a temporary
copy of the source tree, runs there the gpu tests that launch that file's kernels, under
MINICNN_CUDA_EMULATE=1 (or on the GPU with --real-gpu), and reports the mutation killed
(naming the first test that failed, or crashed) or survived (every test passed). Every
mutation must be killed; a survivor names a bug the tests cannot see. A mutation whose
text is no longer in its file (the kernel was rewritten) is reported as such, to be
rewritten against the new source.

The tests run with a fixed set of hypothesis examples (derandomised, no example database,
no shrinking) so that a table is reproducible; the emulator compiles each mutated source
into a cache inside the temporary copy. The check takes minutes, so it is run by hand when
a kernel or its tests change, not on every CI run (.ci/run):

    python tools/cuda_mutations.py                 # every mutation
    python tools/cuda_mutations.py pooling.cu      # the mutations of some files
    python tools/cuda_mutations.py --list          # the table, without running it

Exit status 0 when every mutation ran and was killed. Loaded by pytest as a plugin (-p), this
module registers the hypothesis profile of those runs.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from hypothesis import HealthCheck, Phase, settings

ROOT = Path(__file__).resolve().parents[1]
CUDA_DIR = Path("kernels") / "cuda"
TEST_DIR = Path("tests") / "kernels"
PROFILE = "cuda-mutations"
RUN_SECONDS = 900                   # a mutant still running after this counts as killed
# pytest's summary line of a failed test, its node id shortened to file::test[params]
FAILED_TEST = re.compile(r"^(?:FAILED|ERROR) (?:\S*/)?(\S+::\S+)")
# a test function's frame in the traceback that pytest's faulthandler prints on a crash
CRASHED_TEST = re.compile(r'File "(?:.*/)?(test_\w+\.py)", line \d+ in (test_\w+)')

settings.register_profile(PROFILE, max_examples=25, deadline=None, derandomize=True,
                          database=None, phases=(Phase.explicit, Phase.reuse, Phase.generate),
                          suppress_health_check=[HealthCheck.too_slow])


@dataclass(frozen=True)
class Mutation:
    """`original`, found exactly once in kernels/cuda/`file`, replaced by `replacement`."""

    file: str
    original: str
    replacement: str
    description: str


M = Mutation
# Left out as equivalent on every input a test can run (arrays below 2^31 elements): an
# `_i64` entry point of batchnorm or softmax instantiated with int (they take array sizes
# only, which fit 32 bits below 2^31 elements); thread_index() formed in unsigned 32-bit
# arithmetic (it wraps past 2^32 threads); a max-backward gather range that starts one
# window early (that window's index never names the pixel); row·K as the start of a softmax
# thread past the last row (its length is 0, it reads nothing).
MUTATIONS = (
    # thread_index.cuh: the 1-D thread index of the pooling, depthwise, im2col and LRN kernels
    M("thread_index.cuh", "return (I)blockIdx.x * (I)blockDim.x + (I)threadIdx.x;",
      "return (I)blockIdx.x * (I)blockDim.x;",
      "index: every thread of a block takes the block's first element"),
    M("thread_index.cuh", "return (I)blockIdx.x * (I)blockDim.x + (I)threadIdx.x;",
      "return (I)blockIdx.x + (I)threadIdx.x;",
      "index: the block offset not scaled by the block size, blocks overlap"),
    M("thread_index.cuh", "return (I)blockIdx.x * (I)blockDim.x + (I)threadIdx.x;",
      "return (I)blockIdx.x * (I)blockDim.x + (I)threadIdx.x + 1;",
      "off-by-one index: each thread takes the next element, the first is never written"),

    # block_sum.cuh: the compensated per-thread sums and the group trees of batchnorm,
    # depthwise's weight gradient and softmax
    M("block_sum.cuh", "partial[threadIdx.x] = v;\n    __syncthreads();",
      "partial[threadIdx.x] = v;", "dropped __syncthreads() before the tree"),
    M("block_sum.cuh", "partial[threadIdx.x + s]);\n        __syncthreads();",
      "partial[threadIdx.x + s]);", "dropped __syncthreads() between tree levels"),
    M("block_sum.cuh", "T total = partial[threadIdx.x - lane];\n    __syncthreads();",
      "T total = partial[threadIdx.x - lane];",
      "dropped __syncthreads() before partial is reused"),
    M("block_sum.cuh", "s = lanes / 2; s > 0;", "s = lanes / 2; s > 1;",
      "off-by-one loop bound: the last tree level skipped"),
    M("block_sum.cuh", "T total = partial[threadIdx.x - lane];", "T total = partial[0];",
      "index: every group of lanes gets the first group's total"),
    M("block_sum.cuh", "T y = v - lost;", "T y = v;",
      "Kahan compensation never fed back: a plain float sum"),
    M("block_sum.cuh", "lost = t - t == T(0) ? (t - sum) - y : T(0);", "lost = (t - sum) - y;",
      "dropped guard: a sum past an infinity becomes NaN"),

    # batchnorm.cu: slices of a channel, partial sums per block, their combination
    M("batchnorm.cu", "long long count = (long long)N * L;", "I count = N * L;",
      "32-bit slice bounds: count · p wraps past 2^32 in the int form"),
    M("batchnorm.cu", "I end = (I)(count * (blockIdx.y + 1) / gridDim.y);",
      "I end = begin + (I)(count / gridDim.y);",
      "rounding: slice ends rounded apart, the channel's last count mod P elements skipped"),
    M("batchnorm.cu", "i += THREADS / L * C * L + THREADS % L;",
      "i += THREADS / L * L + THREADS % L;",
      "index: a step over whole runs skips no other channel (C taken as 1)"),
    M("batchnorm.cu", "if (pos >= L) {", "if (pos > L) {",
      "off-by-one bound: the step into the next run of the channel comes one element late"),
    M("batchnorm.cu", "return ((I)blockIdx.x * (I)gridDim.y + (I)blockIdx.y) * width + k;",
      "return ((I)blockIdx.x + (I)blockIdx.y) * width + k;",
      "index: partial-sum slots of neighbouring channels overlap"),
    M("batchnorm.cu", "for (unsigned p = 0; p < gridDim.y; ++p)",
      "for (unsigned p = 0; p + 1 < gridDim.y; ++p)",
      "off-by-one loop bound: a channel's total misses the last block's partial sum"),
    M("batchnorm.cu", "T delta = channel_total<T, I>(centred, 2, 0) / n;", "T delta = T(0);",
      "dropped correction: the two-pass mean keeps the rounding of Σx / n"),
    M("batchnorm.cu", "T scale = weight[c] / square_root(v + eps);",
      "T scale = weight[c] / square_root(v);", "dropped eps in the forward scale"),
    M("batchnorm.cu", "acc_gx.add(g[i] * (x[i] - mu));", "acc_gx.add(g[i] * x[i]);",
      "dropped mean: Σ g·x instead of Σ g·(x − mean)"),
    M("batchnorm.cu", "dx[i] = k * (g[i] - mean_g - (x[i] - mu) * slope);",
      "dx[i] = k * (g[i] + mean_g - (x[i] - mu) * slope);", "flipped sign of mean(g) in dx"),
    M("batchnorm.cu", "T slope = sum_gx * invstd * invstd / n;",
      "T slope = sum_gx * invstd / n;", "dropped factor: the slope of dx without one 1/σ"),
    M("batchnorm.cu", "dw[c] = sum_gx * invstd;", "dw[c] = sum_gx;",
      "dropped factor: dw without 1/σ"),

    M("depthwise.cu", "const T* src = x + (n * C + o / (OC / C)) * H * W;",
      "const T* src = x + (n * C + o % C) * H * W;",
      "index: output channel o reads input o % C instead of o / m"),
    M("depthwise.cu", "I iy = oy * sh - ph + i * dh;\n        if (iy < 0 || iy >= H)",
      "I iy = oy * sh + ph + i * dh;\n        if (iy < 0 || iy >= H)",
      "flipped sign of the padding in the forward pass"),
    M("depthwise.cu", "if (ix < 0 || ix >= W) continue;\n            acc += wo",
      "if (ix < 0 || ix > W) continue;\n            acc += wo",
      "off-by-one bound: the forward pass reads the column past the right edge"),
    M("depthwise.cu", "for (I o = c * m; o < c * m + m; ++o)",
      "for (I o = c * m; o < c * m + m - 1; ++o)",
      "off-by-one loop bound: grad_input skips the last of the m output channels"),
    M("depthwise.cu", "ty / sh >= oh) continue;", "ty / sh > oh) continue;",
      "off-by-one bound: grad_input reads the output row past the last"),
    M("depthwise.cu", "if (tx < 0 || tx % sw != 0 || tx / sw >= ow) continue;",
      "if (tx < 0 || tx / sw >= ow) continue;",
      "dropped test: grad_input takes taps that fall between strided outputs"),
    M("depthwise.cu", "for (I e = threadIdx.x; e < N * oh * ow; e += THREADS)",
      "for (I e = threadIdx.x; e < N * oh * ow - 1; e += THREADS)",
      "off-by-one loop bound: grad_weight skips the last output position"),
    M("depthwise.cu", "I c = o / (OC / C);", "I c = o % C;",
      "index: grad_weight of output channel o reads input o % C instead of o / m"),

    M("elementwise.cu", "if (i < n) out[i] = erff(x[i]);", "if (i < n) out[i] = -erff(x[i]);",
      "flipped sign of erf (float32)"),
    M("elementwise.cu", "out[i] = 0.5 * x[i] * erfc(-x[i] * 0.70710678118654752);",
      "out[i] = 0.5 * x[i] * erfc(-x[i] * 0.70710678);",
      "changed constant: 1/sqrt2 to eight digits in the float64 GELU"),
    M("elementwise.cu", "T pdf = exp(T(-0.5) * v * v)", "T pdf = exp(T(0.5) * v * v)",
      "flipped sign in the density of the GELU gradient"),
    M("elementwise.cu", "out[i] = x[i] < T(0) ? T(0) : x[i];",
      "out[i] = x[i] > T(0) ? x[i] : T(0);", "ReLU maps NaN to 0 and -0 to +0"),
    M("elementwise.cu", "if (i < n) out[i] = x[i] < T(0)", "if (i <= n) out[i] = x[i] < T(0)",
      "off-by-one bound: ReLU writes one element past the end"),
    M("elementwise.cu", "out[i] = y[i] <= T(0) ? T(0) : g[i];",
      "out[i] = y[i] < T(0) ? T(0) : g[i];", "ReLU gradient passes g where the output is 0"),

    M("im2col.cu", "I iy = oy * sh - ph + i * dh;", "I iy = oy * sh + ph + i * dh;",
      "flipped sign of the padding in im2col"),
    M("im2col.cu", "if (iy >= 0 && iy < H &&", "if (iy >= 0 && iy <= H &&",
      "off-by-one bound: im2col reads the row past the bottom edge"),
    M("im2col.cu", "I n = r % N;   r /= N;\n    I j = r % kw;  r /= kw;",
      "I j = r % kw;  r /= kw;\n    I n = r % N;   r /= N;",
      "index: im2col splits a column entry as (c, n, i, j, ...) instead of (c, i, j, n, ...)"),
    M("im2col.cu", "if (oy >= oh) continue;", "if (oy > oh) continue;",
      "off-by-one bound: col2im gathers from the window row past the last"),
    M("im2col.cu", "I n = nc / C, c = nc % C;", "I n = nc % N, c = nc / N;",
      "index: col2im splits n * C + c as if it were c * N + n"),
    M("im2col.cu", "for (I j = 0; j < kw; ++j) {\n            I tx",
      "for (I j = 0; j < kw - 1; ++j) {\n            I tx",
      "off-by-one loop bound: col2im skips the last kernel column"),
    M("im2col.cu", "im2col_impl<double, long long>(x, cols, PASS);",
      "im2col_impl<double, int>(x, cols, PASS);",
      "the 64-bit-index twin of im2col (float64) takes its geometry as int"),

    M("lrn.cu", "I c0 = max(c - size / 2, I(0)), c1 = min(c + (size - 1) / 2 + 1, C);",
      "I c0 = max(c - (size - 1) / 2, I(0)), c1 = min(c + (size - 1) / 2 + 1, C);",
      "off-by-one window: the forward window starts one channel late for even sizes"),
    M("lrn.cu", "c1 = min(c + (size - 1) / 2 + 1, C);", "c1 = min(c + (size - 1) / 2, C);",
      "off-by-one loop bound: the forward window drops its last channel"),
    M("lrn.cu", "c1 = min(c + size / 2 + 1, C);", "c1 = min(c + size / 2 + 2, C);",
      "off-by-one loop bound: the backward window takes one channel too many"),
    M("lrn.cu", "const T* plane = x + (t / (L * C)) * C * L + p;",
      "const T* plane = x + (t / (L * C)) * C * L;",
      "index: the forward window reads position 0 of each channel"),
    M("lrn.cu", "T s = k + coef * sum;", "T s = 1 + coef * sum;",
      "changed constant: k taken as 1"),
    M("lrn.cu", "power(scale[t], negbeta) - coef * x[t] * sum;",
      "power(scale[t], negbeta) + coef * x[t] * sum;", "flipped sign of the window term in dx"),
    M("lrn.cu", "forward_impl<double, long long>(x, y, scale, N, C, L, size, coef, negbeta, k);",
      "forward_impl<double, int>(x, y, scale, N, C, L, size, coef, negbeta, k);",
      "the 64-bit-index twin of the forward pass (float64) takes its window size as int"),

    M("pooling.cu", "if (v > best || (v != v && best == best))",
      "if (v >= best || (v != v && best == best))",
      "the last maximum wins a tie instead of the first"),
    M("pooling.cu", "if (v > best || (v != v && best == best))", "if (v > best)",
      "NaN no longer beats the maximum"),
    M("pooling.cu", "start += (-start + dilation - 1) / dilation * dilation;",
      "start += (-start) / dilation * dilation;",
      "off-by-one rounding: a dilated window in the padding starts before the input"),
    M("pooling.cu", "I h1 = min(oy * sh - ph + (kh - 1) * dh + 1, H);",
      "I h1 = min(oy * sh - ph + (kh - 1) * dh, H);",
      "off-by-one loop bound: max pooling drops the window's last row"),
    M("pooling.cu", "long long a = i + p - (k - 1) * d;", "long long a = i + p - (k - 1);",
      "gather windows: max backward ignores dilation, missing windows that hold the pixel"),
    M("pooling.cu", "*last = min((i + p) / s + 1, out);", "*last = min((i + p) / s, out);",
      "gather windows: max backward misses the last window that holds the pixel"),
    M("pooling.cu", "windows_holding(pixel % W, kw, sw, pw, dw, ow, &ox0, &ox1);",
      "windows_holding(pixel % W, kw, sw, pw, dw, ow, &ox1, &ox0);",
      "gather windows: max backward's column range swapped, no window visited"),
    M("pooling.cu", "if (idx[o] == pixel) acc += g[o];", "acc += g[o];",
      "max backward adds every window's gradient, not only those naming the pixel"),
    M("pooling.cu", "I end = min(start + k, size + p);", "I end = min(start + k, size + p + 1);",
      "off-by-one: a ceil_mode window counts one padded place past the padding"),
    M("pooling.cu", "start = max(start, I(0));", "start = max(start, I(-1));",
      "off-by-one: count_include_pad=False counts one padded place"),
    M("pooling.cu", "if (divisor_override > 0) return (T)divisor_override;",
      "if (divisor_override > 1) return (T)divisor_override;",
      "changed constant: divisor_override=1 ignored"),
    M("pooling.cu", "I oy0 = a > 0 ? (a + sh - 1) / sh : 0;", "I oy0 = a > 0 ? a / sh : 0;",
      "off-by-one rounding: avg backward adds a window that does not hold the pixel"),
    M("pooling.cu", "I oy1 = min((y + ph) / sh + 1, oh);", "I oy1 = min((y + ph) / sh, oh);",
      "off-by-one loop bound: avg backward misses the last window that holds the pixel"),
    M("pooling.cu", "avg_backward_impl<double, long long>(g, dx, AVG_PASS);",
      "avg_forward_impl<double, long long>(g, dx, AVG_PASS);",
      "the 64-bit-index twin of avg backward (float64) runs avg forward"),

    M("softmax.cu", "I row = (I)blockIdx.x * (I)(THREADS / lanes) + (I)(threadIdx.x / lanes);",
      "I row = (I)blockIdx.x + (I)(threadIdx.x / lanes);",
      "rows per block: the block offset not scaled by its rows, blocks share rows"),
    M("softmax.cu", "lane = threadIdx.x & (lanes - 1);", "lane = threadIdx.x & (lanes / 2 - 1);",
      "rows per block: a row's upper lanes repeat its lower lanes' elements"),
    M("softmax.cu", "length = row < R ? K : 0;", "length = K;",
      "rows per block: the last block's threads past row R − 1 run over a row past the end"),
    M("softmax.cu", "return (a > b || a != a) ? a : b;", "return a > b ? a : b;",
      "the row maximum lets a NaN go: a row of NaN and −inf only is zeroed as masked"),
    M("softmax.cu", "return group_sum(acc.total(), partial, at.lanes);",
      "return group_sum(acc.total(), partial, at.lanes / 2);",
      "Σ exp over half of a row's lanes"),
    M("softmax.cu", "y[i] = (x[i] - top) - log_total;", "y[i] = (x[i] - top) + log_total;",
      "flipped sign of log Σ exp in log-softmax"),
    M("softmax.cu", "bool masked = top == minus_infinity<T>();", "bool masked = top != top;",
      "a row of -inf only is no longer set to 0"),
    M("softmax.cu", "acc.add(g[at.start + k] * s[at.start + k]);",
      "acc.add(g[at.start + k] * s[at.start + k + 1]);",
      "off-by-one index: the gradient's Σ g·s pairs g with the next s"),
    M("softmax.cu", "T total = group_sum(acc.total(), partial, at.lanes);",
      "T total = group_sum(acc.total(), partial, THREADS);",
      "rows per block: the gradient's Σ g·s taken over the whole block's rows"),
    M("softmax.cu", "out[i] = s[i] * (g[i] - total);", "out[i] = s[i] * (g[i] + total);",
      "flipped sign of Σ g·s in the softmax gradient"),
    M("softmax.cu", "softmax_impl<float, long long>(x, y, PASS, true);",
      "softmax_impl<float, long long>(x, y, PASS, false);",
      "the 64-bit-index twin of log-softmax (float32) computes softmax"),
)


def kernels_of_source(filename):
    """The kernel names whose cuda form runs kernels/cuda/`filename`: those of its wrapper,
    or, for a header, of every source that includes it."""
    if filename.endswith(".cuh"):
        includers = [p.name for p in sorted((ROOT / CUDA_DIR).glob("*.cu"))
                     if f'#include "{filename}"' in p.read_text()]
        return sorted({k for name in includers for k in kernels_of_source(name)})
    wrapper = (ROOT / CUDA_DIR / filename).with_suffix(".py").read_text()
    return sorted(re.findall(r"^def ([a-z]\w*)\(", wrapper, re.MULTILINE))


def test_files_of_source(filename):
    """The files of tests/kernels that call a kernel of `filename` (`.name(`)."""
    names = kernels_of_source(filename)
    found = []
    for path in sorted((ROOT / TEST_DIR).glob("test_*.py")):
        text = path.read_text()
        if any(re.search(rf"\.{name}\(", text) for name in names):
            found.append(str(TEST_DIR / path.name))
    return found


def occurrences(mutation, root=ROOT):
    return (root / CUDA_DIR / mutation.file).read_text().count(mutation.original)


def copy_tree(destination):
    """The parts of the source tree the gpu tests need, without caches."""
    ignore = shutil.ignore_patterns("__pycache__", ".hypothesis", "*.pyc")
    for name in ("minicnn", "kernels", "tests"):
        shutil.copytree(ROOT / name, destination / name, ignore=ignore)
    shutil.copy2(ROOT / "pyproject.toml", destination / "pyproject.toml")


def run_tests(tree, test_files, real_gpu):
    """(return code, lines of output) of the gpu tests `test_files` in `tree`."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tree), str(Path(__file__).parent)]),
               XDG_CACHE_HOME=str(tree / ".cache"))
    if real_gpu:
        env.pop("MINICNN_CUDA_EMULATE", None)
    else:
        env["MINICNN_CUDA_EMULATE"] = "1"
    command = [sys.executable, "-m", "pytest", "-q", "-x", "-m", "gpu", "-p", "no:cacheprovider",
               "-p", Path(__file__).stem, f"--hypothesis-profile={PROFILE}", *test_files]
    try:
        proc = subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True,
                              timeout=RUN_SECONDS)
    except subprocess.TimeoutExpired:
        return "timeout", []
    return proc.returncode, (proc.stdout + proc.stderr).strip().splitlines()


def outcome(code, lines):
    """What a mutant's test run says: killed (by which test, the first to fail under -x, or
    to crash the process), survived, or an error of the run itself (with the last lines of
    its output)."""
    if code == "timeout":
        return "killed (timed out)"
    if code == 0:
        return "survived"
    if code == 1:
        failed = [m.group(1) for m in map(FAILED_TEST.match, lines) if m]
        return f"killed by {failed[0]}" if failed else "killed"
    if code < 0:
        crashed = [m.group(1, 2) for m in map(CRASHED_TEST.search, lines) if m]
        where = " in {}::{}".format(*crashed[0]) if crashed else ""
        return f"killed (crashed{where}, signal {-code})"
    return f"error (pytest exit {code}): " + " / ".join(lines[-3:])


def table(rows):
    """A Markdown table of (mutation, result) rows."""
    def cell(text):
        return "`" + text.replace("\n", "⏎").replace("|", "\\|").strip() + "`"

    lines = ["| # | file | original | replacement | bug | result |", "|---|---|---|---|---|---|"]
    for i, (m, result) in enumerate(rows, 1):
        lines.append(f"| {i} | {m.file} | {cell(m.original)} | {cell(m.replacement)} | "
                     f"{m.description} | {result} |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", help="only the mutations of these files")
    parser.add_argument("--list", action="store_true", help="print the table, run nothing")
    parser.add_argument("--real-gpu", action="store_true",
                        help="run on the GPU through CuPy instead of the emulator")
    args = parser.parse_args(argv)
    chosen = [m for m in MUTATIONS if not args.files or m.file in args.files]
    if args.list:
        print(table([(m, f"found {occurrences(m)}×") for m in chosen]))
        return 0
    rows = []
    with tempfile.TemporaryDirectory(prefix="cuda-mutations-") as work:
        tree = Path(work)
        copy_tree(tree)
        files = sorted({m.file for m in chosen})
        tests = {f: test_files_of_source(f) for f in files}
        everything = sorted({t for f in files for t in tests[f]})
        print(f"unmutated: {' '.join(everything)}", flush=True)
        code, lines = run_tests(tree, everything, args.real_gpu)
        if code != 0:
            print("the gpu tests fail without a mutation:\n" + "\n".join(lines[-3:]))
            return 2
        for m in chosen:
            source = tree / CUDA_DIR / m.file
            text = source.read_text()
            count = text.count(m.original)
            if count != 1:
                result = ("original text not found: rewrite this mutation against the "
                          "current source" if count == 0 else f"original text found {count}×")
            else:
                started = time.monotonic()
                source.write_text(text.replace(m.original, m.replacement))
                try:
                    code, lines = run_tests(tree, tests[m.file], args.real_gpu)
                finally:
                    source.write_text(text)
                result = outcome(code, lines)
                print(f"{m.file}: {m.description}: {result} "
                      f"({time.monotonic() - started:.0f} s)", flush=True)
            rows.append((m, result))
    print(table(rows))
    killed = sum(result.startswith("killed") for _, result in rows)
    print(f"\n{killed} of {len(rows)} mutations killed")
    return 0 if killed == len(rows) else 1


if __name__ == "__main__":
    sys.exit(main())
