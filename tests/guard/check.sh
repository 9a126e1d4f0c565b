#!/usr/bin/env bash
# The redesign guard: runs run.sh and compares the sha256 of every output it pins (episodes.csv,
# updates.csv, policy.npy, policy.txt, the kfac factors) with expected.txt, which was recorded
# on the device named in its first line. Bit-identical float32 results hold only on the same
# device and driver, so on another device the test skips (exit 77) and says why.
# Usage: check.sh CLKFAC_BIN [--record]
set -euo pipefail
bin="$1"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
expected="$here/expected.txt"
device="$("$bin" devices | sed -n 's/^\* [0-9]*:[0-9]*  //p' | head -n 1)"
driver="$("$bin" devices | grep -m1 -o 'driver .*$' || true)"
fingerprint="$device; $driver"
tmp="$(mktemp -d /tmp/clkfac-guard-XXXXXX)"
trap 'rm -rf "$tmp"' EXIT
if [ "${2:-}" != "--record" ]; then
  recorded="$(sed -n '1s/^# device: //p' "$expected")"
  if [ "$recorded" != "$fingerprint" ]; then
    echo "SKIP: the guard was recorded on '$recorded'; this default device is '$fingerprint'"
    exit 77
  fi
fi
# the guard pins the CLBlast engine path (the host engine, issue 10, rounds differently) and
# the shipped tuning values (a database from `clkfac tune` in the cache changes rounding).
# OpenBLAS (the host eigensolver of --kfac-eigen) picks its kernels from the CPU at run time,
# and machines that PoCL names alike get different ones (SkylakeX on the machine that recorded
# expected.txt, Haswell on another EPYC), which round differently: pin the recorded one (the
# fingerprint above already requires AVX-512).
OPENBLAS_CORETYPE=SkylakeX CLKFAC_BLAS=clblast CLKFAC_TUNE=shipped "$here/run.sh" "$bin" "$tmp/out" >/dev/null
sums="$(cd "$tmp/out" && find . -type f \( -name '*.csv' -o -name '*.npy' -o -name 'policy.txt' \) \
        | LC_ALL=C sort | xargs sha256sum)"
if [ "${2:-}" = "--record" ]; then
  { echo "# device: $fingerprint"; echo "$sums"; } >"$expected"
  echo "recorded $(echo "$sums" | wc -l) files in $expected"
  exit 0
fi
if ! diff <(sed 1d "$expected") <(echo "$sums"); then
  echo "FAIL: outputs of fixed-seed runs differ from $expected (lines above: < recorded, > now)"
  exit 1
fi
echo "OK: $(echo "$sums" | wc -l) outputs byte-identical to the recording"
