"""Shared pieces of the integration tests: a check collector that prints
"ok"/"FAIL"/"skip" lines and the summary, and a runner for the binary
under test with a hard time bound.
SPDX-License-Identifier: Apache-2.0
"""
import os
import subprocess
import sys

KEVENTS = os.environ.get("KEVENTS", "./kevents")
FLAVOR = os.environ.get("KEVENTS_FLAVOR", "static")
TOP = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


class Suite:
    def __init__(self, name):
        self.name = name
        self.passed = self.failed = self.skipped = 0

    def check(self, what, ok, detail=""):
        if ok:
            self.passed += 1
            print(f"ok   {what}")
        else:
            self.failed += 1
            print(f"FAIL {what}" + (f": {detail}" if detail else ""))
        sys.stdout.flush()
        return ok

    def skip(self, what, why):
        self.skipped += 1
        print(f"skip {what}: {why}")

    def done(self):
        print(f"{self.passed} passed, {self.failed} failed, "
              f"{self.skipped} skipped")
        sys.exit(1 if self.failed else 0)


class Result:
    def __init__(self, rc, out, err, timed_out):
        self.rc, self.out, self.err = rc, out, err
        self.timed_out = timed_out

    def __repr__(self):
        return (f"rc={self.rc} timed_out={self.timed_out} "
                f"stdout={self.out[-400:]!r} stderr={self.err[-600:]!r}")


def sanitizer_report(text):
    """True when stderr holds an ASan/UBSan/LSan report."""
    return ("ERROR: AddressSanitizer" in text or
            "ERROR: LeakSanitizer" in text or
            "runtime error:" in text)


def kevents(args, timeout=30, env=None, stdin=None):
    """Runs the binary under test; never waits longer than timeout."""
    e = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
        if k in os.environ:
            e[k] = os.environ[k]
    if env:
        e.update(env)
    try:
        p = subprocess.run([KEVENTS] + list(args), env=e,
                           stdin=stdin if stdin is not None
                           else subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=timeout)
        return Result(p.returncode, p.stdout.decode("utf-8", "replace"),
                      p.stderr.decode("utf-8", "replace"), False)
    except subprocess.TimeoutExpired as ex:
        return Result(None, (ex.stdout or b"").decode("utf-8", "replace"),
                      (ex.stderr or b"").decode("utf-8", "replace"), True)
