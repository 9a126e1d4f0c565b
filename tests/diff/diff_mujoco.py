#!/usr/bin/env python3
"""Differential check of clkfac's MuJoCo tasks against Gymnasium's v5 tasks (pinned in the venv
scripts/setup.sh makes). The physics differ (MuJoCo 2.2.2 and this project's models against the
reference's engine and models), so the rules are compared, not trajectories:
  spec:   nq, nv, nu, frame skip, timestep, observation size, action bounds, time limit, qpos0
  obs:    the observation of the same states (random qpos/qvel set in the reference, its derived
          values passed along), value by value
  reward: every step of random-policy episodes in the reference: clkfac's rules on the recorded
          states before and after must give the same total, the same terms (the reference's
          info) and the same termination
  return: random-policy mean returns of both implementations must be close (each one's own
          physics; the intervals must overlap or the means be within 25 percent)
Usage: diff_mujoco.py --driver PATH [--task NAME] [--episodes N]. Exit 0 when all agree."""
import argparse
import subprocess
import sys

import numpy as np
import gymnasium as gym

TASKS = ["InvertedPendulum", "InvertedDoublePendulum", "Reacher", "HalfCheetah", "Hopper",
         "Walker2d", "Swimmer"]
# reference info keys of each clkfac term (sign as clkfac keeps them: costs negative)
TERMS = {
    "InvertedPendulum": {"healthy": ("reward_survive", 1)},
    "InvertedDoublePendulum": {"healthy": ("reward_survive", 1), "dist": ("distance_penalty", 1),
                               "vel": ("velocity_penalty", 1)},
    "Reacher": {"dist": ("reward_dist", 1), "ctrl": ("reward_ctrl", 1)},
    "HalfCheetah": {"forward": ("reward_forward", 1), "ctrl": ("reward_ctrl", 1)},
    "Hopper": {"forward": ("reward_forward", 1), "ctrl": ("reward_ctrl", 1),
               "healthy": ("reward_survive", 1)},
    "Walker2d": {"forward": ("reward_forward", 1), "ctrl": ("reward_ctrl", 1),
                 "healthy": ("reward_survive", 1)},
    "Swimmer": {"forward": ("reward_forward", 1), "ctrl": ("reward_ctrl", 1)},
}
COLS = ["total", "forward", "ctrl", "healthy", "dist", "vel", "terminated"]


