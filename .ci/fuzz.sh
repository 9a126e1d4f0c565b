#!/usr/bin/env bash
# Builds the libFuzzer harnesses of tests/fuzz/ (clang-14, -DCLKFAC_FUZZ=ON, ASan + UBSan) in
# their own build folder and runs each for a fixed time from its seed corpus (a copy: the
# committed corpus stays small). Prints executions and crashes per harness; a crash fails the
# script and leaves its input (crash-*) in the work folder printed at the end.
# Usage: .ci/fuzz.sh [SECONDS_PER_HARNESS]   (default 60; the README says how to run longer)
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
secs="${1:-60}"
build="${CLKFAC_FUZZ_BUILD:-$here/build-fuzz}"
t0=$(date +%s)
CC="${CC:-clang-14}" cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCLKFAC_FUZZ=ON -DCLKFAC_BUILD_TESTS=OFF >/dev/null || exit 1
cmake --build "$build" -j"$(nproc)" --target fuzz_npy fuzz_env_state fuzz_policy \
  fuzz_run_folder fuzz_report >/dev/null || exit 1
t1=$(date +%s)
work="$(mktemp -d /tmp/clkfac-fuzz-run-XXXXXX)"
export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1"
export LSAN_OPTIONS="suppressions=$here/tests/sanitize/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
fail=0
for h in fuzz_npy fuzz_env_state fuzz_policy fuzz_run_folder fuzz_report; do
  mkdir -p "$work/$h"
  cp -r "$here/tests/fuzz/corpus/$h/." "$work/$h/"
  (cd "$work" && "$build/tests/fuzz/$h" -max_total_time="$secs" -max_len=65536 -timeout=20 \
     -rss_limit_mb=3072 -print_final_stats=1 -artifact_prefix="$work/$h-" "$work/$h" \
     > "$work/$h.log" 2>&1)
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$h.log" | tail -1)
  crashes=$(ls "$work/$h"-crash-* "$work/$h"-leak-* "$work/$h"-timeout-* "$work/$h"-oom-* 2>/dev/null | wc -l)
  printf 'fuzz: %-16s %8s executions, %d crashes, exit %d\n' "$h" "${execs:-?}" "$crashes" "$rc"
  if [ "$rc" -ne 0 ] || [ "$crashes" -ne 0 ]; then
    fail=1
    grep -E "ERROR|runtime error|SUMMARY|#[0-9]+ 0x" "$work/$h.log" | head -30
  fi
done
echo "fuzz: build $((t1 - t0))s, runs $(( $(date +%s) - t1 ))s; work folder $work"
exit $fail
