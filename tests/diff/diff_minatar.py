"""Differential test: clkfac's pixel games against the reference `minatar` package (1.0.15),
frame by frame. For each game it plays runs of episodes on the C driver (minatar_replay) and on
minatar.Environment in lockstep with the same actions and compares every frame's observation
channels, reward and terminal flag. A mismatch prints game, seed, configuration, episode, frame
and the differing cells, and the script exits 1.

Seeding (the mapping clkfac documents): clkfac seed S < 2^32 is env.seed(S); a larger S is
env.seed([S & 0xffffffff, S >> 32]). minatar 1.0.15's Environment has no random_seed argument:
seed() replaces the stream shared by the sticky-action draw and the game, and the game must be
reset after it. One Environment (one C environment) plays all episodes of a run, so the stream
and the previous action carry over between episodes in both.

Usage: python diff_minatar.py --driver BUILD/tests/diff/minatar_replay --game breakout [...]"""
import argparse
import copy
import os
import struct
import subprocess
import sys
import time

try:
    import numpy as np
    import minatar
except ImportError as e:  # the runner only starts us when the venv exists: a broken venv fails
    print("FAIL: cannot import the reference (%s); rerun scripts/setup.sh" % e)
    sys.exit(1)

GAMES = {  # script name -> (clkfac id, length cap of an episode's action sequence)
    "breakout": ("MinAtar/Breakout-v1", 1500),
    "freeway": ("MinAtar/Freeway-v1", 2600),  # episodes last 2501 frames: never cut
    "space_invaders": ("MinAtar/SpaceInvaders-v1", 1500),
    "seaquest": ("MinAtar/Seaquest-v1", 1500),
    "asterix": ("MinAtar/Asterix-v1", 1500),
}
MEANING = "nlurdf"  # game action index -> letter, as the reference's action_map
TRACK_NOISE = 0.02  # random actions of the Breakout tracker, so its episodes end
POLICIES = ["random", "track", "alternate", "const:u", "const:f", "const:n", "mostly:u",
            "mostly:f", "track", "mostly:l", "mostly:r", "mostly:d",
            "hunt", "divers", "dodge"]
# 64-bit seeds beyond 2^32 exercise the RandomState([low, high]) mapping.
SEEDS = [0, 1, 7, 12345, 2**31 + 11, 2**32 - 1, 2**32 + 5, 0x9E3779B97F4A7C15]


def ref_seed(seed):
    return seed if seed < 2**32 else [seed & 0xFFFFFFFF, seed >> 32]


class Policy:
    """Chooses agent action indices (into game_actions). Scripted policies by action letter;
    "mostly:x" takes x 4 times in 5, else a random action; "track" follows the ball (Breakout)."""

    def __init__(self, name, game, game_actions, rng):
        self.name, self.game, self.actions, self.rng = name, game, game_actions, rng
        self.t = 0
        self.aim = None

    def adaptive(self):
        return self.name == "track" or self.name in SEEKERS

    def usable(self):
        if self.name in ("random", "alternate"):
            return True
        if self.name == "track":
            return self.game == "breakout"
        if self.name in SEEKERS:
            return SEEKERS[self.name][0] == self.game
        return MEANING.index(self.name.split(":")[1]) in self.actions

    def index(self, letter):
        return self.actions.index(MEANING.index(letter))

    def act(self, state, ref):
        """state: the reference's (10, 10, C) frame the action answers; ref its game."""
        n = len(self.actions)
        self.t += 1
        if self.name == "random":
            return self.rng.randint(n)
        if self.name == "alternate":
            return self.t % n
        if self.name == "track":
            if self.rng.rand() < TRACK_NOISE:
                return self.rng.randint(n)
            if self.aim is None or self.aim[0] != ref.ball_dir:  # recomputed after bounces
                self.aim = (ref.ball_dir, landing_column(ref))
            aim = self.aim[1]
            paddle = np.argwhere(state[9, :, 0])[0][0]
            return self.index("n" if aim == paddle else "l" if aim < paddle else "r")
        if self.name in SEEKERS:
            return self.index(SEEKERS[self.name][1](state, self.rng, ref))
        kind, letter = self.name.split(":")
        if kind == "mostly" and self.rng.rand() >= 0.8:
            return self.rng.randint(n)
        return self.index(letter)


