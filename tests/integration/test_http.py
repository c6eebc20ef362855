#!/usr/bin/env python3
# flavors: static
"""The HTTP client (client_get through build/drivers/http_get) against
small local servers: keep-alive, transparent reopen, timeouts, chunked
bodies split at odd places, a connection dropped mid-chunk, a CONNECT
proxy, and SIGTERM during a blocked read.
SPDX-License-Identifier: Apache-2.0
"""
import os
import signal
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import TOP, Suite  # noqa: E402

DRIVER = os.environ.get("HTTP_GET_DRIVER",
                        os.path.join(TOP, "build", "drivers", "http_get"))


class Server:
    """A TCP server on 127.0.0.1 (or ::1) that runs handler(conn, server)
    in a thread per connection and counts accepts."""

    def __init__(self, handler, family=socket.AF_INET):
        self.handler = handler
        self.accepts = 0
        self.requests = []
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1" if family == socket.AF_INET
                        else "::1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.stop = False
        threading.Thread(target=self.loop, daemon=True).start()

    def loop(self):
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepts += 1
            threading.Thread(target=self.run, args=(conn,),
                             daemon=True).start()

    def run(self, conn):
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            self.handler(conn, self)
        except OSError:
            pass
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def close(self):
        self.stop = True
        self.sock.close()


def read_head(conn, buf=b""):
    """Reads one request head; returns (head, rest) or (None, b"")."""
    while b"\r\n\r\n" not in buf:
        data = conn.recv(65536)
        if not data:
            return None, b""
        buf += data
    head, rest = buf.split(b"\r\n\r\n", 1)
    return head.decode("latin-1"), rest


def run_driver(args, timeout=30, env=None):
    e = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
        if k in os.environ:
            e[k] = os.environ[k]
    if env:
        e.update(env)
    t0 = time.monotonic()
    p = subprocess.run([DRIVER] + args, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=timeout, env=e)
    return (p.returncode, p.stdout.decode("latin-1"),
            p.stderr.decode("latin-1"), time.monotonic() - t0)


def keep_alive_handler(conn, srv):
    buf = b""
    while True:
        head, buf = read_head(conn, buf)
        if head is None:
            return
        srv.requests.append(head)
        body = b"pong %d" % len(srv.requests)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                     b"Content-Length: %d\r\n\r\n" % len(body) + body)


def one_then_close_handler(conn, srv):
    head, _ = read_head(conn)
    if head is None:
        return
    srv.requests.append(head)
    # Says nothing about closing, then closes: the client finds out on
    # its next request.
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
    time.sleep(0.05)


def stall_handler(conn, srv):
    head, _ = read_head(conn)
    srv.requests.append(head)
    time.sleep(20)


def stream_stall_handler(conn, srv):
    head, _ = read_head(conn)
    srv.requests.append(head)
    conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                 b"6\r\nfirst\n\r\n")
    time.sleep(20)


CHUNKED_BODY = b"".join(b'{"type":"ADDED","n":%d}\n' % i for i in range(40))


def odd_chunked_handler(conn, srv):
    head, _ = read_head(conn)
    srv.requests.append(head)
    wire = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    pos, size = 0, 1
    while pos < len(CHUNKED_BODY):
        piece = CHUNKED_BODY[pos:pos + size]
        wire += b"%x;ext=1\r\n" % len(piece) + piece + b"\r\n"
        pos += len(piece)
        size = size * 3 % 97 + 1
    wire += b"0\r\nX-Trailer: t\r\n\r\n"
    # Sent in pieces of 1, 2, 3... bytes so that no boundary lines up.
    pos, step = 0, 1
    while pos < len(wire):
        conn.sendall(wire[pos:pos + step])
        pos += step
        step = step % 7 + 1
        if pos % 5 == 0:
            time.sleep(0.001)


def drop_mid_chunk_handler(conn, srv):
    head, _ = read_head(conn)
    srv.requests.append(head)
    conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                 b"10\r\nonly half")
    time.sleep(0.1)


