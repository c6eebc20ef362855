"""Helpers for the hostile-input tests: a tiny raw HTTP server that
answers each request with whatever bytes a handler writes, and a runner
that bounds kevents' address space (static flavour) and measures its
peak RSS from the kernel's own accounting (wait4).
SPDX-License-Identifier: Apache-2.0
"""
import os
import resource
import select
import signal
import socket
import subprocess
import tempfile
import threading
import time

from lib import FLAVOR, KEVENTS

AS_LIMIT = 64 * 1024 * 1024


class RawServer:
    """Plain HTTP on 127.0.0.1. handler(sock, request_line, stop) owns
    the connection after the request head was read; it returns when done
    and the server closes the socket. Every write loop in a handler must
    check stop (set by stop()) and its own deadline."""

    def __init__(self, handler, lifetime=60):
        self.handler = handler
        self.stop_ev = threading.Event()
        self.deadline = time.monotonic() + lifetime
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.requests = []
        self.errors = []
        self.threads = []
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while not self.stop_ev.is_set() and time.monotonic() < self.deadline:
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            th = threading.Thread(target=self.one, args=(conn,),
                                  daemon=True)
            th.start()
            self.threads.append(th)

    def one(self, conn):
        conn.settimeout(5)
        try:
            data = b""
            while b"\r\n\r\n" not in data and len(data) < 65536:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                data += chunk
            line = data.split(b"\r\n", 1)[0].decode("latin-1")
            self.requests.append(line)
            self.handler(conn, line, self.stop_ev)
        except OSError as e:
            self.errors.append(str(e))
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def stop(self):
        self.stop_ev.set()
        self.thread.join(2)
        for th in self.threads:
            th.join(2)
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def send_forever(sock, first, piece, stop, seconds=20):
    """Sends first, then piece again and again until the peer goes away,
    stop is set or seconds pass. Returns the bytes sent."""
    sent = 0
    end = time.monotonic() + seconds
    try:
        sock.sendall(first)
        sent += len(first)
        while not stop.is_set() and time.monotonic() < end:
            sock.sendall(piece)
            sent += len(piece)
    except OSError:
        pass
    return sent


def send_fast(sock, first, stop, seconds=20, fill=b" "):
    """Like send_forever with fill bytes, at kernel speed (sendfile of
    a 16 MiB file, a large send buffer) so that the peer's socket is
    never empty: a reader that checks its deadline only when a read
    would block never gets to check it."""
    sent = 0
    end = time.monotonic() + seconds
    with tempfile.TemporaryFile() as f:
        f.write(fill * (16 << 20))
        f.flush()
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 8 << 20)
            sock.sendall(first)
            sent += len(first)
            while not stop.is_set() and time.monotonic() < end:
                f.seek(0)
                sent += sock.sendfile(f)
        except OSError:
            pass
    return sent


def hold(sock, stop, seconds=20):
    """Keeps a connection open without sending until the peer closes."""
    end = time.monotonic() + seconds
    while not stop.is_set() and time.monotonic() < end:
        r, _, _ = select.select([sock], [], [], 0.1)
        if r:
            try:
                if not sock.recv(4096):
                    return
            except OSError:
                return


class Bounded:
    """kevents run with a hard wall-clock bound, stdout counted (not
    kept, past a small head) by a reader thread, and peak RSS taken from
    wait4's rusage. limit_as applies RLIMIT_AS in the static flavour only
    (ASan reserves terabytes of shadow address space)."""

    def __init__(self, args, wall=30, limit_as=True, env=None,
                 keep_lines=0):
        e = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
            if k in os.environ:
                e[k] = os.environ[k]
        if FLAVOR == "asan":
            # Freed memory sits in ASan's quarantine (256 MiB by default)
            # and would count as RSS; keep it small for RSS bounds.
            e["ASAN_OPTIONS"] = (e.get("ASAN_OPTIONS", "") +
                                 ":quarantine_size_mb=1").lstrip(":")
        if env:
            e.update(env)
        self.limited = limit_as and FLAVOR != "asan"

        def pre():
            if self.limited:
                resource.setrlimit(resource.RLIMIT_AS, (AS_LIMIT, AS_LIMIT))

        self.t0 = time.monotonic()
        self.proc = subprocess.Popen(
            [KEVENTS] + list(args), env=e, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            preexec_fn=pre)
        self.lines = 0
        self.head = []
        self.keep = keep_lines
        self.err = b""
        self.err_lines = 0
        self.out_t = threading.Thread(target=self._read_out, daemon=True)
        self.err_t = threading.Thread(target=self._read_err, daemon=True)
        self.out_t.start()
        self.err_t.start()
        self.wall = wall
        self.rc = None
        self.reaped = None
        self.killed = False
        self.maxrss_kib = 0
        self.elapsed = None

    def _read_out(self):
        tail = b""
        while True:
            data = self.proc.stdout.read1(1 << 16)
            if not data:
                return
            self.lines += data.count(b"\n")
            if len(self.head) < self.keep:
                tail += data
                while b"\n" in tail and len(self.head) < self.keep:
                    line, tail = tail.split(b"\n", 1)
                    self.head.append(line)
                if len(self.head) >= self.keep:
                    tail = b""

    def _read_err(self):
        while True:
            data = self.proc.stderr.read1(1 << 16)
            if not data:
                return
            self.err_lines += data.count(b"\n")
            if len(self.err) < 1 << 20:
                self.err += data

    def alive(self):
        """True while the process runs; reaps it (keeping its rusage)
        once it has exited."""
        if self.reaped is None:
            pid, status, ru = os.wait4(self.proc.pid, os.WNOHANG)
            if pid:
                self.reaped = (status, ru, time.monotonic())
        return self.reaped is None

    def finish(self):
        end = self.t0 + self.wall
        while True:
            if not self.alive():
                status, ru, at = self.reaped
                break
            if time.monotonic() > end:
                self.killed = True
                os.kill(self.proc.pid, signal.SIGKILL)
                pid, status, ru = os.wait4(self.proc.pid, 0)
                at = time.monotonic()
                break
            time.sleep(0.02)
        self.elapsed = at - self.t0
        self.maxrss_kib = ru.ru_maxrss
        self.rc = (os.WEXITSTATUS(status) if os.WIFEXITED(status)
                   else -os.WTERMSIG(status))
        self.proc.returncode = self.rc
        self.out_t.join(5)
        self.err_t.join(5)
        return self

    @property
    def stderr(self):
        return self.err.decode("utf-8", "replace")

    def __repr__(self):
        return (f"rc={self.rc} killed={self.killed} "
                f"elapsed={self.elapsed and round(self.elapsed, 1)} "
                f"lines={self.lines} maxrss={self.maxrss_kib}KiB "
                f"stderr={self.stderr[-700:]!r}")