def landing_column(game):
    """Breakout: the column the ball has on row 8 when it next comes down, found by playing a
    copy of the reference game forward (the policy may look ahead; the test compares frames)."""
    g = copy.deepcopy(game)
    g.random = None  # a noop frame of Breakout draws nothing; fail loudly if that changes
    for _ in range(60):
        if g.ball_y == 8 and g.ball_dir in (2, 3):
            return g.ball_x
        g.pos = g.ball_x  # keep the copy alive until the ball comes down
        g.act(0)
        if g.terminal:
            break
    return g.ball_x


def cells(plane):
    """(row, col) of the set cells of one (10, 10) channel."""
    return [tuple(p) for p in np.argwhere(plane)]


def hunt(state, rng, game):
    """Space Invaders: fire from under the nearest column of aliens, stepping aside from a
    bullet about to land on the cannon; with three aliens or fewer (they move every frame or
    two) it looks ahead on a copy of the reference game, so that waves get cleared."""
    x = cells(state[9, :, 0])[0][0]
    safe = lambda c: 0 <= c <= 9 and not state[8, c, 5]
    aliens = cells(state[:, :, 1])
    if aliens and len(aliens) <= 3 and safe(x):
        if game.shot_timer == 0 and shot_hits(game):
            return "f"
        g = copy.deepcopy(game)
        g.random = None  # a Space Invaders frame draws nothing; fail loudly if that changes
        for _ in range(9 - max(r for r, c in aliens)):
            g.act(0)
        lowest = cells(g.alien_map)
        aim = max(lowest)[1] if lowest else x
        if aim != x and safe(x + (1 if aim > x else -1)):
            return "r" if aim > x else "l"
        return "n" if g.shot_timer else "f"
    cols = [c for c in range(10) if state[:, c, 1].any()]
    c = min(cols, key=lambda c: abs(c - x)) if cols else x
    if not safe(x) or (c != x and rng.rand() < 0.8):
        step = 1 if c > x else -1
        for nx in (x + step, x - step):
            if safe(nx):
                return "r" if nx > x else "l"
    return "f"


def shot_hits(game):
    """Whether firing now kills an alien before the bullet leaves (on a copy)."""
    g = copy.deepcopy(game)
    g.random = None
    r, _ = g.act(5)
    for _ in range(10):
        if r > 0 or g.terminal:
            return r > 0
        r, _ = g.act(0)
    return r > 0


def divers(state, rng, game):
    """Seaquest: collect divers away from enemies, surface with six (or low oxygen and any
    count but 0), so that six-diver surfacings, ramps and negative diver counts all happen."""
    y, x = cells(state[:, :, 0])[0]
    count = game.diver_count  # the gauge shows no negative count
    oxygen = int(state[9, :, 7].sum())
    threats = cells(state[:, :, 4]) + cells(state[:, :, 5]) + cells(state[:, :, 6])
    moves = [("n", y, x), ("l", y, max(0, x - 1)), ("r", y, min(9, x + 1)),
             ("u", max(0, y - 1), x), ("d", min(8, y + 1), x)]
    if count == 0:
        moves = [m for m in moves if m[1] > 0 or y == 0]  # never surface empty
    if count < 0 and rng.rand() < 0.9:  # surface again and again: -2, -3, ...
        return "d" if y == 0 else "u"
    up = count >= 6 or (oxygen <= 4 and count != 0)
    found = cells(state[:, :, 9])
    best, score = "n", -1e9
    for letter, ny, nx in moves:
        s = -5.0 * sum(1 for ty, tx in threats if ty == ny and abs(tx - nx) <= 2)
        s += rng.rand() * 0.3
        if up:
            s -= ny
        elif found:
            dy, dx = min(found, key=lambda p: abs(p[0] - y) + abs(p[1] - x))
            s -= abs(dy - ny) + abs(dx - nx)
        else:
            s -= abs(ny - 4) * 0.5
        if s > score:
            best, score = letter, s
    if best == "n" and not up and y > 0 and rng.rand() < 0.5:
        return "f"
    return best


