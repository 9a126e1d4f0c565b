#!/usr/bin/env bash
# Runs a command on N local ranks: mpirun.sh MPIRUN N command...  Oversubscribed (the CI machine
# has 2 cores; 3 and 4 ranks share them) and, when run as root (CI containers), with Open MPI's
# --allow-run-as-root. Output of every rank on stdout, tagged by rank.
set -euo pipefail
mpirun="$1" n="$2"
shift 2
extra=(--oversubscribe --tag-output)
[ "$(id -u)" -ne 0 ] || extra+=(--allow-run-as-root)
# shared-memory transport without the kernel's cross-memory attach, which containers often forbid
export OMPI_MCA_btl_vader_single_copy_mechanism="${OMPI_MCA_btl_vader_single_copy_mechanism:-none}"
# oversubscribed ranks wait by yielding the core instead of spinning on it (a spinning rank on
# a shared core made 2-rank TRPO updates ~7 s instead of ~0.1 s)
export OMPI_MCA_mpi_yield_when_idle="${OMPI_MCA_mpi_yield_when_idle:-1}"
exec "$mpirun" "${extra[@]}" -n "$n" "$@"
