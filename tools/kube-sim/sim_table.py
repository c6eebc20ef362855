"""Server-side printing: the meta.k8s.io/v1 Table that kubectl asks for
with "Accept: application/json;as=Table;...", with the columns the real
server prints for events and pods.
SPDX-License-Identifier: Apache-2.0
"""
import calendar
import time


def human_duration(secs):
    """The API machinery's HumanDuration."""
    if secs < -1:
        return "<invalid>"
    if secs < 0:
        return "0s"
    s = int(secs)
    if s < 120:
        return "%ds" % s
    m = s // 60
    if m < 10:
        return "%dm" % m if s % 60 == 0 else "%dm%ds" % (m, s % 60)
    if m < 180:
        return "%dm" % m
    h = s // 3600
    if h < 8:
        return "%dh" % h if m % 60 == 0 else "%dh%dm" % (h, m % 60)
    if h < 48:
        return "%dh" % h
    if h < 24 * 8:
        return "%dd" % (h // 24) if h % 24 == 0 else \
            "%dd%dh" % (h // 24, h % 24)
    if h < 24 * 365 * 2:
        return "%dd" % (h // 24)
    if h < 24 * 365 * 8:
        dy = (h // 24) % 365
        return "%dy" % (h // 24 // 365) if dy == 0 else \
            "%dy%dd" % (h // 24 // 365, dy)
    return "%dy" % (h // 24 // 365)


def _parse(ts):
    if not ts:
        return None
    return calendar.timegm(time.strptime(ts[:19], "%Y-%m-%dT%H:%M:%S"))


def _since(ts, now):
    t = _parse(ts)
    return "<unknown>" if t is None else human_duration(now - t)


def _col(name, typ="string", prio=0, fmt="", desc=""):
    return {"name": name, "type": typ, "format": fmt,
            "description": desc, "priority": prio}


EVENT_COLUMNS = [
    _col("Last Seen", desc="The time at which the most recent occurrence "
         "of this event was recorded."),
    _col("Type", desc="Type of this event (Normal, Warning), new types "
         "could be added in the future"),
    _col("Reason", desc="This should be a short, machine understandable "
         "string that gives the reason for the transition into the "
         "object's current status."),
    _col("Object", desc="The object that this event is about."),
    _col("Subobject", prio=1, desc="If referring to a piece of an object "
         "instead of an entire object, this string should contain a valid "
         "JSON/Go field access statement."),
    _col("Source", prio=1, desc="The component reporting this event. "
         "Should be a short machine understandable string."),
    _col("Message", desc="A human-readable description of the status of "
         "this operation."),
    _col("First Seen", prio=1, desc="The time at which the event was "
         "first recorded. (Time of server receipt is in TypeMeta.)"),
    _col("Count", prio=1, desc="The number of times this event has "
         "occurred."),
    _col("Name", prio=1, fmt="name", desc="Name must be unique within a "
         "namespace."),
]

POD_COLUMNS = [
    _col("Name", fmt="name", desc="Name must be unique within a "
         "namespace."),
    _col("Ready", desc="The aggregate readiness state of this pod for "
         "accepting traffic."),
    _col("Status", desc="The aggregate status of the containers in this "
         "pod."),
    _col("Restarts", desc="The number of times the containers in this pod "
         "have been restarted and when the last container in this pod has "
         "restarted."),
    _col("Age", desc="CreationTimestamp is a timestamp representing the "
         "server time when this object was created."),
    _col("IP", prio=1, desc="podIP address allocated to the pod. Routable "
         "at least within the cluster. Empty if not yet allocated."),
    _col("Node", prio=1, desc="NodeName is a request to schedule this pod "
         "onto a specific node."),
    _col("Nominated Node", prio=1, desc="nominatedNodeName is set only "
         "when this pod preempts other pods on the node."),
    _col("Readiness Gates", prio=1, desc="If specified, all readiness "
         "gates will be evaluated for pod readiness."),
]


def _micro_since(ts, now):
    return _since(ts, now)


def event_cells(e, now):
    first = _since(e.get("firstTimestamp"), now)
    if not e.get("firstTimestamp"):
        first = _micro_since(e.get("eventTime"), now)
    last = _since(e.get("lastTimestamp"), now)
    if not e.get("lastTimestamp"):
        last = first
    count = e.get("count") or 0
    if e.get("series"):
        last = _micro_since(e["series"].get("lastObservedTime"), now)
        count = e["series"].get("count", 0)
    elif count == 0:
        count = 1
    io = e.get("involvedObject", {})
    kind = io.get("kind", "").lower()
    target = "%s/%s" % (kind, io["name"]) if io.get("name") else kind
    src = e.get("source") or {}
    comp = src.get("component") or e.get("reportingController") or \
        e.get("reportingComponent", "")
    inst = src.get("host") or e.get("reportingInstance", "")
    source = "" if not comp else (comp if not inst else
                                  "%s, %s" % (comp, inst))
    return [last, e.get("type", ""), e.get("reason", ""), target,
            io.get("fieldPath", ""), source,
            (e.get("message") or "").strip(), first, count,
            e["metadata"]["name"]]


def pod_cells(p, now):
    st = p.get("status", {})
    cs = st.get("containerStatuses", [])
    total = len(p["spec"].get("containers", []))
    ready = sum(1 for c in cs if c.get("ready"))
    restarts = sum(c.get("restartCount", 0) for c in cs)
    reason = st.get("reason") or st.get("phase", "")
    for c in cs:
        w = c.get("state", {}).get("waiting")
        if w and w.get("reason"):
            reason = w["reason"]
    return [p["metadata"]["name"], "%d/%d" % (ready, total), reason,
            restarts, _since(p["metadata"].get("creationTimestamp"), now),
            st.get("podIP") or "<none>", p["spec"].get("nodeName") or
            "<none>", "<none>", "<none>"]


def wants_table(accept):
    return "as=Table" in (accept or "")


def row(resource, obj, include, now):
    cells = event_cells(obj, now) if resource == "events" else \
        pod_cells(obj, now)
    r = {"cells": cells}
    if include == "Object":
        o = dict(obj)
        o["kind"] = "Event" if resource == "events" else "Pod"
        o["apiVersion"] = "v1"
        r["object"] = o
    elif include != "None":
        md = {k: v for k, v in obj["metadata"].items()}
        r["object"] = {"kind": "PartialObjectMetadata",
                       "apiVersion": "meta.k8s.io/v1", "metadata": md}
    return r


def table(resource, objs, rv, include="Metadata", headers=True,
          cont=None, remaining=None):
    now = time.time()
    md = {"resourceVersion": rv}
    if cont:
        md["continue"] = cont
    if remaining:
        md["remainingItemCount"] = remaining
    t = {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": md}
    if headers:
        t["columnDefinitions"] = EVENT_COLUMNS if resource == "events" \
            else POD_COLUMNS
    else:
        t["columnDefinitions"] = None
    t["rows"] = [row(resource, o, include, now) for o in objs]
    return t
