#!/usr/bin/env bash
# `clkfac train` across ranks (data-parallel A2C, ACKTR and TRPO): 2 ranks with 8 copies train 4000 steps; both
# ranks end with the same parameters (policy.npy byte-identical in --out and --out/rank-1), the
# step count covers both ranks (summary.json), each folder has its copies' episodes; --envs not
# a multiple of the ranks, --resume, an unknown --kfac-placement and a placement for A2C exit 2
# with one message; ACKTR (each placement) and TRPO on 2 ranks end with the same parameters on
# both.
# Usage: train_ranks.sh CLKFAC_BIN MPIRUN
set -euo pipefail
bin="$1" mpirun="$2"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
tmp="$(mktemp -d /tmp/clkfac-train-ranks.XXXXXX)"
trap 'rm -rf "$tmp"' EXIT
ranks() { local n="$1"; shift; "$here/mpirun.sh" "$mpirun" "$n" "$bin" "$@"; }
fail() { echo "FAIL: $*"; exit 1; }

ranks 2 train --algo a2c --env CartPole-v1 --envs 8 --steps 4000 --seed 3 --quiet --out "$tmp/a"
for f in episodes.csv updates.csv summary.json policy.npy; do
  [ -s "$tmp/a/$f" ] || fail "rank 0 did not write $f"
  [ -s "$tmp/a/rank-1/$f" ] || fail "rank 1 did not write $f"
done
cmp -s "$tmp/a/policy.npy" "$tmp/a/rank-1/policy.npy" || fail "the ranks' parameters differ"
grep -q '"timesteps": 4000' "$tmp/a/summary.json" || fail "summary.json: not 4000 steps in all"
cmp -s "$tmp/a/episodes.csv" "$tmp/a/rank-1/episodes.csv" && fail "both ranks logged the same episodes"

expect_usage() { # ranks, needle, args...
  local n="$1" needle="$2"; shift 2
  set +e
  out="$(ranks "$n" "$@" 2>&1)"
  rc=$?
  set -e
  [ "$rc" -eq 2 ] || fail "'$*' on $n ranks: exit $rc, expected 2: $out"
  [ "$(echo "$out" | grep -c "$needle")" -eq 1 ] || fail "'$*': expected one '$needle':"$'\n'"$out"
}
expect_usage 3 "expected a multiple of 3" train --env CartPole-v1 --envs 8 --steps 1000 --out "$tmp/b"
expect_usage 2 "not supported yet" train --env CartPole-v1 --envs 8 --steps 1000 --resume --out "$tmp/c"
# ACKTR across ranks: the same parameters on both
ranks 2 train --algo acktr --env CartPole-v1 --envs 8 --steps 2000 --seed 3 --quiet --out "$tmp/k"
cmp -s "$tmp/k/policy.npy" "$tmp/k/rank-1/policy.npy" || fail "ACKTR: the ranks' parameters differ"
# ACKTR's inverse placements: the same parameters on both ranks; a bad name or another
# algorithm refused naming the value
for place in inverse gradient; do
  ranks 2 train --algo acktr --kfac-placement "$place" --env CartPole-v1 --envs 8 --steps 2000 \
    --seed 3 --quiet --out "$tmp/p-$place"
  cmp -s "$tmp/p-$place/policy.npy" "$tmp/p-$place/rank-1/policy.npy" ||
    fail "ACKTR --kfac-placement $place: the ranks' parameters differ"
done
# (a parse error, as any bad option: every rank says it before the ranks meet)
set +e
out="$(ranks 2 train --algo acktr --kfac-placement sharded --env CartPole-v1 --envs 8 --steps 1000 \
  --out "$tmp/f" 2>&1)"
rc=$?
set -e
[ "$rc" -eq 2 ] || fail "--kfac-placement sharded: exit $rc, expected 2: $out"
echo "$out" | grep -q -- "--kfac-placement 'sharded': expected replicated, inverse or gradient" ||
  fail "--kfac-placement sharded: no message naming it: $out"
expect_usage 2 "applies to acktr only" train --algo a2c --kfac-placement inverse --env CartPole-v1 \
  --envs 8 --steps 1000 --out "$tmp/g"
# TRPO across ranks: the same parameters on both, every rank's steps counted
ranks 2 train --algo trpo --env CartPole-v1 --envs 8 --steps 2048 --seed 3 --quiet --out "$tmp/t"
cmp -s "$tmp/t/policy.npy" "$tmp/t/rank-1/policy.npy" || fail "TRPO: the ranks' parameters differ"
grep -q '"timesteps": 2048' "$tmp/t/summary.json" || fail "TRPO summary.json: not 2048 steps in all"
echo "OK: data-parallel A2C, ACKTR and TRPO on 2 ranks; bad rank settings refused"
