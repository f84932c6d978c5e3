#!/usr/bin/env python3
"""The mutation check of the CUDA kernels' tests: do the gpu tests of tests/kernels fail when
a kernel in kernels/cuda is wrong?

For each mutation of the table below (a file of kernels/cuda, a text found exactly once in
it, its replacement, what the bug is) the script writes the mutated file into a temporary
copy of the source tree, runs there the gpu tests that launch that file's kernels, under
MINICNN_CUDA_EMULATE=1 (or on the GPU with --real-gpu), and reports the mutation killed
(a test failed) or survived (every test passed). Every mutation must be killed; a survivor
names a bug the tests cannot see. A mutation whose text is no longer in its file (the
kernel was rewritten) is reported as such, to be rewritten against the new source.

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
MUTATIONS = (
    # block_sum.cuh: the block reduction of batchnorm, depthwise's weight gradient, softmax
    M("block_sum.cuh", "partial[threadIdx.x] = v;\n    __syncthreads();",
      "partial[threadIdx.x] = v;", "dropped __syncthreads() before the tree"),
    M("block_sum.cuh", "partial[threadIdx.x + s];\n        __syncthreads();",
      "partial[threadIdx.x + s];", "dropped __syncthreads() between tree levels"),
    M("block_sum.cuh", "double total = partial[0];\n    __syncthreads();",
      "double total = partial[0];", "dropped __syncthreads() before partial is reused"),
    M("block_sum.cuh", "s = THREADS / 2; s > 0;", "s = THREADS / 2; s > 1;",
      "off-by-one loop bound: the last tree level skipped"),
    M("block_sum.cuh", "s = THREADS / 2;", "s = THREADS / 4;",
      "changed constant: the upper half of the block never summed"),

    M("batchnorm.cu", "acc_gx += (double)g[i] * ((double)x[i] - mu);",
      "acc_gx += (double)g[i] * ((double)x[i + 1] - mu);",
      "off-by-one index: Σ g·(x − mean) pairs g with the next x"),
    M("batchnorm.cu", "double v = block_sum(acc, partial) / (double)count;",
      "double v = block_sum(acc, partial) / (double)(count - 1);",
      "changed constant: unbiased variance instead of the biased one"),
    M("batchnorm.cu", "double shift = (double)bias[c] - mu * scale;",
      "double shift = (double)bias[c] + mu * scale;", "flipped sign of the shift"),
    M("batchnorm.cu", "acc += (double)x[at(e, c, C, L)];",
      "acc += (double)x[at(e + 1, c, C, L)];",
      "off-by-one index: the mean sums elements 1 .. count (past the channel)"),
    M("batchnorm.cu", "(double)g[i] - mean_g - ((double)x[i] - mu) * slope",
      "(double)g[i] + mean_g - ((double)x[i] - mu) * slope", "flipped sign of mean(g) in dx"),
    M("batchnorm.cu", "dw[c] = (T)(sum_gx * invstd);", "dw[c] = (T)(sum_gx);",
      "dropped factor: dw without 1/σ"),

    M("depthwise.cu", "const T* src = x + (n * C + o / (OC / C)) * H * W;",
      "const T* src = x + (n * C + o % C) * H * W;",
      "index: output channel o reads input o % C instead of o / m"),
    M("depthwise.cu", "long long iy = oy * sh - ph + i * dh;\n        if (iy < 0 || iy >= H)",
      "long long iy = oy * sh + ph + i * dh;\n        if (iy < 0 || iy >= H)",
      "flipped sign of the padding in the forward pass"),
    M("depthwise.cu", "if (ix < 0 || ix >= W) continue;\n            acc += wo",
      "if (ix < 0 || ix > W) continue;\n            acc += wo",
      "off-by-one bound: the forward pass reads the column past the right edge"),
    M("depthwise.cu", "for (long long o = c * m; o < c * m + m; ++o)",
      "for (long long o = c * m; o < c * m + m - 1; ++o)",
      "off-by-one loop bound: grad_input skips the last of the m output channels"),
    M("depthwise.cu", "ty / sh >= oh) continue;", "ty / sh > oh) continue;",
      "off-by-one bound: grad_input reads the output row past the last"),
    M("depthwise.cu", "for (long long e = threadIdx.x; e < N * oh * ow; e += THREADS)",
      "for (long long e = threadIdx.x; e < N * oh * ow - 1; e += THREADS)",
      "off-by-one loop bound: grad_weight skips the last output position"),

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

    M("im2col.cu", "long long iy = oy * sh - ph + i * dh;",
      "long long iy = oy * sh + ph + i * dh;", "flipped sign of the padding in im2col"),
    M("im2col.cu", "if (iy >= 0 && iy < H &&", "if (iy >= 0 && iy <= H &&",
      "off-by-one bound: im2col reads the row past the bottom edge"),
    M("im2col.cu", "if (oy >= oh) continue;", "if (oy > oh) continue;",
      "off-by-one bound: col2im gathers from the window row past the last"),
    M("im2col.cu", "long long n = nc / C, c = nc % C;", "long long n = nc % N, c = nc / N;",
      "index: col2im splits n * C + c as if it were c * N + n"),
    M("im2col.cu", "for (long long j = 0; j < kw; ++j) {\n            long long tx",
      "for (long long j = 0; j < kw - 1; ++j) {\n            long long tx",
      "off-by-one loop bound: col2im skips the last kernel column"),

    M("lrn.cu", "long long c0 = max(c - size / 2, 0LL), c1 = min(c + (size - 1) / 2 + 1, C);",
      "long long c0 = max(c - (size - 1) / 2, 0LL), c1 = min(c + (size - 1) / 2 + 1, C);",
      "off-by-one window: the forward window starts one channel late for even sizes"),
    M("lrn.cu", "c1 = min(c + (size - 1) / 2 + 1, C);", "c1 = min(c + (size - 1) / 2, C);",
      "off-by-one loop bound: the forward window drops its last channel"),
    M("lrn.cu", "c1 = min(c + size / 2 + 1, C);", "c1 = min(c + size / 2 + 2, C);",
      "off-by-one loop bound: the backward window takes one channel too many"),
    M("lrn.cu", "T s = k + coef * sum;", "T s = 1 + coef * sum;",
      "changed constant: k taken as 1"),
    M("lrn.cu", "power(scale[t], negbeta) - coef * x[t] * sum;",
      "power(scale[t], negbeta) + coef * x[t] * sum;", "flipped sign of the window term in dx"),

    M("pooling.cu", "if (v > best || (v != v && best == best))",
      "if (v >= best || (v != v && best == best))",
      "the last maximum wins a tie instead of the first"),
    M("pooling.cu", "if (v > best || (v != v && best == best))", "if (v > best)",
      "NaN no longer beats the maximum"),
    M("pooling.cu", "start += (-start + dilation - 1) / dilation * dilation;",
      "start += (-start) / dilation * dilation;",
      "off-by-one rounding: a dilated window in the padding starts before the input"),
    M("pooling.cu", "long long h1 = min(oy * sh - ph + (kh - 1) * dh + 1, H);",
      "long long h1 = min(oy * sh - ph + (kh - 1) * dh, H);",
      "off-by-one loop bound: max pooling drops the window's last row"),
    M("pooling.cu", "atomicAdd(dx + t / plane_out * plane_in + i, g[t]);",
      "atomicAdd(dx + t / plane_out * plane_in + i, -g[t]);",
      "flipped sign of the max-pooling gradient"),
    M("pooling.cu", "long long end = min(start + k, size + p);",
      "long long end = min(start + k, size + p + 1);",
      "off-by-one: a ceil_mode window counts one padded place past the padding"),
    M("pooling.cu", "start = max(start, 0LL);", "start = max(start, -1LL);",
      "off-by-one: count_include_pad=False counts one padded place"),
    M("pooling.cu", "if (divisor_override > 0) return (T)divisor_override;",
      "if (divisor_override > 1) return (T)divisor_override;",
      "changed constant: divisor_override=1 ignored"),
    M("pooling.cu", "long long oy0 = a > 0 ? (a + sh - 1) / sh : 0;",
      "long long oy0 = a > 0 ? a / sh : 0;",
      "off-by-one rounding: avg backward adds a window that does not hold the pixel"),
    M("pooling.cu", "long long oy1 = min((y + ph) / sh + 1, oh);",
      "long long oy1 = min((y + ph) / sh, oh);",
      "off-by-one loop bound: avg backward misses the last window that holds the pixel"),

    M("softmax.cu", "partial[threadIdx.x] = m;\n    __syncthreads();",
      "partial[threadIdx.x] = m;", "dropped __syncthreads() before the row-maximum tree"),
    M("softmax.cu", "partial[threadIdx.x + s]);\n        __syncthreads();",
      "partial[threadIdx.x + s]);", "dropped __syncthreads() between row-maximum levels"),
    M("softmax.cu", "s = THREADS / 2; s > 0;", "s = THREADS / 2; s > 1;",
      "off-by-one loop bound: the row maximum misses the odd threads' maxima"),
    M("softmax.cu", "out[k] = (row[k] - top) - log_total;",
      "out[k] = (row[k] - top) + log_total;", "flipped sign of log Σ exp in log-softmax"),
    M("softmax.cu", "if (top == minus_infinity<T>()) {", "if (top != top) {",
      "a row of -inf only is no longer set to 0"),
    M("softmax.cu", "acc += (double)g[base + k] * s[base + k];",
      "acc += (double)g[base + k] * s[base + k + 1];",
      "off-by-one index: the gradient's Σ g·s pairs g with the next s"),
    M("softmax.cu", "k < K; k += THREADS) acc += (double)g",
      "k < K; k += THREADS - 1) acc += (double)g",
      "off-by-one stride: rows longer than a block are summed with overlap"),
    M("softmax.cu", "out[base + k] = s[base + k] * (g[base + k] - total);",
      "out[base + k] = s[base + k] * (g[base + k] + total);",
      "flipped sign of Σ g·s in the softmax gradient"),
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
    """(return code, last lines of output) of the gpu tests `test_files` in `tree`."""
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
        return "timeout", ""
    return proc.returncode, (proc.stdout + proc.stderr).strip().splitlines()[-3:]


def outcome(code):
    """What a mutant's test run says: killed, survived, or an error of the run itself."""
    if code == "timeout":
        return "killed (timed out)"
    if code == 0:
        return "survived"
    if code == 1:
        return "killed"
    if code < 0:
        return f"killed (crashed, signal {-code})"
    return f"error (pytest exit {code})"


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
        code, tail = run_tests(tree, everything, args.real_gpu)
        if code != 0:
            print("the gpu tests fail without a mutation:\n" + "\n".join(tail))
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
                    code, tail = run_tests(tree, tests[m.file], args.real_gpu)
                finally:
                    source.write_text(text)
                result = outcome(code)
                if result.startswith("error"):
                    result += ": " + " / ".join(tail)
                print(f"{m.file}: {m.description}: {result} "
                      f"({time.monotonic() - started:.0f} s)", flush=True)
            rows.append((m, result))
    print(table(rows))
    killed = sum(result.startswith("killed") for _, result in rows)
    print(f"\n{killed} of {len(rows)} mutations killed")
    return 0 if killed == len(rows) else 1


if __name__ == "__main__":
    sys.exit(main())
