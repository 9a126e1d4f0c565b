#!/usr/bin/env bash
# The first run on a new OpenCL device (a GPU): lists the devices, builds every kernel program on
# the chosen one, runs the device and K-FAC test suites on it, `bench kfac`, `bench step` (with
# the launch budget) and a short ACKTR run on Breakout, and writes everything with provenance
# to one folder (README.md there summarizes). Runs end to end on PoCL with --device cpu.
#   scripts/gpu-check.sh [--device SPEC|default] [--quick] [--build DIR] [--out DIR]
# --device: as clkfac takes it (default gpu; `default`: clkfac's own choice or $CLKFAC_DEVICE).
# --quick: small sizes (the ctest gpu_check_quick runs it on the default device). Exit 0 when
# every step passed, 1 otherwise (every step still runs), 2 for a usage error or a spec that
# matches no device, 77 when there is no OpenCL device at all.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
device=gpu quick=0 build="$here/build" out=""
while (($#)); do
  case "$1" in
    --device) device="${2:?--device needs a value: P:D, cpu, gpu or part of a name}"; shift 2 ;;
    --quick) quick=1; shift ;;
    --build) build="${2:?--build needs a directory}"; shift 2 ;;
    --out) out="${2:?--out needs a directory}"; shift 2 ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "gpu-check: unknown option '$1' (expected --device, --quick, --build, --out)" >&2
       exit 2 ;;
  esac
done
bin="$build/clkfac"
if [ ! -x "$bin" ]; then
  echo "gpu-check: $bin not found: build first (scripts/setup.sh $build)" >&2
  exit 2
fi
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
out="${out:-$here/results/gpu-check-$stamp}"
mkdir -p "$out" || { echo "gpu-check: cannot create $out" >&2; exit 2; }
export POCL_CACHE_DIR="${POCL_CACHE_DIR:-$HOME/.cache/pocl}"
[ "$device" = default ] && device=""
# the tests and every clkfac command below read the device from CLKFAC_DEVICE
if [ -n "$device" ]; then export CLKFAC_DEVICE="$device"; fi

summary=()
failed=0
# step NAME LOG COMMAND...: runs the command with its output in $out/LOG, records pass/fail and
# the time taken.
step() {
  local name="$1" log="$out/$2"
  shift 2
  echo "gpu-check: $name ..."
  local t0=$SECONDS rc=0
  "$@" >"$log" 2>&1 || rc=$?
  local took=$((SECONDS - t0)) verdict="ok"
  if ((rc == 77)); then verdict="skipped"; elif ((rc)); then verdict="FAILED (exit $rc)"; failed=1; fi
  echo "gpu-check: $name: $verdict, ${took} s (log: $log)"
  summary+=("| $name | $verdict | $took | $(basename "$log") |")
}

if ((quick)); then
  tests=(-R '^(test_device|test_kfac)$')
  kfac_args=(--nets minatar --batch 80 --reps 1 --warmup 0)
  step_args=(--nets mlp,minatar --max-batch 1000 --reps 1 --warmup 0)
  acktr_steps=1600
else
  tests=(-L device -LE 'slow|learning')
  kfac_args=()
  step_args=()
  acktr_steps=100000
fi

# ---- provenance ----
{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "device spec: ${CLKFAC_DEVICE:-the default device}"
  echo "mode: $( ((quick)) && echo quick || echo full)"
  echo "clkfac: $("$bin" --version 2>&1 | head -1)"
  echo "git: $(git -C "$here" rev-parse HEAD 2>/dev/null || echo unknown)$(git -C "$here" diff --quiet 2>/dev/null || echo ' (dirty)')"
  echo "host: $(uname -srm); $(nproc) cores"
  echo "CLKFAC_BLAS=${CLKFAC_BLAS:-} CLKFAC_XGEMM=${CLKFAC_XGEMM:-}"
} >"$out/provenance.txt"

step "devices" devices.txt "$bin" devices
if grep -q "no OpenCL platform found" "$out/devices.txt"; then
  echo "SKIP: $(tail -1 "$out/devices.txt")"
  exit 77
fi
step "build every kernel program on the device" build.txt "$bin" devices --build
if grep -q "matches no OpenCL device" "$out/build.txt"; then
  cat "$out/build.txt" >&2
  echo "gpu-check: no device matches '$device': choose one with --device (P:D, cpu, gpu or part of a name)" >&2
  exit 2
fi
step "device and K-FAC tests" tests.txt \
  ctest --test-dir "$build" "${tests[@]}" --output-on-failure -j1
step "bench kfac" bench-kfac.txt "$bin" bench kfac --out "$out/bench-kfac" \
  "${kfac_args[@]}"
step "bench step (with the launch budget)" bench-step.txt \
  "$bin" bench step --out "$out/bench-step" "${step_args[@]}"
step "ACKTR on Breakout ($acktr_steps steps)" acktr-breakout.txt \
  "$bin" train --env MinAtar/Breakout-v1 --algo acktr --steps "$acktr_steps" \
  --out "$out/acktr-breakout" --quiet
# the tuner writes the device's tuning database (~/.cache/clkfac/tune/), which later runs load;
# it takes minutes even with --quick, so the quick check leaves it out
if ((quick)); then
  summary+=("| tuner | skipped with --quick (minutes: run \`clkfac tune\`) | 0 | |")
else
  step "tuner (writes the device's tuning database)" tune.txt "$bin" tune
fi
# the kernels' resources per GPU target (static: needs the vendor compilers, not the device).
# --quick takes the table the ctest vendor_kernels wrote, if any (CI runs both).
if ((quick)) && [ -f "$build/kernels/kernels.md" ]; then
  mkdir -p "$out/kernels" && cp "$build/kernels/kernels.md" "$build/kernels/kernels.csv" "$out/kernels/"
  summary+=("| vendor compiles and resource table | from ctest vendor_kernels | 0 | kernels/kernels.md |")
elif command -v python3 >/dev/null && [ -d "$build/generated/cl_joined" ]; then
  step "vendor compiles and resource table" kernels.txt \
    python3 "$here/scripts/kernels/vendor.py" --src "$build/generated/cl_joined" \
    --out "$out/kernels" --no-variants
fi

{
  echo "# gpu-check on '${CLKFAC_DEVICE:-the default device}'"
  echo
  echo '```'
  cat "$out/provenance.txt"
  echo '```'
  echo
  echo "| step | result | seconds | log |"
  echo "|---|---|---|---|"
  printf '%s\n' "${summary[@]}"
  echo
  for f in bench-step/launch_budget.md bench-step/step_summary.md bench-kfac/kfac_summary.md \
           kernels/kernels.md; do
    [ -f "$out/$f" ] && { echo "## $f"; echo; sed -n '3,$p' "$out/$f"; echo; }
  done
} >"$out/README.md"
echo "gpu-check: wrote $out/README.md"
exit "$failed"
