"""The benchmark command: `python -m benchmarks` (and `minicnn bench`, the same options).

Prints the machine header, then one line per row as it finishes, then the markdown tables;
writes the JSON document and the PNG chart of the ratios.
"""
import argparse
import os

SUITES = ("ops", "models", "all", "gpu")


def add_arguments(parser):
    parser.add_argument("--suite", choices=SUITES, default="all",
                        help="op-by-op rows, whole networks, both (default: all), or the GPU "
                             "measurements against the card's ceilings (gpu; --device cuda)")
    parser.add_argument("--only", nargs="+", metavar="NAME",
                        help="only the rows whose name contains one of these (e.g. conv3x3 "
                             "ResNet-18)")
    parser.add_argument("--threads", type=int, default=os.cpu_count(),
                        help="threads for both libraries, BLAS and Numba (default: all cores)")
    parser.add_argument("--repeats", type=int, default=None,
                        help="timed repeats per library and row (default: each row's own: "
                             "10 for ops, 3 to 20 for networks)")
    parser.add_argument("--warmup", type=int, default=None,
                        help="untimed runs per library before timing (default: 2 for ops, "
                             "1 for networks)")
    parser.add_argument("--settle", type=float, default=20.0, metavar="MS",
                        help="untimed rest before each timed call, every core spinning, so "
                             "that the other library's spinning idle threads are asleep "
                             "(default: 20 ms)")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu",
                        help="where both libraries run; on cuda, minicnn on CuPy and PyTorch "
                             "on cuDNN, both in float32, synchronised before each reading of "
                             "the clock (default: cpu)")
    parser.add_argument("--tiny", action="store_true",
                        help="the gpu suite and the card's sgemm at tiny sizes: a dry run that "
                             "checks the rows run (under MINICNN_CUDA_EMULATE=1), figures "
                             "meaningless")
    parser.add_argument("--cudnn-benchmark", action="store_true",
                        help="set cudnn.benchmark in both libraries: minicnn measures its "
                             "convolution algorithms on each new shape during the warm-up and "
                             "keeps the fastest (PyTorch's flag changes nothing on the CPU); "
                             "the peak-memory processes keep the rules")
    parser.add_argument("--keep-going", action="store_true",
                        help="a row that fails is reported with its traceback and the run "
                             "goes on; the exit status is 1 when any row failed")
    parser.add_argument("--memory", action=argparse.BooleanOptionalAction, default=True,
                        help="peak memory of each training step, one fresh process per "
                             "network and library (models suite, CPU; default: on)")
    parser.add_argument("--json", metavar="PATH",
                        help="also write the header and every row to this JSON file")
    parser.add_argument("--png", metavar="PATH",
                        help="also draw the ratios as a bar chart in this PNG file")
    return parser


def parser():
    return add_arguments(argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Time minicnn against PyTorch, op by op and network by network"))


def _check(args):
    for name, least in (("threads", 1), ("repeats", 1), ("warmup", 0), ("settle", 0)):
        value = getattr(args, name)
        if value is not None and value < least:
            raise SystemExit(f"benchmarks: --{name} must be at least {least}, got {value}")
    if args.suite == "gpu" and args.device != "cuda":
        raise SystemExit("benchmarks: --suite gpu measures the GPU: it needs --device cuda")


def run(args):
    """Run the selected suites with `args` (from `parser()` or `minicnn bench`).

    The suites are imported here, not at the top: `set_threads` puts the thread count
    into the environment first, and NumPy's BLAS, Numba and torch read it once, when
    they load."""
    from .harness import set_threads

    _check(args)
    set_threads(args.threads)
    from . import gpu_suite, models, ops
    from .harness import (apply_threads, check_device, selected, synchronizer, use_full_float32,
                          use_measured_selection)
    from .machine import describe, header_text
    from .memory import peak_memory
    from .report import (document, failure_lines, memory_table, throughput_table, timing_table,
                         write_json, write_png)

    apply_threads(args.threads)
    check_device(args.device)
    use_full_float32(args.device)
    use_measured_selection(args.cudnn_benchmark)
    sync = synchronizer(args.device)
    machine = describe(args.threads, args.device, sync, gpu_suite.sizes(args.tiny).gemm)
    print(header_text(machine), flush=True)
    if args.cudnn_benchmark:
        print("conv2d: measured algorithm selection (cudnn.benchmark), timed during warm-up",
              flush=True)

    def progress(line):
        print(line, flush=True)

    rows, memory = [], []
    failures = [] if args.keep_going else None
    if args.suite in ("ops", "all"):
        rows += ops.run(args.only, args.repeats, args.warmup, args.device, sync, progress,
                        args.settle / 1e3, failures)
    if args.suite in ("models", "all"):
        rows += models.run(args.only, args.repeats, args.warmup, args.device, sync, progress,
                           args.settle / 1e3, failures)
        training = [row for row in models.MODEL_ROWS if row.train
                    and selected([row.name], args.only)]
        if args.memory and args.device == "cuda":
            progress("memory: measured on the CPU only; skipped with --device cuda")
        elif args.memory:
            memory = peak_memory(training, args.threads, progress=progress)
    if args.suite == "gpu":
        rows += gpu_suite.run(args.only, args.repeats, args.warmup, args.device, sync,
                              machine["card"], args.tiny, progress, failures)
    if not rows and not failures:
        raise SystemExit(f"benchmarks: no {args.suite} row name contains any of {args.only}")

    if rows:
        print("\n" + timing_table(rows, machine.get("fma_gflops")))
    throughput = [row for row in rows if "throughput" in row]
    if throughput:
        print("\n" + throughput_table(throughput))
    if memory:
        print("\n" + memory_table(memory))
    if failures:
        print("\n" + failure_lines(failures))
    settings = {key: getattr(args, key) for key in
                ("suite", "only", "threads", "repeats", "warmup", "settle", "device",
                 "memory", "tiny", "cudnn_benchmark")}
    if args.json:
        write_json(args.json, document(machine, settings, rows, memory, failures or []))
        print(f"\nresults: {args.json}")
    if args.png and rows:
        where = machine["card"]["name"] if args.device == "cuda" else \
            f"{machine['cpu']}, {args.threads} thread{'s' if args.threads > 1 else ''}"
        print(write_png(args.png, rows, memory, f"minicnn / PyTorch on {where}, {args.device}"))
    return 1 if failures else 0


def main(argv=None):
    return run(parser().parse_args(argv))
