"""Launch every CUDA kernel once on small shapes and compare it with its reference form.

This is the program benchmarks/gpu_check.sh runs under compute-sanitizer: memcheck over
every kernel, racecheck and synccheck over the kernels whose source uses shared memory.
The sanitizers slow each launch by orders of magnitude, so the shapes are small, yet large
enough for several blocks and a partial last one (more than 256 elements, rows and
channels longer than a block of 256 threads).

    python -m benchmarks.gpu_kernels_smoke [--shared-memory] [--no-memory-pool] [--list]

Prints one line per kernel and exits 1 when a kernel fails or a kernel with a CUDA form has
no case here (a new kernel must get one).
"""
import argparse
import sys
import traceback

import numpy as np

import minicnn  # noqa: F401  (maps kernels/ as minicnn.kernels; installs the emulator if asked)
from minicnn.kernels import registry
from minicnn.kernels.cuda import loader
from minicnn.kernels import reference
from minicnn.kernels.shapes import conv_output_shape

IMAGE = (2, 3, 17, 11)                  # 1122 elements: five blocks, the last one partial
ROWS = (3, 300)                         # rows longer than a block
BN = (3, 4, 100)                        # N·L = 300 per channel: more than a block
WINDOW = ((3, 3), (1, 1), (1, 1), (1, 1))   # kernel size, stride, padding, dilation
POOL = ((3, 3), (2, 2), (1, 1))             # kernel size, stride, padding
LRN = (5, 1.0, 0.75, 2.0)               # size, alpha (large, so a wrong window shows), beta, k
EPS = 1e-5
MULTIPLIER = 2                          # depthwise output channels per input channel
RTOL, ATOL = 1e-4, 1e-5                 # float32 against the float64-accumulating reference


def _normal(rng, shape):
    return rng.standard_normal(shape).astype(np.float32)


def _untied(rng, shape):
    """Distinct values (a shuffled linspace), so each max has one position."""
    n = int(np.prod(shape))
    return rng.permutation(np.linspace(-3, 3, n)).reshape(shape).astype(np.float32)


def _conv_cases(rng):
    N, C, H, W = IMAGE
    x = _normal(rng, IMAGE)
    w = _normal(rng, (C * MULTIPLIER, 1, 3, 3))
    oh, ow = conv_output_shape((H, W), *WINDOW)
    g = _normal(rng, (N, C * MULTIPLIER, oh, ow))
    cols = _normal(rng, (C * 9, N, oh * ow))
    window = WINDOW[1:]
    return {
        "im2col": (x, *WINDOW),
        "col2im": (cols, IMAGE, *WINDOW),
        "depthwise_conv2d": (x, w, *window),
        "depthwise_conv2d_grad_input": (g, w, IMAGE, *window),
        "depthwise_conv2d_grad_weight": (x, g, w.shape, *window),
    }


def _pool_cases(rng):
    x = _untied(rng, IMAGE)
    kernel, stride, padding = POOL
    y, indices = reference.max_pool2d(x, kernel, stride, padding, (1, 1), True)
    g = _normal(rng, y.shape)
    avg = (kernel, stride, padding, True, False, None)   # ceil_mode, count_include_pad, divisor
    return {
        "max_pool2d": (x, kernel, stride, padding, (1, 1), True),
        "max_pool2d_backward": (g, indices, IMAGE, kernel, stride, padding, (1, 1)),
        "avg_pool2d": (x, *avg),
        "avg_pool2d_backward": (g, IMAGE, *avg),
    }


def _normalisation_cases(rng):
    x = _normal(rng, BN)
    weight, bias = _normal(rng, BN[1]), _normal(rng, BN[1])
    _, mean, var = reference.batch_norm_forward(x, weight, bias, EPS)
    image = _normal(rng, IMAGE)
    y, scale = reference.lrn(image, *LRN)
    return {
        "batch_norm_forward": (x, weight, bias, EPS),
        "batch_norm_backward": (_normal(rng, BN), x, mean, var, weight, EPS),
        "lrn": (image, *LRN),
        "lrn_backward": (image, y, scale, _normal(rng, IMAGE), *LRN),
    }


