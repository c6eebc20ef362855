"""Security properties of kevents as a whole program: the bearer token
never reaches its output, TLS fails closed and says why, a hostile
server cannot make it grow without bound, hang or crash, terminal
control sequences in events are escaped, and bad input of every kind is
one line on stderr and a non-zero exit.
SPDX-License-Identifier: Apache-2.0
"""
import concurrent.futures
import json
import os
import secrets
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fault_lib import (Bounded, RawServer, hold, send_fast,  # noqa: E402
                       send_forever)
from kubesim import KubeSim  # noqa: E402
from lib import FLAVOR, Suite, kevents, sanitizer_report  # noqa: E402
from tlsserver import PKI, Server  # noqa: E402

t = Suite("security")
TMP = tempfile.TemporaryDirectory(prefix="kevents-sec-")
RSS_BOUND_KIB = 32 * 1024
# The sanitizer build carries ASan's own allocator and shadow pages.
if FLAVOR == "asan":
    RSS_BOUND_KIB = 96 * 1024


def tmpfile(name, data, mode=0o600):
    p = os.path.join(TMP.name, name)
    with open(p, "wb" if isinstance(data, bytes) else "w") as f:
        f.write(data)
    os.chmod(p, mode)
    return p


def one_line_error(r):
    lines = [l for l in r.err.splitlines() if l.strip()]
    return len(lines) == 1 and lines[0].startswith("kevents: ")


# --- the token never appears in output ------------------------------------

def token_kubeconfig(name, server, ca, token_file):
    ca_line = f"    certificate-authority: {ca}\n" if ca else ""
    return tmpfile(name, f"""apiVersion: v1
kind: Config
clusters:
- name: c
  cluster:
    server: "{server}"
{ca_line}users:
- name: u
  user:
    tokenFile: {token_file}
contexts:
- name: x
  context:
    cluster: c
    user: u
    namespace: default
current-context: x
""")


def case_token_secrecy():
    good = "s3cr3t-" + secrets.token_hex(16)
    ro = "r0only-" + secrets.token_hex(16)
    bad = "wr0ng-" + secrets.token_hex(16)
    tokens = {"good": good, "ro": ro, "bad": bad}
    tdir = os.path.join(TMP.name, "tls-leak")
    pki = PKI(tdir)
    other = PKI(os.path.join(tdir, "other"), "other-ca")
    foreign = other.cert("foreign", "ec", sans="IP:127.0.0.1")
    with KubeSim(["--token", f"leak={good}:get,list,watch",
                  "--token", f"ro={ro}:get,list"]) as sim, \
            Server(*foreign) as tls_bad:
        sim.scenario("pod-start", pod="web-1", interval=0, sync=True)
        bad_url = f"https://127.0.0.1:{tls_bad.port}"
        # (name, token key, server, ca, extra args, expected rc)
        plans = [
            ("list", "good", sim.url, sim.ca, ["--stats"], 0),
            ("watch", "good", sim.url, sim.ca,
             ["-w", "--timeout", "1500ms", "--watch-timeout", "1s",
              "--stats"], 0),
            ("401", "bad", sim.url, sim.ca, [], 1),
            ("403 on watch", "ro", sim.url, sim.ca,
             ["-w", "--mode", "watch"], 1),
            ("403 then polling", "ro", sim.url, sim.ca,
             ["-w", "--timeout", "1500ms", "--poll-interval", "200ms"], 0),
            ("TLS failure", "good", bad_url, pki.ca_crt, [], 1),
        ]
        jobs = []
        for name, key, server, ca, extra, want_rc in plans:
            tok = tokens[key]
            tf = tmpfile(f"token-{key}", tok + "\n")
            kcf = token_kubeconfig(
                f"kc-{key}-{abs(hash(server)) % 10000}", server, ca, tf)
            for level in (0, 1, 2, 9):
                flag_args = ["--server", server, "--certificate-authority",
                             ca, "--token", tok]
                for source, base in (("--token", flag_args),
                                     ("tokenFile", ["--kubeconfig", kcf])):
                    args = base + ["-v", str(level), "-n", "default"] + \
                        extra + ["pod/web-1"]
                    jobs.append((f"{name}, {source}, -v {level}", tok,
                                 args, want_rc))

        def run(job):
            what, tok, args, want_rc = job
            return what, tok, want_rc, kevents(args, timeout=20)

        with concurrent.futures.ThreadPoolExecutor(6) as pool:
            results = list(pool.map(run, jobs))
        leaks, wrong_rc, sanit = [], [], []
        for what, tok, want_rc, r in results:
            text = r.out + r.err
            if tok in text or tok.split("-", 1)[1][:12] in text:
                leaks.append((what, r))
            if r.rc != want_rc:
                wrong_rc.append((what, r))
            if sanitizer_report(r.err):
                sanit.append((what, r.err[-1500:]))
        t.check(f"token secrecy: {len(results)} runs (list, watch, 401, "
                f"403, TLS failure; flag and tokenFile; -v 0/1/2/9)",
                len(results) == 48, len(results))
        t.check("token secrecy: the token appears in no output",
                not leaks, leaks[:2])
        t.check("token secrecy: each run ended as expected",
                not wrong_rc, wrong_rc[:3])
        t.check("token secrecy: no sanitizer report", not sanit, sanit[:1])
        v9 = [r for what, _, _, r in results
              if what.startswith("list, --token, -v 9")]
        t.check("token secrecy: -v 9 logs requests yet no Authorization",
                v9 and "GET /api/v1/namespaces/default/events" in v9[0].err
                and "Bearer" not in v9[0].err + v9[0].out, v9[:1])


