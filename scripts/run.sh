#!/usr/bin/env bash
# The README's main command: installs what is missing, builds, and runs the benchmark job on the
# default device, writing tables to results/ (override with CLKFAC_RESULTS=DIR).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${CLKFAC_BUILD_DIR:-$here/build}"
out="${CLKFAC_RESULTS:-$here/results}"
"$here/scripts/setup.sh" "$build"
export POCL_CACHE_DIR="${POCL_CACHE_DIR:-$HOME/.cache/pocl}"
export POCL_AFFINITY="${POCL_AFFINITY:-1}"
"$build/clkfac" devices
"$build/clkfac" bench kfac --out "$out/bench-kfac" "$@"
