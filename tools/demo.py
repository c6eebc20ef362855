#!/usr/bin/env python3
"""make demo: kevents against the bundled simulated API server.

Starts kube-sim over TLS on 127.0.0.1 with a generated CA and kubeconfig,
then follows a pod start twice: once with a role that may watch, once
with one that may only list (the polling fallback), printing kube-sim's
request counts after each. Everything stops by itself.
SPDX-License-Identifier: Apache-2.0
"""
import os
import subprocess
import sys
import threading
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TOP, "tests", "integration"))
from kubesim import KubeSim  # noqa: E402


def say(text):
    print(f"\n\033[1m== {text}\033[0m" if sys.stdout.isatty()
          else f"\n== {text}", flush=True)


def follow(binary, sim, kubeconfig, pod, seconds):
    """Runs kevents -w on the pod while kube-sim plays a pod start."""
    cmd = [binary, "--kubeconfig", kubeconfig, "-w", "--timeout",
           f"{seconds}s", "--poll-interval", "1s", "--poll-max-interval",
           "4s", f"pod/{pod}"]
    print("$ kevents " + " ".join(cmd[1:]).replace(kubeconfig,
                                                   "KUBECONFIG"),
          flush=True)
    sim.reset_counters()
    proc = subprocess.Popen(cmd, stdout=sys.stdout, stderr=sys.stderr)

    def play():
        time.sleep(1.0)
        sim.scenario("pod-start", pod=pod, interval=0.6)
    threading.Thread(target=play, daemon=True).start()
    try:
        proc.wait(seconds + 10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    c = sim.counters()
    lists = c["lists"]
    print(f"-- kube-sim saw {c['requests'].get('total', 0)} requests: "
          f"{lists['consistent']} consistent list(s), "
          f"{lists['notOlderThan']} NotOlderThan list(s), "
          f"{c['watches_opened']} watch(es), "
          f"{c['tls_handshakes']} TLS handshake(s)", flush=True)
    return proc.returncode


def main():
    binary = os.path.abspath(sys.argv[1] if len(sys.argv) > 1
                             else os.path.join(TOP, "kevents"))
    say("starting kube-sim, a simulated API server, on 127.0.0.1 (TLS, "
        "generated CA)")
    with KubeSim(max_lifetime=120) as sim:
        print(f"kube-sim is at {sim.url}")
        say("1. a role that may watch: one list, then one watch")
        rc1 = follow(binary, sim, sim.kubeconfig, "web-1", 6)
        say("2. a role that may list but not watch: kevents says so "
            "and polls with resourceVersionMatch=NotOlderThan")
        rc2 = follow(binary, sim, sim.kubeconfig_nowatch, "web-2", 8)
    say("done: both runs ended by themselves (--timeout)")
    return 0 if rc1 == 0 and rc2 == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