# --- TLS fails closed --------------------------------------------------------

def case_tls_fails_closed():
    tdir = os.path.join(TMP.name, "tls")
    pki = PKI(tdir)
    other = PKI(os.path.join(tdir, "other"), "other-ca")
    good = pki.cert("good", "ec", sans="IP:127.0.0.1")
    cases = [
        ("unknown CA", other.cert("foreign", "ec", sans="IP:127.0.0.1"),
         ["unknown authority"]),
        ("expired", pki.cert("expired", "ec", sans="IP:127.0.0.1",
                             start="20200101000000Z",
                             end="20210101000000Z"),
         ["not valid now", "2021-01-01"]),
        ("not yet valid", pki.cert("future", "ec", sans="IP:127.0.0.1",
                                   start="20300101000000Z",
                                   end="20310101000000Z"),
         ["not valid now", "2030-01-01"]),
        ("CN-only certificate", pki.cert("cn-only", "rsa", sans=None,
                                         cn="127.0.0.1"),
         ["Common Name", "127.0.0.1"]),
        ("DNS-only certificate reached by IP",
         pki.cert("dns", "ec", sans="DNS:kubernetes,DNS:api.example.test"),
         ["valid for kubernetes, api.example.test, not 127.0.0.1"]),
        ("IP mismatch", pki.cert("other-ip", "rsa",
                                 sans="IP:10.0.0.1,IP:10.96.0.1"),
         ["valid for 10.0.0.1, 10.96.0.1, not 127.0.0.1"]),
    ]
    for what, (crt, key), words in cases:
        with Server(crt, key) as s:
            r = kevents(["--server", f"https://127.0.0.1:{s.port}",
                         "--certificate-authority", pki.ca_crt,
                         "--token", "x", "-n", "default"], timeout=20)
            missing = [w for w in words if w not in r.err]
            t.check(f"TLS {what}: exit 1, one line saying why",
                    r.rc == 1 and not missing and one_line_error(r) and
                    r.out == "" and not sanitizer_report(r.err),
                    f"missing={missing} {r}")
    with Server(*good) as s:
        r = kevents(["--server", f"https://127.0.0.1:{s.port}",
                     "--certificate-authority", pki.ca_crt, "--token", "x",
                     "-n", "default"], timeout=20)
        # The test server answers 200 text: TLS passed, the body fails.
        t.check("TLS control: a good certificate gets past TLS, the "
                "text body is refused",
                r.rc == 1 and one_line_error(r) and
                "certificate" not in r.err and "TLS" not in r.err, r)
    with KubeSim() as sim:
        sim.scenario("pod-start", pod="web-1", interval=0, sync=True)
        r = kevents(["--server", sim.url, "--insecure-skip-tls-verify",
                     "--token", sim.admin_token, "-n", "default",
                     "pod/web-1"], timeout=20)
        t.check("insecure-skip-tls-verify: works",
                r.rc == 0 and len(r.out.splitlines()) == 6, r)
        t.check("insecure-skip-tls-verify: warns on stderr",
                "insecure" in r.err.lower() and "warning" in r.err.lower(),
                r)