def _row_cases(rng):
    x = _normal(rng, ROWS)
    masked = x.copy()
    masked[1] = -np.inf                                   # a row whose keys are all masked
    return {
        "softmax_rows": (x,),
        "log_softmax_rows": (x,),
        "masked_softmax_rows": (masked,),
        "softmax_backward_rows": (reference.softmax_rows(x), _normal(rng, ROWS)),
    }


def _elementwise_cases(rng):
    x, g = _normal(rng, IMAGE), _normal(rng, IMAGE)
    return {"erf": (x,), "gelu": (x,), "gelu_backward": (x, g), "relu": (x,),
            "relu_backward": (g, reference.relu(x))}


def cases():
    """kernel name → its arguments (NumPy arrays and parameters), fixed seed."""
    rng = np.random.default_rng(0)
    found = {}
    for make in (_conv_cases, _pool_cases, _normalisation_cases, _row_cases,
                 _elementwise_cases):
        found.update(make(rng))
    return found


def cuda_kernels():
    """The kernels with a CUDA form of their own, each with its source file's name."""
    return {name: registry.forms(name).forms["cuda"].module.rsplit(".", 1)[1] + ".cu"
            for name in registry.names() if "cuda" in registry.forms(name).forms}


def uses_shared_memory(source_file):
    return "__shared__" in loader.source(source_file)


def _on_device(value):
    import cupy

    return cupy.asarray(value) if isinstance(value, np.ndarray) else value


def _outputs(value):
    return list(value) if isinstance(value, tuple) else [value]


def check(name, args):
    """Run kernel `name`'s CUDA form on copies of `args` (in-place kernels overwrite
    theirs) and compare each output with the reference form's."""
    cuda_form = registry.load(name, "cuda")
    reference_form = registry.load(name, "reference")
    got = _outputs(cuda_form(*[_on_device(a.copy() if isinstance(a, np.ndarray) else a)
                               for a in args]))
    want = _outputs(reference_form(*[a.copy() if isinstance(a, np.ndarray) else a
                                     for a in args]))
    if len(got) != len(want):
        raise AssertionError(f"{len(got)} outputs, the reference gives {len(want)}")
    for i, (ours, theirs) in enumerate(zip(got, want)):
        np.testing.assert_allclose(ours.get(), theirs, rtol=RTOL, atol=ATOL,
                                   err_msg=f"{name}: output {i}")


def run(shared_memory_only):
    """Check the kernels (only those whose source uses shared memory when asked); return
    the number of failures."""
    all_cases = cases()
    failures = 0
    for name, source_file in cuda_kernels().items():
        shared = uses_shared_memory(source_file)
        if shared_memory_only and not shared:
            continue
        where = f"{source_file}{', shared memory' if shared else ''}"
        if name not in all_cases:
            print(f"FAIL {name} ({where}): no case in benchmarks/gpu_kernels_smoke.py",
                  flush=True)
            failures += 1
            continue
        try:
            check(name, all_cases[name])
        except Exception:                   # noqa: BLE001  (reported, and counted)
            print(f"FAIL {name} ({where})\n{traceback.format_exc()}", flush=True)
            failures += 1
        else:
            print(f"ok   {name} ({where})", flush=True)
    return failures


def parser():
    p = argparse.ArgumentParser(prog="python -m benchmarks.gpu_kernels_smoke",
                                description="Launch every CUDA kernel once on small shapes "
                                            "and compare it with its reference form")
    p.add_argument("--shared-memory", action="store_true",
                   help="only the kernels whose source uses shared memory (for racecheck and "
                        "synccheck)")
    p.add_argument("--no-memory-pool", action="store_true",
                   help="allocate every array with its own cudaMalloc (CuPy's pool hands out "
                        "slices of larger blocks, where memcheck cannot see an overrun)")
    p.add_argument("--list", action="store_true",
                   help="list the kernels and their source files, check nothing")
    return p


def main(argv=None):
    args = parser().parse_args(argv)
    if args.list:
        for name, source_file in cuda_kernels().items():
            shared = ", shared memory" if uses_shared_memory(source_file) else ""
            print(f"{name} ({source_file}{shared})")
        return 0
    import cupy

    if args.no_memory_pool:
        cupy.cuda.set_allocator(None)
    failures = run(args.shared_memory)
    print(f"{failures} kernel{'s' if failures != 1 else ''} failed" if failures
          else "every kernel checked equals its reference form")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
