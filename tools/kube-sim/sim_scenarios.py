"""Realistic core/v1 Event and Pod objects, and the scenarios that write
them into the store over time (pod start, crash loop, bulk, flood).
SPDX-License-Identifier: Apache-2.0
"""
import random
import threading
import time
import uuid

from sim_store import rfc3339, rfc3339_micro

NODES = ["node-1", "node-2", "node-3"]


def event_name(involved_name, t=None):
    """client-go names an event after its object and the time in
    nanoseconds, in hex."""
    t = time.time() if t is None else t
    return "%s.%x" % (involved_name, int(t * 1e9) + random.randrange(1000))


def managed_fields(manager, t):
    return [{
        "manager": manager,
        "operation": "Update",
        "apiVersion": "v1",
        "time": rfc3339(t),
        "fieldsType": "FieldsV1",
        "fieldsV1": {"f:count": {}, "f:firstTimestamp": {},
                     "f:involvedObject": {}, "f:lastTimestamp": {},
                     "f:message": {}, "f:reason": {},
                     "f:reportingComponent": {}, "f:reportingInstance": {},
                     "f:source": {"f:component": {}, "f:host": {}},
                     "f:type": {}},
    }]


def make_event(namespace, reason, message, etype="Normal",
               involved=None, component="kubelet", host="node-1",
               count=1, t=None, series=False, new_api=False, name=None,
               action=None):
    """A core/v1 Event as the API server returns it. new_api=True makes
    the shape events.k8s.io/v1 writers (the scheduler) leave behind:
    eventTime set, first/lastTimestamp null, source empty, no count."""
    t = time.time() if t is None else t
    io = dict(involved or {})
    io.setdefault("kind", "Pod")
    io.setdefault("namespace", namespace)
    io.setdefault("name", "pod")
    io.setdefault("apiVersion", "v1")
    md = {
        "name": name or event_name(io["name"], t),
        "namespace": namespace,
        "uid": str(uuid.uuid4()),
        "creationTimestamp": rfc3339(t),
        "managedFields": managed_fields(component, t),
    }
    ev = {"metadata": md, "involvedObject": io, "reason": reason,
          "message": message}
    if new_api:
        ev["source"] = {}
        ev["firstTimestamp"] = None
        ev["lastTimestamp"] = None
        ev["type"] = etype
        ev["eventTime"] = rfc3339_micro(t)
        if action:
            ev["action"] = action
        ev["reportingComponent"] = component
        ev["reportingInstance"] = "%s-%s" % (component, host)
    else:
        ev["source"] = {"component": component}
        if host:
            ev["source"]["host"] = host
        ev["firstTimestamp"] = rfc3339(t)
        ev["lastTimestamp"] = rfc3339(t)
        ev["count"] = count
        ev["type"] = etype
        ev["eventTime"] = None
        if series:
            ev["series"] = {"count": count,
                            "lastObservedTime": rfc3339_micro(t)}
        ev["reportingComponent"] = component
        ev["reportingInstance"] = host or ""
    return ev


def make_pod(namespace, name, node="node-1", image="nginx:1.27",
             phase="Pending", container="web", t=None):
    t = time.time() if t is None else t
    return {
        "metadata": {
            "name": name, "namespace": namespace, "uid": str(uuid.uuid4()),
            "creationTimestamp": rfc3339(t),
            "labels": {"app": name.rsplit("-", 1)[0]},
        },
        "spec": {
            "containers": [{"name": container, "image": image,
                            "resources": {},
                            "terminationMessagePath":
                                "/dev/termination-log",
                            "terminationMessagePolicy": "File",
                            "imagePullPolicy": "IfNotPresent"}],
            "restartPolicy": "Always",
            "terminationGracePeriodSeconds": 30,
            "dnsPolicy": "ClusterFirst",
            "serviceAccountName": "default",
            "nodeName": node,
            "schedulerName": "default-scheduler",
        },
        "status": {"phase": phase, "qosClass": "BestEffort"},
    }