# --- a hostile server --------------------------------------------------------

EMPTY_LIST = (b'{"kind":"EventList","apiVersion":"v1","metadata":'
              b'{"resourceVersion":"1"},"items":[]}')


def http_head(extra=b"", chunked=True, length=None):
    h = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
    if chunked:
        h += b"Transfer-Encoding: chunked\r\n"
    if length is not None:
        h += b"Content-Length: %d\r\n" % length
    return h + extra + b"\r\n"


def chunk(data):
    return b"%x\r\n%s\r\n" % (len(data), data)


def list_or(watch_handler):
    """Answers lists with an empty EventList and watches with the
    handler."""
    def handler(sock, line, stop):
        if "watch=1" in line:
            return watch_handler(sock, line, stop)
        # One request per connection: the watch comes on a new one.
        sock.sendall(http_head(b"Connection: close\r\n", chunked=False,
                               length=len(EMPTY_LIST)) + EMPTY_LIST)
    return handler


def h_huge_chunk_overflow(sock, line, stop):
    send_forever(sock, http_head() + b"f" * 40 + b"\r\n", b" " * 65536,
                 stop)


def h_huge_chunk(sock, line, stop):
    # A 16 TiB chunk whose content is an array that never ends, sent as
    # fast as this side can: --request-timeout must still end the list.
    send_fast(sock, http_head() + b"fffffffffff\r\n" +
              b'{"kind":"EventList","metadata":{"resourceVersion":"1"},'
              b'"items":[', stop)


def h_endless_header(sock, line, stop):
    send_forever(sock, b"HTTP/1.1 200 OK\r\nX-Long: ", b"a" * 65536, stop)


def h_endless_headers(sock, line, stop):
    send_forever(sock, b"HTTP/1.1 200 OK\r\n", b"X-Many: b\r\n" * 4096,
                 stop)


def h_endless_status(sock, line, stop):
    send_forever(sock, b"HTTP/1.1 200 ", b"O" * 65536, stop)


def h_endless_string(sock, line, stop):
    send_forever(sock, http_head() + chunk(
        b'{"kind":"EventList","metadata":{"resourceVersion":"1"},'
        b'"items":[{"metadata":{"uid":"u1","name":"e"},"message":"'),
        chunk(b"x" * 65536), stop)


def h_endless_key(sock, line, stop):
    send_forever(sock, http_head() + chunk(b'{"kind":"EventList","'),
                 chunk(b"k" * 65536), stop)


def h_deep_list(sock, line, stop):
    body = (b'{"kind":"EventList","metadata":{"resourceVersion":"1"},'
            b'"items":[' + b"[" * 200000 + b"]" * 200000 + b"]}")
    try:
        sock.sendall(http_head(chunked=False, length=len(body)) + body)
    except OSError:
        pass
    hold(sock, stop, 10)