def read_to_close_handler(conn, srv):
    head, _ = read_head(conn)
    srv.requests.append(head)
    conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n"
                 b"all of it")


def silent_close_handler(conn, srv):
    head, _ = read_head(conn)
    srv.requests.append(head)


class Proxy(Server):
    """An HTTP CONNECT proxy: answers with `answer` (None: 200 and a
    tunnel), resolving the names in `names` itself."""

    def __init__(self, answer=None, names=None):
        self.answer = answer
        self.names = names or {}
        self.connects = []
        super().__init__(self.serve)

    def serve(self, conn, srv):
        head, rest = read_head(conn)
        if head is None:
            return
        self.connects.append(head)
        line = head.split("\r\n")[0].split(" ")
        if self.answer is not None or line[0] != "CONNECT":
            conn.sendall(self.answer or b"HTTP/1.1 405 No\r\n\r\n")
            return
        host, port = line[1].rsplit(":", 1)
        host = self.names.get(host.strip("[]"), host.strip("[]"))
        up = socket.create_connection((host, int(port)), timeout=10)
        conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        if rest:
            up.sendall(rest)

        def pipe(a, b):
            try:
                while True:
                    data = a.recv(65536)
                    if not data:
                        break
                    b.sendall(data)
            except OSError:
                pass
            for s in (a, b):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

        t = threading.Thread(target=pipe, args=(up, conn), daemon=True)
        t.start()
        pipe(conn, up)
        t.join(5)
        up.close()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def main():
    t = Suite("http")
    if not os.access(DRIVER, os.X_OK):
        t.check("driver build/drivers/http_get exists", False,
                "build it first: make build/drivers/http_get")
        t.done()

    # Keep-alive: 200 requests over one TCP connection.
    srv = Server(keep_alive_handler)
    rc, out, err, _ = run_driver(["--repeat", "200", "--token", "s3cret",
                                  f"http://127.0.0.1:{srv.port}/api?x=1"])
    t.check("200 requests succeed", rc == 0 and
            out.count("status 200") == 200, err[-300:])
    t.check("200 requests use one connection", srv.accepts == 1 and
            "connects 1 " in err, f"accepts={srv.accepts} {err[-200:]}")
    t.check("request head carries Host, token, Accept, User-Agent",
            srv.requests and
            srv.requests[0].startswith("GET /api?x=1 HTTP/1.1\r\n") and
            f"Host: 127.0.0.1:{srv.port}\r\n" in srv.requests[0] and
            "Authorization: Bearer s3cret" in srv.requests[0] and
            "Accept: application/json" in srv.requests[0] and
            "User-Agent: " in srv.requests[0] and
            "Connection" not in srv.requests[0],
            repr(srv.requests[:1]))
    t.check("bodies delivered in order", "pong 1\n" in out and
            "pong 200\n" in out)
    srv.close()

    # A server that closes between requests: each later request finds
    # the kept connection dead and reopens once, transparently.
    srv = Server(one_then_close_handler)
    rc, out, err, _ = run_driver(["--repeat", "4", "--sleep-ms", "150",
                                  f"http://127.0.0.1:{srv.port}/"])
    t.check("closed kept-alive connection is reopened transparently",
            rc == 0 and out.count("status 200") == 4 and
            srv.accepts == 4 and "connects 4 " in err,
            f"rc={rc} accepts={srv.accepts} {err[-300:]}")
    srv.close()

    # A body that ends with the connection: complete, never reused.
    srv = Server(read_to_close_handler)
    rc, out, err, _ = run_driver(["--repeat", "2",
                                  f"http://127.0.0.1:{srv.port}/"])
    t.check("read-to-close body is complete and not reused",
            rc == 0 and out.count("all of it\nstatus 200") == 2 and
            srv.accepts == 2, f"rc={rc} {out!r} {err[-300:]}")
    srv.close()

    # IPv6 literals: brackets in the URL and in Host.
    try:
        srv = Server(keep_alive_handler, socket.AF_INET6)
    except OSError as e:
        srv = None
        t.skip("IPv6 server on ::1", str(e))
    if srv is not None:
        rc, out, err, _ = run_driver([f"http://[::1]:{srv.port}/v6"])
        t.check("IPv6 literal server works, Host in brackets",
                rc == 0 and srv.requests and
                f"Host: [::1]:{srv.port}\r\n" in srv.requests[0],
                f"rc={rc} {err[-300:]}")
        srv.close()

    # A fresh connection closed without an answer is an error, not a
    # loop of retries.
    srv = Server(silent_close_handler)
    rc, out, err, _ = run_driver([f"http://127.0.0.1:{srv.port}/"])
    t.check("fresh connection closed unanswered is CLIENT_ERR_IO",
            rc == 1 and "error IO:" in err and
            "without answering" in err and srv.accepts == 1, err[-300:])
    srv.close()

    # Stalls end at the deadline, not later.
    srv = Server(stall_handler)
    rc, out, err, took = run_driver(["--timeout-ms", "1000",
                                     f"http://127.0.0.1:{srv.port}/"])
    t.check("stalled request times out within bound",
            rc == 1 and "error TIMEOUT:" in err and "timed out" in err and
            0.9 <= took < 4, f"took {took:.2f}s {err[-300:]}")
    srv.close()
    srv = Server(stream_stall_handler)
    rc, out, err, took = run_driver(["--stream", "--timeout-ms", "1000",
                                     f"http://127.0.0.1:{srv.port}/w"])
    t.check("stalled stream times out after the silence bound",
            rc == 1 and "error TIMEOUT:" in err and "of silence" in err
            and "first" in out and took < 4,
            f"took {took:.2f}s {err[-300:]}")
    srv.close()

    # Chunked bodies whose chunks and TCP segments never line up.
    srv = Server(odd_chunked_handler)
    rc, out, err, _ = run_driver([f"http://127.0.0.1:{srv.port}/"])
    t.check("chunked body split at odd places arrives whole",
            rc == 0 and out.startswith(CHUNKED_BODY.decode()) and
            "status 200" in out, f"rc={rc} {err[-300:]}")
    srv.close()

    srv = Server(drop_mid_chunk_handler)
    rc, out, err, _ = run_driver([f"http://127.0.0.1:{srv.port}/"])
    t.check("connection dropped mid-chunk is CLIENT_ERR_IO",
            rc == 1 and "error IO:" in err and
            "in the middle of a chunk" in err, err[-300:])
    srv.close()

    # Refused connections name the address.
    port = free_port()
    rc, out, err, _ = run_driver([f"http://127.0.0.1:{port}/"])
    t.check("refused connection says so",
            rc == 1 and "error CONNECT:" in err and
            f"connect to 127.0.0.1:{port}: Connection refused" in err,
            err[-300:])

    # A CONNECT tunnel, with basic auth from the proxy URL.
    srv = Server(keep_alive_handler)
    proxy = Proxy()
    rc, out, err, _ = run_driver(
        ["--repeat", "3", "--proxy",
         f"http://us%40r:pw@127.0.0.1:{proxy.port}",
         f"http://127.0.0.1:{srv.port}/via"])
    t.check("CONNECT tunnel carries keep-alive requests",
            rc == 0 and out.count("status 200") == 3 and
            proxy.accepts == 1 and srv.accepts == 1,
            f"rc={rc} proxy={proxy.accepts} srv={srv.accepts} {err[-300:]}")
    t.check("CONNECT names the server and sends basic auth",
            proxy.connects and proxy.connects[0].startswith(
                f"CONNECT 127.0.0.1:{srv.port} HTTP/1.1\r\n") and
            "Proxy-Authorization: Basic dXNAcjpwdw==" in proxy.connects[0],
            repr(proxy.connects[:1]))
    proxy.close()

    # Environment proxies: used for a name, skipped by NO_PROXY and for
    # loopback (as Go does). The name resolves only at the proxy, so a
    # direct attempt cannot succeed by accident.
    proxy = Proxy(names={"kube.invalid": "127.0.0.1"})
    env = {"HTTP_PROXY": f"http://127.0.0.1:{proxy.port}"}
    before = srv.accepts
    rc, out, err, _ = run_driver([f"http://kube.invalid:{srv.port}/e"],
                                 env=env)
    t.check("HTTP_PROXY is used for http servers",
            rc == 0 and len(proxy.connects) == 1 and
            srv.accepts == before + 1, f"rc={rc} {err[-300:]}")
    env["NO_PROXY"] = "foo.example, .invalid"
    rc, out, err, _ = run_driver([f"http://kube.invalid:{srv.port}/e"],
                                 env=env)
    t.check("NO_PROXY bypasses the proxy",
            rc == 1 and "error RESOLVE:" in err and
            len(proxy.connects) == 1, f"rc={rc} {err[-300:]}")
    del env["NO_PROXY"]
    rc, out, err, _ = run_driver([f"http://127.0.0.1:{srv.port}/e"],
                                 env=env)
    t.check("loopback servers never use the environment proxy",
            rc == 0 and len(proxy.connects) == 1, f"rc={rc} {err[-300:]}")
    env = {"HTTPS_PROXY": f"http://127.0.0.1:{proxy.port}"}
    rc, out, err, _ = run_driver([f"http://kube.invalid:{srv.port}/e"],
                                 env=env)
    t.check("HTTPS_PROXY is not used for http servers",
            rc == 1 and "error RESOLVE:" in err and
            len(proxy.connects) == 1, f"rc={rc} {err[-300:]}")
    proxy.close()

    # A proxy that refuses is an error, never a direct connection.
    proxy = Proxy(answer=b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0"
                  b"\r\n\r\n")
    before = srv.accepts
    rc, out, err, _ = run_driver(["--proxy", f"http://127.0.0.1:{proxy.port}",
                                  f"http://127.0.0.1:{srv.port}/"])
    t.check("proxy refusing the tunnel is CLIENT_ERR_PROXY with its status",
            rc == 1 and "error PROXY:" in err and "403 Forbidden" in err
            and srv.accepts == before, err[-300:])
    proxy.close()
    rc, out, err, _ = run_driver(["--proxy", "socks5://127.0.0.1:1080",
                                  f"http://127.0.0.1:{srv.port}/"])
    t.check("unsupported proxy scheme is an error",
            rc == 1 and "proxy scheme socks5 is not supported" in err and
            srv.accepts == before, err[-300:])
    rc, out, err, _ = run_driver([f"http://kube.invalid:{srv.port}/"],
                                 env={"HTTP_PROXY": "https://p:3128"})
    t.check("https proxy URL is an error, not a direct connection",
            rc == 1 and "proxy scheme https is not supported" in err and
            srv.accepts == before, err[-300:])
    srv.close()

    # SIGTERM ends a blocked read at once.
    srv = Server(stream_stall_handler)
    p = subprocess.Popen([DRIVER, "--stream", "--timeout-ms", "60000",
                          f"http://127.0.0.1:{srv.port}/w"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 10
    while not srv.requests and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    t0 = time.monotonic()
    p.send_signal(signal.SIGTERM)
    try:
        out, err = p.communicate(timeout=5)
        took = time.monotonic() - t0
        err = err.decode("latin-1")
        t.check("SIGTERM interrupts a blocked read promptly",
                took < 1.0 and p.returncode == 1 and
                "error INTERRUPTED:" in err, f"took {took:.2f}s {err}")
    except subprocess.TimeoutExpired:
        p.kill()
        p.communicate()
        t.check("SIGTERM interrupts a blocked read promptly", False,
                "still running 5s after SIGTERM")
    srv.close()
    t.done()


if __name__ == "__main__":
    main()
