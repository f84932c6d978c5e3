#!/usr/bin/env bash
# One prepared check of minicnn on an NVIDIA GPU, in one call of under eight minutes:
#   1. the environment: nvidia-smi, CUDA, CuPy, PyTorch and what each sees of the GPU;
#   2. the gpu tests: pytest -m gpu -x -q;
#   3. every CUDA kernel once on small shapes under compute-sanitizer: memcheck over all of
#      them, racecheck and synccheck over those whose source uses shared memory;
#   4. the benchmarks on the GPU, minicnn against PyTorch + cuDNN: the ops and models
#      suites, then the gpu suite (a CIFAR ResNet-18 training step at batch 128, a 3×3
#      convolution against cuBLAS, the memory-bound kernels' bandwidth against the card's
#      peak), each as JSON and PNG.
# Every step runs under a time limit (they add up to less than eight minutes); a step that
# fails or runs out of time does not stop the next. The exit status is 1 when any step
# failed. Everything printed also goes to $OUT/gpu_check.log.
#
# Run from anywhere in the checkout; it installs nothing:
#   OUT=/empty/folder bash benchmarks/gpu_check.sh
#   MINICNN_CUDA_EMULATE=1 OUT=/tmp/gc bash benchmarks/gpu_check.sh     # a dry run
# Environment:
#   OUT                 where the log, JSON, PNG and JUnit files go (default: a new
#                       temporary folder)
#   PYTHON              the interpreter (default: python3)
#   GPU_CHECK_DRY_RUN=1 a dry run on minicnn's emulated GPU (MINICNN_CUDA_EMULATE=1 implies
#                       it): no nvidia-smi, no compute-sanitizer, PyTorch on the CPU, tiny
#                       sizes and a few gpu tests, so that every step runs in minutes
#                       without a GPU; its timings mean nothing
#   GPU_CHECK_SITE      a folder put on PYTHONPATH for packages the machine lacks (e.g.
#                       pytest and hypothesis unpacked there by `pip install --target`)
#   GPU_CHECK_PYTEST_ARGS  the test selection (default: tests; in a dry run, a few files)
set -u -o pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export OUT=${OUT:-$(mktemp -d)}
PYTHON=${PYTHON:-python3}
mkdir -p "$OUT"
# this checkout's minicnn, installed or not (kernels/ maps itself as minicnn.kernels)
export PYTHONPATH="$ROOT${GPU_CHECK_SITE:+:$GPU_CHECK_SITE}${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONUNBUFFERED=1

DRY_RUN=0
if [[ "${GPU_CHECK_DRY_RUN:-0}" == 1 || "${MINICNN_CUDA_EMULATE:-0}" == 1 ]]; then
    DRY_RUN=1
    export MINICNN_CUDA_EMULATE=1
fi

# Time limits in seconds, one per step: 470 in all, inside the eight minutes.
LIMIT_ENVIRONMENT=30
LIMIT_TESTS=125
LIMIT_TEST_COUNT=10
LIMIT_MEMCHECK=60
LIMIT_RACECHECK=45
LIMIT_SYNCCHECK=30
LIMIT_BENCHMARKS=90
LIMIT_GPU_SUITE=80

if ((DRY_RUN)); then
    DRY_RUN_TESTS="tests/benchmarks/test_gpu_check.py tests/kernels/test_softmax_kernels.py"
    TEST_ARGS=${GPU_CHECK_PYTEST_ARGS:-$DRY_RUN_TESTS}
    BENCHMARK_SIZE=(--tiny --only maxpool LeNet-5 --repeats 1 --warmup 1)
    GPU_SUITE_SIZE=(--tiny --repeats 1 --warmup 1)
else
    TEST_ARGS=${GPU_CHECK_PYTEST_ARGS:-tests}
    BENCHMARK_SIZE=()
    GPU_SUITE_SIZE=()
fi

FAILED=()
SKIPPED=()
PASSED=()

# step NAME LIMIT COMMAND...: run COMMAND for at most LIMIT seconds and record the outcome.
step() {
    local name=$1 limit=$2
    shift 2
    echo
    echo "=== $name (limit ${limit} s) ==="
    echo "\$ $*"
    local start=$SECONDS
    timeout --kill-after=10 "$limit" "$@"
    local status=$?
    local took=$((SECONDS - start))
    if ((status == 124 || status == 137)); then
        echo "--- $name: TIMED OUT after ${limit} s"
        FAILED+=("$name: timed out after ${limit} s")
    elif ((status != 0)); then
        echo "--- $name: FAILED (exit status $status, ${took} s)"
        FAILED+=("$name: exit status $status")
    else
        echo "--- $name: ok (${took} s)"
        PASSED+=("$name (${took} s)")
    fi
}

# skip NAME WHY: say that step NAME does not run, and why.
skip() {
    echo
    echo "=== $1 ==="
    echo "--- $1: SKIPPED: $2"
    SKIPPED+=("$1: $2")
}

# The compute-sanitizer on PATH, in the CUDA toolkit, or from the pip package
# nvidia-cuda-sanitizer-api beside the Python packages.
find_sanitizer() {
    local found from_pip='import glob, sys
print(*(found for folder in sys.path for found in glob.glob(
    folder + "/nvidia/cuda_sanitizer_api/compute-sanitizer/compute-sanitizer")))'
    found=$(command -v compute-sanitizer) && { echo "$found"; return 0; }
    for found in "${CUDA_HOME:-/usr/local/cuda}/bin/compute-sanitizer" \
                 /usr/local/cuda*/bin/compute-sanitizer $("$PYTHON" -c "$from_pip"); do
        [[ -x "$found" ]] && { echo "$found"; return 0; }
    done
    return 1
}

