#!/usr/bin/env bash
# The redesign guard's fixed-seed runs: short training runs of every algorithm on CartPole,
# Pendulum and Breakout (the option table's defaults: --preset none), and `clkfac kfac` on conv
# and dense layers. Writes OUT/<case>/...
# Usage: run.sh CLKFAC_BIN OUT
set -euo pipefail
bin="$1"
out="$2"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
in="$here/inputs"
mkdir -p "$out"

train() {
  local name="$1"
  shift
  "$bin" train --quiet --preset none --seed 1 --out "$out/$name" "$@"
}
train cartpole_a2c   --env CartPole-v1 --envs 8 --lr 1e-3 --steps 4k
train cartpole_acktr --env CartPole-v1 --algo acktr --envs 8 --ent-coef 0 --steps 4k
train cartpole_trpo  --env CartPole-v1 --algo trpo --envs 16 --nsteps 64 --steps 6k
train cartpole_acktr_variant --env CartPole-v1 --algo acktr --kfac-eigen --separate \
  --critic euclidean --activation relu --lr-schedule constant --weight-decay 1e-4 \
  --stats-every 2 --inv-every 3 --momentum 0.5 --cold-steps 2 --measure-kl --steps 3k
train cartpole_a2c_variant --env CartPole-v1 --separate --activation elu --net 'dense:32' \
  --max-grad-norm 0.1 --rms-init 0 --vf-coef 0.25 --nsteps 7 --steps 3k
train pendulum_a2c   --env Pendulum-v1 --envs 8 --nsteps 8 --gamma 0.9 --ent-coef 0 --lr 3e-3 --steps 4k
train pendulum_acktr --env Pendulum-v1 --algo acktr --envs 8 --nsteps 8 --gamma 0.9 --ent-coef 0 --steps 4k
train pendulum_trpo  --env Pendulum-v1 --algo trpo --envs 16 --nsteps 64 --gamma 0.9 --gae-lambda 0.95 \
  --max-kl 0.02 --cg-damping 0.05 --steps 6k
train breakout_a2c   --env MinAtar/Breakout-v1 --steps 2k
train breakout_acktr --env MinAtar/Breakout-v1 --algo acktr --steps 2k
train breakout_trpo  --env MinAtar/Breakout-v1 --algo trpo --envs 8 --nsteps 64 --steps 2k

kfac() {
  local name="$1"
  shift
  "$bin" kfac --out "$out/$name" "$@"
}
conv=(--layer conv --in-channels 3 --out-channels 5 --kernel 3 --stride 2 --padding 1 --bias
      --activations "$in/conv_x.npy" --output-grads "$in/conv_g.npy" --weight-grad "$in/conv_dw.npy")
dense=(--layer dense --in-features 20 --out-features 7
       --activations "$in/dense_x.npy" --output-grads "$in/dense_g.npy" --weight-grad "$in/dense_dw.npy")
kfac kfac_conv_tikhonov "${conv[@]}" --damping 0.03
kfac kfac_conv_eigen    "${conv[@]}" --method eigen
kfac kfac_dense_tikhonov "${dense[@]}"
kfac kfac_dense_eigen    "${dense[@]}" --method eigen --damping 0.1