def h_deep_object(sock, line, stop):
    send_forever(sock, http_head() + chunk(b'{"items":['),
                 chunk(b'{"a":' * 8192), stop)


def h_deep_watch(sock, line, stop):
    send_forever(sock, http_head() + chunk(b'{"type":"ADDED","object":'),
                 chunk(b"[" * 65536), stop)


def h_chunk_ext(sock, line, stop):
    send_forever(sock, http_head() + b"5;ext=", b"a" * 65536, stop)


def h_chunk_ext_many(sock, line, stop):
    send_forever(sock, http_head() + b"5", b";e=v" * 16384, stop)


def h_endless_content_length(sock, line, stop):
    # Content-Length claims 2^62 bytes; the body is whitespace inside an
    # array that never closes.
    send_forever(sock, b"HTTP/1.1 200 OK\r\nContent-Type: application/json"
                 b"\r\nContent-Length: 4611686018427387904\r\n\r\n"
                 b'{"items":[', b" " * 65536, stop)


def h_endless_trailer(sock, line, stop):
    send_forever(sock, http_head() + chunk(EMPTY_LIST) + b"0\r\n",
                 b"X-Trailer: " + b"t" * 65536, stop)


HOSTILE = [
    # (what, handler, -w?)
    ("chunk size that overflows 64 bits", h_huge_chunk_overflow, False),
    ("endless header line", h_endless_header, False),
    ("endless sequence of header lines", h_endless_headers, False),
    ("endless status line", h_endless_status, False),
    ("endless string inside an event", h_endless_string, False),
    ("endless object key", h_endless_key, False),
    ("200000-deep array nesting in a list", h_deep_list, False),
    ("endless object nesting in a list", h_deep_object, False),
    ("endless array nesting in a watch event", list_or(h_deep_watch), True),
    ("endless chunk extension", h_chunk_ext, False),
    ("endless sequence of chunk extensions", h_chunk_ext_many, False),
    ("huge Content-Length with an endless body", h_endless_content_length,
     False),
    ("endless trailer line", h_endless_trailer, False),
]


def hostile_run(url, watch, wall=25, extra=()):
    args = ["--server", url, "--token", "x", "-n", "default", "-o", "json",
            "--request-timeout", "4s"]
    if watch:
        args += ["-w", "--timeout", "6s", "--watch-timeout", "2s"]
    return Bounded(args + list(extra), wall=wall).finish()


def judge_hostile(what, r, watch, deadline=None):
    # --request-timeout is 4s; the watch runs have --timeout 6s.
    deadline = deadline or (14 if watch else 8)
    t.check(f"hostile: {what}: no crash, no hang",
            r.rc is not None and r.rc in (0, 1) and not r.killed and
            r.elapsed < deadline, r)
    if not watch:
        t.check(f"hostile: {what}: exit 1 with a one-line error",
                r.rc == 1 and len(r.stderr.strip().splitlines()) == 1 and
                r.stderr.startswith("kevents: "), r)
    t.check(f"hostile: {what}: peak RSS under "
            f"{RSS_BOUND_KIB // 1024} MiB",
            0 < r.maxrss_kib < RSS_BOUND_KIB, r)
    t.check(f"hostile: {what}: no sanitizer report",
            not sanitizer_report(r.stderr), r.stderr[-2000:])


def case_hostile():
    def one(item):
        what, handler, watch = item
        with RawServer(handler) as srv:
            r = hostile_run(srv.url, watch)
        return what, watch, r

    def report(what, watch, r, deadline=None):
        judge_hostile(what, r, watch, deadline)
        print(f"     {what}: rc={r.rc} {r.elapsed:.1f}s "
              f"maxrss={r.maxrss_kib // 1024}MiB "
              f"err={r.stderr.strip()[-160:]!r}", flush=True)

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        for what, watch, r in pool.map(one, HOSTILE):
            report(what, watch, r)
    # Alone, so that the sender is not slowed by the other cases: a
    # body that keeps arriving must not outlive --request-timeout.
    report(*one(("16 TiB chunk of an endless array, sent fast",
                 h_huge_chunk, False)), deadline=6.5)


