"""The simulated etcd: one global revision counter, the current objects
(events and pods), the history that watches replay, compaction and the
event TTL. HTTP, authorization and fault injection live elsewhere.
SPDX-License-Identifier: Apache-2.0
"""
import base64
import collections
import copy
import heapq
import json
import threading
import time
import uuid


def rfc3339(t):
    """Seconds precision, as metav1.Time serializes."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def rfc3339_micro(t):
    """Microsecond precision, as metav1.MicroTime serializes."""
    us = int(round((t - int(t)) * 1e6))
    if us >= 1000000:
        t, us = int(t) + 1, 0
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(int(t))) + \
        ".%06dZ" % us


class Expired(Exception):
    """A read or watch below the compacted revision (HTTP 410)."""

    def __init__(self, rv, compacted, kind):
        super().__init__(rv)
        self.rv, self.compacted, self.kind = rv, compacted, kind


class TooLarge(Exception):
    """A read at a revision the store has not reached (HTTP 504)."""

    def __init__(self, rv, current):
        super().__init__(rv)
        self.rv, self.current = rv, current


class BadContinue(Exception):
    pass


# Field labels the real server accepts for core/v1 events, each mapped to
# the function that reads it from an event object.
def _src(e):
    return (e.get("source") or {}).get("component", "")


EVENT_FIELDS = {
    "involvedObject.kind": lambda e: e["involvedObject"].get("kind", ""),
    "involvedObject.namespace":
        lambda e: e["involvedObject"].get("namespace", ""),
    "involvedObject.name": lambda e: e["involvedObject"].get("name", ""),
    "involvedObject.uid": lambda e: e["involvedObject"].get("uid", ""),
    "involvedObject.apiVersion":
        lambda e: e["involvedObject"].get("apiVersion", ""),
    "involvedObject.resourceVersion":
        lambda e: e["involvedObject"].get("resourceVersion", ""),
    "involvedObject.fieldPath":
        lambda e: e["involvedObject"].get("fieldPath", ""),
    "reason": lambda e: e.get("reason", ""),
    "reportingComponent": lambda e: e.get("reportingComponent", ""),
    "source": _src,
    "type": lambda e: e.get("type", ""),
    "metadata.name": lambda e: e["metadata"].get("name", ""),
    "metadata.namespace": lambda e: e["metadata"].get("namespace", ""),
}

POD_FIELDS = {
    "metadata.name": lambda p: p["metadata"].get("name", ""),
    "metadata.namespace": lambda p: p["metadata"].get("namespace", ""),
    "spec.nodeName": lambda p: p["spec"].get("nodeName", ""),
    "spec.restartPolicy": lambda p: p["spec"].get("restartPolicy", ""),
    "spec.schedulerName": lambda p: p["spec"].get("schedulerName", ""),
    "spec.serviceAccountName":
        lambda p: p["spec"].get("serviceAccountName", ""),
    "status.phase": lambda p: p["status"].get("phase", ""),
    "status.podIP": lambda p: p["status"].get("podIP", ""),
    "status.nominatedNodeName":
        lambda p: p["status"].get("nominatedNodeName", ""),
}

FIELDS = {"events": EVENT_FIELDS, "pods": POD_FIELDS}


class SelectorError(Exception):
    pass


def parse_field_selector(resource, text):
    """Returns a list of (getter, op, value); raises SelectorError with
    the real server's words."""
    terms = []
    if not text:
        return terms
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        for op in ("!=", "==", "="):
            i = part.find(op)
            if i > 0:
                label, value = part[:i].strip(), part[i + len(op):].strip()
                break
        else:
            raise SelectorError(
                "invalid selector: '%s'; can't understand '%s'"
                % (text, part))
        getter = FIELDS[resource].get(label)
        if getter is None:
            raise SelectorError("field label not supported: %s" % label)
        terms.append((getter, "!=" if op == "!=" else "=", value))
    return terms


def selector_matches(terms, obj):
    for getter, op, value in terms:
        if (getter(obj) == value) != (op == "="):
            return False
    return True


Change = collections.namedtuple("Change", "rev type resource obj prev")


