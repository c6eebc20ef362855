/* Tests of the event decoder on Events as kube-apiserver sends them, as
 * a list body and as a watch stream, at every kind of split; plus
 * Status bodies, shapes, bounds and event_parse_time.
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "harness.h"

#define NONASCII "\xc3\x9cn\xc3\xaf\x63\xc3\xb6\x64\xc3\xa9 \xe2\x9c\x93 " \
	"\xe6\x97\xa5\xe6\x9c\xac"

/* Everything the callbacks saw, as text, one line per callback. */
struct seen {
	char *text;
	size_t len, cap;
	int events, statuses, metas;
	int stop_after;		/* 1-based event to stop at, 0 none */
	struct event_record last;
	char last_message[8192];
	size_t last_message_len;
};

static void
seen_add(struct seen *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
seen_add(struct seen *s, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (s->len + (size_t)n + 1 > s->cap) {
		s->cap = (s->len + (size_t)n + 1) * 2;
		s->text = realloc(s->text, s->cap);
	}
	va_start(ap, fmt);
	vsnprintf(s->text + s->len, s->cap - s->len, fmt, ap);
	va_end(ap);
	s->len += (size_t)n;
}

static void
seen_str(struct seen *s, const char *name, struct event_str v)
{
	if (v.ptr == NULL) {
		seen_add(s, " %s=-", name);
	} else {
		seen_add(s, " %s=[%.*s]", name, (int)v.len, v.ptr);
	}
}

static int
on_event(void *arg, const struct event_record *ev)
{
	struct seen *s = arg;

	s->events++;
	seen_add(s, "E%d", (int)ev->watch_type);
	seen_str(s, "uid", ev->uid);
	seen_str(s, "rv", ev->rv);
	seen_str(s, "ns", ev->namespace_);
	seen_str(s, "name", ev->name);
	seen_str(s, "type", ev->type);
	seen_str(s, "reason", ev->reason);
	seen_str(s, "message", ev->message);
	seen_add(s, " count=%lld first=%lld last=%lld et=%lld sc=%lld "
	    "slo=%lld", (long long)ev->count, (long long)ev->first_timestamp,
	    (long long)ev->last_timestamp, (long long)ev->event_time,
	    (long long)ev->series_count,
	    (long long)ev->series_last_observed);
	seen_str(s, "okind", ev->obj_kind);
	seen_str(s, "oname", ev->obj_name);
	seen_str(s, "ons", ev->obj_namespace);
	seen_str(s, "ouid", ev->obj_uid);
	seen_str(s, "ofp", ev->obj_field_path);
	seen_str(s, "sc", ev->source_component);
	seen_str(s, "sh", ev->source_host);
	seen_str(s, "rc", ev->reporting_component);
	seen_add(s, " hk=%d ha=%d raw=%.*s\n", ev->has_kind,
	    ev->has_api_version, (int)ev->raw_len, (const char *)ev->raw);
	s->last = *ev;
	s->last_message_len = ev->message.len < sizeof(s->last_message) ?
	    ev->message.len : 0;
	if (ev->message.ptr != NULL) {
		memcpy(s->last_message, ev->message.ptr, s->last_message_len);
	}
	return s->stop_after != 0 && s->events == s->stop_after;
}

static int
on_list_meta(void *arg, struct event_str rv, struct event_str cont)
{
	struct seen *s = arg;

	s->metas++;
	seen_add(s, "M rv=[%.*s] continue=[%.*s]\n", (int)rv.len, rv.ptr,
	    (int)cont.len, cont.ptr);
	return 0;
}

static int
on_status(void *arg, const struct event_status *st)
{
	struct seen *s = arg;

	s->statuses++;
	seen_add(s, "S code=%lld", (long long)st->code);
	seen_str(s, "reason", st->reason);
	seen_str(s, "message", st->message);
	seen_add(s, "\n");
	return 0;
}

/* The decoder stays until the next run so that seen.last's strings
 * can be looked at. */
struct outcome {
	struct seen seen;
	int result;
	uint64_t skipped;
	char error[128];
	struct event_decoder *decoder;
};

static struct outcome whole, part;

/* Decodes in pieces: step 0 whole, 1 byte by byte, -1 random sizes,
 * -2 one cut at cut. */
static void
decode(struct outcome *o, enum event_mode mode, const char *in, size_t len,
    int step, size_t cut, int stop_after)
{
	struct event_callbacks cb = {on_event, on_list_meta, on_status, NULL};
	struct event_decoder *d;
	size_t pos = 0, n;
	int r = EVENT_OK;

	free(o->seen.text);
	event_decoder_free(o->decoder);
	memset(o, 0, sizeof(*o));
	o->seen.stop_after = stop_after;
	o->seen.text = calloc(1, 1);
	o->seen.cap = 1;
	cb.arg = &o->seen;
	d = event_decoder_new(mode, &cb);
	o->decoder = d;
	while (pos < len && r == EVENT_OK) {
		n = step == 0 ? len - pos : step > 0 ? (size_t)step :
		    step == -1 ? 1 + harness_rand() % 700 :
		    pos < cut ? cut - pos : len - pos;
		if (n > len - pos) {
			n = len - pos;
		}
		{
			uint8_t *piece = malloc(n);

			memcpy(piece, in + pos, n);
			r = event_decoder_feed(d, piece, n);
			free(piece);
		}
		pos += n;
	}
	if (r == EVENT_OK) {
		r = event_decoder_finish(d);
	}
	o->result = r;
	o->skipped = event_decoder_skipped(d);
	snprintf(o->error, sizeof(o->error), "%s", event_decoder_error(d));
}

static void
outcomes_free(void)
{
	free(whole.seen.text);
	free(part.seen.text);
	event_decoder_free(whole.decoder);
	event_decoder_free(part.decoder);
	memset(&whole, 0, sizeof(whole));
	memset(&part, 0, sizeof(part));
}

/* Decodes whole and at many splits; every run must see the same. */
static int
decode_all(enum event_mode mode, const char *in, size_t len, int stop)
{
	int ok = 1, i;
	size_t cut;

	decode(&whole, mode, in, len, 0, 0, stop);
	for (i = 0; i < 8 && ok; i++) {
		decode(&part, mode, in, len, i == 0 ? 1 : -1, 0, stop);
		ok &= CHECK_INT(part.result, whole.result);
		ok &= CHECK_STR(part.error, whole.error);
		ok &= CHECK_MEM(part.seen.text, part.seen.len,
		    whole.seen.text, whole.seen.len);
	}
	for (cut = 1; len < 2000 && cut < len && ok; cut++) {
		decode(&part, mode, in, len, -2, cut, stop);
		if (part.result != whole.result ||
		    strcmp(part.error, whole.error) != 0 ||
		    part.seen.len != whole.seen.len ||
		    memcmp(part.seen.text, whole.seen.text, part.seen.len)) {
			CHECK(!"a single cut disagrees");
			printf("  cut at %zu\n", cut);
			ok = 0;
		}
	}
	return ok;
}

/* One Event in the form kube-apiserver writes it, with managedFields. */
static size_t
make_event(char *out, size_t cap, int i, int with_kind, const char *reason,
    const char *type, const char *message, int count, int series,
    int scheduler)
{
	return (size_t)snprintf(out, cap,
	    "{%s\"metadata\":{\"name\":\"web-7d4b9c-x2k8p.17c9f%04x\","
	    "\"namespace\":\"default\",\"uid\":\"%08x-1c2d-4e5f-8a9b-"
	    "0c1d2e3f4a5b\",\"resourceVersion\":\"%d\","
	    "\"creationTimestamp\":\"2024-05-01T10:00:00Z\","
	    "\"annotations\":{\"note\":\"%0300d\"},"
	    "\"managedFields\":[{\"manager\":\"kubelet\",\"operation\":"
	    "\"Update\",\"apiVersion\":\"v1\",\"time\":\"2024-05-01T10:00:00Z"
	    "\",\"fieldsType\":\"FieldsV1\",\"fieldsV1\":{\"f:count\":{},"
	    "\"f:firstTimestamp\":{},\"f:involvedObject\":{},"
	    "\"f:lastTimestamp\":{},\"f:message\":{},\"f:reason\":{},"
	    "\"f:source\":{\"f:component\":{},\"f:host\":{}},\"f:type\":{}}}]"
	    "},\"involvedObject\":{\"kind\":\"Pod\",\"namespace\":\"default\","
	    "\"name\":\"web-7d4b9c-x2k8p\",\"uid\":\"5f0c1d2e-3a4b-4c5d-9e6f-"
	    "7a8b9c0d1e2f\",\"apiVersion\":\"v1\",\"resourceVersion\":"
	    "\"4711\"%s},\"reason\":\"%s\",\"message\":\"%s\",\"source\":%s,"
	    "\"firstTimestamp\":%s,\"lastTimestamp\":%s,\"count\":%d,"
	    "\"type\":\"%s\",\"eventTime\":%s,%s\"reportingComponent\":\"%s\","
	    "\"reportingInstance\":\"%s\"}",
	    with_kind ? "\"kind\":\"Event\",\"apiVersion\":\"v1\"," : "",
	    i, 0x1000 + i, 1000 + i, i,
	    scheduler ? "" : ",\"fieldPath\":\"spec.containers{web}\"",
	    reason, message,
	    scheduler ? "{}" :
	    "{\"component\":\"kubelet\",\"host\":\"node-1\"}",
	    scheduler ? "null" : "\"2024-05-01T10:00:00Z\"",
	    scheduler ? "null" : "\"2024-05-01T10:05:00Z\"",
	    count, type,
	    scheduler ? "\"2024-05-01T10:00:00.000001Z\"" : "null",
	    series ? "\"series\":{\"count\":5,\"lastObservedTime\":"
	    "\"2024-05-01T10:05:00.123456Z\"}," : "",
	    scheduler ? "default-scheduler" : "kubelet",
	    scheduler ? "default-scheduler-node-0" : "node-1");
}

static char long_message[6000];

/* The six kinds of Event a pod start produces, plus the awkward ones. */
static size_t
make_fixture(char *out, size_t cap, int i, int with_kind)
{
	size_t n;

	switch (i % 8) {
	case 0:
		return make_event(out, cap, i, with_kind, "Scheduled",
		    "Normal", "Successfully assigned default/web-7d4b9c-x2k8p "
		    "to node-1", 0, 0, 1);
	case 1:
		return make_event(out, cap, i, with_kind, "Pulling", "Normal",
		    "Pulling image \\\"nginx:1.25\\\"", 1, 0, 0);
	case 2:
		return make_event(out, cap, i, with_kind, "Pulled", "Normal",
		    "Successfully pulled image \\\"nginx:1.25\\\" in 1.2s", 1,
		    0, 0);
	case 3:
		return make_event(out, cap, i, with_kind, "Created", "Normal",
		    "Created container web", 1, 0, 0);
	case 4:
		return make_event(out, cap, i, with_kind, "Started", "Normal",
		    "Started container web \\u2713 " NONASCII, 1, 0, 0);
	case 5:
		return make_event(out, cap, i, with_kind, "BackOff",
		    "Warning", "Back-off restarting failed container web in "
		    "pod web-7d4b9c-x2k8p_default(5f0c1d2e)", 7, 1, 0);
	case 6:
		memset(long_message, 0, sizeof(long_message));
		n = (size_t)snprintf(long_message, sizeof(long_message),
		    "0/500 nodes are available:");
		while (n < 5000) {
			n += (size_t)snprintf(long_message + n,
			    sizeof(long_message) - n, " %zu node(s) had "
			    "untolerated taint {node-role/x: \\\"\\\"},", n);
		}
		return make_event(out, cap, i, with_kind, "FailedScheduling",
		    "Warning", long_message, 0, 0, 1);
	default:
		return make_event(out, cap, i, with_kind, "Killing", "Normal",
		    "Stopping container web\\n\\tline two \\ud83d\\ude00", 1,
		    0, 0);
	}
}

static char fixture[1 << 20];

static size_t
make_list(char *out, size_t cap, int n, int meta_last)
{
	size_t len = 0;
	int i;
	const char *meta = "\"metadata\":{\"resourceVersion\":\"98765\","
	    "\"continue\":\"eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6OTg3NjV9\"}";

	len += (size_t)snprintf(out + len, cap - len,
	    "{\"kind\":\"EventList\",\"apiVersion\":\"v1\",%s%s\"items\":[",
	    meta_last ? "" : meta, meta_last ? "" : ",");
	for (i = 0; i < n; i++) {
		if (i > 0) {
			out[len++] = ',';
		}
		len += make_fixture(out + len, cap - len, i, 0);
	}
	len += (size_t)snprintf(out + len, cap - len, "]%s%s}",
	    meta_last ? "," : "", meta_last ? meta : "");
	return len;
}

static const char *watch_types[] = {"ADDED", "MODIFIED", "DELETED"};

static size_t
make_watch(char *out, size_t cap, int n, int object_first)
{
	size_t len = 0, obj;
	int i;

	for (i = 0; i < n; i++) {
		if (object_first) {
			len += (size_t)snprintf(out + len, cap - len,
			    "{\"object\":");
			len += make_fixture(out + len, cap - len, i, 1);
			len += (size_t)snprintf(out + len, cap - len,
			    ",\"type\":\"%s\"}\n", watch_types[i % 3]);
		} else {
			len += (size_t)snprintf(out + len, cap - len,
			    "{\"type\":\"%s\",\"object\":",
			    watch_types[i % 3]);
			obj = make_fixture(out + len, cap - len, i, 1);
			len += obj;
			len += (size_t)snprintf(out + len, cap - len, "}\n");
		}
	}
	return len;
}

TEST(event_list_fixture_fields)
{
	size_t len = make_list(fixture, sizeof(fixture), 8, 0);
	char item[8192];
	size_t item_len;

	decode_all(EVENT_LIST, fixture, len, 0);
	CHECK_INT(whole.result, EVENT_OK);
	CHECK_INT(whole.seen.events, 8);
	CHECK_INT(whole.seen.metas, 1);
	CHECK(strncmp(whole.seen.text, "M rv=[98765] continue=[eyJ2", 27) ==
	    0);

	/* Spot checks on single records. */
	decode(&whole, EVENT_LIST, fixture, len, 0, 0, 1);
	CHECK_INT(whole.result, EVENT_STOPPED);
	CHECK_INT(whole.seen.last.watch_type, WATCH_NONE);
	CHECK_MEM(whole.seen.last.reason.ptr, whole.seen.last.reason.len,
	    "Scheduled", 9);
	CHECK_INT(whole.seen.last.first_timestamp, 0);
	CHECK_INT(whole.seen.last.event_time, 1714557600000001LL);
	CHECK(whole.seen.last.obj_field_path.ptr == NULL);
	CHECK_MEM(whole.seen.last.reporting_component.ptr,
	    whole.seen.last.reporting_component.len, "default-scheduler", 17);
	item_len = make_fixture(item, sizeof(item), 0, 0);
	CHECK_MEM(whole.seen.last.raw, whole.seen.last.raw_len, item,
	    item_len);
	CHECK_INT(whole.seen.last.has_kind, 0);

	decode(&whole, EVENT_LIST, fixture, len, 0, 0, 2);
	CHECK_MEM(whole.seen.last_message, whole.seen.last_message_len,
	    "Pulling image \"nginx:1.25\"", 26);
	CHECK_MEM(whole.seen.last.uid.ptr, whole.seen.last.uid.len,
	    "00001001-1c2d-4e5f-8a9b-0c1d2e3f4a5b", 36);
	CHECK_MEM(whole.seen.last.rv.ptr, whole.seen.last.rv.len, "1001", 4);
	CHECK_MEM(whole.seen.last.name.ptr, whole.seen.last.name.len,
	    "web-7d4b9c-x2k8p.17c9f0001", 26);
	CHECK_MEM(whole.seen.last.namespace_.ptr,
	    whole.seen.last.namespace_.len, "default", 7);
	CHECK_MEM(whole.seen.last.obj_kind.ptr, whole.seen.last.obj_kind.len,
	    "Pod", 3);
	CHECK_MEM(whole.seen.last.obj_uid.ptr, whole.seen.last.obj_uid.len,
	    "5f0c1d2e-3a4b-4c5d-9e6f-7a8b9c0d1e2f", 36);
	CHECK_MEM(whole.seen.last.obj_field_path.ptr,
	    whole.seen.last.obj_field_path.len, "spec.containers{web}", 20);
	CHECK_MEM(whole.seen.last.source_host.ptr,
	    whole.seen.last.source_host.len, "node-1", 6);
	CHECK_INT(whole.seen.last.count, 1);
	CHECK_INT(whole.seen.last.first_timestamp, 1714557600000000LL);
	CHECK_INT(whole.seen.last.last_timestamp, 1714557900000000LL);
	CHECK_INT(whole.seen.last.event_time, 0);

	decode(&whole, EVENT_LIST, fixture, len, 0, 0, 5);
	CHECK_MEM(whole.seen.last_message, whole.seen.last_message_len,
	    "Started container web \xe2\x9c\x93 " NONASCII,
	    strlen("Started container web \xe2\x9c\x93 " NONASCII));

	decode(&whole, EVENT_LIST, fixture, len, 0, 0, 6);
	CHECK_INT(whole.seen.last.count, 7);
	CHECK_INT(whole.seen.last.series_count, 5);
	CHECK_INT(whole.seen.last.series_last_observed, 1714557900123456LL);

	decode(&whole, EVENT_LIST, fixture, len, 0, 0, 7);
	CHECK(whole.seen.last_message_len > 4500);
	CHECK(memcmp(whole.seen.last_message, "0/500 nodes are available: 26 "
	    "node(s) had untolerated taint {node-role/x: \"\"},", 78) == 0);

	decode(&whole, EVENT_LIST, fixture, len, 0, 0, 8);
	CHECK_MEM(whole.seen.last_message, whole.seen.last_message_len,
	    "Stopping container web\n\tline two \xf0\x9f\x98\x80", 37);
	outcomes_free();
}

TEST(event_list_metadata_after_items)
{
	size_t len = make_list(fixture, sizeof(fixture), 3, 1);
	const char *tail;

	decode_all(EVENT_LIST, fixture, len, 0);
	CHECK_INT(whole.result, EVENT_OK);
	CHECK_INT(whole.seen.events, 3);
	CHECK_INT(whole.seen.metas, 1);
	tail = strstr(whole.seen.text, "M rv=[98765]");
	CHECK(tail != NULL && strchr(tail, '\n')[1] == '\0');
}

TEST(event_list_empty_and_pretty)
{
	static const char empty[] = "{\"kind\":\"EventList\",\"apiVersion\":"
	    "\"v1\",\"metadata\":{\"resourceVersion\":\"55\"},\"items\":[]}";
	static const char pretty[] = "{\n  \"items\": [\n    {\n      "
	    "\"metadata\": { \"uid\": \"a b\", \"name\": \"x\" },\n"
	    "      \"count\": 3 ,\"message\" : \"one\\\\ntwo \\u00e9\"\n"
	    "    }\n  ],\n  \"metadata\": {}\n}\n";

	decode_all(EVENT_LIST, empty, strlen(empty), 0);
	CHECK_INT(whole.result, EVENT_OK);
	CHECK_STR(whole.seen.text, "M rv=[55] continue=[]\n");
	decode_all(EVENT_LIST, pretty, strlen(pretty), 0);
	CHECK_INT(whole.result, EVENT_OK);
	CHECK(strstr(whole.seen.text, " raw={\"metadata\":{\"uid\":\"a b\","
	    "\"name\":\"x\"},\"count\":3,\"message\":\"one\\\\ntwo "
	    "\\u00e9\"}\n") != NULL);
	CHECK(strstr(whole.seen.text, "message=[one\\ntwo \xc3\xa9]") != NULL);
	CHECK(strstr(whole.seen.text, "M rv=[] continue=[]") != NULL);
}

TEST(event_watch_stream)
{
	size_t len = make_watch(fixture, sizeof(fixture), 16, 0);
	static char swapped[1 << 20];
	size_t slen = make_watch(swapped, sizeof(swapped), 16, 1);
	struct outcome first;
	char item[8192];
	size_t item_len;

	decode_all(EVENT_WATCH, fixture, len, 0);
	CHECK_INT(whole.result, EVENT_OK);
	CHECK_INT(whole.seen.events, 16);
	CHECK(strncmp(whole.seen.text, "E1 uid=", 7) == 0);
	CHECK(strstr(whole.seen.text, "\nE2 uid=[00001001") != NULL);
	CHECK(strstr(whole.seen.text, "\nE3 uid=[00001002") != NULL);
	CHECK(strstr(whole.seen.text, "hk=1 ha=1") != NULL);
	CHECK(strstr(whole.seen.text, "hk=0") == NULL);

	/* "object" before "type" gives the same records. */
	memset(&first, 0, sizeof(first));
	first.seen.text = malloc(whole.seen.len + 1);
	memcpy(first.seen.text, whole.seen.text, whole.seen.len + 1);
	first.seen.len = whole.seen.len;
	decode_all(EVENT_WATCH, swapped, slen, 0);
	CHECK_INT(whole.result, EVENT_OK);
	CHECK_MEM(whole.seen.text, whole.seen.len, first.seen.text,
	    first.seen.len);
	free(first.seen.text);

	decode(&whole, EVENT_WATCH, fixture, len, 0, 0, 4);
	CHECK_INT(whole.result, EVENT_STOPPED);
	CHECK_INT(whole.seen.last.watch_type, WATCH_ADDED);
	item_len = make_fixture(item, sizeof(item), 3, 1);
	CHECK_MEM(whole.seen.last.raw, whole.seen.last.raw_len, item,
	    item_len);
}

TEST(event_watch_bookmark_and_error)
{
	static const char in[] =
	    "{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"Event\","
	    "\"apiVersion\":\"v1\",\"metadata\":{"
	    "\"resourceVersion\":\"12345\","
	    "\"creationTimestamp\":null,\"annotations\":{\"k8s.io/initial-"
	    "events-end\":\"true\"}},\"involvedObject\":{},"
	    "\"reportingComponent"
	    "\":\"\",\"reportingInstance\":\"\",\"eventTime\":null,"
	    "\"firstTimestamp\":null,\"lastTimestamp\":null,\"source\":{}}}\n"
	    "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\","
	    "\"apiVersion\":"
	    "\"v1\",\"metadata\":{},\"status\":\"Failure\","
	    "\"message\":\"too old "
	    "resource version: 5 (120)\",\"reason\":\"Expired\",\"code\":410}}"
	    "\n{\"object\":{\"code\":500,\"reason\":\"InternalError\"},"
	    "\"type\":\"ERROR\"}\n";

	decode_all(EVENT_WATCH, in, strlen(in), 0);
	CHECK_INT(whole.result, EVENT_OK);
	CHECK_INT(whole.seen.events, 1);
	CHECK_INT(whole.seen.statuses, 2);
	CHECK(strncmp(whole.seen.text, "E4 uid=- rv=[12345] ns=- name=- "
	    "type=- reason=- message=- count=0 first=0 last=0 et=0", 85) == 0);
	CHECK(strstr(whole.seen.text, "\nS code=410 reason=[Expired] "
	    "message=[too old resource version: 5 (120)]\n") != NULL);
	CHECK(strstr(whole.seen.text, "\nS code=500 reason=[InternalError] "
	    "message=-\n") != NULL);
}

TEST(event_list_status_body)
{
	static const char forbidden[] = "{\"kind\":\"Status\",\"apiVersion\":"
	    "\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":"
	    "\"events is forbidden: User \\\"system:serviceaccount:default:"
	    "default\\\" cannot watch resource \\\"events\\\"\",\"reason\":"
	    "\"Forbidden\",\"details\":{\"kind\":\"events\"},\"code\":403}";
	static const char late_kind[] = "{\"metadata\":{},\"code\":410,"
	    "\"reason\":\"Expired\",\"kind\":\"Status\"}";

	decode_all(EVENT_LIST, forbidden, strlen(forbidden), 0);
	CHECK_INT(whole.result, EVENT_OK);
	CHECK_INT(whole.seen.metas, 0);
	CHECK_STR(whole.seen.text, "S code=403 reason=[Forbidden] message="
	    "[events is forbidden: User \"system:serviceaccount:default:"
	    "default\" cannot watch resource \"events\"]\n");
	decode_all(EVENT_LIST, late_kind, strlen(late_kind), 0);
	CHECK_STR(whole.seen.text, "S code=410 reason=[Expired] message=-\n");
}

TEST(event_counts_and_times_lenient)
{
	static const char in[] = "{\"items\":[{\"count\":1.5,\"series\":"
	    "{\"count\":1e3,\"lastObservedTime\":\"garbage\"},"
	    "\"firstTimestamp\":\"2024-13-01T00:00:00Z\",\"lastTimestamp\":"
	    "7,\"message\":42,\"reason\":null,\"type\":[\"x\"],\"metadata\":"
	    "\"m\",\"series\":null},{\"count\":-3},{\"count\":"
	    "99999999999999999999}]}";

	decode_all(EVENT_LIST, in, strlen(in), 0);
	CHECK_INT(whole.result, EVENT_OK);
	CHECK_INT(whole.seen.events, 3);
	CHECK(strstr(whole.seen.text, "message=- count=0 first=0 last=0 et=0 "
	    "sc=0 slo=0") != NULL);
	CHECK(strstr(whole.seen.text, "count=-3 ") != NULL);
	CHECK(strstr(whole.seen.text, "count=0 ") != NULL);
}

TEST(event_shape_errors)
{
	static const struct {
		int mode;
		const char *in;
		int result;
		const char *error;
	} cases[] = {
		{EVENT_LIST, "[]", EVENT_ERR_SHAPE,
		    "document is not an object at byte 0"},
		{EVENT_LIST, "\"x\"", EVENT_ERR_SHAPE,
		    "document is not an object at byte 2"},
		{EVENT_LIST, "{\"items\":{}}", EVENT_ERR_SHAPE,
		    "items is not an array at byte 9"},
		{EVENT_LIST, "{\"items\":[1]}", EVENT_ERR_SHAPE,
		    "list item is not an object at byte 11"},
		{EVENT_LIST, "{\"items\":[[]]}", EVENT_ERR_SHAPE,
		    "list item is not an object at byte 10"},
		{EVENT_WATCH, "{\"object\":{}}\n", EVENT_ERR_SHAPE,
		    "watch event without a known type at byte 12"},
		{EVENT_WATCH, "{\"type\":\"ADDED\"}\n", EVENT_ERR_SHAPE,
		    "watch event without an object at byte 15"},
		{EVENT_WATCH, "{\"type\":\"NEW\",\"object\":{}}",
		    EVENT_ERR_SHAPE,
		    "watch event without a known type at byte 25"},
		{EVENT_WATCH, "{\"type\":\"ADDED\",\"object\":[]}",
		    EVENT_ERR_SHAPE,
		    "watch object is not an object at byte 25"},
		{EVENT_WATCH, "[]", EVENT_ERR_SHAPE,
		    "document is not an object at byte 0"},
		{EVENT_LIST, "", EVENT_ERR_TRUNCATED, "empty body"},
		{EVENT_LIST, "{\"items\":[{}", EVENT_ERR_TRUNCATED,
		    "input ends inside a value at byte 12"},
		{EVENT_WATCH, "{\"type\":\"ADDED\",\"object\":{}}\n{\"ty",
		    EVENT_ERR_TRUNCATED,
		    "input ends inside a value at byte 33"},
		{EVENT_LIST, "{\"items\":[{\"message\":\"a\\qb\"}]}",
		    EVENT_ERR_JSON, "invalid escape at byte 24"},
		{EVENT_LIST, "{\"items\":[]} {}", EVENT_ERR_JSON,
		    "data after the document at byte 13"},
		{EVENT_WATCH,
		    "{\"type\":\"ADDED\",\"object\":{\"a\":\"\xc0\x80\"}}",
		    EVENT_ERR_JSON, "invalid UTF-8 at byte 31"},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		decode_all(cases[i].mode, cases[i].in, strlen(cases[i].in), 0);
		if (!CHECK_INT(whole.result, cases[i].result) ||
		    !CHECK_STR(whole.error, cases[i].error)) {
			printf("  input: %s\n", cases[i].in);
		}
	}
}

TEST(event_too_large)
{
	static char big[EVENT_MAX_OBJECT + 4096];
	size_t len, pad;

	/* Just under the bound, with the padding in a skipped annotation:
	 * fine. The compact object is 61 bytes plus the padding. */
	pad = EVENT_MAX_OBJECT - 61;
	len = (size_t)snprintf(big, sizeof(big), "{\"type\":\"ADDED\","
	    "\"object\":{\"metadata\":{\"uid\":\"u\",\"annotations\":{\"a\":"
	    "\"%0*d\"}},\"message\":\"m\"}}\n", (int)pad, 0);
	decode(&whole, EVENT_WATCH, big, len, 0, 0, 0);
	CHECK_INT(whole.result, EVENT_OK);
	CHECK_INT(whole.seen.events, 1);
	CHECK_INT(whole.seen.last.raw_len, EVENT_MAX_OBJECT);
	decode(&part, EVENT_WATCH, big, len, -1, 0, 0);
	CHECK_MEM(part.seen.text, part.seen.len, whole.seen.text,
	    whole.seen.len);

	/* One byte more is refused, never cut: in a list that ends the
	 * body; in a watch the line is dropped and the next one read. */
	len = (size_t)snprintf(big, sizeof(big), "{\"type\":\"ADDED\","
	    "\"object\":{\"metadata\":{\"uid\":\"u\",\"annotations\":{\"a\":"
	    "\"%0*d\"}},\"message\":\"m\"}}\n", (int)pad + 1, 0);
	decode(&whole, EVENT_WATCH, big, len, 0, 0, 0);
	CHECK_INT(whole.result, EVENT_OK);
	CHECK_INT(whole.skipped, 1);
	CHECK_INT(whole.seen.events, 0);
	CHECK_STR(whole.error, "object over 1048576 bytes at byte 1048601");
	decode(&part, EVENT_WATCH, big, len, -1, 0, 0);
	CHECK_INT(part.result, EVENT_OK);
	CHECK_INT(part.skipped, 1);
	CHECK_STR(part.error, whole.error);
	len = (size_t)snprintf(big, sizeof(big), "{\"items\":[{\"metadata\":"
	    "{\"uid\":\"u\",\"annotations\":{\"a\":\"%0*d\"}}}]}",
	    (int)pad + 40, 0);
	decode(&whole, EVENT_LIST, big, len, 0, 0, 0);
	CHECK_INT(whole.result, EVENT_ERR_TOO_LARGE);
	CHECK_INT(whole.seen.events, 0);

	/* A long message (kept, not skipped) near the bound works. */
	len = (size_t)snprintf(big, sizeof(big), "{\"items\":[{\"message\":"
	    "\"%0*d\"}]}", EVENT_MAX_OBJECT - 20, 7);
	decode(&whole, EVENT_LIST, big, len, -1, 0, 0);
	CHECK_INT(whole.result, EVENT_OK);
	CHECK_INT(whole.seen.last.message.len, EVENT_MAX_OBJECT - 20);
	outcomes_free();
}

TEST(event_stop_sticks_and_reset)
{
	struct seen s;
	struct event_callbacks cb = {on_event, on_list_meta, on_status, &s};
	struct event_decoder *d;
	size_t len = make_watch(fixture, sizeof(fixture), 4, 0);

	memset(&s, 0, sizeof(s));
	s.stop_after = 2;
	d = event_decoder_new(EVENT_WATCH, &cb);
	CHECK_INT(event_decoder_feed(d, (const uint8_t *)fixture, len),
	    EVENT_STOPPED);
	CHECK_INT(s.events, 2);
	CHECK_INT(event_decoder_feed(d, (const uint8_t *)fixture, len),
	    EVENT_STOPPED);
	CHECK_INT(event_decoder_finish(d), EVENT_STOPPED);
	CHECK_INT(s.events, 2);

	/* After a reset the same allocation reads a list. */
	event_decoder_reset(d, EVENT_LIST);
	s.stop_after = 0;
	len = make_list(fixture, sizeof(fixture), 3, 0);
	CHECK_INT(event_decoder_feed(d, (const uint8_t *)fixture, len),
	    EVENT_OK);
	CHECK_INT(event_decoder_finish(d), EVENT_OK);
	CHECK_INT(s.events, 5);
	CHECK_STR(event_decoder_error(d), "");
	event_decoder_free(d);
	free(s.text);
}

TEST(event_parse_time_cases)
{
	static const struct {
		const char *in;
		int ok;
		int64_t us;
	} cases[] = {
		{"1970-01-01T00:00:00Z", 1, 0},
		{"2024-05-01T10:00:00Z", 1, 1714557600000000LL},
		{"2024-05-01T10:00:00.123456Z", 1, 1714557600123456LL},
		{"2024-05-01T10:00:00.1Z", 1, 1714557600100000LL},
		{"2024-05-01T10:00:00.123456789Z", 1, 1714557600123456LL},
		{"2024-05-01T12:00:00+02:00", 1, 1714557600000000LL},
		{"2024-05-01T05:30:00-04:30", 1, 1714557600000000LL},
		{"2024-05-01t10:00:00z", 1, 1714557600000000LL},
		{"2024-02-29T00:00:00Z", 1, 1709164800000000LL},
		{"2000-02-29T00:00:00Z", 1, 951782400000000LL},
		{"1969-12-31T23:59:59Z", 1, -1000000LL},
		{"0001-01-01T00:00:00Z", 1, -62135596800000000LL},
		{"2016-12-31T23:59:60Z", 1, 1483228800000000LL},
		{"2024-13-01T00:00:00Z", 0, 0},
		{"2024-00-01T00:00:00Z", 0, 0},
		{"2023-02-29T00:00:00Z", 0, 0},
		{"1900-02-29T00:00:00Z", 0, 0},
		{"2024-04-31T00:00:00Z", 0, 0},
		{"2024-05-01T24:00:00Z", 0, 0},
		{"2024-05-01T10:60:00Z", 0, 0},
		{"2024-05-01T10:00:61Z", 0, 0},
		{"2024-05-01T10:00:00", 0, 0},
		{"2024-05-01T10:00Z", 0, 0},
		{"2024-05-01 10:00:00Z", 0, 0},
		{"2024-05-01T10:00:00.Z", 0, 0},
		{"2024-05-01T10:00:00.1234567890Z", 0, 0},
		{"2024-05-01T10:00:00+0200", 0, 0},
		{"2024-05-01T10:00:00+24:00", 0, 0},
		{"2024-05-01T10:00:00Zjunk", 0, 0},
		{"2024-5-01T10:00:00Z", 0, 0},
		{"", 0, 0},
		{"garbage", 0, 0},
	};
	size_t i;
	int64_t us;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		us = 0;
		if (!CHECK_INT(event_parse_time(cases[i].in,
		    strlen(cases[i].in), &us), cases[i].ok ? 0 : -1)) {
			printf("  time: %s\n", cases[i].in);
		}
		if (cases[i].ok && !CHECK_INT(us, cases[i].us)) {
			printf("  time: %s\n", cases[i].in);
		}
	}
}