WATCH_EVENT = (b'{"type":"ADDED","object":{"kind":"Event","apiVersion":"v1",'
               b'"metadata":{"name":"e%d","namespace":"default",'
               b'"uid":"%s","resourceVersion":"%d"},"involvedObject":'
               b'{"kind":"Pod","namespace":"default","name":"p"},'
               b'"reason":"R","message":"m","type":"Normal","count":1}}\n')
DELETED_EVENT = (b'{"type":"DELETED","object":{"metadata":{"name":"e%d",'
                 b'"namespace":"default","uid":"%s","resourceVersion":'
                 b'"%d"}}}\n')


def uuid_of(i):
    h = "%032x" % (i * 0x9E3779B97F4A7C15 % (1 << 128))
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-8{h[17:20]}-{h[20:32]}".encode()


def flood_handler(total, deleted, state):
    """A watch that sends total small distinct events (each followed by
    its DELETED when deleted) and then ends; later watches stay quiet."""
    def watch(sock, line, stop):
        if state.get("done"):
            sock.sendall(http_head())
            hold(sock, stop, 30)
            return
        state["done"] = True
        sent = 0
        rv = 10
        try:
            sock.sendall(http_head())
            batch = []
            for i in range(total):
                if stop.is_set() or time.monotonic() > state["end"]:
                    break
                u = uuid_of(i)
                rv += 1
                batch.append(WATCH_EVENT % (i, u, rv))
                if deleted:
                    rv += 1
                    batch.append(DELETED_EVENT % (i, u, rv))
                if len(batch) >= 512:
                    sock.sendall(chunk(b"".join(batch)))
                    sent = i + 1
                    batch = []
            if batch:
                sock.sendall(chunk(b"".join(batch)))
                sent = total
            sock.sendall(b"0\r\n\r\n")
        except OSError:
            pass
        state["sent"] = sent
        state["send_end"] = time.monotonic()
    return list_or(watch)


def case_flood():
    # A million distinct events, about 300 MB of watch stream.
    total = 1000000
    for deleted in (True, False):
        state = {"end": time.monotonic() + 60}
        with RawServer(flood_handler(total, deleted, state),
                       lifetime=90) as srv:
            t0 = time.monotonic()
            r = Bounded(["--server", srv.url, "--token", "x", "-n",
                         "default", "-o", "json", "-w", "--timeout", "45s",
                         "--watch-timeout", "60s"], wall=70)
            # Ends the run once everything sent was printed, or once the
            # output stopped growing for two seconds after the stream.
            last, still = -1, time.monotonic()
            while r.alive() and time.monotonic() - t0 < 60:
                if r.lines != last:
                    last, still = r.lines, time.monotonic()
                if "sent" in state and (r.lines >= state["sent"] or
                                        time.monotonic() - still > 2):
                    break
                time.sleep(0.1)
            time.sleep(0.3)
            if r.alive():
                r.proc.send_signal(15)
            r.finish()
        what = (f"{total} tiny events in one watch" +
                (", each then DELETED" if deleted else ", none deleted"))
        sent = state.get("sent", 0)
        secs = state.get("send_end", time.monotonic()) - t0
        print(f"     {what}: sent {sent} in {secs:.1f}s, printed "
              f"{r.lines}, rc={r.rc}, maxrss={r.maxrss_kib // 1024}MiB, "
              f"err={r.stderr.strip()[-200:]!r}", flush=True)
        t.check(f"flood: {what}: kept running, no crash",
                r.rc == 0 and not r.killed, r)
        t.check(f"flood: {what}: all sent, each printed at most once",
                sent == total and r.lines <= sent and
                (deleted or r.lines >= min(sent, 786432)), (sent, r))
        if deleted or not r.limited:
            t.check(f"flood: {what}: each printed", r.lines == sent,
                    (sent, r))
        t.check(f"flood: {what}: no sanitizer report",
                not sanitizer_report(r.stderr), r.stderr[-2000:])
        if deleted:
            t.check(f"flood: {what}: peak RSS under "
                    f"{RSS_BOUND_KIB // 1024} MiB",
                    0 < r.maxrss_kib < RSS_BOUND_KIB, r)
        else:
            # The UID set holds every live event (24 bytes a slot, the
            # table doubling): a million live UIDs are some tens of MiB.
            # Growth with live events is by design; report it.
            print(f"     (no DELETED: UID set of {sent} live events, "
                  f"peak RSS {r.maxrss_kib // 1024} MiB)", flush=True)
            t.check(f"flood: {what}: peak RSS within 64 MiB",
                    0 < r.maxrss_kib < 64 * 1024 +
                    (RSS_BOUND_KIB - 32 * 1024), r)
            # Under the 64 MiB address-space limit the table cannot
            # double past 786432 live UIDs; what kevents does then must
            # be said, and said a bounded number of times.
            if r.lines < sent:
                t.check(f"flood: {what}: the events it could not keep "
                        "are reported on stderr, in a few lines",
                        "out of memory" in r.stderr and
                        r.err_lines <= 10,
                        f"printed {r.lines} of {sent}, "
                        f"{r.err_lines} stderr lines")