class Store:
    def __init__(self, initial_rv=1000, event_ttl=3600.0):
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self.rev = initial_rv
        self.compacted = 0
        self.objects = {"events": {}, "pods": {}}
        # history[i] has absolute index hist_base + i, so a watch keeps
        # its place across compaction with one integer.
        self.history = []
        self.hist_base = 0
        self.event_ttl = event_ttl
        self.expiry = {}
        # (deadline, key) entries; stale ones (the key was rewritten or
        # deleted since) are skipped when popped.
        self.expiry_heap = []
        self.uids = {}
        self.stopping = False

    # Writes. Each bumps the revision and records one history entry, as
    # one etcd transaction does.
    def _record(self, kind, resource, obj, prev):
        self.history.append(Change(self.rev, kind, resource, obj, prev))
        self.changed.notify_all()

    def create(self, resource, obj):
        with self.lock:
            md = obj["metadata"]
            key = (md["namespace"], md["name"])
            if key in self.objects[resource]:
                raise KeyError("%s \"%s\" already exists"
                               % (resource, md["name"]))
            self.rev += 1
            md.setdefault("uid", str(uuid.uuid4()))
            md["resourceVersion"] = str(self.rev)
            md.setdefault("creationTimestamp", rfc3339(time.time()))
            self._order_metadata(obj)
            self.objects[resource][key] = obj
            if resource == "events":
                self._set_expiry(key)
                self.uids[md["uid"]] = self._uid_entry(obj)
            self._record("ADDED", resource, copy.deepcopy(obj), None)
            return copy.deepcopy(obj)

    def _set_expiry(self, key):
        deadline = time.time() + self.event_ttl
        self.expiry[key] = deadline
        heapq.heappush(self.expiry_heap, (deadline, key))

    @staticmethod
    def _order_metadata(obj):
        """Keeps the field order the Go serializer uses."""
        md = obj["metadata"]
        order = ("name", "generateName", "namespace", "uid",
                 "resourceVersion", "creationTimestamp", "labels",
                 "annotations", "managedFields")
        obj["metadata"] = {k: md[k] for k in order if k in md}
        obj["metadata"].update({k: v for k, v in md.items()
                                if k not in obj["metadata"]})

    def update(self, resource, namespace, name, mutate):
        """mutate(obj) changes the stored object in place."""
        with self.lock:
            key = (namespace, name)
            obj = self.objects[resource][key]
            prev = copy.deepcopy(obj)
            mutate(obj)
            self.rev += 1
            obj["metadata"]["resourceVersion"] = str(self.rev)
            if resource == "events":
                # The TTL is an etcd lease renewed by every write.
                self._set_expiry(key)
                self.uids[obj["metadata"]["uid"]] = self._uid_entry(obj)
            self._record("MODIFIED", resource, copy.deepcopy(obj), prev)
            return copy.deepcopy(obj)

    def delete(self, resource, namespace, name, why="deleted"):
        with self.lock:
            key = (namespace, name)
            obj = self.objects[resource].pop(key)
            prev = copy.deepcopy(obj)
            self.rev += 1
            # A deletion is seen with the revision of the delete itself.
            obj["metadata"]["resourceVersion"] = str(self.rev)
            if resource == "events":
                self.expiry.pop(key, None)
                ent = self.uids.get(obj["metadata"]["uid"])
                if ent is not None:
                    ent["deleted"] = why
                    ent["deletedResourceVersion"] = str(self.rev)
            self._record("DELETED", resource, copy.deepcopy(obj), prev)
            return copy.deepcopy(obj)

    def get(self, resource, namespace, name):
        with self.lock:
            obj = self.objects[resource].get((namespace, name))
            return copy.deepcopy(obj) if obj is not None else None

    def _uid_entry(self, e):
        io = e.get("involvedObject", {})
        series = e.get("series") or {}
        return {
            "uid": e["metadata"]["uid"],
            "namespace": e["metadata"]["namespace"],
            "name": e["metadata"]["name"],
            "resourceVersion": e["metadata"]["resourceVersion"],
            "involvedObject": {k: io.get(k, "") for k in
                               ("kind", "namespace", "name", "uid")},
            "reason": e.get("reason", ""),
            "type": e.get("type", ""),
            "count": e.get("count", 0),
            "seriesCount": series.get("count", 0),
            "deleted": None,
        }

    # Maintenance.
    def expire_ttl(self, now=None):
        """Deletes every event whose lease ran out; returns how many."""
        now = time.time() if now is None else now
        n = 0
        with self.lock:
            heap = self.expiry_heap
            while heap and heap[0][0] <= now:
                deadline, key = heapq.heappop(heap)
                if self.expiry.get(key) != deadline:
                    continue
                self.delete("events", key[0], key[1], why="ttl")
                n += 1
        return n

    def compact(self, rev=None):
        """Drops history up to and including rev (default: now)."""
        with self.lock:
            rev = self.rev if rev is None else min(rev, self.rev)
            if rev <= self.compacted:
                return self.compacted
            k = 0
            while k < len(self.history) and self.history[k].rev <= rev:
                k += 1
            del self.history[:k]
            self.hist_base += k
            self.compacted = rev
            self.changed.notify_all()
            return rev

    def changes_since(self, index):
        """(changes, next_index) for history from absolute index on; None
        when compaction has already dropped part of that range."""
        if index < self.hist_base:
            return None, index
        start = index - self.hist_base
        return self.history[start:], self.hist_base + len(self.history)

    def index_after(self, rev):
        """The absolute history index of the first change newer than rev."""
        lo, hi = 0, len(self.history)
        while lo < hi:
            mid = (lo + hi) // 2
            if self.history[mid].rev <= rev:
                lo = mid + 1
            else:
                hi = mid
        return self.hist_base + lo

    def count(self, resource):
        with self.lock:
            return len(self.objects[resource])

    # Reads.
    def snapshot_at(self, resource, rev):
        """The objects as they were at revision rev, rebuilt by undoing
        history from the newest change backwards."""
        if rev < self.compacted:
            raise Expired(rev, self.compacted, "list")
        if rev > self.rev:
            raise TooLarge(rev, self.rev)
        objs = dict(self.objects[resource])
        for ch in reversed(self.history):
            if ch.rev <= rev:
                break
            if ch.resource != resource:
                continue
            md = ch.obj["metadata"]
            key = (md["namespace"], md["name"])
            if ch.type == "ADDED":
                objs.pop(key, None)
            else:
                objs[key] = ch.prev
        return objs

    def list(self, resource, namespace, terms, rev=None, start=None,
             limit=0):
        """Returns (items, list_rev, next_start, remaining). items are
        deep copies sorted by key like etcd's range read."""
        with self.lock:
            if rev is None or rev == self.rev:
                rev, objs = self.rev, self.objects[resource]
            else:
                objs = self.snapshot_at(resource, rev)
            keys = sorted(k for k in objs if namespace is None or
                          k[0] == namespace)
            if start is not None:
                keys = [k for k in keys if k >= start]
            items, nxt, scanned = [], None, 0
            for k in keys:
                scanned += 1
                o = objs[k]
                if not selector_matches(terms, o):
                    continue
                if limit and len(items) == limit:
                    nxt = k
                    scanned -= 1
                    break
                items.append(copy.deepcopy(o))
            remaining = len(keys) - scanned if nxt is not None else 0
            return items, rev, nxt, remaining


def encode_continue(rev, start_key):
    """The real token is base64 JSON naming the revision and start key."""
    ns, name = start_key
    body = {"v": "meta.k8s.io/v1", "rv": rev,
            "start": "%s/%s" % (ns, name)}
    return base64.urlsafe_b64encode(
        json.dumps(body, separators=(",", ":")).encode()).decode().rstrip(
        "=")


def decode_continue(token):
    try:
        pad = "=" * (-len(token) % 4)
        body = json.loads(base64.urlsafe_b64decode(token + pad))
        if body.get("v") != "meta.k8s.io/v1":
            raise ValueError
        ns, _, name = body["start"].partition("/")
        return int(body["rv"]), (ns, name)
    except (ValueError, KeyError, TypeError):
        raise BadContinue("continue key is not valid: incorrect encoded "
                          "start resourceVersion (version meta.k8s.io/v1)")
