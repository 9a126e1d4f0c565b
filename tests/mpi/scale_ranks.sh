#!/usr/bin/env bash
# `clkfac bench scale`: measures data-parallel A2C, ACKTR (inverse and gradient placements) and
# TRPO on 1 and 2 ranks (two updates each, the first an inversion) and writes the measured table
# and the model; on 2 ranks the bytes per update the communicator counted equal the model's
# count for the same agent (Debug builds: 16 more, the parameter check), 0 on one rank; the
# model has 6 rank counts x 3 rows; bad --envs, a bad --algos name and a start under mpirun exit
# 2.
# Usage: scale_ranks.sh CLKFAC_BIN MPIRUN
set -euo pipefail
bin="$1"
export CLKFAC_MPIRUN="$2"
export OMPI_MCA_btl_vader_single_copy_mechanism="${OMPI_MCA_btl_vader_single_copy_mechanism:-none}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
tmp="$(mktemp -d /tmp/clkfac-scale.XXXXXX)"
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

algos=a2c,acktr-inverse,acktr-gradient,trpo
"$bin" bench scale --ranks 1,2 --algos "$algos" --envs 4 --updates 2 --warmup 0 --quiet \
  --out "$tmp/s"
for f in scale.md scale.csv scale.json scale_model.md scale_model.csv scale_model.json; do
  [ -s "$tmp/s/$f" ] || fail "$f missing"
done
val() { sed -n "s/^$3=//p" "$tmp/s/scale_ranks$1_$2.txt"; }
for a in ${algos//,/ }; do
  [ "$(val 1 "$a" bytes_per_update)" = "0.0" ] || fail "$a on 1 rank: $(val 1 "$a" bytes_per_update) bytes, expected 0"
  b="$(val 2 "$a" bytes_per_update)" want="$(val 2 "$a" model_bytes_per_update)"
  [ "$b" = "$want" ] || awk -v b="$b" -v w="$want" 'BEGIN { exit !(b - w == 16) }' ||
    fail "$a on 2 ranks: $b bytes per update, the model says $want"
  echo "$a on 2 ranks: $b bytes per update (model $want)"
done
p="$(val 2 a2c params)"
[ "$(val 2 a2c bytes_per_update)" = "$(( 4 * (p + 4) )).0" ] ||
  [ "$(val 2 a2c bytes_per_update)" = "$(( 4 * (p + 4) + 16 )).0" ] || fail "a2c: not 4 x (params + 4) bytes"
[ "$(grep -c '^| [0-9]* | a2c\|^| [0-9]* | acktr' "$tmp/s/scale_model.md")" -eq 18 ] || fail "model: not 18 rows"
grep -q "inverse broadcast" "$tmp/s/scale_model.md" && grep -q "gradient gather" "$tmp/s/scale_model.md" || fail "model: a placement missing"

set +e
out="$("$bin" bench scale --ranks 1 --algos a2c,sgd --out "$tmp/v" 2>&1)"; rc=$?
set -e
[ "$rc" -eq 2 ] && echo "$out" | grep -q "\-\-algos 'sgd': expected a2c, acktr, acktr-inverse" || fail "--algos sgd: exit $rc: $out"
set +e
out="$("$bin" bench scale --ranks 1,2 --envs 5 --out "$tmp/t" 2>&1)"; rc=$?
set -e
[ "$rc" -eq 2 ] && echo "$out" | grep -q "not a multiple of 2" || fail "--envs 5: exit $rc: $out"
set +e
out="$("$here/mpirun.sh" "$CLKFAC_MPIRUN" 2 "$bin" bench scale --out "$tmp/u" 2>&1)"; rc=$?
set -e
[ "$rc" -ne 0 ] && [ "$(echo "$out" | grep -c 'run it without mpirun')" -eq 1 ] || fail "under mpirun: exit $rc: $out"
echo "OK: bench scale measured $algos on 1 and 2 ranks (bytes as the model counts) and wrote the model"
