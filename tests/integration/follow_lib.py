"""Running kevents against kube-sim while a test changes the world:
start it, wait until it follows, act, collect what it printed.
SPDX-License-Identifier: Apache-2.0
"""
import json
import os
import select
import subprocess
import time

from lib import KEVENTS, sanitizer_report


def env_for(extra=None):
    e = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
        if k in os.environ:
            e[k] = os.environ[k]
    if extra:
        e.update(extra)
    return e


class Run:
    """A kevents process with its output collected line by line."""

    def __init__(self, args, env=None, prefix=()):
        self.args = list(args)
        self.proc = subprocess.Popen(
            list(prefix) + [KEVENTS] + self.args, env=env_for(env),
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE)
        self.out = b""
        self.err = b""
        self.lines = []         # (monotonic time, line) as they arrived
        self.rc = None

    def pump(self, seconds):
        """Reads whatever arrives for up to seconds."""
        end = time.monotonic() + seconds
        fds = [f for f in (self.proc.stdout, self.proc.stderr) if f]
        while fds:
            left = end - time.monotonic()
            if left <= 0:
                break
            r, _, _ = select.select(fds, [], [], left)
            for f in r:
                data = os.read(f.fileno(), 65536)
                if not data:
                    fds.remove(f)
                    continue
                if f is self.proc.stdout:
                    now = time.monotonic()
                    self.out += data
                    *full, _ = self.out.split(b"\n")
                    for line in full[len(self.lines):]:
                        self.lines.append((now, line.decode("utf-8",
                                                           "replace")))
                else:
                    self.err += data
            if not fds:
                break

    def wait_line(self, pred, seconds):
        """Pumps until a line satisfies pred; returns it or None."""
        end = time.monotonic() + seconds
        seen = 0
        while time.monotonic() < end:
            for t, line in self.lines[seen:]:
                if pred(line):
                    return t, line
            seen = len(self.lines)
            if self.proc.poll() is not None and not self._readable():
                break
            self.pump(0.05)
        for t, line in self.lines[seen:]:
            if pred(line):
                return t, line
        return None

    def _readable(self):
        r, _, _ = select.select([self.proc.stdout], [], [], 0)
        return bool(r)

    def finish(self, seconds=30):
        """Waits for exit (killing after seconds) and reads the rest."""
        end = time.monotonic() + seconds
        while self.proc.poll() is None and time.monotonic() < end:
            self.pump(0.1)
        if self.proc.poll() is None:
            self.proc.kill()
            self.rc = None
        else:
            self.rc = self.proc.returncode
        self.pump(1)
        self.proc.wait()
        return self

    @property
    def stdout(self):
        return self.out.decode("utf-8", "replace")

    @property
    def stderr(self):
        return self.err.decode("utf-8", "replace")

    def json_lines(self):
        out = []
        for line in self.stdout.splitlines():
            if line.strip():
                out.append(json.loads(line))
        return out

    def clean(self):
        return not sanitizer_report(self.stderr)

    def __repr__(self):
        return (f"rc={self.rc} stdout={self.stdout[-800:]!r} "
                f"stderr={self.stderr[-1200:]!r}")


def wait_for(pred, seconds, step=0.05):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return pred()


def watching(sim, n=1):
    """True once kube-sim has seen n watch connections."""
    return sim.counters().get("watches_opened", 0) >= n


def once_each(values):
    """(ok, detail): every value exactly once."""
    seen = {}
    for v in values:
        seen[v] = seen.get(v, 0) + 1
    doubles = {k: c for k, c in seen.items() if c > 1}
    return not doubles, f"printed more than once: {doubles}" if doubles else ""


def sim_uids(sim, namespace=None, pod=None):
    out = set()
    for u in sim.uids()["uids"]:
        if namespace and u.get("namespace") != namespace:
            continue
        io = u.get("involvedObject") or {}
        if pod and io.get("name") != pod:
            continue
        out.add(u["uid"])
    return out