# --- terminal control sequences ---------------------------------------------

def case_control_chars():
    nasty = ("red \x1b[31mALERT\x1b[0m csi \u009b2J bel \x07 cr \rFAKE "
             "bs \x08 del \x7f osc \x1b]0;title\x07 nul-free end")
    with KubeSim() as sim:
        sim.event(namespace="default", reason="Evil\x1b[2J", message=nasty,
                  involved={"kind": "Pod", "name": "web-1"})
        for fmt in ("text", "wide"):
            r = kevents(["--kubeconfig", sim.kubeconfig, "-o", fmt,
                         "pod/web-1"], timeout=20)
            raw = r.out.encode("utf-8")
            bad = sorted({hex(b) for b in raw
                          if (b < 0x20 and b != 0x0a) or b == 0x7f})
            t.check(f"control characters: {fmt}: no raw C0/DEL bytes",
                    r.rc == 0 and not bad, (bad, r))
            t.check(f"control characters: {fmt}: no raw C1 CSI (U+009B)",
                    "\u009b" not in r.out, r)
            t.check(f"control characters: {fmt}: the text is still there",
                    "ALERT" in r.out and "FAKE" in r.out and
                    "nul-free end" in r.out, r)
        r = kevents(["--kubeconfig", sim.kubeconfig, "-o", "json",
                     "pod/web-1"], timeout=20)
        raw = r.out.encode("utf-8")
        bad = sorted({hex(b) for b in raw if b < 0x20 and b != 0x0a})
        ok = r.rc == 0 and not bad
        try:
            ok = ok and json.loads(r.out.splitlines()[0])["message"] == nasty
        except (ValueError, IndexError, KeyError):
            ok = False
        t.check("control characters: json: escaped, and decode back "
                "to the message", ok, (bad, r))


# --- bad input ---------------------------------------------------------------

def bad_input(what, args, want_rc=1, words=()):
    r = kevents(args, timeout=20)
    missing = [w for w in words if w not in r.err]
    t.check(f"bad input: {what}: exit {want_rc}, one line, no crash",
            r.rc == want_rc and one_line_error(r) and not missing and
            not sanitizer_report(r.err), f"missing={missing} {r}")


