#!/usr/bin/env bash
# Installs the Debian packages clkfac needs (only those missing), then configures and builds it.
# Used by both README commands and by .ci/run.  Usage: scripts/setup.sh [BUILD_DIR]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$here/build}"

# the vendor compiles of every kernel (scripts/kernels/vendor.py, the ctest vendor_kernels)
gpu_tools=(clang-14 clang-15 llvm-14 libclc-14 llvm-spirv-14 spirv-tools)
packages=("${gpu_tools[@]}" build-essential cmake pkg-config git ocl-icd-opencl-dev opencl-c-headers
          libclblast-dev pocl-opencl-icd libpng-dev libcmocka-dev libcairo2-dev
          liblapacke-dev libopenblas-dev libjansson-dev fonts-dejavu-core python3 python3-venv
          libopenmpi-dev openmpi-bin libmujoco-dev)
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

# The differential test's reference (tests/diff/): minatar and numpy, pinned, in a venv of their
# own. Quick when present; when the package index cannot be reached it says so and goes on (the
# tests then skip with that reason), leaving no half-made venv behind.
venv="${CLKFAC_VENV:-$HOME/.cache/clkfac/venv}"
want_numpy=1.26.4 want_minatar=1.0.15
ref_ok() {
  "$venv/bin/python" - "$want_numpy" "$want_minatar" 2>/dev/null <<'PY'
import sys, importlib.metadata as m
sys.exit(0 if [m.version("numpy"), m.version("minatar")] == sys.argv[1:] else 1)
PY
}
if ! ref_ok; then
  echo "setup: installing the MinAtar reference into $venv"
  rm -rf "$venv"
  if /usr/bin/python3 -m venv "$venv" &&
     "$venv/bin/pip" install -q --disable-pip-version-check "numpy==$want_numpy" &&
     "$venv/bin/pip" install -q --disable-pip-version-check --no-deps "minatar==$want_minatar" &&
     ref_ok; then
    echo "setup: reference installed"
  else
    echo "setup: could not install the reference (package index unreachable?); the differential tests will skip"
    rm -rf "$venv"
  fi
fi

# The MuJoCo differential check's reference (tests/diff/diff_mujoco.py): Gymnasium's v5 tasks
# and the mujoco bindings, pinned, in a venv of their own; same rules as above.
mjvenv="${CLKFAC_MUJOCO_VENV:-$HOME/.cache/clkfac/venv-mujoco}"
want_gym=1.0.0 want_mujoco=3.2.3 want_imageio=2.36.0
mj_ok() {
  "$mjvenv/bin/python" - "$want_numpy" "$want_gym" "$want_mujoco" 2>/dev/null <<'PY'
import sys, importlib.metadata as m
sys.exit(0 if [m.version(p) for p in ("numpy", "gymnasium", "mujoco")] == sys.argv[1:] else 1)
PY
}
if ! mj_ok; then
  echo "setup: installing the Gymnasium MuJoCo reference into $mjvenv"
  rm -rf "$mjvenv"
  if /usr/bin/python3 -m venv "$mjvenv" &&
     "$mjvenv/bin/pip" install -q --disable-pip-version-check "numpy==$want_numpy" \
       "gymnasium==$want_gym" "mujoco==$want_mujoco" "imageio==$want_imageio" &&
     mj_ok; then
    echo "setup: Gymnasium reference installed"
  else
    echo "setup: could not install the Gymnasium reference (package index unreachable?); the MuJoCo differential check will skip"
    rm -rf "$mjvenv"
  fi
fi

cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo ${CLKFAC_CMAKE_ARGS:-} >/dev/null
cmake --build "$build" -j"$(nproc)"
