"""The HTTP/1.1 side of the simulated API server: connections (plain or
TLS), authentication and authorization, the priority-and-fairness model,
the Kubernetes API routes for events and pods, watches, injected faults,
counters and the /_sim/ control API. Storage semantics are in sim_store.
SPDX-License-Identifier: Apache-2.0
"""
import email.utils
import http
import json
import random
import secrets
import select
import socket
import ssl
import threading
import time
import traceback
import urllib.parse
import uuid

import sim_control
import sim_store
import sim_table
from sim_store import (Expired, TooLarge, BadContinue, SelectorError,
                       parse_field_selector, selector_matches)

MAX_HEADER_BYTES = 64 * 1024     # Go's default is 1 MiB; 64 KiB is plenty
MAX_BODY_BYTES = 3 * 1024 * 1024  # the API server's request body limit
IDLE_TIMEOUT = 90                # Go's http.Server idle keep-alive bound

FLOWSCHEMA_UID = "0b9e3c1c-5d46-4f7e-8a8e-3f0c6b1d2a10"
PRIORITY_UID = "8c4f2b0e-1d1a-4a77-9a59-6a2f51d6f0c3"
TOO_MANY = "Too many requests, please try again later.\n"


def status_obj(code, reason, message, details=None, meta=None):
    st = {"kind": "Status", "apiVersion": "v1", "metadata": meta or {},
          "status": "Failure", "message": message, "reason": reason}
    if details is not None:
        st["details"] = details
    st["code"] = code
    return st


def dumps(obj):
    return json.dumps(obj, separators=(",", ":"),
                      ensure_ascii=False).encode("utf-8")


class Counters:
    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        with self.lock:
            self.c = {
                "requests": {"list": 0, "watch": 0, "get": 0, "create": 0,
                             "delete": 0, "discovery": 0, "total": 0},
                "lists": {"consistent": 0, "zero": 0, "notOlderThan": 0,
                          "exact": 0, "continue": 0},
                "storage_reads": 0, "cache_reads": 0,
                "responses": {},
                "throttled_429": 0,
                "watches_opened": 0, "watch_events_sent": 0,
                "bookmarks_sent": 0, "watch_errors_sent": 0,
                "tcp_connections": 0, "tls_handshakes": 0,
                "tls_handshake_failures": 0, "bytes_sent": 0,
                "users": {},
                "faults_applied": 0,
            }

    def inc(self, *path, n=1):
        with self.lock:
            d = self.c
            for k in path[:-1]:
                d = d.setdefault(k, {})
            d[path[-1]] = d.get(path[-1], 0) + n

    def snapshot(self):
        with self.lock:
            return json.loads(json.dumps(self.c))


class Auth:
    """Bearer tokens and client-certificate users, each with a verb set.
    A rotated token stays valid until its grace period ends."""

    def __init__(self, state_dir, grace):
        self.lock = threading.Lock()
        self.users = {}
        self.tokens = {}
        self.cert_users = {}
        self.state_dir = state_dir
        self.grace = grace
        self.on_rotate = None

    def add_token_user(self, name, token, verbs):
        with self.lock:
            token = token or secrets.token_urlsafe(24)
            self.users[name] = {"token": token, "verbs": set(verbs)}
            self.tokens[token] = (name, None)
            return token

    def add_cert_user(self, name, verbs):
        self.cert_users[name] = set(verbs)

    def token_of(self, name):
        return self.users[name]["token"]

    def lookup(self, token):
        """Returns (user name, verbs) or None."""
        with self.lock:
            ent = self.tokens.get(token)
            if ent is None:
                return None
            name, until = ent
            if until is not None and time.time() >= until:
                del self.tokens[token]
                return None
            return ("system:serviceaccount:default:" + name,
                    self.users[name]["verbs"])

    def rotate(self, name, grace=None):
        grace = self.grace if grace is None else grace
        with self.lock:
            u = self.users[name]
            old = u["token"]
            u["token"] = secrets.token_urlsafe(24)
            self.tokens[u["token"]] = (name, None)
            if grace > 0:
                self.tokens[old] = (name, time.time() + grace)
            else:
                self.tokens.pop(old, None)
            new = u["token"]
        if self.on_rotate:
            self.on_rotate(name)
        return new


class APF:
    """Concurrency seats with a bounded FIFO queue, after API Priority
    and Fairness: a request that cannot get its seats joins the queue; a
    full queue, or a wait past the limit, is answered with 429."""

    def __init__(self, seats, queue, wait_limit):
        self.seats, self.queue, self.wait_limit = seats, queue, wait_limit
        self.cond = threading.Condition()
        self.in_use = 0
        self.waiting = []

    def acquire(self, n):
        n = min(n, self.seats)
        with self.cond:
            if not self.waiting and self.in_use + n <= self.seats:
                self.in_use += n
                return True
            if len(self.waiting) >= self.queue:
                return False
            ticket = object()
            self.waiting.append(ticket)
            deadline = time.monotonic() + self.wait_limit
            try:
                while True:
                    if self.waiting[0] is ticket and \
                            self.in_use + n <= self.seats:
                        self.in_use += n
                        return True
                    left = deadline - time.monotonic()
                    if left <= 0:
                        return False
                    self.cond.wait(min(left, 0.1))
            finally:
                self.waiting.remove(ticket)
                self.cond.notify_all()

    def release(self, n):
        n = min(n, self.seats)
        with self.cond:
            self.in_use -= n
            self.cond.notify_all()