class Driver:
    def __init__(self, path):
        self.p = subprocess.Popen([path], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def ask(self, line):
        self.p.stdin.write(line + "\n")
        self.p.stdin.flush()
        out = self.p.stdout.readline().strip()
        if out.startswith("error"):
            raise RuntimeError(f"driver: {out} (for: {line[:80]})")
        return out

    def nums(self, line):
        return [float(x) for x in self.ask(line).split()]


def fmt(xs):
    return " ".join(repr(float(x)) for x in xs)


def extras(name, env):
    d = env.unwrapped.data
    if name == "InvertedDoublePendulum":
        x, _, z = d.site_xpos[0]
        return [x, z, d.qfrc_constraint[0]]
    if name == "Reacher":
        u = env.unwrapped
        return list(u.get_body_com("fingertip") - u.get_body_com("target"))
    return []


class Checker:
    def __init__(self):
        self.failures = 0

    def check(self, ok, what):
        if not ok:
            self.failures += 1
            if self.failures <= 30:
                print("MISMATCH", what)
        return ok


def check_task(name, t, drv, ck, episodes):
    env = gym.make(f"{name}-v5")
    u = env.unwrapped
    m = u.model
    nq, nv, nu, n_ext, skip, ts, obs_size, lim, limit = drv.nums(f"spec {t}")
    nq, nv, nu, n_ext, skip, obs_size, limit = map(int, (nq, nv, nu, n_ext, skip, obs_size, limit))
    # ---- spec
    ck.check((m.nq, m.nv, m.nu) == (nq, nv, nu), f"{name} sizes ref {(m.nq, m.nv, m.nu)} ours {(nq, nv, nu)}")
    ck.check(u.frame_skip == skip, f"{name} frame skip ref {u.frame_skip} ours {skip}")
    ck.check(abs(m.opt.timestep - ts) < 1e-12, f"{name} timestep ref {m.opt.timestep} ours {ts}")
    ck.check(env.observation_space.shape == (obs_size,),
             f"{name} observation ref {env.observation_space.shape} ours {obs_size}")
    ck.check(np.all(env.action_space.low == -lim) and np.all(env.action_space.high == lim),
             f"{name} action bounds ref {env.action_space.low} {env.action_space.high} ours +-{lim}")
    ck.check(env.spec.max_episode_steps == limit,
             f"{name} time limit ref {env.spec.max_episode_steps} ours {limit}")
    q0 = drv.nums(f"qpos0 {t}")
    ck.check(np.allclose(q0, u.init_qpos, atol=1e-12), f"{name} qpos0 ref {u.init_qpos} ours {q0}")

    rng = np.random.default_rng(1234 + t)
    # ---- observations of the same states
    env.reset(seed=t)
    n_obs = 0
    for k in range(40):
        qpos = u.init_qpos + rng.normal(0, 0.6, nq)
        qvel = rng.normal(0, 8.0, nv)  # beyond 10 at times: the clipped entries
        u.set_state(qpos, qvel)
        ref = u._get_obs()
        ours = drv.nums(f"obs {t} {fmt(qpos)} {fmt(qvel)} {fmt(extras(name, env))}")
        ok = len(ours) == len(ref) and np.allclose(ours, ref.astype(np.float32), rtol=2e-7, atol=1e-7)
        ck.check(ok, f"{name} obs of state {k}: ref {ref} ours {ours}")
        n_obs += 1

    # ---- rewards and terminations of reference trajectories
    n_steps = n_term = 0
    for ep in range(episodes):
        env.reset(seed=100 * t + ep)
        for step in range(limit):
            a = rng.uniform(-1.3 * lim, 1.3 * lim, nu).astype(np.float32)  # past the bounds too
            qb = u.data.qpos.copy()
            _, r, term, trunc, info = env.step(a)
            line = f"rew {t} {fmt(qb)} {fmt(u.data.qpos)} {fmt(u.data.qvel)} {fmt(extras(name, env))} {fmt(a)}"
            ours = dict(zip(COLS, drv.nums(line)))
            # the reference sums float32 squares of its float32 actions: float32 precision
            ck.check(abs(ours["total"] - r) <= 1e-6 * (1 + abs(r)),
                     f"{name} ep {ep} step {step}: reward ref {r!r} ours {ours['total']!r}")
            for col, (key, sign) in TERMS[name].items():
                ck.check(abs(ours[col] - sign * info[key]) <= 1e-6 * (1 + abs(info[key])),
                         f"{name} ep {ep} step {step}: {key} ref {info[key]!r} ours {ours[col]!r}")
            ck.check(int(ours["terminated"]) == int(term),
                     f"{name} ep {ep} step {step}: terminated ref {term} ours {ours['terminated']}")
            n_steps += 1
            n_term += int(term)
            if term or trunc:
                break

    # ---- random-policy returns, each on its own physics
    n_ep = 40
    rets = []
    for ep in range(n_ep):
        env.reset(seed=1000 + ep)
        ret, done = 0.0, False
        while not done:
            _, r, term, trunc, _ = env.step(rng.uniform(-lim, lim, nu).astype(np.float32))
            ret += r
            done = term or trunc
        rets.append(ret)
    ref_mean, ref_sd = float(np.mean(rets)), float(np.std(rets))
    our_mean, our_sd, our_len = drv.nums(f"eval {t} {n_ep} 7")
    se = np.sqrt((ref_sd ** 2 + our_sd ** 2) / n_ep)
    close = abs(ref_mean - our_mean) <= 3 * se or abs(ref_mean - our_mean) <= 0.25 * abs(ref_mean)
    ck.check(close, f"{name} random-policy return ref {ref_mean:.3f} +- {ref_sd:.3f}, ours "
                    f"{our_mean:.3f} +- {our_sd:.3f}")
    print(f"{name:24s} obs states {n_obs}, reward steps {n_steps} ({n_term} terminations), "
          f"random return ref {ref_mean:9.3f} sd {ref_sd:8.3f} | ours {our_mean:9.3f} sd {our_sd:8.3f}")
    env.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--driver", required=True)
    ap.add_argument("--task", default="all")
    ap.add_argument("--episodes", type=int, default=4)
    args = ap.parse_args()
    drv = Driver(args.driver)
    ck = Checker()
    names = TASKS if args.task == "all" else [args.task]
    print(f"reference: gymnasium {gym.__version__}, mujoco {__import__('mujoco').__version__}")
    for name in names:
        check_task(name, TASKS.index(name), drv, ck, args.episodes)
    if ck.failures:
        print(f"FAIL: {ck.failures} mismatches")
        return 1
    print("OK: observation layouts, reward terms, terminations and random-policy returns agree")
    return 0


if __name__ == "__main__":
    sys.exit(main())
