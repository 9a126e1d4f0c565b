#!/usr/bin/env bash
# A fixed seed gives identical results with a given BLAS engine: two ACKTR runs on Breakout (conv
# and dense layers, K-FAC factors, inverses) with each engine the device runs, compared byte for
# byte. An engine the device cannot run is skipped with the reason. Usage: engine_repeat.sh BIN
set -euo pipefail
bin="$1"
tmp="$(mktemp -d /tmp/clkfac-engine-XXXXXX)"
trap 'rm -rf "$tmp"' EXIT
ran=0
for engine in clblast host; do
  run() { "$bin" train --quiet --blas "$engine" --env MinAtar/Breakout-v1 --algo acktr \
            --inv-every 2 --steps 1500 --seed 7 --out "$tmp/$engine-$1" 2>"$tmp/$engine.err"; }
  if ! run a; then
    if grep -q "UNSUPPORTED\|does not run native kernels\|without a host CBLAS" "$tmp/$engine.err"; then
      echo "SKIP $engine: $(cat "$tmp/$engine.err")"
      continue
    fi
    cat "$tmp/$engine.err"; exit 1
  fi
  run b
  for f in episodes.csv updates.csv policy.npy; do
    cmp "$tmp/$engine-a/$f" "$tmp/$engine-b/$f" || { echo "FAIL: $engine: $f differs between two runs of seed 7"; exit 1; }
  done
  echo "OK: $engine: two runs of seed 7 identical"
  ran=$((ran + 1))
done
[ "$ran" -gt 0 ] || exit 77
