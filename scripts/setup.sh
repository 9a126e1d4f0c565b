#!/usr/bin/env bash
# Installs the Debian packages clkfac needs (only those missing), then configures and builds it.
# Used by both README commands and by .ci/run.  Usage: scripts/setup.sh [BUILD_DIR]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$here/build}"

packages=(build-essential cmake pkg-config git ocl-icd-opencl-dev opencl-c-headers
          libclblast-dev pocl-opencl-icd libpng-dev libcmocka-dev libcairo2-dev
          liblapacke-dev libopenblas-dev libjansson-dev fonts-dejavu-core)
# The checking builds of .ci/run (sanitizers, Oclgrind, libFuzzer): CLKFAC_CHECKS=1
if [ "${CLKFAC_CHECKS:-0}" = 1 ]; then
  packages+=(clang-14 libclang-rt-14-dev oclgrind)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# PoCL compiles kernels on first use; keep its cache (and clkfac's own, ~/.cache/clkfac)
# in a persistent folder so later runs start warm.
export POCL_CACHE_DIR="${POCL_CACHE_DIR:-$HOME/.cache/pocl}"
mkdir -p "$POCL_CACHE_DIR"

cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo ${CLKFAC_CMAKE_ARGS:-} >/dev/null
cmake --build "$build" -j"$(nproc)"
