#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, and runs every test except the
# `slow` label on the default OpenCL device (PoCL on a CPU-only machine).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${CLKFAC_BUILD_DIR:-$here/build}"
"$here/scripts/setup.sh" "$build"
export POCL_CACHE_DIR="${POCL_CACHE_DIR:-$HOME/.cache/pocl}"
ctest --test-dir "$build" -LE slow --output-on-failure -j1 "$@"
