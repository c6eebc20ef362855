"""The fault matrix: every kube-sim fault crossed with watch and poll
following and with plain HTTP and TLS. Each cell starts a fresh kube-sim,
follows pod/web-1 as JSON, injects its fault, writes events and checks
that kevents printed exactly the UIDs kube-sim created for the selection,
each once, that it exited 0 at --timeout and that no sanitizer spoke.
Faults that do not apply to a mode (watch drops while polling) still run:
they must not hurt.
SPDX-License-Identifier: Apache-2.0
"""
import concurrent.futures
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from follow_lib import Run, once_each, sim_uids, wait_for, watching  # noqa
from kubesim import KubeSim  # noqa
from lib import Suite, sanitizer_report  # noqa

FAULTS = ["drop", "stall", "garbage", "410-event", "410-status",
          "410-empty", "429", "5xx", "restart", "token"]
MODES = ["watch", "poll"]
SCHEMES = ["http", "https"]
PARALLEL = int(os.environ.get("KEVENTS_FAULT_PARALLEL", "4"))
RESTART_SECONDS = 2.0
POD = "web-1"
NS = "default"

t = Suite("faults")


def web_event(sim, reason, msg="m"):
    return sim.event(namespace=NS, reason=reason, message=msg,
                     involved={"kind": "Pod", "name": POD})


def noise(sim, n, tag):
    """Writes that move the revision on without matching the selection:
    another namespace and another pod in the same namespace."""
    for i in range(n):
        sim.event(namespace="other", reason="Noise", message=f"{tag}{i}",
                  involved={"kind": "Pod", "name": POD})
        sim.event(namespace=NS, reason="Noise", message=f"{tag}{i}",
                  involved={"kind": "Pod", "name": "web-2"})


def printed_uids(run):
    out = []
    for line in run.stdout.splitlines():
        if not line.strip():
            continue
        try:
            out.append(json.loads(line)["metadata"]["uid"])
        except (ValueError, KeyError, TypeError):
            out.append("<unparsable:" + line[:60] + ">")
    return out


def control_up(sim):
    try:
        sim.state()
        return True
    except OSError:
        return False


def inject(sim, fault, mode):
    """Applies one fault once kevents follows; returns a function that
    ends it (or None when it ends by itself)."""
    if fault == "drop":
        sim.fault(watch_drop=True, drop_after_events=1,
                  drop_after_seconds=0, chunks="random")
        return None
    if fault == "stall":
        sim.fault(stall=True, stall_scope="all", close_watches=True)
        return lambda: sim.fault(stall=False)
    if fault == "garbage":
        sim.fault(garbage=True, close_watches=True)
        return None
    if fault.startswith("410-"):
        sim.fault(expired_style=fault[4:])
        # Writes elsewhere move the revision on while this selection
        # sees nothing; compacting then makes its resourceVersion stale.
        noise(sim, 2, "pre-compact")
        sim.compact()
        sim.fault(close_watches=True)
        # Events written before kevents asks again would move a live
        # watch past the compaction and hide the 410: wait for the
        # relist (watch) or the next poll first.
        if mode == "watch":
            wait_for(lambda: sim.counters()["lists"]["notOlderThan"] >= 1,
                     8, 0.05)
        else:
            n = sim.counters()["requests"].get("list", 0)
            wait_for(lambda: sim.counters()["requests"].get("list", 0)
                     >= n + 1, 5, 0.05)
        return None
    if fault == "429":
        sim.fault(fail_next={"count": 4, "status": 429, "retry_after": 1})
        return None
    if fault == "5xx":
        sim.fault(fail_next=[{"count": 1, "status": 500},
                             {"count": 1, "status": 502},
                             {"count": 1, "status": 503}])
        return None
    if fault == "restart":
        sim.fault(restart={"seconds": RESTART_SECONDS})
        time.sleep(RESTART_SECONDS + 0.2)
        wait_for(lambda: control_up(sim), 5, 0.1)
        return None
    if fault == "token":
        sim.rotate_token(grace=0)
        return None
    raise ValueError(fault)