def set_pod_phase(pod, phase, restarts=0, reason=None):
    st = pod["status"]
    st["phase"] = phase
    c = pod["spec"]["containers"][0]
    now = rfc3339(time.time())
    if phase == "Running" and reason is None:
        st["podIP"] = "10.244.0.%d" % random.randrange(2, 250)
        st["startTime"] = st.get("startTime", now)
        st["containerStatuses"] = [{
            "name": c["name"], "image": c["image"], "imageID": "",
            "ready": True, "restartCount": restarts, "started": True,
            "state": {"running": {"startedAt": now}},
        }]
    elif reason is not None:
        st["containerStatuses"] = [{
            "name": c["name"], "image": c["image"], "imageID": "",
            "ready": False, "restartCount": restarts, "started": False,
            "state": {"waiting": {"reason": reason,
                                  "message": "back-off restarting failed "
                                             "container"}},
        }]


class Scenarios:
    """Runs scenarios in background threads; each ends by itself."""

    def __init__(self, store):
        self.store = store
        self.threads = []
        self.stop = threading.Event()

    def _sleep(self, s):
        return not self.stop.wait(s)

    def _ensure_pod(self, ns, name, **kw):
        pod = self.store.get("pods", ns, name)
        if pod is None:
            pod = self.store.create("pods", make_pod(ns, name, **kw))
        return pod

    def start(self, spec):
        name = spec.get("name")
        fn = {"pod-start": self.pod_start, "crash-loop": self.crash_loop,
              "bulk": self.bulk, "flood": self.flood}.get(name)
        if fn is None:
            raise ValueError("unknown scenario %r" % name)
        if spec.get("sync") or name == "bulk":
            return fn(spec)
        th = threading.Thread(target=fn, args=(spec,), daemon=True)
        th.start()
        self.threads.append(th)
        return {"started": name}

    def pod_start(self, sp):
        ns = sp.get("namespace", "default")
        pod_name = sp.get("pod", "web-1")
        node = sp.get("node", "node-1")
        image = sp.get("image", "nginx:1.27")
        ctr = sp.get("container", "web")
        interval = float(sp.get("interval", 0.2))
        pod = self._ensure_pod(ns, pod_name, node=node, image=image,
                               container=ctr)
        io = {"kind": "Pod", "namespace": ns, "name": pod_name,
              "uid": pod["metadata"]["uid"], "apiVersion": "v1",
              "resourceVersion": pod["metadata"]["resourceVersion"]}
        cio = dict(io, fieldPath="spec.containers{%s}" % ctr)
        pull_s = round(random.uniform(0.8, 4.0), 3)
        steps = [
            dict(reason="Scheduled", component="default-scheduler",
                 new_api=True, action="Binding", involved=io,
                 host="kind-control-plane",
                 message="Successfully assigned %s/%s to %s"
                         % (ns, pod_name, node)),
            dict(reason="Pulling", involved=cio, host=node,
                 message='Pulling image "%s"' % image),
            dict(reason="Pulled", involved=cio, host=node,
                 message='Successfully pulled image "%s" in %ss (%ss '
                         'including waiting). Image size: 72099501 bytes.'
                         % (image, pull_s, pull_s)),
            dict(reason="Created", involved=cio, host=node,
                 message="Created container: %s" % ctr),
            dict(reason="Started", involved=cio, host=node,
                 message="Started container %s" % ctr),
        ]
        names = []
        for i, st in enumerate(steps):
            if i and not self._sleep(interval):
                break
            ev = self.store.create("events", make_event(ns, **st))
            names.append(ev["metadata"]["name"])
            if st["reason"] == "Started":
                self.store.update("pods", ns, pod_name,
                                  lambda p: set_pod_phase(p, "Running"))
        return {"events": names}

    def crash_loop(self, sp):
        ns = sp.get("namespace", "default")
        pod_name = sp.get("pod", "app-1")
        ctr = sp.get("container", "app")
        interval = float(sp.get("interval", 1.0))
        repeats = int(sp.get("repeats", 5))
        series = bool(sp.get("series", False))
        long_msg = bool(sp.get("long", False))
        pod = self._ensure_pod(ns, pod_name, image="busybox:1.36",
                               container=ctr)
        io = {"kind": "Pod", "namespace": ns, "name": pod_name,
              "uid": pod["metadata"]["uid"], "apiVersion": "v1",
              "resourceVersion": pod["metadata"]["resourceVersion"]}
        msg = ("0/3 nodes are available: 1 node(s) had untolerated taint "
               "{node-role.kubernetes.io/control-plane: }, 2 Insufficient "
               "memory. preemption: 0/3 nodes are available: 1 Preemption "
               "is not helpful for scheduling, 2 No preemption victims "
               "found for incoming pod.")
        if long_msg:
            # Large clusters produce one clause per distinct node reason.
            parts = ["%d node(s) didn't match Pod's node affinity/selector "
                     "(zone-%03d)" % (random.randrange(1, 40), i)
                     for i in range(60)]
            msg = ("0/5000 nodes are available: " + ", ".join(parts) +
                   ". preemption: 0/5000 nodes are available: 5000 "
                   "Preemption is not helpful for scheduling.")
        self.store.create("events", make_event(
            ns, "FailedScheduling", msg, "Warning", involved=io,
            component="default-scheduler", host="kind-control-plane",
            new_api=True, action="Scheduling"))
        self.store.create("events", make_event(
            ns, "Synced", "Konfiguration übernommen — 設定を適用しました ✓",
            involved=io, component="config-operator", host=""))
        cio = dict(io, fieldPath="spec.containers{%s}" % ctr)
        bo = self.store.create("events", make_event(
            ns, "BackOff", "Back-off restarting failed container %s in pod "
            "%s_%s(%s)" % (ctr, pod_name, ns, io["uid"]), "Warning",
            involved=cio, series=series))
        self.store.update("pods", ns, pod_name, lambda p: set_pod_phase(
            p, "Running", restarts=1, reason="CrashLoopBackOff"))
        name = bo["metadata"]["name"]
        for i in range(repeats):
            if not self._sleep(interval):
                break

            def bump(e):
                now = time.time()
                e["count"] = e.get("count", 1) + 1
                e["lastTimestamp"] = rfc3339(now)
                if "series" in e:
                    e["series"] = {"count": e["count"],
                                   "lastObservedTime": rfc3339_micro(now)}
            try:
                self.store.update("events", ns, name, bump)
            except KeyError:
                break
        return {"events": [name]}

    def bulk(self, sp):
        n = int(sp.get("count", 1000))
        size = int(sp.get("size", 600))
        nss = max(1, int(sp.get("namespaces", 1)))
        pods = max(1, int(sp.get("pods", 10)))
        prefix = sp.get("namespace_prefix", "ns")
        base_ns = sp.get("namespace")
        reasons = [("Pulled", "Normal"), ("Created", "Normal"),
                   ("Started", "Normal"), ("Unhealthy", "Warning"),
                   ("BackOff", "Warning")]
        uids = {}
        t0 = time.time()
        for i in range(n):
            ns = base_ns if base_ns and nss == 1 else (
                "%s-%d" % (prefix, i % nss))
            pod = "bulk-%d" % ((i // nss) % pods)
            uid = uids.setdefault((ns, pod), str(uuid.uuid4()))
            reason, etype = reasons[i % len(reasons)]
            msg = "event %d for %s/%s: Prüfung läuft " % (i, ns, pod)
            # The managed fields and metadata take about 500 bytes; the
            # message pads the rest.
            pad = max(0, size - 500 - len(msg.encode()))
            msg += "x" * pad
            ev = make_event(ns, reason, msg, etype,
                            involved={"name": pod, "uid": uid,
                                      "namespace": ns},
                            host=NODES[i % len(NODES)], t=t0)
            ev["metadata"]["name"] = "%s.%x" % (pod, int(t0 * 1e9) + i)
            self.store.create("events", ev)
        return {"created": n}

    def flood(self, sp):
        ns = sp.get("namespace", "default")
        pod = sp.get("pod", "flood-1")
        rate = float(sp.get("rate", 50))
        duration = float(sp.get("duration", 2))
        io = {"kind": "Pod", "namespace": ns, "name": pod,
              "uid": str(uuid.uuid4()), "apiVersion": "v1"}
        t_end = time.monotonic() + duration
        i = 0
        while time.monotonic() < t_end and not self.stop.is_set():
            self.store.create("events", make_event(
                ns, "Unhealthy", "Readiness probe failed: HTTP probe "
                "failed with statuscode: 503 (%d)" % i, "Warning",
                involved=dict(io, fieldPath="spec.containers{app}")))
            i += 1
            next_t = t_end - duration + i / rate
            delay = next_t - time.monotonic()
            if delay > 0 and not self._sleep(delay):
                break
        return {"created": i}