TEST(event_watch_drops_bad_lines)
{
	static const char stream[] =
	    "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"uid\":\"a\"}}}\n"
	    "<html><body>502 Bad Gateway</body></html>\n"
	    "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"uid\":\"b\"}}}\n"
	    "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"uid\":\"c\"x}}}\n"
	    "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"uid\":\"d\"}}}\n";
	size_t cut;

	/* Two bad lines dropped, the three good events around them kept,
	 * whatever the split. */
	decode(&whole, EVENT_WATCH, stream, sizeof(stream) - 1, 0, 0, 0);
	CHECK_INT(whole.result, EVENT_OK);
	CHECK_INT(whole.seen.events, 3);
	CHECK_INT(whole.skipped, 2);
	CHECK(whole.error[0] != '\0');
	decode(&part, EVENT_WATCH, stream, sizeof(stream) - 1, 1, 0, 0);
	CHECK_INT(part.seen.events, 3);
	CHECK_INT(part.skipped, 2);
	CHECK_MEM(part.seen.text, part.seen.len, whole.seen.text,
	    whole.seen.len);
	for (cut = 1; cut < sizeof(stream) - 1; cut++) {
		decode(&part, EVENT_WATCH, stream, sizeof(stream) - 1, -2, cut,
		    0);
		if (!CHECK_INT(part.skipped, 2) ||
		    !CHECK_MEM(part.seen.text, part.seen.len, whole.seen.text,
		    whole.seen.len)) {
			break;
		}
	}

	/* A list has no lines to fall back on: the error stands. */
	decode(&whole, EVENT_LIST, "{\"items\":[<html>]}", 17, 0, 0, 0);
	CHECK_INT(whole.result, EVENT_ERR_JSON);
	outcomes_free();
}
