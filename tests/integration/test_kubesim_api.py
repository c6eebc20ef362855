#!/usr/bin/env python3
# flavors: static
"""kube-sim API semantics through plain HTTPS requests: list
resourceVersion rules and their errors, paging, field selectors, watch
start points, 410 styles, bookmarks, TTL expiry, authentication and
authorization, token rotation and keep-alive.
SPDX-License-Identifier: Apache-2.0
"""
import json
import os
import socket
import sys
import time
import urllib.parse

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import Suite                    # noqa: E402
from kubesim import KubeSim              # noqa: E402

T = Suite("kubesim-api")
EV = "/api/v1/namespaces/default/events"


def qs(**kw):
    return "?" + urllib.parse.urlencode(kw)


def read_watch(resp, n, timeout=5):
    """Up to n decoded watch lines, within timeout seconds."""
    out = []
    deadline = time.monotonic() + timeout
    resp.fp.raw._sock.settimeout(timeout) if hasattr(
        resp.fp, "raw") and hasattr(resp.fp.raw, "_sock") else None
    while len(out) < n and time.monotonic() < deadline:
        try:
            line = resp.readline()
        except (socket.timeout, OSError):
            break
        if not line:
            break
        out.append(json.loads(line))
    return out


def list_semantics(sim):
    sim.scenario("pod-start", namespace="default", pod="web-1",
                 interval=0.01, sync=True)
    rv_first = sim.state()["rv"]
    sim.scenario("pod-start", namespace="other", pod="db-0",
                 interval=0.01, sync=True)
    st, body = sim.get_json(EV)
    T.check("list 200", st == 200, st)
    T.check("list kind EventList v1", body["kind"] == "EventList" and
            body["apiVersion"] == "v1")
    T.check("list items have no kind/apiVersion",
            all("kind" not in i and "apiVersion" not in i
                for i in body["items"]))
    T.check("list has 5 events of default", len(body["items"]) == 5,
            len(body["items"]))
    rv = int(body["metadata"]["resourceVersion"])
    T.check("list rv is the store revision", rv == sim.state()["rv"])
    T.check("event shape", all(k in body["items"][1] for k in (
        "involvedObject", "reason", "message", "source", "firstTimestamp",
        "lastTimestamp", "count", "type", "eventTime", "reportingComponent",
        "reportingInstance")))
    st, allns = sim.get_json("/api/v1/events")
    T.check("all-namespace list has 10", len(allns["items"]) == 10)

    c0 = sim.counters()["lists"]
    sim.get_json(EV + qs(resourceVersion="0"))
    sim.get_json(EV + qs(resourceVersion=rv,
                         resourceVersionMatch="NotOlderThan"))
    st, ex = sim.get_json(EV + qs(resourceVersion=rv_first - 3,
                                  resourceVersionMatch="Exact"))
    T.check("Exact list at an older rv", st == 200 and
            ex["metadata"]["resourceVersion"] == str(rv_first - 3) and
            len(ex["items"]) < 5, (st, len(ex["items"])))
    c1 = sim.counters()["lists"]
    T.check("list counters by rv kind",
            c1["consistent"] - c0["consistent"] == 0 and
            c1["zero"] - c0["zero"] == 1 and
            c1["notOlderThan"] - c0["notOlderThan"] == 1 and
            c1["exact"] - c0["exact"] == 1, c1)

    st, b = sim.get_json(EV + qs(resourceVersionMatch="NotOlderThan"))
    T.check("resourceVersionMatch without resourceVersion is rejected",
            st == 422 and b["reason"] == "Invalid" and
            "resourceVersionMatch is forbidden unless resourceVersion is "
            "provided" in b["message"], (st, b))
    st, b = sim.get_json(EV + qs(resourceVersion=rv + 100,
                                 resourceVersionMatch="NotOlderThan"))
    T.check("504 Too large resource version", st == 504 and
            b["reason"] == "Timeout" and
            b["message"].startswith("Timeout: Too large resource version") and
            b["details"]["retryAfterSeconds"] >= 1 and
            b["details"]["causes"][0]["reason"] ==
            "ResourceVersionTooLarge", (st, b))
    status, hdrs, _ = sim.request(EV + qs(resourceVersion=rv + 100,
                                          resourceVersionMatch="Exact"))
    T.check("504 has Retry-After", status == 504 and
            hdrs.get("retry-after") == "1", hdrs)

    # Paging: 5 events, pages of 2.
    st, p1 = sim.get_json(EV + qs(limit=2))
    tok = p1["metadata"].get("continue")
    T.check("page 1 has 2 items, continue and remainingItemCount",
            len(p1["items"]) == 2 and tok and
            p1["metadata"].get("remainingItemCount") == 3, p1["metadata"])
    st, b = sim.get_json(EV + qs(limit=2, resourceVersion=rv,
                                 **{"continue": tok}))
    T.check("resourceVersion with continue is 400", st == 400 and
            b["message"] == "specifying resource version is not allowed "
            "when using continue", (st, b))
    st, b = sim.get_json(EV + qs(limit=2, resourceVersion=rv,
                                 resourceVersionMatch="NotOlderThan",
                                 **{"continue": tok}))
    T.check("resourceVersionMatch with continue is rejected", st == 422 and
            "resourceVersionMatch is forbidden when continue is provided"
            in b["message"], (st, b))
    names = [i["metadata"]["name"] for i in p1["items"]]
    sim.event(namespace="default", reason="Late", message="after page 1",
              involvedObject={"name": "web-1"})
    while tok:
        st, p = sim.get_json(EV + qs(limit=2, **{"continue": tok}))
        if st != 200:
            break
        names += [i["metadata"]["name"] for i in p["items"]]
        T.check("later pages keep the first page's rv",
                p["metadata"]["resourceVersion"] ==
                p1["metadata"]["resourceVersion"])
        tok = p["metadata"].get("continue")
    T.check("paging returns the 5 events of the snapshot", len(names) == 5
            and len(set(names)) == 5, names)
    T.check("continue pages counted", sim.counters()["lists"]["continue"]
            >= 2)

    st, p1 = sim.get_json(EV + qs(limit=2))
    tok = p1["metadata"]["continue"]
    sim.event(namespace="default", reason="Later", message="bump")
    sim.compact()
    st, b = sim.get_json(EV + qs(limit=2, **{"continue": tok}))
    T.check("continue after compaction is 410 Expired", st == 410 and
            b["reason"] == "Expired" and "continue parameter is too old"
            in b["message"] and b["metadata"].get("continue"), (st, b))
    st, p2 = sim.get_json(EV + qs(limit=50, **{
        "continue": b["metadata"]["continue"]}))
    T.check("the 410's continue token goes on at the latest rv",
            st == 200 and len(p2["items"]) >= 4, st)
    st, b = sim.get_json(EV + qs(resourceVersion=rv - 3,
                                 resourceVersionMatch="Exact"))
    T.check("Exact list below compaction is 410", st == 410 and
            b["reason"] == "Expired", (st, b))
    st, b = sim.get_json(EV + qs(resourceVersion=rv - 3,
                                 resourceVersionMatch="NotOlderThan"))
    T.check("NotOlderThan below compaction is served at the latest rv",
            st == 200 and int(b["metadata"]["resourceVersion"]) > rv)