def dodge(state, rng, game):
    """Asterix: step to the neighbouring cell farthest from enemies on its row and nearest to
    gold, so episodes run long enough to ramp."""
    y, x = cells(state[:, :, 0])[0]
    enemies, gold = cells(state[:, :, 1]), cells(state[:, :, 3])
    best, score = "n", -1e9
    for letter, ny, nx in [("n", y, x), ("l", y, max(0, x - 1)), ("r", y, min(9, x + 1)),
                           ("u", max(1, y - 1), x), ("d", min(8, y + 1), x)]:
        s = -sum(10.0 / (1 + abs(ex - nx)) for ey, ex in enemies if ey == ny)
        s += sum(1.0 / (1 + abs(gy - ny) + abs(gx - nx)) for gy, gx in gold)
        s += rng.rand() * 0.5
        if s > score:
            best, score = letter, s
    return best


# Policies that play a game well enough to reach its later rules (waves, six-diver surfacings
# and the negative diver count, ramps): name -> (game, chooser of a game action letter).
SEEKERS = {"hunt": ("space_invaders", hunt), "divers": ("seaquest", divers),
           "dodge": ("asterix", dodge)}


# How deep the compared play went (printed with the result): the highest difficulty ramp and
# Seaquest's lowest diver count (negative after a six-diver surfacing).
REACHED = {}


def note_reached(g):
    if hasattr(g, "ramp_index"):
        REACHED["ramp"] = max(REACHED.get("ramp", 0), g.ramp_index)
    if hasattr(g, "diver_count"):
        REACHED["divers"] = min(REACHED.get("divers", 0), g.diver_count)


def configs():
    """(sticky, ramping, minimal) for every combination."""
    return [(s, r, m) for s in (0.0, 0.1) for r in (0, 1) for m in (0, 1)]


def read_exact(f, n):
    b = f.read(n)
    if len(b) != n:
        raise RuntimeError("driver output ended early (%d of %d bytes)" % (len(b), n))
    return b


def describe(game, seed, cfg, ep, policy):
    return "%s seed %d sticky %.1f ramping %d minimal %d episode %d (%s)" % (
        game, seed, cfg[0], cfg[1], cfg[2], ep, policy)


