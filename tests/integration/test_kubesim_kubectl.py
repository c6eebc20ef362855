#!/usr/bin/env python3
# flavors: static
"""kube-sim fidelity as kubectl sees it: get events (table and JSON),
get -w, kubectl events --for, get pods, the forbidden watch, and the
certificate and token-file kubeconfigs. Skipped visibly without kubectl.
SPDX-License-Identifier: Apache-2.0
"""
import json
import os
import select
import shutil
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import Suite                    # noqa: E402
from kubesim import KubeSim              # noqa: E402

T = Suite("kubesim-kubectl")
KUBECTL = shutil.which("kubectl")


def kubectl(kubeconfig, *args, timeout=15):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
           "HOME": os.environ.get("HOME", "/tmp")}
    p = subprocess.run([KUBECTL, "--kubeconfig", kubeconfig,
                        "--request-timeout", "10s"] + list(args),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       stdin=subprocess.DEVNULL, timeout=timeout, env=env)
    return p.returncode, p.stdout.decode("utf-8", "replace"), \
        p.stderr.decode("utf-8", "replace")


def read_lines_for(proc, seconds, want=None):
    """Lines from proc.stdout for at most seconds, or until want(lines)."""
    out, buf = [], b""
    deadline = time.monotonic() + seconds
    fd = proc.stdout.fileno()
    while time.monotonic() < deadline:
        r, _, _ = select.select([fd], [], [], 0.1)
        if not r:
            continue
        b = os.read(fd, 65536)
        if not b:
            break
        buf += b
        while b"\n" in buf:
            ln, buf = buf.split(b"\n", 1)
            out.append(ln.decode("utf-8", "replace"))
        if want and want(out):
            break
    return out


def main():
    if KUBECTL is None:
        for what in ("kubectl get events", "kubectl get events -w",
                     "kubectl events --for", "kubectl get pods",
                     "kubectl forbidden watch", "kubectl cert kubeconfig"):
            T.skip(what, "kubectl not found in PATH")
        T.done()
    with KubeSim(["--compact-interval", "0"]) as sim:
        sim.scenario("pod-start", namespace="default", pod="web-1",
                     interval=0.01, sync=True)
        sim.scenario("crash-loop", namespace="default", pod="app-1",
                     interval=0.01, repeats=2, sync=True)
        state = sim.uids()["uids"]
        reasons = sorted(u["reason"] for u in state)
        kc = sim.kubeconfig

        rc, out, err = kubectl(kc, "get", "events", "-n", "default")
        lines = out.splitlines()
        T.check("get events: header like kube-apiserver's table", rc == 0
                and lines and lines[0].split() == [
                    "LAST", "SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"],
                (rc, out[:300], err[-300:]))
        got = sorted(ln.split()[2] for ln in lines[1:])
        T.check("get events: the simulated reasons", got == reasons,
                (got, reasons))
        T.check("get events: object column and non-ASCII message",
                "pod/web-1" in out and "設定を適用しました" in out)

        rc, out, err = kubectl(kc, "get", "events", "-n", "default",
                               "-o", "json")
        try:
            doc = json.loads(out)
        except ValueError:
            doc = {"items": []}
        names = sorted(i["metadata"]["name"] for i in doc["items"])
        T.check("get events -o json: same names as the simulator",
                rc == 0 and names == sorted(u["name"] for u in state),
                (rc, err[-300:]))
        bo = [i for i in doc["items"] if i["reason"] == "BackOff"]
        T.check("crash-loop BackOff count grew to 3",
                bo and bo[0]["count"] == 3, bo[:1])

        rc, out, err = kubectl(kc, "get", "events", "-A", "-o", "wide")
        T.check("get events -A -o wide: namespace, source and count",
                rc == 0 and out.split()[0] == "NAMESPACE" and
                "kubelet, node-1" in out and "COUNT" in out, err[-300:])

        rc, out, err = kubectl(kc, "events", "--for", "pod/web-1")
        got = sorted(ln.split()[2] for ln in out.splitlines()[1:])
        T.check("kubectl events --for pod/web-1: its five reasons",
                rc == 0 and got == sorted(["Scheduled", "Pulling", "Pulled",
                                           "Created", "Started"]),
                (got, err[-300:]))
        rc, out, err = kubectl(kc, "events", "--for", "pod/app-1")
        T.check("kubectl events: repeated event as (x3 over ...)",
                rc == 0 and "(x3 over" in out, out)

        rc, out, err = kubectl(kc, "get", "pods", "-n", "default")
        rows = {ln.split()[0]: ln.split() for ln in out.splitlines()[1:]}
        T.check("get pods: web-1 Running 1/1", rc == 0 and
                rows.get("web-1", [])[1:3] == ["1/1", "Running"], out)
        T.check("get pods: app-1 CrashLoopBackOff",
                rows.get("app-1", [None, None, None])[2] ==
                "CrashLoopBackOff", out)

        # A bounded get -w: the list, then a live event.
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
               "HOME": os.environ.get("HOME", "/tmp")}
        proc = subprocess.Popen([KUBECTL, "--kubeconfig", kc, "get",
                                 "events", "-n", "default", "-w"],
                                stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE,
                                stdin=subprocess.DEVNULL, env=env)
        try:
            first = read_lines_for(proc, 8, lambda ls: len(ls) >=
                                   len(state) + 1)
            sim.event(namespace="default", reason="WatchedLive",
                      message="seen by kubectl -w",
                      involvedObject={"name": "web-1"})
            more = read_lines_for(proc, 8, lambda ls: any(
                "WatchedLive" in ln for ln in ls))
        finally:
            proc.kill()
            proc.wait(5)
            proc.stdout.close()
            proc.stderr.close()
        T.check("get -w: initial rows", len(first) >= len(state) + 1,
                first)
        T.check("get -w: a live event arrives", any(
            "WatchedLive" in ln for ln in more), more)
        c = sim.counters()
        T.check("get -w opened a watch", c["watches_opened"] >= 1)

        rc, out, err = kubectl(sim.kubeconfig_nowatch, "get", "events",
                               "-w", timeout=20)
        T.check("nowatch user: kubectl reports Forbidden for the watch",
                rc != 0 and "Forbidden" in err and
                'cannot watch resource "events"' in err, err[-400:])
        rc, out, err = kubectl(sim.kubeconfig_nowatch, "get", "events")
        T.check("nowatch user: get events works", rc == 0 and
                "Scheduled" in out, err[-300:])

        rc, out, err = kubectl(sim.kubeconfig_cert, "get", "events")
        T.check("client-certificate kubeconfig works", rc == 0 and
                "Started" in out, err[-300:])
        rc, out, err = kubectl(sim.kubeconfig_tokenfile, "get", "events")
        T.check("tokenFile kubeconfig works", rc == 0 and "Started" in out,
                err[-300:])
        rc, out, err = kubectl(kc, "version", "-o", "json")
        T.check("kubectl version sees the server", rc == 0 and
                '"serverVersion"' in out, err[-300:])
    T.done()


if __name__ == "__main__":
    main()