def cell(fault, mode, scheme):
    """Runs one cell; returns (name, [(what, ok, detail)], seconds)."""
    name = f"{fault}/{mode}/{scheme}"
    checks = []
    t0 = time.monotonic()
    timeout = 14 if fault in ("stall", "429", "5xx", "restart") else 11

    def check(what, ok, detail=""):
        checks.append((f"{name}: {what}", bool(ok), detail))
        return ok

    with KubeSim(["--compact-interval", "0"], tls=(scheme == "https"),
                 max_lifetime=120) as sim:
        if not sim.url.startswith(scheme + "://"):
            check("kube-sim serves " + scheme, False, sim.url)
            return name, checks, time.monotonic() - t0
        # Two events exist before kevents starts: the initial list.
        web_event(sim, "Before1")
        web_event(sim, "Before2")
        noise(sim, 1, "before")
        if fault == "token":
            args = ["--kubeconfig", sim.kubeconfig_tokenfile]
            if mode == "poll":
                args += ["--mode", "poll"]
        elif mode == "poll":
            args = ["--kubeconfig", sim.kubeconfig_nowatch]
        else:
            args = ["--kubeconfig", sim.kubeconfig]
        args += ["-w", "-o", "json", "--timeout", f"{timeout}s",
                 "--watch-timeout", "2s", "--poll-interval", "200ms",
                 "--poll-max-interval", "1s", "--request-timeout", "3s",
                 f"pod/{POD}"]
        r = Run(args)
        if mode == "watch":
            started = wait_for(lambda: watching(sim), 8)
        else:
            started = wait_for(lambda: sim.counters()["lists"]
                               ["notOlderThan"] >= 1, 8)
        check("following began", started, r)
        r.pump(0.2)
        end_fault = inject(sim, fault, mode)
        # Events after the fault: a pod start and a few single ones.
        sim.scenario("pod-start", namespace=NS, pod=POD, interval=0.05)
        for i in range(3):
            web_event(sim, f"After{i}")
        noise(sim, 2, "after")
        if end_fault:
            r.pump(3.0)
            end_fault()
        want = sim_uids(sim, NS, POD)
        # The scenario runs in kube-sim's background: wait for its five.
        wait_for(lambda: len(sim_uids(sim, NS, POD)) >= 10, 5, 0.1)
        want = sim_uids(sim, NS, POD)
        r.wait_line(lambda _: want <= set(printed_uids(r)), timeout)
        r.finish(timeout + 10)
        got = printed_uids(r)
        want = sim_uids(sim, NS, POD)
        c = sim.counters()
        check("exit 0 at --timeout", r.rc == 0, r)
        ok, why = once_each(got)
        check("no UID printed twice", ok, why)
        missing = want - set(got)
        extra = set(got) - want
        check("exactly the UIDs created for the selection",
              not missing and not extra and len(want) == 10,
              f"missing {len(missing)} extra {sorted(extra)[:3]} "
              f"want {len(want)}; stderr={r.stderr[-600:]!r}")
        check("no sanitizer report", not sanitizer_report(r.stderr),
              r.stderr[-2000:])
        if fault == "token":
            check("a 401 was seen", c["responses"].get("401", 0) >= 1,
                  c["responses"])
        if fault in ("429", "5xx"):
            check("the injected answers were given",
                  c.get("faults_applied", 0) >= (4 if fault == "429"
                                                 else 3), c)
        if fault.startswith("410-") and mode == "watch":
            check("relisted with NotOlderThan after the 410",
                  c["lists"]["notOlderThan"] >= 1, c["lists"])
        if fault == "garbage" and mode == "watch":
            check("the garbage line was reported",
                  "dropped a line" in r.stderr, r.stderr[-600:])
        if fault == "drop" and mode == "watch":
            check("watches were dropped and resumed",
                  c["watches_opened"] >= 3, c["watches_opened"])
        if mode == "poll" and fault != "token":
            check("polling never watched", c["watches_opened"] == 0,
                  c["watches_opened"])
    return name, checks, time.monotonic() - t0


def main():
    cells = [(f, m, s) for f in FAULTS for m in MODES for s in SCHEMES]
    t0 = time.monotonic()
    results = {}
    with concurrent.futures.ThreadPoolExecutor(PARALLEL) as pool:
        futs = {pool.submit(cell, *c): c for c in cells}
        for fut in concurrent.futures.as_completed(futs):
            c = futs[fut]
            try:
                name, checks, secs = fut.result()
            except Exception as ex:  # a broken cell is a failed cell
                name, secs = "/".join(c), 0.0
                checks = [(f"{name}: ran", False,
                           f"{type(ex).__name__}: {ex}")]
            cell_ok = all(ok for _, ok, _ in checks)
            results[c] = cell_ok
            for what, ok, detail in checks:
                t.check(what, ok, detail)
            print(f"     {name} {'pass' if cell_ok else 'FAIL'} "
                  f"{secs:.1f}s", flush=True)
    passes = sum(1 for v in results.values() if v)
    print(f"fault matrix: {len(cells)} cells "
          f"({len(FAULTS)} faults x {len(MODES)} modes x "
          f"{len(SCHEMES)} schemes), {passes} passed, "
          f"{time.monotonic() - t0:.0f}s")
    cols = [(m, s) for m in MODES for s in SCHEMES]
    print("%-11s" % "fault" + "".join("%-12s" % f"{m}/{s}"
                                      for m, s in cols))
    for f in FAULTS:
        print("%-11s" % f + "".join(
            "%-12s" % ("pass" if results.get((f, m, s)) else "FAIL")
            for m, s in cols))
    sys.stdout.flush()
    t.done()


main()