def field_selectors(sim):
    def names(sel):
        st, b = sim.get_json("/api/v1/events" + qs(fieldSelector=sel))
        return st, b, [i["reason"] for i in b.get("items", [])] \
            if st == 200 else []
    st, _, r = names("involvedObject.name=db-0")
    T.check("selector involvedObject.name", st == 200 and len(r) == 5, r)
    st, _, r = names("involvedObject.name=web-1,reason==Pulled")
    T.check("selector comma-AND and ==", r == ["Pulled"], r)
    st, _, r = names("involvedObject.name=web-1,reason!=Pulled,type=Normal")
    T.check("selector !=", "Pulled" not in r and len(r) >= 4, r)
    st, _, r = names("source=default-scheduler")
    T.check("selector source (empty for new-API events)", r == [], r)
    st, _, r = names("reportingComponent=default-scheduler")
    T.check("selector reportingComponent", r == ["Scheduled", "Scheduled"],
            r)
    st, _, r = names("metadata.namespace=other,"
                     "involvedObject.fieldPath=spec.containers{web}")
    T.check("selector metadata.namespace + fieldPath", len(r) == 4, r)
    st, b, _ = names("metadata.uid=abc")
    T.check("unsupported field label is 400", st == 400 and
            b["message"] == "field label not supported: metadata.uid",
            (st, b))