FAULT_DEFAULTS = {
    "watch_drop": False,          # close every watch in mid-chunk
    "drop_after_events": 0,       # ... after this many events were sent
    "drop_after_seconds": 0.5,    # ... and at least this long after start
    "stall": False,               # hold sockets open, send nothing
    "stall_scope": "all",         # "all" requests or only "watch" streams
    "garbage": False,             # one non-JSON line in each watch
    "garbage_line": "<html><body>502 Bad Gateway</body></html>",
    "chunks": "normal",           # "normal", "tiny" (1 byte), "random"
    "expired_style": "event",     # "event", "status" (HTTP 410), "empty"
    "fail_next": [],              # [{count, status, retry_after, verbs}]
}


class Faults:
    def __init__(self):
        self.lock = threading.Lock()
        self.f = json.loads(json.dumps(FAULT_DEFAULTS))
        self.close_gen = 0
        self.restart_until = 0.0

    def get(self, key):
        with self.lock:
            return self.f[key]

    def set(self, spec):
        with self.lock:
            if spec.get("clear"):
                self.f = json.loads(json.dumps(FAULT_DEFAULTS))
            for k, v in spec.items():
                if k in ("clear", "restart", "close_watches"):
                    continue
                if k == "fail_next":
                    items = v if isinstance(v, list) else [v]
                    for it in items:
                        it = dict(it)
                        it.setdefault("count", 1)
                        it.setdefault("status", 503)
                        self.f["fail_next"].append(it)
                    continue
                if k not in self.f:
                    raise ValueError("unknown fault %r" % k)
                self.f[k] = v
            if spec.get("close_watches"):
                self.close_gen += 1
            return json.loads(json.dumps(self.f))

    def take_failure(self, verb):
        """The injected answer for this request, if one is queued."""
        with self.lock:
            for it in self.f["fail_next"]:
                verbs = it.get("verbs")
                if verbs and verb not in verbs:
                    continue
                it["count"] -= 1
                if it["count"] <= 0:
                    self.f["fail_next"].remove(it)
                return dict(it)
            return None


class ConnClosed(Exception):
    pass


class Conn:
    """One client connection: buffered request reading and counted
    writes."""

    def __init__(self, server, sock, raw):
        self.server, self.sock, self.raw = server, sock, raw
        self.buf = b""
        self.counted = False
        self.api = False
        self.user = None

    def _recv(self):
        try:
            data = self.sock.recv(65536)
        except (OSError, ssl.SSLError):
            raise ConnClosed()
        if not data:
            raise ConnClosed()
        self.buf += data

    def read_request(self):
        while b"\r\n\r\n" not in self.buf:
            if len(self.buf) > MAX_HEADER_BYTES:
                raise ConnClosed()
            self._recv()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            raise ConnClosed()
        headers = {}
        for ln in lines[1:]:
            k, _, v = ln.partition(":")
            headers[k.strip().lower()] = v.strip()
        n = int(headers.get("content-length", "0") or 0)
        if n > MAX_BODY_BYTES:
            raise ConnClosed()
        while len(self.buf) < n:
            self._recv()
        body, self.buf = self.buf[:n], self.buf[n:]
        return parts[0], parts[1], parts[2], headers, body

    def send(self, data):
        try:
            self.sock.sendall(data)
        except (OSError, ssl.SSLError):
            raise ConnClosed()
        if self.api:
            self.server.counters.inc("bytes_sent", n=len(data))

    def peer_closed(self):
        """True once the client has closed its side (checked without
        blocking, between watch events)."""
        try:
            r, _, _ = select.select([self.sock], [], [], 0)
        except (OSError, ValueError):
            return True
        if not r:
            return False
        try:
            self.sock.settimeout(0.01)
            data = self.sock.recv(4096)
            return not data
        except (socket.timeout, ssl.SSLWantReadError):
            return False
        except (OSError, ssl.SSLError):
            return True
        finally:
            try:
                self.sock.settimeout(IDLE_TIMEOUT)
            except OSError:
                pass


def hard_shutdown(sock):
    """Shuts the socket down under any TLS layer (the plain socket object
    is detached once wrapped), so blocked readers and writers wake up."""
    try:
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except OSError:
        pass


def _hdr_date():
    return email.utils.formatdate(usegmt=True)


