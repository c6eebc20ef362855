"""The follow engine against kube-sim: list, watch, relist, polling and
the recoveries between them. Each case checks what kevents printed and
what kube-sim counted.
SPDX-License-Identifier: Apache-2.0
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from follow_lib import Run, once_each, sim_uids, wait_for, watching  # noqa
from kubesim import KubeSim  # noqa
from lib import FLAVOR, KEVENTS, Suite, kevents  # noqa

POD_START = ["Scheduled", "Pulling", "Pulled", "Created", "Started"]
t = Suite("follow")


def reasons(run):
    return [e.get("reason") for e in run.json_lines()]


def uids(run):
    return [e["metadata"]["uid"] for e in run.json_lines()]


def kc(sim, which="kubeconfig"):
    return ["--kubeconfig", getattr(sim, which)]


def case_pod_start():
    with KubeSim() as sim:
        r = Run(kc(sim) + ["-w", "-o", "json", "--timeout", "8s",
                           "pod/web-1"])
        t.check("watch opened", wait_for(lambda: watching(sim), 10), r)
        sim.scenario("pod-start", pod="web-1", interval=0.1)
        r.wait_line(lambda l: '"Started"' in l, 8)
        c = sim.counters()
        r.finish(15)
        t.check("pod start: exit 0 at --timeout", r.rc == 0, r)
        t.check("pod start: five reasons once, in order",
                reasons(r) == POD_START, reasons(r))
        t.check("pod start: exactly one consistent list",
                c["lists"]["consistent"] == 1, c["lists"])
        t.check("pod start: one watch", c["watches_opened"] == 1,
                c["watches_opened"])
        t.check("pod start: no sanitizer report", r.clean(), r.stderr)

    # The same in text form: header, columns, OBJECT as Kind/name.
    with KubeSim() as sim:
        sim.scenario("pod-start", pod="web-1", interval=0, sync=True)
        r = kevents(kc(sim) + ["pod/web-1"], timeout=20)
        lines = r.out.splitlines()
        t.check("text: header like kubectl events",
                lines and lines[0].split() == ["LAST", "SEEN", "TYPE",
                                               "REASON", "OBJECT",
                                               "MESSAGE"], r)
        t.check("text: five rows", len(lines) == 6, r)
        t.check("text: object column",
                all("Pod/web-1" in l for l in lines[1:]), r)
        t.check("text: list-only run exits 0", r.rc == 0, r)


def case_poll_fallback():
    with KubeSim() as sim:
        r = Run(kc(sim, "kubeconfig_nowatch") +
                ["-w", "-o", "json", "--timeout", "9s", "--poll-interval",
                 "300ms", "--poll-max-interval", "1s", "pod/web-1"])
        ok = wait_for(lambda: sim.counters()["lists"]["notOlderThan"] >= 1,
                      10)
        t.check("poll: polling began", ok, r)
        sim.scenario("pod-start", pod="web-1", interval=0.2)
        r.wait_line(lambda l: '"Started"' in l, 8)
        r.finish(15)
        c = sim.counters()
        t.check("poll: five reasons once, in order",
                reasons(r) == POD_START, reasons(r))
        t.check("poll: said once that watch is not allowed",
                r.stderr.count("polling every 300ms") == 1 and
                len(r.stderr.strip().splitlines()) == 1, r.stderr)
        t.check("poll: exactly one consistent list",
                c["lists"]["consistent"] == 1, c["lists"])
        t.check("poll: later lists carry NotOlderThan",
                c["lists"]["notOlderThan"] >= 3 and
                c["lists"]["zero"] == 0 and c["lists"]["exact"] == 0,
                c["lists"])
        t.check("poll: one TLS handshake for the whole run",
                c["tls_handshakes"] == 1, c)
        t.check("poll: exit 0", r.rc == 0, r)


def case_poll_one_handshake():
    with KubeSim() as sim:
        sim.scenario("pod-start", pod="web-1", interval=0, sync=True)
        r = Run(kc(sim, "kubeconfig_nowatch") +
                ["-w", "-o", "json", "--timeout", "12s", "--poll-interval",
                 "40ms", "--poll-max-interval", "40ms", "--stats",
                 "pod/web-1"])
        r.finish(20)
        c = sim.counters()
        polls = c["lists"]["notOlderThan"]
        t.check("poll: 100 or more polls on one TLS handshake",
                polls >= 100 and c["tls_handshakes"] == 1 and
                c["tcp_connections"] == 1, (polls, c["tls_handshakes"],
                                            c["tcp_connections"]))
        t.check("poll: still each event once", reasons(r) == POD_START,
                reasons(r))


def case_compaction_410(style):
    with KubeSim(["--compact-interval", "0"]) as sim:
        sim.scenario("pod-start", pod="web-1", interval=0, sync=True)
        r = Run(kc(sim) + ["-w", "-o", "json", "--timeout", "12s",
                           "--watch-timeout", "2s", "pod/web-1"])
        wait_for(lambda: watching(sim), 10)
        sim.fault(expired_style=style)
        # Writes elsewhere move the revision on while this pod's watch
        # sees nothing; compacting then makes its resourceVersion stale.
        for i in range(3):
            sim.event(namespace="other", reason="Noise", message=str(i),
                      involved={"kind": "Pod", "name": "noise"})
        sim.compact()
        wait_for(lambda: sim.counters()["lists"]["notOlderThan"] >= 1, 10)
        sim.event(namespace="default", reason="Killing",
                  message="Stopping container web",
                  involved={"kind": "Pod", "name": "web-1"})
        r.wait_line(lambda l: '"Killing"' in l, 8)
        r.finish(20)
        c = sim.counters()
        got = reasons(r)
        t.check(f"410 by {style}: relist with NotOlderThan",
                c["lists"]["notOlderThan"] >= 1 and
                c["lists"]["consistent"] == 1, c["lists"])
        t.check(f"410 by {style}: every event once",
                sorted(got) == sorted(POD_START + ["Killing"]), got)
        ok, why = once_each(uids(r))
        t.check(f"410 by {style}: no UID twice", ok, why)


def case_drop_mid_chunk():
    with KubeSim() as sim:
        sim.fault(watch_drop=True, drop_after_events=1,
                  drop_after_seconds=0, chunks="random")
        r = Run(kc(sim) + ["-w", "-o", "json", "--timeout", "10s",
                           "pod/web-1"])
        wait_for(lambda: watching(sim), 10)
        sim.scenario("pod-start", pod="web-1", interval=0.3)
        r.wait_line(lambda l: '"Started"' in l, 9)
        r.finish(15)
        c = sim.counters()
        t.check("drop mid-chunk: watches were dropped and resumed",
                c["watches_opened"] >= 3, c["watches_opened"])
        t.check("drop mid-chunk: five reasons once, in order",
                reasons(r) == POD_START, reasons(r))
        want = sim_uids(sim, "default", "web-1")
        t.check("drop mid-chunk: exactly the UIDs created",
                sorted(uids(r)) == sorted(want), (uids(r), want))


def case_stall():
    with KubeSim() as sim:
        r = Run(kc(sim) + ["-w", "-o", "json", "--timeout", "20s",
                           "--watch-timeout", "2s", "pod/web-1"])
        wait_for(lambda: watching(sim), 10)
        sim.fault(stall=True, stall_scope="watch", close_watches=True)
        wait_for(lambda: watching(sim, 2), 5)
        t0 = time.monotonic()
        sim.event(namespace="default", reason="Pulling", message="x",
                  involved={"kind": "Pod", "name": "web-1"})
        time.sleep(0.5)
        sim.fault(stall=False)
        got = r.wait_line(lambda l: '"Pulling"' in l, 15)
        r.finish(25)
        t.check("stall: the silent stream was replaced", got is not None,
                r)
        if got:
            # 2s timeout plus the margin kevents allows: well under 10s.
            t.check("stall: within the inactivity bound",
                    got[0] - t0 < 10, got[0] - t0)


def case_429_storm():
    with KubeSim() as sim:
        sim.scenario("pod-start", pod="web-1", interval=0, sync=True)
        sim.fault(fail_next={"count": 3, "status": 429, "retry_after": 1,
                             "verbs": ["list"]})
        t0 = time.monotonic()
        r = kevents(kc(sim) + ["-o", "json", "pod/web-1"], timeout=30)
        took = time.monotonic() - t0
        c = sim.counters()
        t.check("429: list succeeded after the storm", r.rc == 0, r)
        t.check("429: all five printed",
                [json.loads(l)["reason"] for l in r.out.splitlines()]
                == POD_START, r)
        t.check("429: waited Retry-After before each retry",
                took >= 2.9, took)
        t.check("429: four list requests", c["requests"].get("list") == 4,
                c["requests"])


def case_5xx_burst():
    with KubeSim() as sim:
        r = Run(kc(sim) + ["-w", "-o", "json", "--timeout", "12s",
                           "--watch-timeout", "1s", "pod/web-1"])
        wait_for(lambda: watching(sim), 10)
        sim.fault(fail_next={"count": 3, "status": 503, "verbs": ["watch"]})
        sim.scenario("pod-start", pod="web-1", interval=0.2)
        r.wait_line(lambda l: '"Started"' in l, 10)
        r.finish(20)
        t.check("5xx: five reasons once after the burst",
                reasons(r) == POD_START, (reasons(r), r.stderr))


def case_token_rotation():
    with KubeSim() as sim:
        kcfile = sim.kubeconfig_tokenfile
        if not kcfile:
            t.skip("token rotation", "kube-sim wrote no tokenFile kubeconfig")
            return
        r = Run(["--kubeconfig", kcfile, "-w", "-o", "json", "--timeout",
                 "12s", "--watch-timeout", "1s", "pod/web-1"])
        wait_for(lambda: watching(sim), 10)
        sim.rotate_token(grace=0)
        time.sleep(1.5)
        sim.scenario("pod-start", pod="web-1", interval=0.1)
        r.wait_line(lambda l: '"Started"' in l, 10)
        r.finish(20)
        c = sim.counters()
        t.check("rotated token: 401 seen and recovered",
                c["responses"].get("401", 0) >= 1 and
                reasons(r) == POD_START, (c["responses"], reasons(r),
                                          r.stderr))


def case_garbage():
    with KubeSim() as sim:
        sim.fault(garbage=True)
        r = Run(kc(sim) + ["-w", "-o", "json", "--timeout", "10s",
                           "pod/web-1"])
        wait_for(lambda: watching(sim), 10)
        sim.scenario("pod-start", pod="web-1", interval=0.3)
        r.wait_line(lambda l: '"Started"' in l, 9)
        r.finish(15)
        t.check("garbage: reported on stderr",
                "dropped a line" in r.stderr, r.stderr)
        t.check("garbage: recovered, each event once",
                reasons(r) == POD_START, reasons(r))


def case_selection():
    with KubeSim() as sim:
        sim.scenario("pod-start", pod="web-1", interval=0, sync=True)
        sim.scenario("crash-loop", pod="app-1", namespace="batch",
                     interval=0, repeats=0, sync=True)
        r = kevents(kc(sim) + ["-A"], timeout=20)
        lines = r.out.splitlines()
        t.check("-A: NAMESPACE column first",
                lines and lines[0].startswith("NAMESPACE"), r)
        t.check("-A: both namespaces",
                any(l.startswith("batch ") for l in lines) and
                any(l.startswith("default ") for l in lines), r)
        r = kevents(kc(sim) + ["-A", "--types", "Warning", "-o", "json"],
                    timeout=20)
        types = {json.loads(l)["type"] for l in r.out.splitlines()}
        t.check("--types Warning: only warnings", types == {"Warning"}, r)
        r = kevents(kc(sim) + ["-n", "batch", "-o", "json"], timeout=20)
        objs = [json.loads(l) for l in r.out.splitlines()]
        t.check("json: every line has kind and apiVersion",
                objs and all(o.get("kind") == "Event" and
                             o.get("apiVersion") == "v1" for o in objs), r)
        ok, why = once_each(o["metadata"]["uid"] for o in objs)
        t.check("json: each UID once", ok, why)
        t.check("json: non-ASCII message intact",
                any("設定" in o.get("message", "") for o in objs), r)


def case_paging():
    with KubeSim(["--compact-interval", "0", "--list-latency-ms",
                  "150"]) as sim:
        sim.scenario("bulk", count=5000, size=600, namespace="default",
                     namespaces=1, pods=20)
        r = Run(kc(sim) + ["-o", "json", "--chunk-size", "500"])
        # Once the first pages are out, compaction expires the token.
        wait_for(lambda: sim.counters()["lists"]["continue"] >= 2, 20)
        sim.event(namespace="other", reason="Noise", message="x",
                  involved={"kind": "Pod", "name": "noise"})
        sim.compact()
        r.finish(90)
        c = sim.counters()
        got = uids(r)
        want = sim_uids(sim, "default")
        t.check("paging: exit 0", r.rc == 0, r)
        t.check("paging: 5000 events, each once",
                len(got) == 5000 and set(got) == want, len(got))
        t.check("paging: the expired continue token restarted the list",
                "continue token expired" in r.stderr, r.stderr[-500:])
        t.check("paging: one consistent list",
                c["lists"]["consistent"] == 1, c["lists"])
        t.check("paging: pages of 500", c["lists"]["continue"] >= 9,
                c["lists"])


def case_hold_bound():
    with KubeSim() as sim:
        sim.scenario("bulk", count=10500, size=500, namespace="default",
                     namespaces=1, pods=5)
        r = kevents(kc(sim) + ["-n", "default"], timeout=120)
        lines = r.out.splitlines()
        t.check("hold bound: every row printed", len(lines) == 10501,
                len(lines))
        t.check("hold bound: said once that sorting stopped",
                r.err.count("held for sorting") == 1, r.err)


def case_pipes():
    with KubeSim() as sim:
        sim.scenario("pod-start", pod="web-1", interval=0, sync=True)
        # kevents -w | head -1: ends at once, quietly, with 0.
        t0 = time.monotonic()
        p = subprocess.run(
            f"'{KEVENTS}' --kubeconfig '{sim.kubeconfig}' -w pod/web-1 "
            f"| head -1", shell=True, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, timeout=30)
        took = time.monotonic() - t0
        t.check("| head -1: one line", len(p.stdout.splitlines()) == 1, p)
        t.check("| head -1: ends at once", took < 5, took)
        t.check("| head -1: quietly", p.stderr == b"", p.stderr)

        # A line reaches a pipe within a moment of its event. (The run
        # above opened a watch too: count this one's from zero.)
        sim.reset_counters()
        r = Run(kc(sim) + ["-w", "--watch-only", "-o", "json",
                           "--timeout", "10s", "pod/web-1"])
        wait_for(lambda: watching(sim), 10)
        delays = []
        for i in range(5):
            t0 = time.monotonic()
            sim.event(namespace="default", reason=f"Probe{i}",
                      message="m", involved={"kind": "Pod",
                                             "name": "web-1"})
            got = r.wait_line(lambda l, i=i: f'"Probe{i}"' in l, 5)
            if got:
                delays.append(got[0] - t0)
        r.finish(15)
        t.check("pipe: each line arrived", len(delays) == 5,
                (delays, reasons(r), r.stderr[-600:]))
        t.check("pipe: within a moment", delays and max(delays) < 1.0,
                delays)
        t.check("--watch-only: the earlier events not printed",
                not any(x in r.stdout for x in POD_START), r.stdout)


def case_pid1():
    if os.geteuid() != 0 or not shutil.which("unshare"):
        t.skip("PID 1 SIGTERM", "needs root and unshare")
        return
    probe = subprocess.run(["unshare", "-pf", "true"],
                           stderr=subprocess.PIPE)
    if probe.returncode != 0:
        t.skip("PID 1 SIGTERM", "unshare -pf not permitted here: " +
               probe.stderr.decode()[:100])
        return
    with KubeSim() as sim:
        r = Run(kc(sim) + ["-w", "pod/web-1"], prefix=["unshare", "-pf"])
        wait_for(lambda: watching(sim), 10)
        # unshare's child is PID 1 of the new namespace.
        kids = []
        for _ in range(50):
            try:
                with open(f"/proc/{r.proc.pid}/task/{r.proc.pid}/"
                          "children") as f:
                    kids = f.read().split()
            except OSError:
                pass
            if kids:
                break
            time.sleep(0.05)
        if not kids:
            t.check("PID 1: found the child", False, r)
            r.proc.kill()
            r.finish(5)
            return
        with open(f"/proc/{kids[0]}/status") as f:
            nspid = [l for l in f if l.startswith("NSpid:")]
        t.check("PID 1: kevents is PID 1 in its namespace",
                nspid and nspid[0].split()[-1] == "1", nspid)
        t0 = time.monotonic()
        os.kill(int(kids[0]), signal.SIGTERM)
        r.finish(10)
        t.check("PID 1: SIGTERM ends the run at once with 0",
                r.rc == 0 and time.monotonic() - t0 < 3, r)


def case_sigterm_in_backoff():
    with KubeSim() as sim:
        sim.fault(fail_next={"count": 5, "status": 429, "retry_after": 30})
        r = Run(kc(sim) + ["-w", "pod/web-1"])
        wait_for(lambda: sim.counters()["responses"].get("429", 0) >= 1, 10)
        time.sleep(0.3)
        t0 = time.monotonic()
        r.proc.send_signal(signal.SIGTERM)
        r.finish(10)
        t.check("SIGTERM during a Retry-After wait: exit 0 at once",
                r.rc == 0 and time.monotonic() - t0 < 2, r)


def case_errors():
    with KubeSim() as sim:
        r = kevents(["--server", sim.url, "--certificate-authority",
                     sim.ca, "--token", "wrong-token", "pod/web-1"],
                    timeout=20)
        t.check("bad token: exit 1 with a 401 line",
                r.rc == 1 and "401" in r.err and
                len(r.err.strip().splitlines()) <= 2, r)
        t.check("bad token: the token is not printed",
                "wrong-token" not in r.err + r.out, r)
    r = kevents(["--server", "https://127.0.0.1:1", "--insecure-skip-tls-"
                 "verify", "--token", "x", "pod/web-1"], timeout=20)
    t.check("refused connection: exit 1 naming the address",
            r.rc == 1 and "127.0.0.1" in r.err, r)


def case_updates():
    for updates in (False, True):
        with KubeSim() as sim:
            args = kc(sim) + ["-w", "-o", "json", "--timeout", "7s",
                              "pod/app-1"]
            if updates:
                args.insert(0, "--updates")
            r = Run(args)
            wait_for(lambda: watching(sim), 10)
            sim.scenario("crash-loop", pod="app-1", interval=0.4, repeats=3)
            r.finish(15)
            backoff = [e.get("count") for e in r.json_lines()
                       if e.get("reason") == "BackOff"]
            want = [1, 2, 3, 4] if updates else [1]
            t.check(f"--updates={updates}: BackOff counts printed",
                    backoff == want, (backoff, r.stderr))


def case_ttl_forgets():
    with KubeSim(["--event-ttl", "2"]) as sim:
        r = Run(kc(sim) + ["-w", "-o", "json", "--timeout", "8s",
                           "--stats", "pod/web-1"])
        wait_for(lambda: watching(sim), 10)
        sim.scenario("pod-start", pod="web-1", interval=0.1)
        r.finish(20)
        stats = [json.loads(l) for l in r.stderr.splitlines()
                 if l.startswith("{")]
        t.check("TTL: five printed", reasons(r) == POD_START, reasons(r))
        t.check("TTL: DELETED forgets every UID",
                stats and stats[-1]["deleted"] == 5 and
                stats[-1]["uids"] == 0, (stats, r.stderr))
        t.check("TTL: a DELETED is not printed", len(r.json_lines()) == 5,
                r.stdout)


def case_wide_and_since():
    with KubeSim() as sim:
        old = time.time() - 4 * 3600
        sim.event(object={
            "metadata": {"name": "web-1.old", "namespace": "default",
                         "uid": "11111111-2222-4333-8444-555555555555"},
            "involvedObject": {"kind": "Pod", "name": "web-1",
                               "namespace": "default"},
            "reason": "Old", "message": "four hours ago", "type": "Normal",
            "count": 1, "source": {"component": "kubelet"},
            "firstTimestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                            time.gmtime(old)),
            "lastTimestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                           time.gmtime(old))})
        sim.scenario("pod-start", pod="web-1", interval=0, sync=True)
        r = kevents(kc(sim) + ["--since", "1h", "-o", "json", "pod/web-1"],
                    timeout=20)
        got = [json.loads(l)["reason"] for l in r.out.splitlines()]
        t.check("--since 1h: the old event skipped", "Old" not in got and
                len(got) == 5, got)
        r = kevents(kc(sim) + ["-o", "wide", "pod/web-1"], timeout=20)
        head = r.out.splitlines()[0].split() if r.out else []
        t.check("-o wide: kubectl's wide columns",
                head == ["LAST", "SEEN", "TYPE", "REASON", "OBJECT",
                         "SOURCE", "MESSAGE", "FIRST", "SEEN", "COUNT",
                         "NAME"], head)
        t.check("-o wide: the old event is 4h old",
                any(l.startswith("4h ") and "web-1.old" in l
                    for l in r.out.splitlines()), r.out)


CASES = [
    case_pod_start, case_updates, case_ttl_forgets, case_wide_and_since,
    case_poll_fallback, case_poll_one_handshake,
    lambda: [case_compaction_410(s) for s in ("event", "status", "empty")],
    case_drop_mid_chunk, case_stall, case_429_storm, case_5xx_burst,
    case_token_rotation, case_garbage, case_selection, case_paging,
    case_hold_bound, case_pipes, case_pid1, case_sigterm_in_backoff, case_errors,
]
# KEVENTS_CASES=pipes,stall runs only the cases whose names hold those.
only = [w for w in os.environ.get("KEVENTS_CASES", "").split(",") if w]
for case in CASES:
    name = getattr(case, "__name__", "")
    if name == "<lambda>":
        name = "case_compaction_410"
    if only and not any(w in name for w in only):
        continue
    case()
t.done()
