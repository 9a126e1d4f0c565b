#!/usr/bin/env python3
"""Side-by-side step cost: clkfac against PyTorch, measured in the same run on the same threads.

Reads clkfac's `bench step` (step_cost.csv, step_summary.csv) and `bench kfac` (kfac_summary.csv)
results for the Atari CNN at one batch, and the JSON of torch_step.py, and writes
peers.{csv,md,json}: per update and per phase, clkfac's time, the peer's and their ratio.

ACKTR is compared per update with its inverses amortized: clkfac's `bench step` reports the
median update, which holds no inverse (they run every T_inv updates), so clkfac's inverse time
per update is the sum over layers of `bench kfac`'s inverse_ms divided by T_inv; the PyTorch
script times windows of T_inv updates and divides.

Usage: compare.py --clkfac-step DIR --clkfac-kfac DIR --peer JSON --out DIR [--batch 640]
A missing or skipped peer (torch_step.py exit 77) is reported and the tables say so.
"""
import argparse
import csv
import json
import os
import sys


def read_csv(path):
    with open(path, newline="") as f:
        return [r for r in csv.DictReader(f) if r and not next(iter(r.values()), "").startswith("#")]


def write_atomic(path, text):
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.replace(path + ".tmp", path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--clkfac-step", required=True)
    ap.add_argument("--clkfac-kfac", required=True)
    ap.add_argument("--peer", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--batch", type=int, default=640)
    ap.add_argument("--inv-every", type=int, default=10)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    b = str(a.batch)

    phases = {}  # (algo, phase) -> ms
    for r in read_csv(os.path.join(a.clkfac_step, "step_cost.csv")):
        if r.get("net") == "atari" and r.get("batch") == b:
            phases[(r["algo"], r["phase"])] = float(r["median_ms"])
    update = {}
    for r in read_csv(os.path.join(a.clkfac_step, "step_summary.csv")):
        if r.get("net") == "atari" and r.get("batch") == b:
            update[r["algo"]] = float(r["update_ms"])
    inv_ms = sum(float(r["inverse_ms"]) for r in read_csv(os.path.join(a.clkfac_kfac, "kfac_summary.csv"))
                 if r.get("net") == "atari" and r.get("batch") == b and r.get("inverse_ms") not in (None, "", "-"))
    if "acktr" in update:
        update["acktr"] += inv_ms / a.inv_every
        phases[("acktr", "inverse")] = phases.get(("acktr", "inverse"), 0.0) + inv_ms / a.inv_every

    peer, why = None, ""
    try:
        with open(a.peer) as f:
            peer = json.load(f)
    except (OSError, ValueError) as e:
        why = f"no PyTorch result ({e})"

    rows = []
    for algo in ("a2c", "acktr"):
        if algo not in update:
            continue
        p = peer.get(algo) if peer else None
        names = sorted({ph for (al, ph) in phases if al == algo} | set((p or {}).get("phases", {})))
        for ph in ["update"] + names:
            ours = update[algo] if ph == "update" else phases.get((algo, ph))
            theirs = None
            if p:
                theirs = p["seconds"] * 1e3 if ph == "update" else p["phases"].get(ph, None)
                if theirs is not None and ph != "update":
                    theirs *= 1e3
            ratio = ours / theirs if ours and theirs else None
            rows.append({"algo": algo, "phase": ph,
                         "clkfac_ms": None if ours is None else round(ours, 2),
                         "pytorch_ms": None if theirs is None else round(theirs, 2),
                         "clkfac_over_pytorch": None if ratio is None else round(ratio, 3)})

    head = ["algo", "phase", "clkfac_ms", "pytorch_ms", "clkfac_over_pytorch"]
    fmt = lambda v: "" if v is None else str(v)
    csv_text = ",".join(head) + "\n" + "".join(",".join(fmt(r[h]) for h in head) + "\n" for r in rows)
    what = (f"PyTorch {peer['version']}, {peer['threads']} thread(s)" if peer else why)
    md = [f"## Step cost side by side: clkfac vs PyTorch (Atari CNN, batch {a.batch})", "",
          f"Peer: {what}. ACKTR per update with inverses (every {a.inv_every}) amortized. "
          "Phases are named as each side times them; a phase one side does not time is blank.",
          "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    md += ["| " + " | ".join(fmt(r[h]) for h in head) + " |" for r in rows]
    if peer:
        md += ["", "PyTorch single ops (s): " + ", ".join(f"{k} {v:.4g}" for k, v in peer.get("ops", {}).items())]
    write_atomic(os.path.join(a.out, "peers.csv"), csv_text)
    write_atomic(os.path.join(a.out, "peers.md"), "\n".join(md) + "\n")
    write_atomic(os.path.join(a.out, "peers.json"),
                 json.dumps({"peer": peer and {k: peer[k] for k in ("peer", "version", "threads")},
                             "skipped": why or None, "rows": rows}, indent=2) + "\n")
    print("\n".join(md))
    if not peer:
        print(f"SKIP: the PyTorch section: {why}", file=sys.stderr)


if __name__ == "__main__":
    main()