def watches(sim):
    st, lst = sim.get_json(EV)
    rv = int(lst["metadata"]["resourceVersion"])
    n_now = len(lst["items"])
    c, r = sim.watch(EV + qs(watch=1))
    got = read_watch(r, n_now, 5)
    T.check("watch without rv: synthetic ADDED for current events",
            len(got) == n_now and all(e["type"] == "ADDED" for e in got),
            len(got))
    T.check("watch objects carry kind and apiVersion",
            all(e["object"].get("kind") == "Event" and
                e["object"].get("apiVersion") == "v1" for e in got))
    T.check("watch is chunked", r.getheader("Transfer-Encoding") ==
            "chunked")
    ev = sim.event(namespace="default", reason="Live", message="hello",
                   involvedObject={"name": "web-1"})
    got = read_watch(r, 1, 5)
    T.check("live ADDED after the initial ones", got and
            got[0]["object"]["reason"] == "Live", got)
    sim.event("update", namespace="default", name=ev["metadata"]["name"],
              bump=True)
    got = read_watch(r, 1, 5)
    T.check("MODIFIED with count 2", got and got[0]["type"] == "MODIFIED"
            and got[0]["object"]["count"] == 2, got)
    sim.event("delete", namespace="default", name=ev["metadata"]["name"])
    got = read_watch(r, 1, 5)
    T.check("DELETED on delete", got and got[0]["type"] == "DELETED", got)
    c.close()

    c, r = sim.watch(EV + qs(watch="true", resourceVersion="0"))
    got = read_watch(r, n_now, 5)
    T.check("watch rv=0 starts with ADDED", len(got) == n_now)
    c.close()

    c, r = sim.watch(EV + qs(watch=1, resourceVersion=rv))
    got = read_watch(r, 3, 5)
    T.check("watch from rv N replays history after N",
            [e["type"] for e in got] == ["ADDED", "MODIFIED", "DELETED"] and
            all(int(e["object"]["metadata"]["resourceVersion"]) > rv
                for e in got), [e["type"] for e in got])
    c.close()

    c, r = sim.watch(EV + qs(watch=1, resourceVersion=rv,
                             timeoutSeconds=1))
    t0 = time.monotonic()
    got = read_watch(r, 10, 5)
    T.check("timeoutSeconds ends the watch cleanly",
            len(got) == 3 and time.monotonic() - t0 < 3, len(got))
    c.close()

    c, r = sim.watch(EV + qs(watch=1, fieldSelector="reason=Later2"))
    sim.event(namespace="default", reason="Later2", message="x")
    sim.event(namespace="default", reason="Other", message="y")
    sim.event(namespace="default", reason="Later2", message="z")
    got = read_watch(r, 2, 5)
    T.check("watch field selector filters live events",
            [e["object"]["message"] for e in got] == ["x", "z"], got)
    c.close()

    sim.compact()
    old = rv
    for style in ("event", "status", "empty"):
        sim.fault(expired_style=style)
        c, r = sim.watch(EV + qs(watch=1, resourceVersion=old))
        if style == "status":
            body = json.loads(r.read())
            T.check("compacted rv, style status: HTTP 410 Status",
                    r.status == 410 and body["reason"] == "Expired" and
                    body["code"] == 410, (r.status, body))
        elif style == "event":
            got = read_watch(r, 2, 5)
            T.check("compacted rv, style event: one ERROR with 410 Status",
                    r.status == 200 and len(got) == 1 and
                    got[0]["type"] == "ERROR" and
                    got[0]["object"]["code"] == 410 and
                    got[0]["object"]["kind"] == "Status" and
                    got[0]["object"]["reason"] == "Expired" and
                    "too old" in got[0]["object"]["message"], got)
        else:
            t0 = time.monotonic()
            data = r.read()
            T.check("compacted rv, style empty: 200 closed with no events",
                    r.status == 200 and data == b"" and
                    time.monotonic() - t0 < 2, (r.status, data))
        c.close()
    sim.clear_faults()
    T.check("no bookmarks without --cached",
            sim.counters()["bookmarks_sent"] == 0)


def cached_and_ttl():
    with KubeSim(["--cached", "--bookmark-interval", "0.3",
                  "--event-ttl", "1.5"]) as sim:
        sim.event(namespace="default", reason="Short", message="lives 1.5s")
        st, b = sim.get_json(EV)
        rv = b["metadata"]["resourceVersion"]
        c, r = sim.watch(EV + qs(watch=1, resourceVersion=rv,
                                 allowWatchBookmarks="true"))
        got = read_watch(r, 12, 4)
        types = [e["type"] for e in got]
        T.check("cached mode: BOOKMARK events", "BOOKMARK" in types, types)
        bm = [e for e in got if e["type"] == "BOOKMARK"]
        T.check("bookmark object is an Event with only a resourceVersion",
                bm and bm[0]["object"]["kind"] == "Event" and
                bm[0]["object"]["metadata"]["resourceVersion"] and
                "name" not in bm[0]["object"]["metadata"], bm[:1])
        T.check("DELETED when the TTL runs out", "DELETED" in types, types)
        c.close()
        sim.reset_counters()
        sim.get_json(EV + qs(resourceVersion="0"))
        sim.get_json(EV)
        cn = sim.counters()
        T.check("cached mode: rv=0 list is a cache read, unset a storage "
                "read", cn["cache_reads"] == 1 and cn["storage_reads"] == 1,
                cn)
        uids = sim.uids()["uids"]
        T.check("/_sim/uids records the TTL deletion",
                uids and uids[0]["deleted"] == "ttl", uids)


