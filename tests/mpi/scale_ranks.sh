#!/usr/bin/env bash
# `clkfac bench scale`: measures data-parallel A2C on 1 and 2 ranks (a few updates) and writes
# the measured table and the model; the bytes per update on 2 ranks are exactly the gradients
# and the 4 loss statistics (4 bytes each; Debug builds add the 16-byte parameter check), 0 on
# one rank; the model has 6 rank counts x 3 rows; bad --envs and a start under mpirun exit 2.
# Usage: scale_ranks.sh CLKFAC_BIN MPIRUN
set -euo pipefail
bin="$1"
export CLKFAC_MPIRUN="$2"
export OMPI_MCA_btl_vader_single_copy_mechanism="${OMPI_MCA_btl_vader_single_copy_mechanism:-none}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
tmp="$(mktemp -d /tmp/clkfac-scale.XXXXXX)"
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$bin" bench scale --ranks 1,2 --envs 4 --updates 3 --warmup 1 --quiet --out "$tmp/s"
for f in scale.md scale.csv scale.json scale_model.md scale_model.csv scale_model.json; do
  [ -s "$tmp/s/$f" ] || fail "$f missing"
done
val() { sed -n "s/^$2=//p" "$tmp/s/scale_ranks$1.txt"; }
[ "$(val 1 bytes_per_update)" = "0.0" ] || fail "1 rank: $(val 1 bytes_per_update) bytes, expected 0"
p="$(val 2 params)"
b="$(val 2 bytes_per_update)"
want=$(( 4 * (p + 4) ))
[ "$b" = "$want.0" ] || [ "$b" = "$((want + 16)).0" ] || fail "2 ranks: $b bytes per update, expected $want (params $p)"
[ "$(grep -c '^| [0-9]* | a2c\|^| [0-9]* | acktr' "$tmp/s/scale_model.md")" -eq 18 ] || fail "model: not 18 rows"
grep -q "inverse broadcast" "$tmp/s/scale_model.md" && grep -q "gradient gather" "$tmp/s/scale_model.md" || fail "model: a placement missing"

set +e
out="$("$bin" bench scale --ranks 1,2 --envs 5 --out "$tmp/t" 2>&1)"; rc=$?
set -e
[ "$rc" -eq 2 ] && echo "$out" | grep -q "not a multiple of 2" || fail "--envs 5: exit $rc: $out"
set +e
out="$("$here/mpirun.sh" "$CLKFAC_MPIRUN" 2 "$bin" bench scale --out "$tmp/u" 2>&1)"; rc=$?
set -e
[ "$rc" -ne 0 ] && [ "$(echo "$out" | grep -c 'run it without mpirun')" -eq 1 ] || fail "under mpirun: exit $rc: $out"
echo "OK: bench scale measured 1 and 2 ranks ($b bytes per update) and wrote the model"
