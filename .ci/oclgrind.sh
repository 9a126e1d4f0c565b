#!/usr/bin/env bash
# The kernel test suites on Oclgrind, a simulated OpenCL device that checks every memory access
# (out of bounds: always on), work-group barriers (divergence: always on), data races
# (--data-races) and the OpenCL API calls (--check-api). `oclgrind PROGRAM` preloads its runtime,
# so the tests see Oclgrind as their only device. Any finding fails the script.
#   Reduced set: test_ops every 2nd shape with the host BLAS engine (Oclgrind runs native
#   kernels; CLBlast's GEMMs simulated work-item by work-item take minutes per shape), plus the
#   device, returns, heads, optimizer, K-FAC, inverse, network, NPG, TRPO and ACKTR suites. --uninitialized is not used: Oclgrind 21.10
#   (Debian) does not mark memory written by clEnqueueFillBuffer as initialized (every filled
#   buffer is reported) and aborts on LLVM's `freeze` instruction (kfac_patches).
# Usage: .ci/oclgrind.sh [BUILD_DIR]   (default build; needs the Debian package oclgrind)
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$here/build}"
export POCL_CACHE_DIR="${POCL_CACHE_DIR:-$HOME/.cache/pocl}"
if ! command -v oclgrind >/dev/null; then
  echo "oclgrind.sh: oclgrind is not installed (apt-get install oclgrind)"; exit 1
fi
logs="$(mktemp -d /tmp/clkfac-oclgrind-XXXXXX)"
t0=$(date +%s)
fail=0
# pattern of Oclgrind's reports (its own errors, not the tests' "normalized error" lines)
finding='^(Invalid (read|write)|.*data race|Work-group divergence|Oclgrind - OpenCL runtime error|OCLGRIND FATAL|Uninitialized value|Barrier divergence)'
run() { # name, env assignments..., program
  local name="$1"; shift
  local s=$(date +%s)
  env "$@" timeout 900 oclgrind --check-api --data-races --max-errors 50 >"$logs/$name.log" 2>&1
  local rc=$?
  local n=$(grep -cE "$finding" "$logs/$name.log")
  local tests=$(grep -cE '^\[       OK \]' "$logs/$name.log")
  local skipped=$(grep -cE '^\[  SKIPPED \]' "$logs/$name.log")
  printf 'oclgrind: %-12s exit %d, %d tests ok, %d skipped, %d findings, %ds\n' \
    "$name" "$rc" "$tests" "$skipped" "$n" $(( $(date +%s) - s ))
  if [ "$rc" -ne 0 ] || [ "$n" -ne 0 ]; then
    fail=1
    grep -E -A6 "$finding" "$logs/$name.log" | head -60
    grep -E '^\[  (FAILED|ERROR)' "$logs/$name.log" | head -20
  fi
}
run ops CLKFAC_OPS_ENGINE=host CLKFAC_OPS_SHAPES=2 "$build/tests/test_ops"
for t in test_device test_returns test_heads test_optim test_kfac test_inverse test_nn test_npg \
         test_trpo test_acktr; do
  run "$t" CLKFAC_BLAS=host "$build/tests/$t"
done
echo "oclgrind: logs in $logs; $(( $(date +%s) - t0 ))s in all"
exit $fail
