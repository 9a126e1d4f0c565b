#!/usr/bin/env bash
# Resumable training under kill -9: each case trains once uninterrupted, then again with frequent
# checkpoints, killed with SIGKILL at random moments and resumed with --resume until it
# finishes; episodes.csv, updates.csv, policy.npy and policy.txt must equal the uninterrupted
# run's byte for byte. Also: a finished run is verified, not retrained; a corrupt checkpoint and
# one written with other options are refused, naming what is wrong.
# Usage: kill.sh CLKFAC_BIN [TRIALS]  (RANDOM seeded by $KILL_SEED, default 12)
set -uo pipefail
bin="$1"
trials="${2:-2}"
RANDOM="${KILL_SEED:-12}"
tmp="$(mktemp -d /tmp/clkfac-kill-XXXXXX)"
trap 'rm -rf "$tmp"' EXIT
fail=0
kills=0
files=(episodes.csv updates.csv policy.npy policy.txt)

# case name, then the train options
check_case() {
  local name="$1"; shift
  local ref="$tmp/$name-ref"
  "$bin" train "$@" --out "$ref" --quiet --checkpoint-seconds 0 >/dev/null || {
    echo "FAIL $name: the uninterrupted run failed"; fail=1; return; }
  local t0 t1 wall
  t0=$(date +%s%N)
  "$bin" train "$@" --out "$tmp/$name-timing" --quiet --checkpoint-every 3 >/dev/null
  t1=$(date +%s%N)
  wall=$(( (t1 - t0) / 1000000 ))   # ms of a whole checkpointed run
  for trial in $(seq 1 "$trials"); do
    local out="$tmp/$name-$trial" done=0 round=0 killed=0 attempt=0
    # killed at a random moment within one run's length until two kills landed, then left to
    # finish; a run that finished before any kill landed is done again (at most 4 attempts)
    while [ $attempt -lt 4 ]; do
      attempt=$((attempt + 1)); rm -rf "$out"; done=0; round=0; killed=0
      while [ $done = 0 ] && [ $round -lt 12 ]; do
        round=$((round + 1))
        local resume=()
        [ $round -gt 1 ] && resume=(--resume)
        "$bin" train "$@" --out "$out" --quiet --checkpoint-every 3 "${resume[@]}" >/dev/null 2>"$out.err" &
        local pid=$!
        if [ $killed -lt 2 ]; then
          sleep "$(awk -v ms="$((RANDOM % (wall + 1)))" 'BEGIN { printf "%.3f", ms / 1000 }')"
          kill -9 "$pid" 2>/dev/null
        fi
        wait "$pid" 2>/dev/null
        local rc=$?
        if [ $rc = 0 ]; then done=1
        elif [ $rc = 137 ]; then killed=$((killed + 1)); kills=$((kills + 1))
        else echo "FAIL $name trial $trial: exit $rc: $(cat "$out.err")"; fail=1; return; fi
      done
      [ $killed -gt 0 ] && break
    done
    for f in "${files[@]}"; do
      if ! cmp -s "$ref/$f" "$out/$f"; then
        echo "FAIL $name trial $trial ($round rounds): $f differs from the uninterrupted run"; fail=1
      fi
    done
    [ -e "$out/checkpoint.bin" ] && { echo "FAIL $name: a finished run kept its checkpoint"; fail=1; }
    echo "ok $name trial $trial: killed $killed times, resumed to the end, files identical"
  done
}

check_case cartpole-a2c --env CartPole-v1 --algo a2c --steps 3000 --envs 4 --seed 3
check_case cartpole-acktr --env CartPole-v1 --algo acktr --steps 3000 --envs 4 --seed 4
check_case cartpole-trpo --env CartPole-v1 --algo trpo --steps 3000 --envs 4 --nsteps 16 --seed 5
check_case breakout-acktr --env Breakout --algo acktr --steps 1500 --envs 4 --seed 6