environment() {
    echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC'); host: $(uname -srm)"
    echo "checkout: $ROOT ($(git -C "$ROOT" log -1 --format='%h %s' 2>/dev/null \
        || echo 'no git history'))"
    if ((DRY_RUN)); then
        echo "nvidia-smi: not run (dry run on the emulated GPU)"
    elif command -v nvidia-smi >/dev/null; then
        nvidia-smi
        nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm,clocks.max.memory \
            --format=csv
    else
        echo "nvidia-smi: not found"
    fi
    if command -v nvcc >/dev/null; then
        nvcc --version | tail -2
    else
        echo "nvcc: not found (CuPy compiles the kernels with NVRTC; the CUDA version follows)"
    fi
    "$PYTHON" -m benchmarks.gpu_environment
}

tests() {
    local missing
    missing=$("$PYTHON" -c 'import importlib.util as u
print(*(name for name in ("pytest", "hypothesis") if u.find_spec(name) is None))')
    if [[ -n "$missing" ]]; then
        skip "gpu tests" "not installed here: $missing (the check installs nothing; put them \
in a folder named by GPU_CHECK_SITE)"
        return
    fi
    # shellcheck disable=SC2086  # TEST_ARGS is a list of paths and options
    step "gpu tests" "$LIMIT_TESTS" "$PYTHON" -m pytest -m gpu -x -q -rs -p no:cacheprovider \
        --durations=10 --junitxml="$OUT/gpu_tests.xml" $TEST_ARGS
    # pytest passes when every gpu test is skipped, as tests/conftest.py does where minicnn
    # sees no GPU: count them
    [[ -f "$OUT/gpu_tests.xml" ]] && step "gpu tests ran" "$LIMIT_TEST_COUNT" "$PYTHON" -c '
import sys, xml.etree.ElementTree as tree
suite = tree.parse(sys.argv[1]).getroot()
suite = suite if suite.tag == "testsuite" else suite[0]
ran, skipped = int(suite.get("tests")), int(suite.get("skipped"))
print(f"{ran - skipped} gpu tests ran, {skipped} skipped")
sys.exit(ran == skipped)' "$OUT/gpu_tests.xml"
}

sanitizers() {
    local sanitizer why smoke=("$PYTHON" -m benchmarks.gpu_kernels_smoke --no-memory-pool)
    if ((DRY_RUN)); then
        sanitizer=""
        why="dry run on the emulated GPU"
    elif ! sanitizer=$(find_sanitizer); then
        why="compute-sanitizer not found (PATH, \$CUDA_HOME/bin, /usr/local/cuda*/bin, \
pip's nvidia-cuda-sanitizer-api)"
    fi
    if [[ -z "$sanitizer" ]]; then
        for tool in memcheck racecheck synccheck; do
            skip "$tool" "$why"
        done
        step "kernels once, no sanitizer" "$LIMIT_MEMCHECK" \
            "$PYTHON" -m benchmarks.gpu_kernels_smoke
        return
    fi
    "$sanitizer" --version | tail -1
    step "memcheck" "$LIMIT_MEMCHECK" "$sanitizer" --tool memcheck --error-exitcode 1 \
        "${smoke[@]}"
    step "racecheck" "$LIMIT_RACECHECK" "$sanitizer" --tool racecheck --error-exitcode 1 \
        "${smoke[@]}" --shared-memory
    step "synccheck" "$LIMIT_SYNCCHECK" "$sanitizer" --tool synccheck --error-exitcode 1 \
        "${smoke[@]}" --shared-memory
}

benchmarks() {
    step "benchmarks: ops and models on cuda" "$LIMIT_BENCHMARKS" "$PYTHON" -m benchmarks \
        --device cuda --suite all --keep-going --settle 0 --no-memory "${BENCHMARK_SIZE[@]}" \
        --json "$OUT/benchmark_cuda.json" --png "$OUT/benchmark_cuda.png"
    step "benchmarks: gpu suite" "$LIMIT_GPU_SUITE" "$PYTHON" -m benchmarks \
        --device cuda --suite gpu --keep-going "${GPU_SUITE_SIZE[@]}" \
        --json "$OUT/gpu_suite.json" --png "$OUT/gpu_suite.png"
}

summary() {
    echo
    local note=""
    ((DRY_RUN)) && note=", dry run: figures mean nothing"
    echo "=== summary ($SECONDS s$note) ==="
    local line
    for line in "${PASSED[@]}"; do echo "ok       $line"; done
    for line in "${SKIPPED[@]}"; do echo "skipped  $line"; done
    for line in "${FAILED[@]}"; do echo "FAILED   $line"; done
    echo "files in $OUT: $(cd "$OUT" && ls | tr '\n' ' ')"
    ((${#FAILED[@]} == 0))
}

main() {
    cd "$ROOT" || return 1
    local mode=""
    ((DRY_RUN)) && mode=" (DRY RUN on the emulated GPU)"
    echo "minicnn GPU check$mode: python $PYTHON, output in $OUT"
    # `timeout` runs programs, not shell functions: this script again, with one argument
    step "environment" "$LIMIT_ENVIRONMENT" "$BASH" "$ROOT/benchmarks/gpu_check.sh" --environment
    tests
    sanitizers
    benchmarks
    summary
}

if [[ "${1:-}" == --environment ]]; then
    cd "$ROOT" || exit 1
    environment
    exit
fi

main 2>&1 | tee "$OUT/gpu_check.log"
exit "${PIPESTATUS[0]}"