def compare_run(args, game, seed, cfg, episodes, prng):
    """Plays `episodes` episodes of one configuration on both sides; returns (ok, frames)."""
    gid, cap = GAMES[game]
    sticky, ramping, minimal = cfg
    env = minatar.Environment(game, sticky_action_prob=sticky, difficulty_ramping=bool(ramping))
    env.seed(ref_seed(seed))
    game_actions = list(env.minimal_action_set()) if minimal else list(range(6))
    channels = env.state_shape()[2]
    rec = channels * 100 + 9
    drv = subprocess.Popen([args.driver, gid, str(seed), repr(sticky), str(ramping),
                            str(minimal)], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    frames_total = 0
    policies = [p for p in POLICIES if Policy(p, game, game_actions, prng).usable()]

    def check(where, t, a, r, reward, terminal):
        c_obs, c_term = r[:channels * 100], r[channels * 100]
        c_rew = struct.unpack("<d", r[channels * 100 + 1:])[0]
        state = env.state()  # (10, 10, C) bool: the same bytes as the driver's record
        if c_obs == state.tobytes() and bool(c_term) == bool(terminal) and \
                c_rew == float(reward):
            return True
        report(where, t, a, game_actions, c_obs, state, c_term, terminal, c_rew, reward,
               channels)
        return False

    try:
        for ep in range(episodes):
            policy = Policy(policies[ep % len(policies)], game, game_actions, prng)
            where = describe(game, seed, cfg, ep, policy.name)
            env.reset()
            drv.stdin.write(b"r")
            drv.stdin.flush()
            if not check(where, 0, None, read_exact(drv.stdout, rec), 0, False):
                return False, frames_total
            if policy.adaptive():  # one frame at a time: the policy looks at the frames
                for t in range(1, cap + 1):
                    a = policy.act(env.state(), env.env)
                    drv.stdin.write(b"s" + bytes([a]))
                    drv.stdin.flush()
                    reward, terminal = env.act(game_actions[a])
                    note_reached(env.env)
                    if not check(where, t, a, read_exact(drv.stdout, rec), reward, terminal):
                        return False, frames_total
                    frames_total += 1
                    if terminal:
                        break
                continue
            acts = bytes(policy.act(None, None) for _ in range(cap))
            drv.stdin.write(b"b" + struct.pack("<I", cap) + acts)
            drv.stdin.flush()
            frames = struct.unpack("<I", read_exact(drv.stdout, 4))[0]
            out = read_exact(drv.stdout, frames * rec)
            terminal = False
            for t in range(1, cap + 1):
                reward, terminal = env.act(game_actions[acts[t - 1]])
                note_reached(env.env)
                if t > frames:
                    print("MISMATCH %s frame %d: clkfac ended the episode on frame %d" % (
                        where, t, frames))
                    return False, frames_total
                if not check(where, t, acts[t - 1], out[(t - 1) * rec:t * rec], reward,
                             terminal):
                    return False, frames_total
                frames_total += 1
                if terminal:
                    break
    finally:
        drv.stdin.close()
        drv.wait()
    return True, frames_total


def report(where, t, a, game_actions, c_obs, ref, c_term, terminal, c_rew, reward, channels):
    print("MISMATCH %s frame %d (%s):" % (
        where, t, "after reset" if t == 0 else
        "agent action %d, game action %d" % (a, game_actions[a])))
    c = np.frombuffer(c_obs, dtype=np.uint8).reshape(10, 10, channels)
    diff = np.argwhere(c != ref)
    for row, col, ch in diff[:40]:
        print("  cell channel %d row %d col %d: clkfac %d, reference %d" % (
            ch, row, col, c[row, col, ch], ref[row, col, ch]))
    if len(diff) > 40:
        print("  ... %d differing cells in all" % len(diff))
    if bool(c_term) != bool(terminal):
        print("  terminal: clkfac %d, reference %d" % (c_term, terminal))
    if c_rew != float(reward):
        print("  reward: clkfac %r, reference %r" % (c_rew, float(reward)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--driver", required=True)
    ap.add_argument("--game", action="append", choices=sorted(GAMES), required=True)
    ap.add_argument("--episodes", type=int, default=200,
                    help="episodes per game, spread over the 8 configurations")
    args = ap.parse_args()
    failed = False
    for game in args.game:
        t0 = time.time()
        REACHED.clear()
        per = max(1, -(-args.episodes // len(configs())))
        frames = 0
        for k, cfg in enumerate(configs()):
            seed = SEEDS[k % len(SEEDS)]
            prng = np.random.RandomState(1000 + k)  # the policies' own stream
            ok, n = compare_run(args, game, seed, cfg, per, prng)
            frames += n
            if not ok:
                failed = True
                break
        reached = "".join(", %s down to %d" % (k, v) if k == "divers" else
                          ", %s up to %d" % (k, v) for k, v in sorted(REACHED.items()))
        print("%s: %s, %d episodes, %d frames compared%s, %.1f s" % (
            game, "MISMATCH" if failed else "identical", per * len(configs()), frames, reached,
            time.time() - t0))
        sys.stdout.flush()
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
