#!/usr/bin/env python3
"""The peer side of clkfac's step-cost benchmark: the same network and updates in PyTorch (CPU),
timed in the same run and on the same threads as clkfac, so the ratios mean something.

What it times, on the ACKTR paper's Atari CNN (4x84x84 input, conv 32 8x8/4, conv 64 4x4/2,
conv 64 3x3/1, dense 512, ReLU, 6 logits and a value head) at a batch of --batch rows:
  - the A2C update: forward, policy-gradient + value + entropy loss, backward, global-norm
    clipping, RMSProp (the reference's settings);
  - the ACKTR update written the way the common PyTorch ports do it (an ikostrikov-style K-FAC
    optimizer): a Fisher pass with sampled actions and Gauss-Newton value targets whose hooks
    record each layer's inputs (unfolded patches for convolutions) and output gradients, running
    averages of the Kronecker factors, eigendecompositions every --inv-every updates, the
    preconditioned gradient with eigenvalue damping, the KL trust-region scale and a momentum
    step; phases are timed separately;
  - each factor on its own (A from patches, G) and the dense layer's preconditioning.
This is our own implementation of the published algorithm, for timing only; it is not part of
the library and nothing in clkfac depends on PyTorch. Writes JSON (--out) and prints a table.
"""
import argparse
import json
import math
import statistics
import sys
import time

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError as e:  # the caller skips the peer section with this reason
    print(f"SKIP: PyTorch is not installed ({e}); install python3-torch", file=sys.stderr)
    sys.exit(77)


class AtariNet(nn.Module):
    def __init__(self, n_actions=6):
        super().__init__()
        self.c1 = nn.Conv2d(4, 32, 8, stride=4)
        self.c2 = nn.Conv2d(32, 64, 4, stride=2)
        self.c3 = nn.Conv2d(64, 64, 3, stride=1)
        self.fc = nn.Linear(64 * 7 * 7, 512)
        self.pi = nn.Linear(512, n_actions)
        self.v = nn.Linear(512, 1)

    def layers(self):
        return [self.c1, self.c2, self.c3, self.fc, self.pi, self.v]

    def forward(self, x):
        h = F.relu(self.c1(x))
        h = F.relu(self.c2(h))
        h = F.relu(self.c3(h))
        h = F.relu(self.fc(h.flatten(1)))
        return self.pi(h), self.v(h).squeeze(1)


def a2c_loss(logits, values, actions, returns, ent_coef=0.01, vf_coef=0.5):
    logp = F.log_softmax(logits, dim=1)
    adv = returns - values.detach()
    pg = -(logp.gather(1, actions[:, None]).squeeze(1) * adv).mean()
    ent = -(logp.exp() * logp).sum(1).mean()
    vf = 0.5 * (returns - values).pow(2).mean()
    return pg + vf_coef * vf - ent_coef * ent


def eigh(a):
    """Symmetric eigendecomposition in float32. Debian's torch 1.13 with OpenBLAS fails
    linalg.eigh (LAPACK ssyevd: 'parameter number 8 had an illegal value') at 3137 x 3137, the
    dense layer's A; the older symeig path computes the same decomposition there."""
    try:
        return torch.linalg.eigh(a)
    except RuntimeError:
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return torch.symeig(a, eigenvectors=True)


