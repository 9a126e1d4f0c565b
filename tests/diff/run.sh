#!/usr/bin/env bash
# ctest entry of the differential test: runs diff_minatar.py for one game with the reference
# venv (scripts/setup.sh makes it in ~/.cache/clkfac/venv, or $CLKFAC_VENV). Skips (77) with the
# reason only when that venv is absent, i.e. set-up could not reach the package index.
# Usage: run.sh DRIVER GAME [more diff_minatar.py options]
set -euo pipefail
venv="${CLKFAC_VENV:-$HOME/.cache/clkfac/venv}"
if [ ! -x "$venv/bin/python" ]; then
  echo "SKIP: no reference venv at $venv (scripts/setup.sh creates it; it skips that step when" \
       "the package index cannot be reached)"
  exit 77
fi
driver="$1" game="$2"
shift 2
exec "$venv/bin/python" "$(dirname "${BASH_SOURCE[0]}")/diff_minatar.py" --driver "$driver" \
  --game "$game" "$@"
