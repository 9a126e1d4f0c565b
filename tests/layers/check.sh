#!/usr/bin/env bash
# Layers point one way: every source folder may include only its own headers and those of the
# folders below it. The order (lowest first) is the one DESIGN.md describes (comm, the
# communicator, right above cl: it needs only buffers), with envs below rl
# (agents step environments; environments know nothing of agents), then report (tables, plots
# and the run folder), app (what the programs share), the op table of tests/ops (which `bench
# kfac` runs), bench and cli. cl/shared.h, the header kernels and host share, counts as cl.
# Public headers count for the module that implements them. Prints the graph; exits 1 on an
# include that points up. Usage: check.sh SOURCE_DIR [--graph]
set -euo pipefail
src="$1"
cd "$src"
order=(core cl comm linalg kfac nn envs rl report app ops bench cli)
rank() { local i; for i in "${!order[@]}"; do [ "${order[$i]}" = "$1" ] && echo "$i" && return; done; echo -1; }
# the module of a public header clkfac/<name>.h
public_module() {
  case "$1" in
    common|npy) echo core ;;
    device) echo cl ;;
    comm) echo comm ;;
    linalg) echo linalg ;;
    kfac|tune) echo kfac ;;
    nn|heads|optim) echo nn ;;
    env) echo envs ;;
    rl|agent) echo rl ;;
    report|stats|plot|frames) echo report ;;
    clkfac) echo umbrella ;;
    *) echo "unknown:$1" ;;
  esac
}
bad=0
for mod in "${order[@]}"; do
  dir="src/$mod"
  [ "$mod" = bench ] && dir=bench
  [ "$mod" = ops ] && dir=tests/ops
  [ -d "$dir" ] || continue
  r=$(rank "$mod")
  deps=()
  while IFS=: read -r file inc; do
    case "$inc" in
      clkfac/*) name="${inc#clkfac/}"; dep=$(public_module "${name%.h}") ;;
      ../../cl/shared.h) dep=cl ;;
      tests/ops/*|../ref/*) dep=ops ;;
      */*) dep="${inc%%/*}" ;;
      *) continue ;; # a generated header or one beside the file
    esac
    [ "$dep" = "$mod" ] && continue
    if [ "$dep" = umbrella ]; then
      # the umbrella header names every library module up to report: only report and above
      [ "$r" -ge "$(rank report)" ] || { echo "UP: $file includes clkfac/clkfac.h (everything)"; bad=1; }
      deps+=("clkfac.h")
      continue
    fi
    d=$(rank "$dep")
    if [ "$d" -lt 0 ]; then echo "UNKNOWN: $file includes $inc"; bad=1; continue; fi
    if [ "$d" -gt "$r" ]; then echo "UP: $file ($mod) includes $inc ($dep)"; bad=1; fi
    deps+=("$dep")
  done < <(grep -Ho '^#include "[^"]*"' "$dir"/*.[ch] | sed 's/#include "//; s/"$//')
  [ "${2:-}" = --graph ] && echo "$mod -> $(printf '%s\n' "${deps[@]:-}" | sort -u | tr '\n' ' ')"
done
# public headers: each may include only headers of its own or lower modules
for h in include/clkfac/*.h; do
  m=$(public_module "$(basename "$h" .h)")
  [ "$m" = umbrella ] && continue
  r=$(rank "$m")
  for inc in $(grep -o '^#include "clkfac/[^"]*"' "$h" | sed 's/#include "clkfac\///; s/\.h"$//'); do
    d=$(rank "$(public_module "$inc")")
    [ "$d" -gt "$r" ] && { echo "UP: $h ($m) includes clkfac/$inc.h"; bad=1; }
  done
done
[ "$bad" = 0 ] && echo "OK: includes point one way (${order[*]})"
exit "$bad"
