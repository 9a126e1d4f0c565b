#!/usr/bin/env bash
# The unit and device tests (not learning/slow) built with AddressSanitizer + UndefinedBehavior-
# Sanitizer in their own build folder: any undefined behaviour aborts its test, and leaks are
# reported except those of the OpenCL driver (PoCL, LLVM) and fontconfig, suppressed by
# tests/sanitize/lsan.supp. The guard, the repeat check and the install check are left to the
# normal build (same code, and the install check links an outside project).
# Usage: .ci/sanitize.sh [BUILD_DIR]   (default build-asan)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$here/build-asan}"
export POCL_CACHE_DIR="${POCL_CACHE_DIR:-$HOME/.cache/pocl}"
t0=$(date +%s)
cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCLKFAC_SANITIZE=ON >/dev/null
cmake --build "$build" -j"$(nproc)" >/dev/null
t1=$(date +%s)
export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:detect_stack_use_after_return=0"
export LSAN_OPTIONS="suppressions=$here/tests/sanitize/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
# every op of the op table still runs, at every 2nd shape (its numbers are the normal build's
# business; this run is about memory and undefined behaviour)
export CLKFAC_OPS_SHAPES=2
log="$build/sanitize-tests.log"
rc=0
ctest --test-dir "$build" -L 'unit|device' -LE 'slow|learning' \
      -E '^(guard_outputs|engine_repeat|install_consumer)$' --output-on-failure -j1 \
      >"$log" 2>&1 || rc=$?
cat "$log"
# LeakSanitizer's own tracer sometimes crashes while stopping the driver's threads at exit
# ("LeakSanitizer has encountered a fatal error": no finding, the tool failed; seen once in a
# diverged-run case that passed 6 of 6 reruns). Only then the failed tests run once more; a
# real finding or failure fails again.
if [ "$rc" -ne 0 ] && grep -q "LeakSanitizer has encountered a fatal error" "$log"; then
  echo "sanitize: LeakSanitizer itself crashed (not a finding); running the failed tests again"
  rc=0
  ctest --test-dir "$build" --rerun-failed --output-on-failure -j1 || rc=$?
fi
echo "sanitize: build $((t1 - t0))s, tests $(( $(date +%s) - t1 ))s, exit $rc"
exit $rc