class Server(sim_control.Control):
    def __init__(self, cfg, store, scenarios, auth, state_dir):
        self.cfg, self.store, self.scenarios = cfg, store, scenarios
        self.auth, self.state_dir = auth, state_dir
        self.counters = Counters()
        self.faults = Faults()
        self.apf = APF(cfg.apf_seats, cfg.apf_queue, cfg.apf_queue_wait) \
            if cfg.apf else None
        self.tls_ctx = None
        self.listener = None
        self.port = cfg.port
        self.conns = set()
        self.conns_lock = threading.Lock()
        self.stopping = threading.Event()
        self.watches_active = 0

    # Listening and connections.
    def setup_tls(self, crt, key, ca):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        # Go servers offer ECDHE key exchange only; OpenSSL's defaults
        # would also accept plain RSA key exchange.
        ctx.set_ciphers("ECDHE+AESGCM:ECDHE+CHACHA20")
        ctx.load_cert_chain(crt, key)
        ctx.load_verify_locations(ca)
        ctx.verify_mode = ssl.CERT_OPTIONAL
        ctx.set_alpn_protocols(["http/1.1"])
        self.tls_ctx = ctx

    def listen(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", self.port))
        s.listen(256)
        self.port = s.getsockname()[1]
        self.listener = s

    def serve_forever(self):
        while not self.stopping.is_set():
            lst = self.listener
            if lst is None:
                if time.monotonic() >= self.faults.restart_until:
                    try:
                        self.listen()
                    except OSError:
                        time.sleep(0.05)
                else:
                    time.sleep(0.02)
                continue
            try:
                r, _, _ = select.select([lst], [], [], 0.2)
            except (OSError, ValueError):
                continue
            if not r:
                continue
            try:
                raw, _ = lst.accept()
            except OSError:
                continue
            threading.Thread(target=self.handle_conn, args=(raw,),
                             daemon=True).start()

    def restart(self, seconds):
        """Drops every connection and refuses new ones for a while; the
        store keeps its state, as etcd does across an API server
        restart."""
        self.faults.restart_until = time.monotonic() + seconds
        lst, self.listener = self.listener, None
        if lst is not None:
            lst.close()
        self.close_all()

    def close_all(self):
        with self.conns_lock:
            conns = list(self.conns)
        for c in conns:
            hard_shutdown(c.sock)

    def stop(self):
        self.stopping.set()
        self.scenarios.stop.set()
        with self.store.changed:
            self.store.stopping = True
            self.store.changed.notify_all()
        self.close_all()

    def handle_conn(self, raw):
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        raw.settimeout(10)
        sock = raw
        tls_ok = None
        if self.tls_ctx is not None:
            try:
                sock = self.tls_ctx.wrap_socket(raw, server_side=True)
                tls_ok = True
            except (OSError, ssl.SSLError):
                self.counters.inc("tls_handshake_failures")
                raw.close()
                return
        sock.settimeout(IDLE_TIMEOUT)
        conn = Conn(self, sock, raw)
        conn.tls = tls_ok
        with self.conns_lock:
            self.conns.add(conn)
        try:
            while not self.stopping.is_set():
                req = conn.read_request()
                if not self.dispatch(conn, *req):
                    break
        except ConnClosed:
            pass
        except Exception:
            # A bug in one handler must not take the server down; the
            # trace goes to stderr, which tests keep in kube-sim.log.
            traceback.print_exc()
        finally:
            with self.conns_lock:
                self.conns.discard(conn)
            try:
                sock.close()
            except OSError:
                pass

    # Responses.
    def respond(self, conn, code, body, ctype="application/json",
                headers=None, head_only=False):
        if isinstance(body, (dict, list)):
            body = dumps(body)
        lines = ["HTTP/1.1 %d %s" % (code, http.HTTPStatus(code).phrase),
                 "Audit-Id: " + str(uuid.uuid4()),
                 "Cache-Control: no-cache, private",
                 "Content-Type: " + ctype]
        if conn.api:
            lines += ["X-Kubernetes-Pf-Flowschema-Uid: " + FLOWSCHEMA_UID,
                      "X-Kubernetes-Pf-Prioritylevel-Uid: " + PRIORITY_UID]
        for k, v in (headers or {}).items():
            lines.append("%s: %s" % (k, v))
        lines += ["Date: " + _hdr_date(), "Content-Length: %d" % len(body)]
        conn.send(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") +
                  (b"" if head_only else body))
        if conn.api:
            self.counters.inc("responses", str(code))

    def respond_status(self, conn, st, headers=None):
        h = dict(headers or {})
        det = st.get("details") or {}
        if det.get("retryAfterSeconds"):
            h.setdefault("Retry-After", str(det["retryAfterSeconds"]))
        self.respond(conn, st["code"], st, headers=h)

    def respond_429(self, conn, retry_after):
        self.counters.inc("throttled_429")
        h = {"Retry-After": str(retry_after)}
        if self.cfg.json_429:
            st = status_obj(429, "TooManyRequests", TOO_MANY.strip(),
                            {"retryAfterSeconds": int(retry_after)})
            self.respond(conn, 429, st, headers=h)
        else:
            h["X-Content-Type-Options"] = "nosniff"
            self.respond(conn, 429, TOO_MANY.encode(),
                         ctype="text/plain; charset=utf-8", headers=h)

    # Dispatch.
    def dispatch(self, conn, method, target, version, headers, body):
        url = urllib.parse.urlsplit(target)
        path = url.path
        q = {k: v[0] for k, v in urllib.parse.parse_qs(
            url.query, keep_blank_values=True).items()}
        keep = headers.get("connection", "").lower() != "close" and \
            version == "HTTP/1.1"
        if path.startswith("/_sim/"):
            conn.api = False
            self.control(conn, method, path, q, body)
            return keep
        conn.api = True
        if not conn.counted:
            conn.counted = True
            self.counters.inc("tcp_connections")
            if conn.tls:
                self.counters.inc("tls_handshakes")
        self.counters.inc("requests", "total")

        route = self.route(method, path, q)
        verb = route[0]
        self.counters.inc("requests", verb if verb in (
            "list", "watch", "get", "create", "delete") else "discovery")

        # An injected status answers before anything else, as a load
        # balancer or an overloaded server would.
        fail = self.faults.take_failure(verb)
        if fail is not None:
            self.counters.inc("faults_applied")
            self.injected(conn, fail)
            return keep

        if self.faults.get("stall") and (
                self.faults.get("stall_scope") == "all" or verb == "watch"):
            while self.faults.get("stall") and not self.stopping.is_set():
                if conn.peer_closed():
                    return False
                time.sleep(0.05)

        if verb == "public":
            return self.public(conn, path, keep)

        who = self.authenticate(conn, headers)
        if who is None:
            self.respond_status(conn, status_obj(
                401, "Unauthorized", "Unauthorized"))
            return keep
        user, verbs = who
        self.counters.inc("users", user, verb)

        if verb == "discovery":
            return self.discovery(conn, path, keep)
        if verb == "notfound":
            self.not_found(conn, path)
            return keep

        _, resource, ns, name = route
        if verb not in verbs and "*" not in verbs:
            self.forbidden(conn, user, verb, resource, ns, name)
            return keep

        seats = self.seats_for(verb, resource)
        if self.apf is not None and not self.apf.acquire(seats):
            self.respond_429(conn, self.cfg.apf_retry_after)
            return keep
        held = [seats if self.apf is not None else 0]

        def release():
            if held[0]:
                self.apf.release(held[0])
                held[0] = 0
        try:
            if verb == "list":
                self.list(conn, resource, ns, q, headers)
            elif verb == "watch":
                return self.watch(conn, resource, ns, q, headers, release)
            elif verb == "get":
                self.get(conn, resource, ns, name, headers)
            elif verb == "create":
                self.create(conn, resource, ns, body)
            elif verb == "delete":
                self.delete(conn, resource, ns, name)
        finally:
            release()
        return keep

    def route(self, method, path, q):
        """(verb, resource, namespace, name) for API paths; verb is
        "public", "discovery" or "notfound" otherwise."""
        if path in ("/version", "/healthz", "/livez", "/readyz"):
            return ("public", None, None, None)
        if path in ("/api", "/apis", "/api/v1") or \
                path.startswith("/openapi/"):
            return ("discovery", None, None, None)
        parts = [p for p in path.split("/") if p]
        if parts[:2] != ["api", "v1"]:
            return ("notfound", None, None, None)
        rest = parts[2:]
        ns = name = None
        if len(rest) >= 2 and rest[0] == "namespaces" and len(rest) > 2:
            ns, rest = rest[1], rest[2:]
        if not rest:
            return ("notfound", None, None, None)
        resource = rest[0]
        if resource not in ("events", "pods", "namespaces") or \
                len(rest) > 2:
            return ("notfound", None, None, None)
        if resource == "namespaces":
            if len(rest) == 2:
                return ("get", "namespaces", None, rest[1])
            return ("list", "namespaces", None, None)
        if len(rest) == 2:
            name = rest[1]
        watch = q.get("watch", "") in ("1", "true", "True")
        if method == "POST" and name is None and ns:
            return ("create", resource, ns, None)
        if method == "DELETE" and name is not None:
            return ("delete", resource, ns, name)
        if method not in ("GET", "HEAD"):
            return ("notfound", None, None, None)
        if name is not None:
            return ("get", resource, ns, name)
        return ("watch" if watch else "list", resource, ns, None)

    def authenticate(self, conn, headers):
        h = headers.get("authorization", "")
        if h[:7].lower() == "bearer ":
            return self.auth.lookup(h[7:].strip())
        if conn.tls:
            try:
                cert = conn.sock.getpeercert()
            except (ValueError, OSError):
                cert = None
            if cert:
                cn = None
                for rdn in cert.get("subject", ()):
                    for k, v in rdn:
                        if k == "commonName":
                            cn = v
                if cn in self.auth.cert_users:
                    return cn, self.auth.cert_users[cn]
        return None

    def forbidden(self, conn, user, verb, resource, ns, name):
        what = '%s "%s"' % (resource, name) if name else resource
        where = 'in the namespace "%s"' % ns if ns else "at the cluster scope"
        msg = ('%s is forbidden: User "%s" cannot %s resource "%s" in API '
               'group "" %s' % (what, user, verb, resource, where))
        det = {"kind": resource}
        if name:
            det = {"name": name, "kind": resource}
        self.respond_status(conn, status_obj(403, "Forbidden", msg, det))

    def not_found(self, conn, path):
        self.respond_status(conn, status_obj(
            404, "NotFound", "the server could not find the requested "
            "resource", {}))

    def injected(self, conn, fail):
        code = int(fail["status"])
        h = {}
        if fail.get("retry_after") is not None:
            h["Retry-After"] = str(fail["retry_after"])
        if code == 429 and not self.cfg.json_429 and not fail.get("json"):
            self.counters.inc("throttled_429")
            h["X-Content-Type-Options"] = "nosniff"
            self.respond(conn, 429, TOO_MANY.encode(),
                         ctype="text/plain; charset=utf-8", headers=h)
            return
        if code == 429:
            self.counters.inc("throttled_429")
        reasons = {429: "TooManyRequests", 500: "InternalError",
                   503: "ServiceUnavailable", 504: "Timeout",
                   401: "Unauthorized", 403: "Forbidden", 410: "Expired",
                   404: "NotFound", 400: "BadRequest"}
        msg = fail.get("message") or http.HTTPStatus(code).phrase
        det = None
        if fail.get("retry_after") is not None:
            det = {"retryAfterSeconds": int(fail["retry_after"])}
        st = status_obj(code, reasons.get(code, "InternalError"), msg, det)
        self.respond(conn, code, st, headers=h)

    def seats_for(self, verb, resource):
        """APF cost: a LIST is charged by the number of objects of the
        resource in storage, whatever its selectors match."""
        if verb != "list":
            return 1
        n = self.store.count(resource) if resource != "namespaces" else 0
        return max(1, min(self.cfg.apf_max_seats,
                          -(-n // self.cfg.apf_objects_per_seat)))

    # Public and discovery documents.
    def public(self, conn, path, keep):
        if path == "/version":
            self.respond(conn, 200, {
                "major": "1", "minor": "32", "emulationMajor": "1",
                "emulationMinor": "32", "minCompatibilityMajor": "1",
                "minCompatibilityMinor": "31", "gitVersion": "v1.32.2",
                "gitCommit": "67a30c0adcf52bd3f56ff0893ce19966be12991f",
                "gitTreeState": "clean",
                "buildDate": "2025-02-12T21:19:47Z",
                "goVersion": "go1.23.6", "compiler": "gc",
                "platform": "linux/amd64"})
        else:
            self.respond(conn, 200, b"ok", ctype="text/plain; "
                         "charset=utf-8")
        return keep

    def discovery(self, conn, path, keep):
        if path == "/api":
            self.respond(conn, 200, {
                "kind": "APIVersions", "versions": ["v1"],
                "serverAddressByClientCIDRs": [{
                    "clientCIDR": "0.0.0.0/0",
                    "serverAddress": "127.0.0.1:%d" % self.port}]})
        elif path == "/apis":
            self.respond(conn, 200, {"kind": "APIGroupList",
                                     "apiVersion": "v1", "groups": []})
        elif path == "/api/v1":
            verbs = ["create", "delete", "deletecollection", "get", "list",
                     "patch", "update", "watch"]
            self.respond(conn, 200, {
                "kind": "APIResourceList", "groupVersion": "v1",
                "resources": [
                    {"name": "events", "singularName": "event",
                     "namespaced": True, "kind": "Event", "verbs": verbs,
                     "shortNames": ["ev"],
                     "storageVersionHash": "r2yiGXH7wu8="},
                    {"name": "namespaces", "singularName": "namespace",
                     "namespaced": False, "kind": "Namespace",
                     "verbs": ["create", "delete", "get", "list", "patch",
                               "update", "watch"],
                     "shortNames": ["ns"],
                     "storageVersionHash": "Q3oi5N2YM8M="},
                    {"name": "pods", "singularName": "pod",
                     "namespaced": True, "kind": "Pod", "verbs": verbs,
                     "shortNames": ["po"], "categories": ["all"],
                     "storageVersionHash": "xPOwRZ+Yhw8="},
                ]})
        else:
            self.not_found(conn, path)
        return keep

    # Reads.
    def _selector(self, conn, resource, q):
        try:
            return parse_field_selector(resource, q.get("fieldSelector",
                                                        ""))
        except SelectorError as ex:
            self.respond_status(conn, status_obj(400, "BadRequest",
                                                 str(ex)))
            return None

    def _invalid_list_options(self, conn, errs):
        causes = [{"reason": r, "message": m, "field": f}
                  for f, r, m in errs]
        texts = ["%s: %s" % (f, m) for f, _, m in errs]
        joined = texts[0] if len(texts) == 1 else \
            "[" + ", ".join(texts) + "]"
        self.respond_status(conn, status_obj(
            422, "Invalid", 'ListOptions.meta.k8s.io "" is invalid: ' +
            joined, {"group": "meta.k8s.io", "kind": "ListOptions",
                     "causes": causes}))

    def _too_large(self, rv, current):
        det = {"causes": [{"reason": "ResourceVersionTooLarge",
                           "message": "Too large resource version"}]}
        if self.cfg.too_large_retry > 0:
            det["retryAfterSeconds"] = self.cfg.too_large_retry
        return status_obj(504, "Timeout", "Timeout: Too large resource "
                          "version: %d, current: %d" % (rv, current), det)

    def _expired_msg(self, kind, rv, compacted):
        if self.cfg.expired_wording == "cache":
            return "too old resource version: %d (%d)" % (rv, compacted)
        return "The resourceVersion for the provided %s is too old." % kind

    def _parse_rv(self, conn, rv):
        try:
            n = int(rv)
            if n < 0:
                raise ValueError
            return n
        except ValueError:
            self.respond_status(conn, status_obj(
                400, "BadRequest", 'resourceVersion: Invalid value: "%s": '
                'strconv.ParseUint: parsing "%s": invalid syntax'
                % (rv, rv)))
            return None

    def list(self, conn, resource, ns, q, headers):
        if resource == "namespaces":
            return self.list_namespaces(conn)
        rv = q.get("resourceVersion", "")
        match = q.get("resourceVersionMatch", "")
        cont = q.get("continue", "")
        try:
            limit = max(0, int(q.get("limit") or 0))
        except ValueError:
            limit = 0

        # Option validation comes first and answers 422, as the real
        # handler's ValidateListOptions does.
        errs = []
        if match:
            if not rv:
                errs.append(("resourceVersionMatch", "FieldValueForbidden",
                             "Forbidden: resourceVersionMatch is forbidden "
                             "unless resourceVersion is provided"))
            if cont:
                errs.append(("resourceVersionMatch", "FieldValueForbidden",
                             "Forbidden: resourceVersionMatch is forbidden "
                             "when continue is provided"))
            if match not in ("Exact", "NotOlderThan"):
                errs.append(("resourceVersionMatch", "FieldValueNotSupported",
                             'Unsupported value: "%s": supported values: '
                             '"Exact", "NotOlderThan", ""' % match))
            if match == "Exact" and rv == "0":
                errs.append(("resourceVersionMatch", "FieldValueForbidden",
                             'Forbidden: resourceVersionMatch "exact" is '
                             'forbidden for resourceVersion "0"'))
        if errs:
            return self._invalid_list_options(conn, errs)
        terms = self._selector(conn, resource, q)
        if terms is None:
            return

        store = self.store
        start = None
        if cont:
            if rv not in ("", "0"):
                return self.respond_status(conn, status_obj(
                    400, "BadRequest", "specifying resource version is not "
                    "allowed when using continue"))
            try:
                read_rv, start = sim_store.decode_continue(cont)
            except BadContinue as ex:
                return self.respond_status(conn, status_obj(
                    400, "BadRequest", str(ex)))
            kind = "continue"
            if read_rv != -1 and read_rv < store.compacted:
                # The real server offers a token to go on at the latest
                # revision, with a warning that the list is inconsistent.
                tok = sim_store.encode_continue(-1, start)
                return self.respond_status(conn, status_obj(
                    410, "Expired", "The provided continue parameter is too "
                    "old to display a consistent list result. You can start "
                    "a new list without the continue parameter, or use the "
                    "continue token in this response to retrieve the "
                    "remainder of the results. Continuing with the provided "
                    "token results in an inconsistent list - objects that "
                    "were created, modified, or deleted between the time "
                    "the first chunk was returned and now may show up in "
                    "the list.", meta={"continue": tok}))
            if read_rv == -1:
                read_rv = None
        elif rv == "":
            kind, read_rv = "consistent", None
        elif rv == "0":
            kind, read_rv = "zero", None
        else:
            n = self._parse_rv(conn, rv)
            if n is None:
                return
            if match == "Exact" or (not match and limit):
                kind, read_rv = "exact", n
            else:
                kind, read_rv = "notOlderThan", None
            if n > store.rev and self.cfg.cached and kind == "notOlderThan":
                # The watch cache waits a little for its revision to catch
                # up before giving up.
                deadline = time.monotonic() + 3
                with store.changed:
                    while store.rev < n and time.monotonic() < deadline:
                        store.changed.wait(0.1)
            if n > store.rev:
                return self.respond_status(conn,
                                           self._too_large(n, store.rev))
        self.counters.inc("lists", kind)
        from_cache = self.cfg.cached and kind in ("zero", "notOlderThan")
        self.counters.inc("cache_reads" if from_cache else "storage_reads")
        if from_cache and kind == "zero":
            limit = 0   # the watch cache ignores limit for RV "0"

        try:
            items, list_rv, nxt, remaining = store.list(
                resource, ns, terms, rev=read_rv, start=start, limit=limit)
        except Expired as ex:
            return self.respond_status(conn, status_obj(
                410, "Expired", self._expired_msg("list", ex.rv,
                                                  ex.compacted)))
        except TooLarge as ex:
            return self.respond_status(conn, self._too_large(ex.rv,
                                                             ex.current))
        delay = self.cfg.list_latency_ms + \
            self.cfg.list_latency_per_1000 * store.count(resource) / 1000.0
        if delay > 0 and not from_cache:
            time.sleep(delay / 1000.0)
        tok = sim_store.encode_continue(list_rv, nxt) if nxt else None
        if sim_table.wants_table(headers.get("accept")):
            t = sim_table.table(resource, items, str(list_rv),
                                q.get("includeObject", "Metadata"),
                                cont=tok, remaining=remaining if not terms
                                else None)
            return self.respond(conn, 200, t)
        md = {"resourceVersion": str(list_rv)}
        if tok:
            md["continue"] = tok
            if remaining and not terms:
                md["remainingItemCount"] = remaining
        kind_name = "EventList" if resource == "events" else "PodList"
        self.respond(conn, 200, {"kind": kind_name, "apiVersion": "v1",
                                 "metadata": md, "items": items})

    def list_namespaces(self, conn):
        with self.store.lock:
            names = {"default", "kube-system", "kube-public"}
            for res in ("events", "pods"):
                names.update(k[0] for k in self.store.objects[res])
            rv = self.store.rev
        items = [{"metadata": {"name": n, "uid": str(uuid.uuid5(
            uuid.NAMESPACE_DNS, n)), "resourceVersion": "1",
            "creationTimestamp": "2025-01-01T00:00:00Z"},
            "spec": {"finalizers": ["kubernetes"]},
            "status": {"phase": "Active"}} for n in sorted(names)]
        self.respond(conn, 200, {"kind": "NamespaceList", "apiVersion": "v1",
                                 "metadata": {"resourceVersion": str(rv)},
                                 "items": items})

    def get(self, conn, resource, ns, name, headers):
        if resource == "namespaces":
            obj = {"kind": "Namespace", "apiVersion": "v1", "metadata": {
                "name": name, "resourceVersion": "1"},
                "status": {"phase": "Active"}}
            return self.respond(conn, 200, obj)
        self.counters.inc("storage_reads")
        obj = self.store.get(resource, ns, name)
        if obj is None:
            return self.respond_status(conn, status_obj(
                404, "NotFound", '%s "%s" not found' % (resource, name),
                {"name": name, "kind": resource}))
        if sim_table.wants_table(headers.get("accept")):
            return self.respond(conn, 200, sim_table.table(
                resource, [obj], obj["metadata"]["resourceVersion"]))
        obj = self.typed(resource, obj)
        self.respond(conn, 200, obj)

    def typed(self, resource, obj):
        out = {"kind": "Event" if resource == "events" else "Pod",
               "apiVersion": "v1"}
        out.update(obj)
        return out

    def create(self, conn, resource, ns, body):
        try:
            obj = json.loads(body)
            obj.pop("kind", None)
            obj.pop("apiVersion", None)
            obj.setdefault("metadata", {})["namespace"] = ns
            if not obj["metadata"].get("name"):
                raise ValueError("metadata.name is required")
            if resource == "events":
                obj.setdefault("involvedObject", {})
            else:
                obj.setdefault("spec", {})
                obj.setdefault("status", {"phase": "Pending"})
            out = self.store.create(resource, obj)
        except KeyError as ex:
            return self.respond_status(conn, status_obj(
                409, "AlreadyExists", str(ex.args[0])))
        except (ValueError, AttributeError) as ex:
            return self.respond_status(conn, status_obj(
                400, "BadRequest", str(ex)))
        self.respond(conn, 201, self.typed(resource, out))

    def delete(self, conn, resource, ns, name):
        try:
            self.store.delete(resource, ns, name)
        except KeyError:
            return self.respond_status(conn, status_obj(
                404, "NotFound", '%s "%s" not found' % (resource, name),
                {"name": name, "kind": resource}))
        self.respond(conn, 200, {"kind": "Status", "apiVersion": "v1",
                                 "metadata": {}, "status": "Success",
                                 "details": {"name": name, "kind": resource,
                                             "uid": ""}})

    # Watches.
    def watch(self, conn, resource, ns, q, headers, release):
        """Streams one watch; returns whether the connection stays open."""
        if q.get("resourceVersionMatch"):
            self._invalid_list_options(conn, [(
                "resourceVersionMatch", "FieldValueForbidden",
                "Forbidden: resourceVersionMatch is forbidden for watch")])
            return True
        terms = self._selector(conn, resource, q)
        if terms is None:
            return True
        rv = q.get("resourceVersion", "")
        from_rv = None
        if rv not in ("", "0"):
            from_rv = self._parse_rv(conn, rv)
            if from_rv is None:
                return True
        if "timeoutSeconds" in q:
            try:
                timeout = max(0, int(q["timeoutSeconds"]))
            except ValueError:
                timeout = 0
        else:
            # The real server picks a random duration between one and two
            # times its minimum request timeout.
            timeout = self.cfg.min_request_timeout * (1 + random.random())
        bookmarks = self.cfg.cached and \
            q.get("allowWatchBookmarks", "") in ("1", "true", "True")
        table = sim_table.wants_table(headers.get("accept"))
        include = q.get("includeObject", "Metadata")
        self.counters.inc("watches_opened")
        store = self.store

        # The start position: synthetic ADDED for the current objects
        # when no resourceVersion is given, history replay otherwise.
        initial = []
        with store.lock:
            if from_rv is None:
                for key in sorted(store.objects[resource]):
                    o = store.objects[resource][key]
                    if (ns is None or key[0] == ns) and \
                            selector_matches(terms, o):
                        initial.append(("ADDED", json.loads(json.dumps(o))))
                index = store.hist_base + len(store.history)
            elif from_rv < store.compacted:
                compacted = store.compacted
                index = None
            else:
                index = store.index_after(from_rv)
        if index is None:
            self.counters.inc("watch_errors_sent")
            release()
            return self.watch_expired(conn, from_rv, compacted)

        stream = WatchStream(self, conn, resource, table, include)
        stream.start()
        for typ, o in initial:
            stream.event(typ, o)
        release()

        t_start = time.monotonic()
        deadline = t_start + timeout if timeout else None
        gen = self.faults.close_gen
        last_bookmark = time.monotonic()
        garbage_sent = False
        self.watches_active += 1
        try:
            while not self.stopping.is_set():
                now = time.monotonic()
                if deadline is not None and now >= deadline:
                    break
                if self.faults.close_gen != gen:
                    break
                if self.faults.get("stall"):
                    if conn.peer_closed():
                        return False
                    time.sleep(0.05)
                    continue
                if self.faults.get("watch_drop") and \
                        stream.sent >= self.faults.get("drop_after_events") \
                        and now - t_start >= \
                        self.faults.get("drop_after_seconds"):
                    stream.drop()
                    return False
                if self.faults.get("garbage") and not garbage_sent:
                    garbage_sent = True
                    stream.raw_line(self.faults.get("garbage_line"))
                with store.changed:
                    changes, nxt = store.changes_since(index)
                    if changes is not None and not changes:
                        wait = 0.2
                        if deadline is not None:
                            wait = min(wait, max(0.0, deadline - now))
                        store.changed.wait(wait)
                        changes, nxt = store.changes_since(index)
                    cur_rev = store.rev
                if changes is None:
                    # A watcher that fell behind compaction loses its
                    # stream, as an etcd watcher does.
                    stream.event("ERROR", status_obj(
                        410, "Expired", self._expired_msg(
                            "watch", stream.last_rv or 0, store.compacted)))
                    break
                index = nxt
                for ch in changes:
                    out = self.filter_change(ch, resource, ns, terms)
                    if out is not None:
                        stream.event(*out)
                if bookmarks and time.monotonic() - last_bookmark >= \
                        self.cfg.bookmark_interval:
                    last_bookmark = time.monotonic()
                    stream.bookmark(cur_rev)
                if not changes and conn.peer_closed():
                    return False
            stream.finish()
            return True
        except ConnClosed:
            return False
        finally:
            self.watches_active -= 1

    def filter_change(self, ch, resource, ns, terms):
        """The event a filtered watch sees for one change: an object that
        starts or stops matching appears as ADDED or DELETED."""
        if ch.resource != resource:
            return None
        md = ch.obj["metadata"]
        if ns is not None and md["namespace"] != ns:
            return None
        cur = selector_matches(terms, ch.obj)
        if ch.type == "MODIFIED" and terms:
            old = selector_matches(terms, ch.prev)
            if cur and not old:
                return ("ADDED", ch.obj)
            if old and not cur:
                return ("DELETED", ch.obj)
        if ch.type == "DELETED":
            cur = selector_matches(terms, ch.prev)
        return (ch.type, ch.obj) if cur else None

    def watch_expired(self, conn, rv, compacted):
        style = self.faults.get("expired_style")
        st = status_obj(410, "Expired", self._expired_msg("watch", rv,
                                                          compacted))
        if style == "status":
            self.respond_status(conn, st)
            return True
        stream = WatchStream(self, conn, None, False, None)
        stream.start()
        if style != "empty":
            stream.event("ERROR", st)
        stream.finish()
        return True


class WatchStream:
    """The chunked body of one watch."""

    def __init__(self, server, conn, resource, table, include):
        self.server, self.conn = server, conn
        self.resource, self.table, self.include = resource, table, include
        self.sent = 0
        self.last_rv = None
        self.headers_sent = False

    def start(self):
        lines = ["HTTP/1.1 200 OK",
                 "Audit-Id: " + str(uuid.uuid4()),
                 "Cache-Control: no-cache, private",
                 "Content-Type: application/json",
                 "X-Kubernetes-Pf-Flowschema-Uid: " + FLOWSCHEMA_UID,
                 "X-Kubernetes-Pf-Prioritylevel-Uid: " + PRIORITY_UID,
                 "Date: " + _hdr_date(),
                 "Transfer-Encoding: chunked"]
        self.conn.send(("\r\n".join(lines) + "\r\n\r\n").encode())
        self.server.counters.inc("responses", "200")

    def _chunks(self, data):
        mode = self.server.faults.get("chunks")
        if mode == "tiny":
            return [data[i:i + 1] for i in range(len(data))]
        if mode == "random":
            out, i = [], 0
            while i < len(data):
                n = random.randint(1, max(1, min(len(data) - i, 200)))
                out.append(data[i:i + n])
                i += n
            return out
        return [data]

    def _write(self, data):
        out = b"".join(b"%x\r\n%s\r\n" % (len(c), c)
                       for c in self._chunks(data))
        self.conn.send(out)

    def _object(self, typ, obj):
        if typ == "ERROR" or typ == "BOOKMARK":
            return obj
        if self.table:
            rv = obj["metadata"].get("resourceVersion", "")
            t = sim_table.table(self.resource, [obj], rv, self.include,
                                headers=self.sent == 0)
            del t["metadata"]["resourceVersion"]
            return t
        return self.server.typed(self.resource, obj)

    def event(self, typ, obj):
        line = dumps({"type": typ, "object": self._object(typ, obj)}) + \
            b"\n"
        self._write(line)
        self.sent += 1
        if typ != "ERROR":
            self.last_rv = int(obj["metadata"]["resourceVersion"])
            self.server.counters.inc("watch_events_sent")

    def bookmark(self, rev):
        if self.resource == "events":
            obj = {"kind": "Event", "apiVersion": "v1",
                   "metadata": {"resourceVersion": str(rev),
                                "creationTimestamp": None},
                   "involvedObject": {}, "source": {},
                   "firstTimestamp": None, "lastTimestamp": None,
                   "eventTime": None, "reportingComponent": "",
                   "reportingInstance": ""}
        else:
            obj = {"kind": "Pod", "apiVersion": "v1",
                   "metadata": {"resourceVersion": str(rev),
                                "creationTimestamp": None},
                   "spec": {"containers": None}, "status": {}}
        self._write(dumps({"type": "BOOKMARK", "object": obj}) + b"\n")
        self.server.counters.inc("bookmarks_sent")

    def raw_line(self, text):
        self._write(text.encode() + b"\n")

    def drop(self):
        """Announces a chunk, sends half of it and closes the socket."""
        body = dumps({"type": "MODIFIED", "object": {
            "kind": "Event", "apiVersion": "v1",
            "metadata": {"name": "truncated", "resourceVersion": "0"}}})
        half = body[:len(body) // 2]
        try:
            self.conn.sock.sendall(b"%x\r\n%s" % (len(body) + 1, half))
        except (OSError, ssl.SSLError):
            pass
        hard_shutdown(self.conn.sock)

    def finish(self):
        self.conn.send(b"0\r\n\r\n")
