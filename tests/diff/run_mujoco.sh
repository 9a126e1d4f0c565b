#!/usr/bin/env bash
# ctest entry of the MuJoCo differential check: runs diff_mujoco.py with the Gymnasium venv
# (scripts/setup.sh makes it in ~/.cache/clkfac/venv-mujoco, or $CLKFAC_MUJOCO_VENV). Skips (77)
# with the reason when that venv is absent (set-up could not reach the package index).
# Usage: run_mujoco.sh DRIVER [more diff_mujoco.py options]
set -euo pipefail
venv="${CLKFAC_MUJOCO_VENV:-$HOME/.cache/clkfac/venv-mujoco}"
if [ ! -x "$venv/bin/python" ]; then
  echo "SKIP: no Gymnasium venv at $venv (scripts/setup.sh creates it; it skips that step when" \
       "the package index cannot be reached)"
  exit 77
fi
driver="$1"
shift
exec "$venv/bin/python" "$(dirname "${BASH_SOURCE[0]}")/diff_mujoco.py" --driver "$driver" "$@"
