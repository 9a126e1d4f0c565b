#!/usr/bin/env bash
# The README's main job: installs what is missing, builds, then on the default device runs the
# quick sample-efficiency suite (ACKTR vs A2C, and TRPO where built), the step-cost benchmark on
# the pixel-game CNN and the MLP (with its launch budget), every kernel compiled for AMD, NVIDIA
# and Intel GPU targets (resources per kernel), and writes the report (tables + PNG plots) to
# results/report/index.md. Override the folder with CLKFAC_RESULTS=DIR; extra arguments go to
# `bench sample` (e.g. --preset paper). Finished runs are kept, so an interrupted job resumes.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${CLKFAC_BUILD_DIR:-$here/build}"
out="${CLKFAC_RESULTS:-$here/results}"
"$here/scripts/setup.sh" "$build"
export POCL_CACHE_DIR="${POCL_CACHE_DIR:-$HOME/.cache/pocl}"
export POCL_AFFINITY="${POCL_AFFINITY:-1}"
clkfac="$build/clkfac"
"$clkfac" devices
"$clkfac" bench sample --preset quick --out "$out" "$@"
"$clkfac" bench step --nets minatar,mlp --max-batch 1000 --reps 3 --out "$out/step"
# every kernel compiled for AMD, NVIDIA and Intel GPU targets, its resources beside the step
# costs (the report copies the table); a missing toolchain only skips its targets
python3 "$here/scripts/kernels/vendor.py" --src "$build/generated/cl_joined" --no-variants \
  --out "$out/step/kernels" || echo "note: the kernels' GPU compile check did not pass (above)"
"$clkfac" report "$out"
echo "report: $out/report/index.md"
