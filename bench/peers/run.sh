#!/usr/bin/env bash
# clkfac and PyTorch side by side, in one run, on the same threads: `clkfac bench step` and
# `bench kfac` on the Atari CNN at batch 640 with each BLAS engine, torch_step.py, then one
# comparison table per engine (OUT/<engine>/peers.{csv,md,json}). PyTorch is optional: when it
# is missing the comparison says so and the clkfac results stand.
# Usage: bench/peers/run.sh [OUT=results/peers] [THREADS=1]
#   CLKFAC_BIN (default build/clkfac), PYTHON (default: a python3 that imports torch)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:-results/peers}"
threads="${2:-1}"
bin="${CLKFAC_BIN:-build/clkfac}"
py="${PYTHON:-}"
if [ -z "$py" ]; then
  for c in python3 /usr/bin/python3; do
    if "$c" -c 'import torch' 2>/dev/null; then py="$c"; break; fi
  done
fi
# the same threads for everyone: PoCL's workers (and so the host BLAS, which takes the
# device's compute units), OpenMP/OpenBLAS inside PyTorch, torch.set_num_threads
export POCL_MAX_PTHREAD_COUNT="$threads" POCL_AFFINITY=1 OMP_NUM_THREADS="$threads"
export POCL_CACHE_DIR="${POCL_CACHE_DIR:-$HOME/.cache/pocl}"
mkdir -p "$out"
for engine in host clblast; do
  "$bin" bench step --nets atari --algos a2c,acktr --max-batch 640 --reps 3 --warmup 1 \
    --blas "$engine" --out "$out/clkfac-$engine/step"
  "$bin" bench kfac --nets atari --batch 640 --reps 3 --warmup 1 --blas "$engine" \
    --out "$out/clkfac-$engine/kfac"
done
rm -f "$out/pytorch.json"
if [ -n "$py" ]; then
  "$py" "$here/torch_step.py" --threads "$threads" --batch 640 --reps 3 --warmup 1 \
    --out "$out/pytorch.json" || echo "SKIP: torch_step.py failed (exit $?); no PyTorch section"
else
  echo "SKIP: no python3 with PyTorch found (apt-get install python3-torch); no PyTorch section"
fi
for engine in host clblast; do
  python3 "$here/compare.py" --clkfac-step "$out/clkfac-$engine/step" \
    --clkfac-kfac "$out/clkfac-$engine/kfac" --peer "$out/pytorch.json" --out "$out/$engine"
done
