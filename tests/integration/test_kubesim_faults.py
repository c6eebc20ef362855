#!/usr/bin/env python3
# flavors: static
"""kube-sim rate limiting, injected faults and TLS: APF 429s under
concurrent load, watches dropped mid-chunk, stalls, garbage lines,
injected statuses, restarts, chunk splitting, server-side watch timeouts,
and a TLS server that accepts only what a Go API server accepts.
SPDX-License-Identifier: Apache-2.0
"""
import json
import os
import socket
import ssl
import sys
import threading
import time
import warnings

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import Suite                    # noqa: E402
from kubesim import KubeSim              # noqa: E402

T = Suite("kubesim-faults")
# Offering TLS 1.1 on purpose is the point of one check.
warnings.filterwarnings("ignore", category=DeprecationWarning)
EV = "/api/v1/namespaces/default/events"


def raw_get(sim, path, timeout=3, token=None):
    """Sends one request on a fresh socket and reads until the server
    closes, the terminating chunk arrives, or timeout passes. Returns
    (header bytes, body bytes, closed_by_server)."""
    s = socket.create_connection(("127.0.0.1", sim.port), timeout=timeout)
    if sim.tls:
        s = sim.ssl_context.wrap_socket(s, server_hostname="127.0.0.1")
    tok = sim.admin_token if token is None else token
    s.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: "
               "Bearer %s\r\n\r\n" % (path, tok)).encode())
    data, closed = b"", False
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            b = s.recv(65536)
        except socket.timeout:
            break
        except (OSError, ssl.SSLError):
            closed = True
            break
        if not b:
            closed = True
            break
        data += b
        if data.endswith(b"\r\n0\r\n\r\n"):
            break
    s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    return head, body, closed


def parse_chunks(body):
    """(list of chunk sizes, payload, complete)"""
    sizes, payload, i = [], b"", 0
    while True:
        j = body.find(b"\r\n", i)
        if j < 0:
            return sizes, payload, False
        n = int(body[i:j], 16)
        if n == 0:
            return sizes, payload, True
        chunk = body[j + 2:j + 2 + n]
        if len(chunk) < n:
            return sizes, payload + chunk, False
        sizes.append(n)
        payload += chunk
        i = j + 2 + n + 2