def case_bad_input():
    junk = tmpfile("junk.kubeconfig", secrets.token_bytes(4096))
    yamljunk = tmpfile("junk2.kubeconfig",
                       "apiVersion: v1\nclusters: [ {name: x\n  - :\n\t: ]\n")
    notpem = tmpfile("notpem.crt", "this is not a certificate\n")
    badpem = tmpfile("badpem.crt", "-----BEGIN CERTIFICATE-----\n"
                     "!!!!not base64!!!!\n-----END CERTIFICATE-----\n")
    empty = tmpfile("empty.kubeconfig", "")
    bad_input("kubeconfig of random bytes", ["--kubeconfig", junk])
    bad_input("kubeconfig of broken YAML", ["--kubeconfig", yamljunk])
    bad_input("empty kubeconfig", ["--kubeconfig", empty])
    bad_input("missing kubeconfig", ["--kubeconfig",
                                     os.path.join(TMP.name, "nope")])
    bad_input("CA file that is not PEM",
              ["--server", "https://127.0.0.1:1", "--certificate-authority",
               notpem, "--token", "x"], words=[notpem])
    bad_input("CA file with a broken PEM block",
              ["--server", "https://127.0.0.1:1", "--certificate-authority",
               badpem, "--token", "x"])
    for url in ("https://[::1", "ftp://x", "http://host:99999",
                "https://", "http://127.0.0.1:-1", "://x", "https://a b",
                "https://127.0.0.1:443/" + "p" * 5000):
        r = kevents(["--server", url, "--token", "x", "-n", "default"],
                    timeout=20)
        t.check(f"bad input: --server {url[:40]!r}: non-zero exit, one "
                "line, no crash",
                r.rc in (1, 2) and one_line_error(r) and
                not sanitizer_report(r.err), r)
    r = kevents(["--no-such-flag"], timeout=20)
    t.check("bad input: unknown flag: exit 2, one line",
            r.rc == 2 and r.err.strip() and
            len(r.err.strip().splitlines()) <= 2 and
            not sanitizer_report(r.err), r)

    def html(sock, line, stop):
        body = b"<html><body>Welcome to nginx!</body></html>\n"
        sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
                     b"Content-Length: %d\r\n\r\n" % len(body) + body)
        hold(sock, stop, 5)

    def json_not_list(sock, line, stop):
        body = b'"just a string"'
        sock.sendall(http_head(chunked=False, length=len(body)) + body)
        hold(sock, stop, 5)

    def close_at_once(sock, line, stop):
        pass

    def close_mid_head(sock, line, stop):
        sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Le")

    def close_mid_body(sock, line, stop):
        sock.sendall(http_head(chunked=False, length=1000) +
                     b'{"kind":"EventList","items":[')

    def not_http(sock, line, stop):
        sock.sendall(b"SSH-2.0-OpenSSH_9.2\r\n")
        hold(sock, stop, 5)

    for what, h in (("200 with HTML to the list", html),
                    ("200 with JSON that is not a list", json_not_list),
                    ("a server that closes at once", close_at_once),
                    ("a server that closes inside the header",
                     close_mid_head),
                    ("a server that closes inside the body",
                     close_mid_body),
                    ("a server that does not speak HTTP", not_http)):
        with RawServer(h) as srv:
            bad_input(what, ["--server", srv.url, "--token", "x",
                             "-n", "default", "--request-timeout", "4s"])


def main():
    t0 = time.monotonic()
    for name, fn in (("token", case_token_secrecy),
                     ("tls", case_tls_fails_closed),
                     ("hostile", case_hostile),
                     ("flood", case_flood),
                     ("control", case_control_chars),
                     ("bad input", case_bad_input)):
        t1 = time.monotonic()
        try:
            fn()
        except Exception as ex:  # a broken case is a failed case
            t.check(f"{name}: ran", False, f"{type(ex).__name__}: {ex}")
        print(f"     [{name} {time.monotonic() - t1:.1f}s]", flush=True)
    print(f"     [total {time.monotonic() - t0:.1f}s]", flush=True)
    TMP.cleanup()
    t.done()


main()
