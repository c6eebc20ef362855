#!/usr/bin/env python3
"""Runs each tests/integration/test_*.py against each binary given.

usage: run.py STATIC_BINARY [SANITIZER_BINARY]

A test file sees the binary in KEVENTS and its flavour ("static" or
"asan") in KEVENTS_FLAVOR. A line "# flavors: static" near the top of a
file limits it to those flavours. Each file ends with a summary line;
this runner adds them up and prints its own.
SPDX-License-Identifier: Apache-2.0
"""
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
SUMMARY = re.compile(r"^(\d+) passed, (\d+) failed(?:, (\d+) skipped)?$")
FILE_TIMEOUT = 600


def flavors_of(path):
    with open(path) as f:
        for _, line in zip(range(10), f):
            m = re.match(r"#\s*flavors:\s*(.*)", line)
            if m:
                return set(m.group(1).replace(",", " ").split())
    return {"static", "asan"}


def main():
    binaries = [("static", sys.argv[1])]
    if len(sys.argv) > 2:
        binaries.append(("asan", sys.argv[2]))
    only = os.environ.get("KEVENTS_TESTS", "").split()
    files = sorted(f for f in os.listdir(HERE)
                   if f.startswith("test_") and f.endswith(".py"))
    if only:
        files = [f for f in files if any(o in f for o in only)]
    total = [0, 0, 0]
    for flavor, binary in binaries:
        for name in files:
            path = os.path.join(HERE, name)
            if flavor not in flavors_of(path):
                continue
            env = dict(os.environ)
            env["KEVENTS"] = os.path.abspath(os.path.join(TOP, binary))
            env["KEVENTS_FLAVOR"] = flavor
            env["PYTHONDONTWRITEBYTECODE"] = "1"
            env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
            env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
            t0 = time.monotonic()
            print(f"-- {name} [{flavor}]", flush=True)
            try:
                p = subprocess.run([sys.executable, path], cwd=TOP, env=env,
                                   stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT,
                                   timeout=FILE_TIMEOUT)
                out, rc = p.stdout.decode("utf-8", "replace"), p.returncode
            except subprocess.TimeoutExpired as e:
                out = (e.stdout or b"").decode("utf-8", "replace")
                out += f"FAIL {name}: timed out after {FILE_TIMEOUT}s\n"
                rc = -1
            sys.stdout.write(out)
            counts = None
            for line in reversed(out.splitlines()):
                m = SUMMARY.match(line.strip())
                if m:
                    counts = [int(m.group(1)), int(m.group(2)),
                              int(m.group(3) or 0)]
                    break
            if counts is None:
                print(f"FAIL {name} [{flavor}]: no summary line")
                counts = [0, 1, 0]
            if rc != 0 and counts[1] == 0:
                print(f"FAIL {name} [{flavor}]: exit status {rc}")
                counts[1] = 1
            for i in range(3):
                total[i] += counts[i]
            print(f"   {name} [{flavor}] {time.monotonic() - t0:.1f}s",
                  flush=True)
    print(f"{total[0]} passed, {total[1]} failed, {total[2]} skipped")
    return 1 if total[1] else 0


if __name__ == "__main__":
    sys.exit(main())
