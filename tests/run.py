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
import threading

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SUMMARY = re.compile(r"^(\d+) passed, (\d+) failed(?:, (\d+) skipped)?$")


def run_phase(name, argv, timeout):
    """Runs one phase, echoing its output as it comes, and reads its
    summary line. A phase past its timeout is killed and counts as
    failed."""
    print(f"== {name}: {' '.join(argv)}", flush=True)
    p = subprocess.Popen(argv, cwd=TOP, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    timer = threading.Timer(timeout, p.kill)
    timer.start()
    last = None
    try:
        for raw in p.stdout:
            line = raw.decode("utf-8", "replace")
            sys.stdout.write(line)
            sys.stdout.flush()
            m = SUMMARY.match(line.strip())
            if m:
                last = m
        rc = p.wait()
    finally:
        killed = not timer.is_alive() and p.returncode is not None and \
            p.returncode < 0
        timer.cancel()
    passed = failed = skipped = 0
    if last is not None:
        passed, failed = int(last.group(1)), int(last.group(2))
        skipped = int(last.group(3) or 0)
    else:
        failed = 1
        print(f"{name}: no summary line")
    if killed:
        print(f"{name}: killed after {timeout}s")
        failed = max(failed, 1)
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