class KFAC:
    """Kronecker-factored preconditioner with the reference's eigenvalue damping."""

    def __init__(self, net, lr=0.25, momentum=0.9, damping=0.01, kl_clip=0.001,
                 stats_decay=0.99, inv_every=10):
        self.net, self.lr, self.mom, self.damping = net, lr, momentum, damping
        self.kl_clip, self.decay, self.inv_every = kl_clip, stats_decay, inv_every
        self.layers = net.layers()
        self.A, self.G, self.QA, self.dA, self.QG, self.dG = {}, {}, {}, {}, {}, {}
        self.buf = {p: torch.zeros_like(p) for p in net.parameters()}
        self.steps = 0
        self.fisher = False
        self.inputs, self.grads = {}, {}
        for m in self.layers:
            m.register_forward_pre_hook(self._save_input)
            m.register_full_backward_hook(self._save_grad)

    def _save_input(self, m, inp):
        if self.fisher:
            self.inputs[m] = inp[0].detach()

    def _save_grad(self, m, gin, gout):
        if self.fisher:
            self.grads[m] = gout[0].detach()

    @staticmethod
    def a_factor(m, x):
        if isinstance(m, nn.Conv2d):  # KFC: patches of every output location, a ones column
            p = F.unfold(x, m.kernel_size, stride=m.stride, padding=m.padding)  # (N, C*k*k, L)
            p = p.transpose(1, 2).reshape(-1, p.shape[1])
            n = x.shape[0]
        else:
            p, n = x, x.shape[0]
        p = torch.cat([p, p.new_ones(p.shape[0], 1)], 1)
        return p.t() @ (p / n)

    @staticmethod
    def g_factor(m, g):
        if isinstance(m, nn.Conv2d):
            g = g.permute(0, 2, 3, 1).reshape(-1, g.shape[1])
        return g.t() @ (g / g.shape[0])

    def update_stats(self, timer):
        with timer("factors"):
            for m in self.layers:
                a, g = self.a_factor(m, self.inputs[m]), self.g_factor(m, self.grads[m])
                if m not in self.A:
                    self.A[m], self.G[m] = a, g
                else:
                    self.A[m].mul_(self.decay).add_(a, alpha=1 - self.decay)
                    self.G[m].mul_(self.decay).add_(g, alpha=1 - self.decay)

    def step(self, timer):
        if self.steps % self.inv_every == 0:
            with timer("inverse"):
                for m in self.layers:
                    self.dA[m], self.QA[m] = eigh(self.A[m])
                    self.dG[m], self.QG[m] = eigh(self.G[m])
                    self.dA[m].mul_((self.dA[m] > 1e-6).float())
                    self.dG[m].mul_((self.dG[m] > 1e-6).float())
        with timer("precondition"):
            vs, vg_sum = {}, 0.0
            for m in self.layers:
                w, b = m.weight.grad, m.bias.grad
                gw = torch.cat([w.reshape(w.shape[0], -1), b[:, None]], 1)
                v1 = self.QG[m].t() @ gw @ self.QA[m]
                v2 = v1 / (self.dG[m][:, None] * self.dA[m][None, :] + self.damping)
                v = self.QG[m] @ v2 @ self.QA[m].t()
                vs[m] = v
                vg_sum += (v * gw).sum() * self.lr ** 2
            nu = min(1.0, math.sqrt(self.kl_clip / max(float(vg_sum), 1e-30)))
        with timer("step"):
            with torch.no_grad():
                for m in self.layers:
                    v = vs[m] * nu
                    for p, g in ((m.weight, v[:, :-1].reshape(m.weight.shape)), (m.bias, v[:, -1])):
                        buf = self.buf[p].mul_(self.mom).add_(g)
                        p.add_(buf, alpha=-self.lr * (1 - self.mom))
        self.steps += 1


class Timer:
    def __init__(self):
        self.t = {}

    def __call__(self, name):
        timer = self

        class Span:
            def __enter__(self):
                self.t0 = time.perf_counter()

            def __exit__(self, *a):
                timer.t[name] = timer.t.get(name, 0.0) + time.perf_counter() - self.t0
        return Span()


def batch(n, g):
    x = torch.rand(n, 4, 84, 84, generator=g)
    actions = torch.randint(0, 6, (n,), generator=g)
    returns = torch.randn(n, generator=g)
    return x, actions, returns


def a2c_update(net, opt, x, actions, returns, timer):
    with timer("forward"):
        logits, values = net(x)
    with timer("loss"):
        loss = a2c_loss(logits, values, actions, returns)
    with timer("backward"):
        opt.zero_grad()
        loss.backward()
    with timer("step"):
        nn.utils.clip_grad_norm_(net.parameters(), 0.5)
        opt.step()


def acktr_update(net, kfac, x, actions, returns, timer):
    with timer("forward"):
        kfac.fisher = True  # the hooks keep this forward's layer inputs
        logits, values = net(x)
    with timer("fisher_backward"):
        net.zero_grad()
        sampled = torch.distributions.Categorical(logits=logits).sample()
        pg_fisher = F.cross_entropy(logits, sampled)
        vf_fisher = -(values - (values.detach() + torch.randn_like(values))).pow(2).mean()
        (pg_fisher + vf_fisher).backward(retain_graph=True)
        kfac.fisher = False
    kfac.update_stats(timer)
    with timer("loss"):
        net.zero_grad()
        loss = a2c_loss(logits, values, actions, returns)
    with timer("backward"):
        loss.backward()
    kfac.step(timer)


