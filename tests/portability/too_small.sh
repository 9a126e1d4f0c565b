#!/usr/bin/env bash
# A device too small for the network is reported, not crashed on: with the largest buffer capped
# at 64 MiB (CLKFAC_MAX_ALLOC_MB; the Atari CNN at batch 640 needs 251 MiB for conv1's patches),
# `clkfac train` must exit 1 naming the buffer, its size and the device's limit, and `clkfac
# devices` must show the cap (0.1 GiB). Usage: too_small.sh CLKFAC_BIN
set -uo pipefail
bin="$1"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
export CLKFAC_MAX_ALLOC_MB=64
if ! "$bin" devices >"$out/devices.txt" 2>&1; then
  echo "SKIP: no OpenCL device ($(head -1 "$out/devices.txt"))"
  exit 77
fi
grep -q "largest buffer 0.1 GiB" "$out/devices.txt" ||
  { echo "FAIL: clkfac devices does not show the 64 MiB cap (0.1 GiB):"; cat "$out/devices.txt"; exit 1; }
"$bin" train --env Synthetic/Atari-v0 --algo acktr --envs 16 --nsteps 40 --steps 640 \
  --out "$out/run" --quiet >"$out/log" 2>&1
rc=$?
cat "$out/log"
if ((rc != 1)); then
  echo "FAIL: exit $rc; expected 1 (a runtime failure reported, not a crash or success)"
  exit 1
fi
for want in "creating the agent" "CLKFAC_ERR_NO_MEMORY" "263168000 bytes" \
            "exceeds the device's largest allocation (67108864 bytes)"; do
  grep -qF "$want" "$out/log" || { echo "FAIL: the message lacks '$want'"; exit 1; }
done
echo "OK: a too-small device is reported with exit 1 and the buffer and limit named"
