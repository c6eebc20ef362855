"""Starts and drives tools/kube-sim for integration tests:

    with KubeSim(["--compact-interval", "2"]) as sim:
        sim.scenario("pod-start", pod="web-1", sync=True)
        status, headers, body = sim.request("/api/v1/events")

The simulator runs on 127.0.0.1 with an ephemeral port and a temporary
state directory, and is always stopped (SIGTERM, then SIGKILL) on exit.
SPDX-License-Identifier: Apache-2.0
"""
import http.client
import json
import os
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request

TOP = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
KUBE_SIM = os.path.join(TOP, "tools", "kube-sim", "kube-sim")
START_TIMEOUT = 20
STOP_TIMEOUT = 5


class KubeSim:
    def __init__(self, args=(), tls=True, max_lifetime=600):
        self.args = list(args)
        self.tls = tls
        self.max_lifetime = max_lifetime
        self.proc = None
        self.state_dir = None

    # Lifetime.
    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def start(self):
        self.state_dir = tempfile.mkdtemp(prefix="kube-sim-")
        cmd = [sys.executable, KUBE_SIM, "--state-dir", self.state_dir,
               "--port", "0", "--max-lifetime", str(self.max_lifetime),
               "--quiet", "--tls" if self.tls else "--no-tls"] + self.args
        self.log = open(os.path.join(self.state_dir, "kube-sim.log"), "wb")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                     stdout=self.log, stderr=self.log)
        ready = os.path.join(self.state_dir, "ready.json")
        deadline = time.monotonic() + START_TIMEOUT
        while not os.path.exists(ready):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop(keep_log=True)
                raise RuntimeError("kube-sim did not start: " +
                                   self.read_log())
            time.sleep(0.05)
        with open(ready) as f:
            self.ready = json.load(f)
        self.port = self.ready["port"]
        self.url = self.ready["url"]
        self.ca = self.ready["ca"]
        self.kubeconfig = self.ready["kubeconfig"]
        self.kubeconfig_nowatch = self.ready["kubeconfig_nowatch"]
        self.kubeconfig_cert = self.ready.get("kubeconfig_cert")
        self.kubeconfig_tokenfile = self.ready.get("kubeconfig_tokenfile")
        self.admin_token = self.ready["admin_token"]
        self.nowatch_token = self.ready["nowatch_token"]
        self.ssl_context = None
        if self.tls:
            self.ssl_context = ssl.create_default_context(cafile=self.ca)

    def read_log(self):
        try:
            with open(os.path.join(self.state_dir, "kube-sim.log"),
                      "rb") as f:
                return f.read().decode("utf-8", "replace")[-2000:]
        except OSError:
            return ""

    def stop(self, keep_log=False):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(STOP_TIMEOUT)
        self.proc = None
        if getattr(self, "log", None):
            self.log.close()
            self.log = None
        if self.state_dir and not keep_log:
            shutil.rmtree(self.state_dir, ignore_errors=True)
            self.state_dir = None

    # Plain requests.
    def connection(self, timeout=10):
        """A new http.client connection to the simulator."""
        if self.tls:
            return http.client.HTTPSConnection(
                "127.0.0.1", self.port, timeout=timeout,
                context=self.ssl_context)
        return http.client.HTTPConnection("127.0.0.1", self.port,
                                          timeout=timeout)

    def request(self, path, token=None, method="GET", body=None,
                headers=None, timeout=10, conn=None):
        """(status, headers dict with lower-case names, body bytes); token
        defaults to the admin token, "" sends none."""
        h = {"Accept": "application/json"}
        tok = self.admin_token if token is None else token
        if tok:
            h["Authorization"] = "Bearer " + tok
        h.update(headers or {})
        own = conn is None
        c = conn or self.connection(timeout)
        try:
            c.request(method, path, body=body, headers=h)
            r = c.getresponse()
            data = r.read()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, data
        finally:
            if own:
                c.close()

    def get_json(self, path, token=None, **kw):
        status, headers, body = self.request(path, token=token, **kw)
        return status, json.loads(body) if body else None

    def watch(self, path, token=None, timeout=10):
        """An open watch: returns (connection, response) for streaming."""
        c = self.connection(timeout)
        h = {"Accept": "application/json"}
        tok = self.admin_token if token is None else token
        if tok:
            h["Authorization"] = "Bearer " + tok
        c.request("GET", path, headers=h)
        return c, c.getresponse()

    # Control API.
    def _control(self, method, path, payload=None):
        data = None if payload is None else json.dumps(payload).encode()
        req = urllib.request.Request(
            self.url + path, data=data, method=method,
            headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30,
                                    context=self.ssl_context) as r:
            return json.loads(r.read())

    def scenario(self, name, **kw):
        kw["name"] = name
        return self._control("POST", "/_sim/scenario", kw)

    def event(self, op="create", **kw):
        kw["op"] = op
        return self._control("POST", "/_sim/events", kw)["results"][0]

    def pod(self, op="create", **kw):
        kw["op"] = op
        return self._control("POST", "/_sim/pods", kw)

    def compact(self, rev=None):
        return self._control("POST", "/_sim/compact",
                             {} if rev is None else {"rev": rev})

    def fault(self, **kw):
        return self._control("POST", "/_sim/fault", kw)

    def clear_faults(self):
        return self._control("POST", "/_sim/fault", {"clear": True})

    def counters(self):
        return self._control("GET", "/_sim/counters")

    def uids(self):
        return self._control("GET", "/_sim/uids")

    def state(self):
        return self._control("GET", "/_sim/state")

    def reset_counters(self):
        return self._control("POST", "/_sim/reset-counters", {})

    def rotate_token(self, user="rotating", grace=None):
        p = {"user": user}
        if grace is not None:
            p["grace"] = grace
        return self._control("POST", "/_sim/rotate-token", p)["token"]

    def set_ttl(self, ttl):
        return self._control("POST", "/_sim/ttl", {"ttl": ttl})
