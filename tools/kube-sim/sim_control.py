"""The /_sim/ control API of the simulated API server: JSON requests
that tests use to write events and pods, start scenarios, compact, inject
faults, rotate tokens and read counters. Mixed into sim_http.Server.
SPDX-License-Identifier: Apache-2.0
"""
import json
import threading
import time

import sim_scenarios
import sim_store


def control_uids(store):
    with store.lock:
        return {"rv": store.rev, "compacted": store.compacted,
                "uids": [dict(v) for v in store.uids.values()]}

class Control:
    def control(self, conn, method, path, q, body):
        """The /_sim/ API: JSON in, JSON out, no authentication, not
        counted."""
        try:
            spec = json.loads(body) if body else {}
        except ValueError:
            return self.respond(conn, 400, {"error": "body is not JSON"})
        try:
            out = self.control_op(method, path, spec)
        except (KeyError, ValueError, TypeError) as ex:
            return self.respond(conn, 400, {"error": "%s: %s" % (
                type(ex).__name__, ex)})
        if out is None:
            return self.respond(conn, 404, {"error": "no such control path"})
        self.respond(conn, 200, out)

    def control_op(self, method, path, spec):
        store = self.store
        if path == "/_sim/counters" and method == "GET":
            c = self.counters.snapshot()
            c["apf"] = None if self.apf is None else {
                "seats": self.apf.seats, "in_use": self.apf.in_use,
                "waiting": len(self.apf.waiting)}
            c["watches_active"] = self.watches_active
            return c
        if path == "/_sim/uids" and method == "GET":
            return control_uids(store)
        if path == "/_sim/state" and method == "GET":
            with store.lock:
                return {"rv": store.rev, "compacted": store.compacted,
                        "events": len(store.objects["events"]),
                        "pods": len(store.objects["pods"]),
                        "history": len(store.history),
                        "watches_active": self.watches_active,
                        "faults": self.faults.set({})}
        if method != "POST":
            return None
        if path == "/_sim/reset-counters":
            self.counters.reset()
            return {"ok": True}
        if path == "/_sim/compact":
            c = store.compact(spec.get("rev"))
            return {"compacted": c, "rv": store.rev}
        if path == "/_sim/scenario":
            return self.scenarios.start(spec)
        if path == "/_sim/events":
            ops = spec.get("ops", [spec])
            return {"results": [self.event_op(op) for op in ops],
                    "rv": store.rev}
        if path == "/_sim/pods":
            return self.pod_op(spec)
        if path == "/_sim/fault":
            if spec.get("restart"):
                secs = float(spec["restart"].get("seconds", 1)) if isinstance(
                    spec["restart"], dict) else float(spec["restart"])
                f = self.faults.set(spec)
                # Answer first, then drop everything.
                threading.Timer(0.05, self.restart, args=(secs,)).start()
                return f
            return self.faults.set(spec)
        if path == "/_sim/rotate-token":
            user = spec.get("user", "rotating")
            tok = self.auth.rotate(user, spec.get("grace"))
            return {"user": user, "token": tok}
        if path == "/_sim/ttl":
            if "ttl" in spec:
                with store.lock:
                    store.event_ttl = float(spec["ttl"])
                    for key in list(store.expiry):
                        store._set_expiry(key)
            return {"expired": store.expire_ttl(), "ttl": store.event_ttl}
        return None

    def event_op(self, op):
        store = self.store
        kind = op.get("op", "create")
        ns = op.get("namespace", "default")
        if kind == "create":
            if "object" in op:
                obj = op["object"]
                obj.pop("kind", None)
                obj.pop("apiVersion", None)
            else:
                kw = {k: op[k] for k in (
                    "reason", "message", "involved", "component", "host",
                    "count", "series", "new_api", "name", "action") if k in op}
                kw.setdefault("reason", "Created")
                kw.setdefault("message", "test event")
                if "involvedObject" in op:
                    kw["involved"] = op["involvedObject"]
                etype = op.get("type", "Normal")
                obj = sim_scenarios.make_event(ns, etype=etype, **kw)
            return store.create("events", obj)
        name = op["name"]
        if kind == "update":
            def mutate(e):
                for k, v in (op.get("set") or {}).items():
                    e[k] = v
                if op.get("bump"):
                    now = time.time()
                    e["count"] = (e.get("count") or 1) + 1
                    e["lastTimestamp"] = sim_store.rfc3339(now)
                    if e.get("series"):
                        e["series"] = {"count": e["count"],
                                       "lastObservedTime":
                                           sim_store.rfc3339_micro(now)}
            return store.update("events", ns, name, mutate)
        if kind == "delete":
            return store.delete("events", ns, name)
        raise ValueError("unknown op %r" % kind)

    def pod_op(self, op):
        store = self.store
        ns = op.get("namespace", "default")
        name = op["name"]
        if op.get("op", "create") == "create":
            return store.create("pods", sim_scenarios.make_pod(
                ns, name, node=op.get("node", "node-1"),
                image=op.get("image", "nginx:1.27"),
                phase=op.get("phase", "Pending")))
        if op["op"] == "phase":
            return store.update("pods", ns, name, lambda p: sim_scenarios.
                                set_pod_phase(p, op["phase"],
                                              op.get("restarts", 0),
                                              op.get("reason")))
        if op["op"] == "delete":
            return store.delete("pods", ns, name)
        raise ValueError("unknown op %r" % op["op"])

