#!/usr/bin/env python3
"""Runs every test phase and ends with one line: N passed, N failed, N skipped.

Phases: the static-binary check, the unit tests (ASan/UBSan), one replay
of every fuzz corpus, and the integration tests against the static binary
and against the sanitizer build.
SPDX-License-Identifier: Apache-2.0
"""
import argparse
import os
import re
import subprocess
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SUMMARY = re.compile(r"^(\d+) passed, (\d+) failed(?:, (\d+) skipped)?$")


def run_phase(name, argv, timeout):
    print(f"== {name}: {' '.join(argv)}", flush=True)
    try:
        p = subprocess.run(argv, cwd=TOP, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=timeout)
        out = p.stdout.decode("utf-8", "replace")
        rc = p.returncode
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode("utf-8", "replace")
        out += f"\n{name}: timed out after {timeout}s\n"
        rc = -1
    sys.stdout.write(out)
    passed = failed = skipped = 0
    for line in reversed(out.splitlines()):
        m = SUMMARY.match(line.strip())
        if m:
            passed, failed = int(m.group(1)), int(m.group(2))
            skipped = int(m.group(3) or 0)
            break
    else:
        failed = 1
        print(f"{name}: no summary line")
    if rc != 0 and failed == 0:
        failed = 1
        print(f"{name}: exit status {rc} with no failure counted")
    return passed, failed, skipped


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--only", action="append", default=[],
                    help="run only these phases (static, unit, fuzz, "
                    "integration)")
    args = ap.parse_args()
    b = args.build
    phases = [
        ("static", ["sh", "tests/check-static.sh", "./kevents"], 60),
        ("unit", [f"{b}/unit-tests"], 900),
        ("fuzz", ["sh", "tests/fuzz/replay.sh", f"{b}/fuzz"], 900),
        ("integration", [sys.executable, "tests/integration/run.py",
                         "./kevents", f"{b}/kevents-asan"], 3000),
    ]
    total = [0, 0, 0]
    for name, argv, timeout in phases:
        if args.only and name not in args.only:
            continue
        r = run_phase(name, argv, timeout)
        print(f"-- {name}: {r[0]} passed, {r[1]} failed, {r[2]} skipped",
              flush=True)
        for i in range(3):
            total[i] += r[i]
    print(f"{total[0]} passed, {total[1]} failed, {total[2]} skipped")
    return 1 if total[1] else 0


if __name__ == "__main__":
    sys.exit(main())
