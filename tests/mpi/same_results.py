#!/usr/bin/env python3
"""Checks that two results folders of `clkfac bench sample` hold the same results: the same
files, byte for byte, except for the lines of the JSON files that record when and how fast
(date and the timing keys below), which are compared with their values blanked out.
Usage: same_results.py A B; exit 0 when the same, 1 with the differences listed."""
import os
import re
import sys

TIMING = re.compile(rb'^(\s*"(date|wall_seconds|timesteps_per_second|env_seconds|'
                    rb'inference_seconds|update_seconds)": ).*?(,?)$')


def files(root):
    out = set()
    for d, _, names in os.walk(root):
        for n in names:
            out.add(os.path.relpath(os.path.join(d, n), root))
    return out


def content(path):
    with open(path, "rb") as f:
        data = f.read()
    if path.endswith(".json"):
        data = b"\n".join(TIMING.sub(rb"\1<time>\3", line) for line in data.split(b"\n"))
    return data


def main():
    a, b = sys.argv[1:3]
    fa, fb = files(a), files(b)
    bad = []
    for f in sorted(fa ^ fb):
        bad.append(f"{f}: only in {a if f in fa else b}")
    compared = 0
    for f in sorted(fa & fb):
        compared += 1
        if content(os.path.join(a, f)) != content(os.path.join(b, f)):
            bad.append(f"{f}: differs")
    if not compared:
        bad.append("no files to compare")
    if bad:
        print(f"{a} vs {b}:\n  " + "\n  ".join(bad))
        return 1
    print(f"{a} vs {b}: {compared} files the same")
    return 0


if __name__ == "__main__":
    sys.exit(main())
