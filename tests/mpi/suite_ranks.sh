#!/usr/bin/env bash
# `clkfac bench sample` across ranks writes what one process writes: a tiny suite (A2C, ACKTR,
# TRPO on CartPole-v1, 2 seeds, 3000 steps) run by one process, by 2 ranks and by 3 ranks gives
# the same folder byte for byte (JSON timing and date values aside: same_results.py); a suite
# damaged like an interrupted one (a run without its summary and with half an episodes.csv, a
# run folder gone) is resumed by 2 ranks to the same folder, with the finished runs left alone.
# Usage: suite_ranks.sh CLKFAC_BIN MPIRUN
set -euo pipefail
bin="$1" mpirun="$2"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
tmp="$(mktemp -d /tmp/clkfac-suite-ranks.XXXXXX)"
trap 'rm -rf "$tmp"' EXIT
loud=(bench sample --algos a2c,acktr,trpo --envs CartPole-v1 --seeds 2 --steps 3000)
suite=("${loud[@]}" --quiet)
same() { python3 "$here/same_results.py" "$@"; }
ranks() { local n="$1"; shift; "$here/mpirun.sh" "$mpirun" "$n" "$bin" "$@"; }

"$bin" "${suite[@]}" --out "$tmp/one"
[ "$(find "$tmp/one/runs" -name summary.json | wc -l)" -eq 6 ] || { echo "FAIL: one process: not 6 runs"; exit 1; }
for n in 2 3; do
  ranks "$n" "${suite[@]}" --out "$tmp/ranks$n"
  same "$tmp/one" "$tmp/ranks$n" || { echo "FAIL: $n ranks differ from one process"; exit 1; }
done

# the comparison can fail: one changed byte in an episodes.csv is found
cp -r "$tmp/ranks2" "$tmp/changed"
f="$tmp/changed/runs/acktr__CartPole-v1__seed2/episodes.csv"
sed -i '2s/^\(.*\)\(.\)$/\1X/' "$f"
if same "$tmp/one" "$tmp/changed" >/dev/null; then echo "FAIL: a changed byte went unnoticed"; exit 1; fi

# an interrupted suite, resumed by 2 ranks
d="$tmp/ranks3"
kept="$d/runs/a2c__CartPole-v1__seed1/episodes.csv"
before="$(stat -c %Y.%y "$kept")"
rm "$d/runs/trpo__CartPole-v1__seed1/summary.json"
printf 'timestep,episode,return,length\n12,0,12,12\n40,1' > "$d/runs/trpo__CartPole-v1__seed1/episodes.csv"
rm -r "$d/runs/acktr__CartPole-v1__seed2"
out="$(ranks 2 "${loud[@]}" --out "$d")"
echo "$out" | grep -q "finished earlier; kept" || { echo "FAIL: no run kept on resume:"; echo "$out"; exit 1; }
[ "$(echo "$out" | grep -c "steps, mean return")" -eq 2 ] || { echo "FAIL: not exactly 2 runs redone:"; echo "$out"; exit 1; }
same "$tmp/one" "$d" || { echo "FAIL: the resumed suite differs from one process"; exit 1; }
[ "$(stat -c %Y.%y "$kept")" = "$before" ] || { echo "FAIL: a finished run was rewritten"; exit 1; }

# a folder that belongs to another suite: exit 2 on every rank, one message
set +e
out="$(ranks 2 bench sample --algos a2c --envs CartPole-v1 --seeds 2 --steps 4000 --quiet --out "$d" 2>&1)"
rc=$?
set -e
[ "$rc" -eq 2 ] || { echo "FAIL: other settings in the folder: exit $rc, expected 2:"; echo "$out"; exit 1; }
[ "$(echo "$out" | grep -c "finished with other settings")" -eq 1 ] || { echo "FAIL: expected one message:"; echo "$out"; exit 1; }
echo "OK: one process, 2 and 3 ranks, and a resume by 2 ranks wrote the same suite"
