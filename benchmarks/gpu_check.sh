#!/usr/bin/env bash
# fftnas on one GPU, in one short run (about 5 minutes on an H200; each step has a time limit,
# 8 minutes in all): the device tests and the issue-11 throughput figures.
#
#   1. installs fftnas's dependencies other than torch from wheels carried in .whl/
#      (benchmarks/gpu_wheels.txt; the machine's own torch, numpy, ... are never touched) into a
#      folder of its own on PYTHONPATH, and fftnas itself from this checkout (PYTHONPATH);
#   2. runs the tests marked `device` (every test taking the device_under_test fixture) with
#      FFTNAS_TEST_DEVICE=cuda;
#   3. benchmarks/frontend_throughput.py: the bfloat16 and float32 matmul peaks (one 16384^3
#      product each), and the 2048-kernel multiplicative front-end of experiments/verma2048.toml
#      trained at batch 4096 and at the experiments' batch 64, in float32 and bfloat16, by a
#      hand-written loop and by fftnas's trainer: examples/s, TFLOP/s, share of the peak;
#   4. benchmarks/worker_scaling.py --objective experiment: the quick start's trials per hour
#      (harmonic tones: no FluidSynth) with 1 and with 4 workers on the one GPU;
#   each benchmark appends its table, with the date and machine, to benchmarks/RESULTS.md, and
#   the new sections are also written to $OUT/gpu_results.md, beside the whole log.
#
# Once, here (with network), in the root of the checkout that the device tool sends:
#       bash benchmarks/gpu_check.sh --download-wheels      # about 9 MB into .whl/ (ignored by git)
# Then with the device tool (one call):
#       run  command: bash benchmarks/gpu_check.sh   carry: [".whl"]   timeout_s: 570
# and append the returned gpu_results.md to benchmarks/RESULTS.md here.
# A dry run of the same steps on this machine's CPU, small sizes, nothing recorded:
#       PYTHON=.venv/bin/python bash benchmarks/gpu_check.sh --cpu

set -uo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
PY=${PYTHON:-python3}
WHEELS=${FFTNAS_WHEELS:-$REPO/.whl}
MODE=${1:-gpu}

if [[ $MODE == --download-wheels ]]; then
    # the lent machine: Python 3.12 (CPython), x86-64 Linux (/work/.library/device/KINDS.md)
    exec "$PY" -m pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
        --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
        --platform manylinux1_x86_64 -d "$WHEELS" -r benchmarks/gpu_wheels.txt
fi
if [[ $MODE == --cpu ]]; then  # the same code paths at small sizes; RESULTS.md untouched
    DEVICE=cpu WORKER_DEVICE=cpu
    LARGE=(--batch 256 --steps 3) SMALL=(--batch 64 --steps 3) PEAK=(--peak-size 512)
    SCALING=(--workers 1,2 --budget 4) RECORD=(--no-record)
elif [[ $MODE == gpu ]]; then
    DEVICE=cuda WORKER_DEVICE=cuda:0
    LARGE=(--batch 4096 --steps 20) SMALL=(--batch 64 --steps 300) PEAK=(--peak-size 16384)
    SCALING=(--workers 1,4 --budget 60) RECORD=()
else
    echo "usage: bash benchmarks/gpu_check.sh [--cpu | --download-wheels]" >&2
    exit 2
fi

OUTDIR=${OUT:-/tmp/fftnas-gpu-check}
mkdir -p "$OUTDIR"
LOG=$OUTDIR/gpu_check.log
: >"$LOG"
export PYTHONUNBUFFERED=1
FAILED=()
say() { echo "gpu_check: $*" | tee -a "$LOG"; }
step() {  # step NAME SECONDS COMMAND...: run it under a time limit, log it, note a failure
    local name=$1 limit=$2 begin=$SECONDS
    shift 2
    say "$name: $*"
    timeout "$limit" "$@" 2>&1 | tee -a "$LOG"
    local rc=${PIPESTATUS[0]}
    say "$name: exit $rc after $((SECONDS - begin)) s"
    [[ $rc == 0 ]] || FAILED+=("$name (exit $rc)")
}

SITE=$(mktemp -d /tmp/fftnas-site.XXXXXX)
step install 120 "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir \
    --find-links "$WHEELS" --target "$SITE" -r benchmarks/gpu_wheels.txt
export PYTHONPATH="$REPO:$SITE"
if command -v nvidia-smi >/dev/null; then
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>&1 | tee -a "$LOG"
fi
step versions 60 "$PY" -c 'import platform, torch, optuna, fftlearn, nas
print("python", platform.python_version(), "torch", torch.__version__, "cuda", torch.version.cuda,
      "gpus", torch.cuda.device_count(), "optuna", optuna.__version__)'
if [[ ${#FAILED[@]} -gt 0 ]]; then
    say "cannot go on: ${FAILED[*]}"
    exit 1
fi

LINES=$(wc -l <benchmarks/RESULTS.md)
step tests 160 env FFTNAS_TEST_DEVICE=$DEVICE "$PY" -m pytest -m device -q -p no:cacheprovider tests
KERNELS=(--kinds "multiplicative K=2048" --precision float32,bfloat16 --trainer)
step throughput-large 75 "$PY" benchmarks/frontend_throughput.py --device $DEVICE "${KERNELS[@]}" \
    "${LARGE[@]}" --peak "${PEAK[@]}" "${RECORD[@]}"
step throughput-64 60 "$PY" benchmarks/frontend_throughput.py --device $DEVICE "${KERNELS[@]}" \
    "${SMALL[@]}" "${RECORD[@]}"
step scaling 170 "$PY" benchmarks/worker_scaling.py --objective experiment --device $WORKER_DEVICE \
    --backends journal "${SCALING[@]}" "${RECORD[@]}"
tail -n +$((LINES + 1)) benchmarks/RESULTS.md >"$OUTDIR/gpu_results.md"

if [[ ${#FAILED[@]} -gt 0 ]]; then
    say "FAILED: ${FAILED[*]}; ${SECONDS} s in all; log in $LOG"
    exit 1
fi
say "all steps passed in ${SECONDS} s; new RESULTS.md sections in $OUTDIR/gpu_results.md"