def median_run(fn, reps, warmup):
    times, phases = [], []
    for i in range(warmup + reps):
        t = Timer()
        t0 = time.perf_counter()
        fn(t)
        if i >= warmup:
            times.append(time.perf_counter() - t0)
            phases.append(t.t)
    med = statistics.median(times)
    names = sorted({k for p in phases for k in p})
    return {"seconds": med, "min": min(times), "max": max(times), "reps": reps,
            "phases": {k: statistics.median([p.get(k, 0.0) for p in phases]) for k in names}}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batch", type=int, default=640)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--inv-every", type=int, default=10)
    ap.add_argument("--out", default=None)
    a = ap.parse_args()
    if a.threads < 1 or a.batch < 1 or a.reps < 1 or a.warmup < 0:
        ap.error("--threads, --batch and --reps must be >= 1, --warmup >= 0")
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(1)
    x, actions, returns = batch(a.batch, g)
    res = {"peer": "pytorch", "version": torch.__version__, "threads": a.threads,
           "batch": a.batch, "net": "atari"}

    net = AtariNet()
    opt = torch.optim.RMSprop(net.parameters(), lr=7e-4, alpha=0.99, eps=1e-5)
    res["a2c"] = median_run(lambda t: a2c_update(net, opt, x, actions, returns, t), a.reps, a.warmup)

    net = AtariNet()
    kfac = KFAC(net, inv_every=a.inv_every)
    # statistics every update, inverses every inv_every: time a window of inv_every updates
    # (one with the eigendecompositions) and report the mean per update, like clkfac's bench
    def acktr_window(t):
        for _ in range(a.inv_every):
            acktr_update(net, kfac, x, actions, returns, t)
    w = median_run(acktr_window, a.reps, a.warmup)
    res["acktr"] = {"seconds": w["seconds"] / a.inv_every, "min": w["min"] / a.inv_every,
                    "max": w["max"] / a.inv_every, "reps": a.reps,
                    "phases": {k: v / a.inv_every for k, v in w["phases"].items()}}

    # the factors and the dense preconditioning alone (one layer each)
    ops = {}
    with torch.no_grad():
        for name, m in (("conv1", net.c1), ("conv2", net.c2), ("conv3", net.c3), ("fc", net.fc)):
            kfac.fisher = True
            net(x)
            kfac.fisher = False
            inp = kfac.inputs[m]
            ops[f"{name}_A"] = median_run(lambda t: KFAC.a_factor(m, inp), a.reps, a.warmup)["seconds"]
        qa, qg = kfac.QA[net.fc], kfac.QG[net.fc]
        gw = torch.randn(qg.shape[0], qa.shape[0], generator=g)
        ops["fc_precondition"] = median_run(lambda t: qg @ ((qg.t() @ gw @ qa) / 2.0) @ qa.t(),
                                            a.reps, a.warmup)["seconds"]
        m = n = k = 1024
        aa, bb = torch.randn(m, k, generator=g), torch.randn(k, n, generator=g)
        s = median_run(lambda t: aa @ bb, a.reps, a.warmup)["seconds"]
        ops["sgemm_1024_gflops"] = 2.0 * m * n * k / s / 1e9
    res["ops"] = ops
    if a.out:
        with open(a.out + ".tmp", "w") as f:
            json.dump(res, f, indent=2)
        import os
        os.replace(a.out + ".tmp", a.out)
    print(f"PyTorch {torch.__version__}, {a.threads} thread(s), Atari CNN, batch {a.batch}")
    for k in ("a2c", "acktr"):
        ph = ", ".join(f"{n} {v * 1e3:.0f} ms" for n, v in res[k]["phases"].items())
        print(f"  {k:5s} update {res[k]['seconds'] * 1e3:8.1f} ms  ({ph})")
    for k, v in ops.items():
        print(f"  {k:18s} {v:10.4g}{'' if 'gflops' in k else ' s'}")


if __name__ == "__main__":
    main()