def auth(sim):
    st, b = sim.get_json(EV, token="")
    T.check("no token: 401 Status", st == 401 and b["reason"] ==
            "Unauthorized" and b["kind"] == "Status", (st, b))
    st, b = sim.get_json(EV, token="bogus")
    T.check("unknown token: 401", st == 401)
    st, b = sim.get_json(EV + "?watch=1", token=sim.nowatch_token)
    T.check("nowatch token: watch is 403 worded like kube-apiserver",
            st == 403 and b["message"] ==
            'events is forbidden: User "system:serviceaccount:default:'
            'nowatch" cannot watch resource "events" in API group "" in '
            'the namespace "default"' and b["details"] == {"kind": "events"},
            (st, b))
    st, b = sim.get_json("/api/v1/events?watch=1", token=sim.nowatch_token)
    T.check("403 at cluster scope", st == 403 and
            b["message"].endswith('in API group "" at the cluster scope'), b)
    st, b = sim.get_json(EV, token=sim.nowatch_token)
    T.check("nowatch token may list", st == 200)

    tok_file = os.path.join(sim.state_dir, "token-rotating")
    old = open(tok_file).read()
    st, _ = sim.get_json(EV, token=old)
    T.check("rotating token works before rotation", st == 200)
    new = sim.rotate_token()
    T.check("rotation rewrites the token file", open(tok_file).read() ==
            new and new != old)
    st, _ = sim.get_json(EV, token=old)
    T.check("old token is 401 after rotation", st == 401)
    st, _ = sim.get_json(EV, token=new)
    T.check("new token works", st == 200)
    newer = sim.rotate_token(grace=1.0)
    st1, _ = sim.get_json(EV, token=new)
    time.sleep(1.2)
    st2, _ = sim.get_json(EV, token=new)
    st3, _ = sim.get_json(EV, token=newer)
    T.check("old token valid during the grace period only",
            (st1, st2, st3) == (200, 401, 200), (st1, st2, st3))

    st, hdrs, body = sim.request("/version", token="")
    T.check("/version needs no token", st == 200 and
            json.loads(body)["major"] == "1")


def keep_alive(sim):
    sim.reset_counters()
    c = sim.connection()
    ok = 0
    for i in range(300):
        rv_kind = {} if i % 2 else {"resourceVersion": "0"}
        st, _, body = sim.request(EV + qs(fieldSelector="involvedObject."
                                          "name=web-1", **rv_kind), conn=c)
        ok += st == 200 and body.startswith(b'{"kind":"EventList"')
    c.close()
    cn = sim.counters()
    T.check("300 lists on one kept-alive TLS connection", ok == 300, ok)
    T.check("counted as one TCP connection and one handshake",
            cn["tcp_connections"] == 1 and cn["tls_handshakes"] == 1, cn)
    T.check("bytes_sent counted", cn["bytes_sent"] > 300 * 100)
    T.check("per-user counts", cn["users"].get(
        "system:serviceaccount:default:admin", {}).get("list") == 300,
        cn["users"])


def main():
    with KubeSim(["--compact-interval", "0"]) as sim:
        list_semantics(sim)
        field_selectors(sim)
        watches(sim)
        auth(sim)
        keep_alive(sim)
    cached_and_ttl()
    with KubeSim(["--compact-interval", "1"]) as sim:
        st, b = sim.get_json(EV)
        rv = b["metadata"]["resourceVersion"]
        sim.event(namespace="default", reason="A", message="a")
        time.sleep(2.6)
        c, r = sim.watch(EV + qs(watch=1, resourceVersion=rv))
        got = read_watch(r, 1, 3)
        T.check("periodic compaction expires an old rv", got and
                got[0]["type"] == "ERROR" and
                got[0]["object"]["code"] == 410, got)
        c.close()
    T.done()


if __name__ == "__main__":
    main()