def apf():
    args = ["--apf", "--apf-seats", "4", "--apf-queue", "3",
            "--apf-queue-wait", "0.5", "--list-latency-ms", "300",
            "--compact-interval", "0"]
    with KubeSim(args, tls=False) as sim:
        sim.scenario("bulk", count=250, size=400, namespace="default")
        results = []
        lock = threading.Lock()

        def one():
            st, h, body = sim.request(
                EV + "?fieldSelector=involvedObject.name%3Dbulk-1")
            with lock:
                results.append((st, h, body))
        threads = [threading.Thread(target=one) for _ in range(12)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(20)
        codes = sorted(r[0] for r in results)
        t429 = [r for r in results if r[0] == 429]
        T.check("APF: concurrent lists get some 429s and some 200s",
                t429 and codes.count(200) >= 1, codes)
        if t429:
            st, h, body = t429[0]
            T.check("429 has Retry-After and the plain-text body",
                    h.get("retry-after") == "1" and
                    body == b"Too many requests, please try again later.\n"
                    and h.get("content-type", "").startswith("text/plain"),
                    (h, body))
        c = sim.counters()
        T.check("429s counted", c["throttled_429"] == len(t429) and
                c["responses"].get("429") == len(t429), c["responses"])
        # 250 stored events cost 3 seats even for a selector matching 5:
        # with 4 seats only one such list runs at a time.
        t0 = time.monotonic()
        one()
        single = time.monotonic() - t0
        T.check("a lone list is served", results[-1][0] == 200 and
                single < 2, single)
    with KubeSim(args + ["--429-json"], tls=False) as sim:
        sim.scenario("bulk", count=250, size=400, namespace="default")
        out = []
        ths = [threading.Thread(target=lambda: out.append(
            sim.request(EV))) for _ in range(10)]
        for th in ths:
            th.start()
        for th in ths:
            th.join(20)
        js = [json.loads(b) for st, h, b in out if st == 429]
        T.check("--429-json: 429 as a JSON Status", js and
                js[0]["kind"] == "Status" and js[0]["code"] == 429 and
                js[0]["reason"] == "TooManyRequests", js[:1])


def faults():
    with KubeSim(["--compact-interval", "0", "--min-request-timeout",
                  "1"]) as sim:
        sim.scenario("pod-start", pod="web-1", interval=0.01, sync=True)

        # Drop mid-chunk.
        sim.fault(watch_drop=True, drop_after_events=2,
                  drop_after_seconds=0.2)
        head, body, closed = raw_get(sim, EV + "?watch=1")
        sizes, payload, complete = parse_chunks(body)
        T.check("watch_drop: closed inside a chunk after 2+ events",
                closed and not complete and payload.count(b"\n") >= 2 and
                not payload.endswith(b"\n"), (closed, complete, payload[-60:]))
        sim.clear_faults()

        # Garbage line.
        sim.fault(garbage=True)
        head, body, _ = raw_get(sim, EV + "?watch=1&timeoutSeconds=1")
        sizes, payload, complete = parse_chunks(body)
        lines = payload.split(b"\n")
        bad = [ln for ln in lines if ln and not ln.startswith(b"{")]
        T.check("garbage: one non-JSON line in the stream", len(bad) == 1
                and complete, bad)
        sim.clear_faults()

        # Tiny and random chunks.
        sim.fault(chunks="tiny")
        head, body, _ = raw_get(sim, EV + "?watch=1&timeoutSeconds=1")
        sizes, payload, complete = parse_chunks(body)
        T.check("tiny chunks: every chunk is 1 byte", complete and sizes and
                set(sizes) == {1} and payload.count(b"\n") == 5,
                (complete, set(sizes)))
        sim.fault(chunks="random")
        head, body, _ = raw_get(sim, EV + "?watch=1&timeoutSeconds=1")
        sizes, payload, complete = parse_chunks(body)
        ok = all(json.loads(ln) for ln in payload.split(b"\n") if ln)
        T.check("random chunks: split events reassemble", complete and ok
                and len(set(sizes)) > 3 and payload.count(b"\n") == 5,
                len(set(sizes)))
        sim.clear_faults()

        # Injected statuses.
        sim.fault(fail_next={"count": 2, "status": 503, "retry_after": 3})
        r = [sim.request(EV) for _ in range(3)]
        T.check("fail_next: two 503s with Retry-After, then 200",
                [x[0] for x in r] == [503, 503, 200] and
                r[0][1].get("retry-after") == "3" and
                json.loads(r[0][2])["code"] == 503, [x[0] for x in r])
        sim.fault(fail_next={"count": 1, "status": 429, "retry_after": 2,
                             "verbs": ["watch"]})
        st1 = sim.request(EV)[0]
        st2, h2, b2 = sim.request(EV + "?watch=1")
        T.check("fail_next limited to watch: list passes, watch gets 429",
                st1 == 200 and st2 == 429 and h2.get("retry-after") == "2"
                and b2.startswith(b"Too many requests"), (st1, st2, b2))

        # Stall: a request gets no answer while the stall lasts.
        sim.fault(stall=True)
        c = sim.connection(timeout=1)
        try:
            c.request("GET", EV, headers={
                "Authorization": "Bearer " + sim.admin_token})
            c.getresponse()
            stalled = False
        except (socket.timeout, TimeoutError):
            stalled = True
        c.close()
        sim.clear_faults()
        T.check("stall: no response while stalled", stalled)
        T.check("after the stall the server answers",
                sim.request(EV)[0] == 200)

        # close_watches ends open watches cleanly.
        res = {}

        def bg():
            res["r"] = raw_get(sim, EV + "?watch=1", timeout=5)
        th = threading.Thread(target=bg)
        th.start()
        time.sleep(0.5)
        sim.fault(close_watches=True)
        th.join(6)
        sizes, payload, complete = parse_chunks(res["r"][1])
        T.check("close_watches: the watch ends with a terminating chunk",
                complete and payload.count(b"\n") == 5)

        # The server-side watch timeout without timeoutSeconds.
        t0 = time.monotonic()
        head, body, _ = raw_get(sim, EV + "?watch=1", timeout=5)
        took = time.monotonic() - t0
        T.check("randomized server timeout in [T, 2T)", 0.9 <= took < 2.6
                and parse_chunks(body)[2], took)

        # Restart: connections dropped, new ones refused, state kept.
        rv_before = sim.state()["rv"]
        res = {}
        th = threading.Thread(target=bg)
        th.start()
        time.sleep(0.3)
        sim.fault(restart={"seconds": 1.0})
        th.join(6)
        refused = False
        time.sleep(0.3)
        try:
            socket.create_connection(("127.0.0.1", sim.port), 1).close()
        except ConnectionRefusedError:
            refused = True
        T.check("restart: open watch dropped", res["r"][2] and
                not parse_chunks(res["r"][1])[2])
        T.check("restart: new connections refused", refused)
        back = False
        for _ in range(50):
            time.sleep(0.1)
            try:
                back = sim.request(EV)[0] == 200
            except OSError:
                continue
            if back:
                break
        T.check("restart: back with the same state", back and
                sim.state()["rv"] == rv_before)


def tls():
    with KubeSim(["--compact-interval", "0"]) as sim:
        def handshake(**kw):
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.load_verify_locations(sim.ca)
            ctx.check_hostname = kw.get("check_hostname", False)
            if "max" in kw:
                ctx.maximum_version = kw["max"]
            if "min" in kw:
                ctx.minimum_version = kw["min"]
            if "ciphers" in kw:
                ctx.set_ciphers(kw["ciphers"])
            if "cert" in kw:
                ctx.load_cert_chain(*kw["cert"])
            s = socket.create_connection(("127.0.0.1", sim.port), 3)
            try:
                t = ctx.wrap_socket(s, server_hostname=kw.get(
                    "name", "127.0.0.1"))
                return t
            except (ssl.SSLError, OSError) as ex:
                s.close()
                return ex
        t = handshake(max=ssl.TLSVersion.TLSv1_2,
                      ciphers="AES128-GCM-SHA256")
        T.check("RSA key exchange only: refused",
                isinstance(t, Exception), t)
        try:
            t = handshake(max=ssl.TLSVersion.TLSv1_1,
                          min=ssl.TLSVersion.TLSv1)
            T.check("TLS 1.1: refused", isinstance(t, Exception), t)
        except (ValueError, ssl.SSLError) as ex:
            T.check("TLS 1.1: refused (client cannot even offer it)", True,
                    ex)
        t = handshake(max=ssl.TLSVersion.TLSv1_2,
                      ciphers="ECDHE-RSA-AES128-GCM-SHA256")
        T.check("TLS 1.2 ECDHE-RSA accepted", not isinstance(t, Exception)
                and t.version() == "TLSv1.2", t)
        if not isinstance(t, Exception):
            t.close()
        for name in ("127.0.0.1", "localhost"):
            t = handshake(check_hostname=True, name=name)
            T.check("certificate valid for %s" % name,
                    not isinstance(t, Exception), t)
            if not isinstance(t, Exception):
                t.close()
        st, b = None, None
        ctx = ssl.create_default_context(cafile=sim.ca)
        ctx.load_cert_chain(sim.ready["client_cert"], sim.ready["client_key"])
        import http.client
        c = http.client.HTTPSConnection("127.0.0.1", sim.port, context=ctx,
                                        timeout=5)
        c.request("GET", EV)
        r = c.getresponse()
        body = r.read()
        T.check("client certificate user may list without a token",
                r.status == 200, (r.status, body[:200]))
        c.close()
        kc = open(sim.kubeconfig_cert).read()
        T.check("kubeconfig-cert names the client certificate",
                "client-certificate:" in kc and "client-key:" in kc)

    with KubeSim(["--cert-type", "ecdsa", "--compact-interval", "0"]) as sim:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.load_verify_locations(sim.ca)
        ctx.check_hostname = False
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        s = ctx.wrap_socket(socket.create_connection(
            ("127.0.0.1", sim.port), 3))
        T.check("ECDSA P-256 certificate: ECDHE-ECDSA suite",
                "ECDSA" in s.cipher()[0], s.cipher())
        s.close()
    with KubeSim(["--compact-interval", "0"], tls=False) as sim:
        T.check("--no-tls serves plain HTTP", sim.url.startswith("http://")
                and sim.request(EV)[0] == 200)


def main():
    apf()
    faults()
    tls()
    T.done()


if __name__ == "__main__":
    main()