# bench sample: an interrupted suite continues each unfinished run from its checkpoint
bench=(bench sample --algos a2c,acktr --envs CartPole-v1 --seeds 1 --steps 2000 --quiet)
"$bin" "${bench[@]}" --out "$tmp/suite-ref" >/dev/null || { echo "FAIL: bench sample failed"; fail=1; }
killed=0
for attempt in 1 2 3 4; do
  rm -rf "$tmp/suite"; round=0; killed=0
  while [ $round -lt 12 ]; do
    round=$((round + 1))
    "$bin" "${bench[@]}" --out "$tmp/suite" --checkpoint-every 3 >/dev/null 2>"$tmp/suite.err" &
    pid=$!
    if [ $killed -lt 2 ]; then
      sleep "$(awk -v r=$((RANDOM % 2500)) 'BEGIN { printf "%.3f", 0.5 + r / 1000 }')"
      kill -9 $pid 2>/dev/null
    fi
    wait $pid 2>/dev/null
    rc=$?
    [ $rc = 0 ] && break
    [ $rc = 137 ] || { echo "FAIL bench sample: exit $rc: $(cat "$tmp/suite.err")"; fail=1; break; }
    killed=$((killed + 1)); kills=$((kills + 1))
  done
  [ $killed -gt 0 ] && break
done
for f in $(cd "$tmp/suite-ref" && find . -name '*.csv' -o -name '*.npy' | sort); do
  cmp -s "$tmp/suite-ref/$f" "$tmp/suite/$f" ||
    { echo "FAIL bench sample ($round rounds): $f differs from the uninterrupted suite"; fail=1; }
done
echo "ok bench sample: killed $killed times, resumed to the end"

# a finished run: verified and kept
out="$tmp/cartpole-acktr-1"
msg="$("$bin" train --env CartPole-v1 --algo acktr --steps 3000 --envs 4 --seed 4 --out "$out" --resume 2>&1)"
case "$msg" in *"nothing to do"*) ;; *) echo "FAIL: resuming a finished run said: $msg"; fail=1 ;; esac
# ... and one whose updates.csv changed since (same length, one digit) is not trusted
sed -i '3s/[0-9]/#/' "$out/updates.csv"
msg="$("$bin" train --env CartPole-v1 --algo acktr --steps 3000 --envs 4 --seed 4 --out "$out" --resume 2>&1)"
case "$msg" in *"updates.csv has"*"changed since"*) echo "ok changed finished run refused: $msg" ;;
  *) echo "FAIL: a finished run with a changed updates.csv was trusted: $msg"; fail=1 ;; esac

# a checkpoint cut short, one with a flipped byte, and one of other options are refused
mk() { "$bin" train --env CartPole-v1 --algo a2c --steps 3000 --envs 4 --seed 3 --out "$1" --quiet \
         --checkpoint-every 5 >/dev/null & local p=$!; sleep 1; kill -9 $p 2>/dev/null; wait $p 2>/dev/null; }
for how in cut flip options; do
  out="$tmp/bad-$how"
  for i in 1 2 3 4 5 6 7 8 9 10; do
    rm -rf "$out"; mk "$out"; [ -s "$out/checkpoint.bin" ] && break
  done
  [ -s "$out/checkpoint.bin" ] || { echo "SKIP bad-$how: no checkpoint before the kill"; continue; }
  size=$(stat -c %s "$out/checkpoint.bin")
  seed=3; want=""
  case $how in
    cut) truncate -s $((size - 100)) "$out/checkpoint.bin"; want="cut short" ;;
    flip) printf '\x5a' | dd of="$out/checkpoint.bin" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
          want="checksum mismatch" ;;
    options) seed=9; want="seed (checkpoint: 3; this run: 9)" ;;
  esac
  err="$("$bin" train --env CartPole-v1 --algo a2c --steps 3000 --envs 4 --seed $seed --out "$out" \
           --quiet --resume 2>&1 >/dev/null)"
  rc=$?
  case "$err" in
    *"$want"*) [ $rc != 0 ] && echo "ok bad-$how refused: $err" ||
               { echo "FAIL bad-$how: exit 0"; fail=1; } ;;
    *) echo "FAIL bad-$how (exit $rc): expected '$want' in: $err"; fail=1 ;;
  esac
done

echo "$kills kill -9 signals delivered"
[ $fail = 0 ] && echo "OK: every resumed run matched its uninterrupted run" || exit 1
