/* The event decoder: picks the Event, Status and list fields out of the
 * token stream of json.c, keeps the compact bytes of each object, and
 * hands out one record per object. What to do with a record is left to
 * the callbacks (follow.c).
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "civil.h"
#include "event.h"

/* The kept strings of one object plus those of the list or watch event
 * around it. Unescaping never lengthens a string, so one object's
 * strings fit in EVENT_MAX_OBJECT; the rest bounds the outer fields (a
 * Status message, a continue token). */
#define STORE_SIZE (EVENT_MAX_OBJECT + 64 * 1024)

/* Roles only go as deep as the fields read: list, items, event,
 * metadata. */
#define ROLE_DEPTH 8

/* What a container is. */
enum role {
	R_NONE = 0,
	R_DOC,			/* a list body (or a Status body) */
	R_LIST_META,
	R_ITEMS,
	R_WATCH,		/* {"type":...,"object":...} */
	R_EVENT,		/* an Event, or the Status of a watch ERROR */
	R_META,
	R_INVOLVED,
	R_SERIES,
	R_SOURCE
};

/* Kept strings. */
enum field {
	F_UID,
	F_RV,
	F_NAMESPACE,
	F_NAME,
	F_TYPE,
	F_REASON,
	F_MESSAGE,
	F_OBJ_KIND,
	F_OBJ_NAME,
	F_OBJ_NAMESPACE,
	F_OBJ_UID,
	F_OBJ_FIELD_PATH,
	F_SOURCE_COMPONENT,
	F_SOURCE_HOST,
	F_REPORTING_COMPONENT,
	F_EVENT_FIELDS,		/* the fields above: one object's */
	F_WATCH_TYPE = F_EVENT_FIELDS,
	F_DOC_KIND,
	F_DOC_REASON,
	F_DOC_MESSAGE,
	F_LIST_RV,
	F_LIST_CONTINUE,
	F_FIELDS
};

/* Kept numbers; the times arrive as strings. */
enum number {
	N_COUNT,
	N_SERIES_COUNT,
	N_CODE,
	N_FIRST,
	N_LAST,
	N_EVENT_TIME,
	N_SERIES_LAST,
	N_EVENT_NUMBERS,
	N_DOC_CODE = N_EVENT_NUMBERS,
	N_NUMBERS
};

/* A key's target: a field, a number, a time, a child container, or a
 * flag that the key is there. */
enum {
	T_NONE = 0,
	T_FIELD = 0x100,
	T_NUMBER = 0x200,
	T_TIME = 0x300,
	T_CHILD = 0x400,
	T_HAS_KIND = 0x500,
	T_HAS_API_VERSION = 0x600,
	T_KIND_MASK = 0xf00
};

struct key_rule {
	const char *key;
	size_t len;
	int target;
};

#define KEY(name, target) {name, sizeof(name) - 1, target}

static const struct key_rule doc_keys[] = {
	KEY("kind", T_FIELD | F_DOC_KIND),
	KEY("metadata", T_CHILD | R_LIST_META),
	KEY("items", T_CHILD | R_ITEMS),
	KEY("reason", T_FIELD | F_DOC_REASON),
	KEY("message", T_FIELD | F_DOC_MESSAGE),
	KEY("code", T_NUMBER | N_DOC_CODE),
	{NULL, 0, 0}
};

static const struct key_rule list_meta_keys[] = {
	KEY("resourceVersion", T_FIELD | F_LIST_RV),
	KEY("continue", T_FIELD | F_LIST_CONTINUE),
	{NULL, 0, 0}
};

static const struct key_rule watch_keys[] = {
	KEY("type", T_FIELD | F_WATCH_TYPE),
	KEY("object", T_CHILD | R_EVENT),
	{NULL, 0, 0}
};

static const struct key_rule event_keys[] = {
	KEY("metadata", T_CHILD | R_META),
	KEY("involvedObject", T_CHILD | R_INVOLVED),
	KEY("reason", T_FIELD | F_REASON),
	KEY("message", T_FIELD | F_MESSAGE),
	KEY("source", T_CHILD | R_SOURCE),
	KEY("firstTimestamp", T_TIME | N_FIRST),
	KEY("lastTimestamp", T_TIME | N_LAST),
	KEY("count", T_NUMBER | N_COUNT),
	KEY("type", T_FIELD | F_TYPE),
	KEY("eventTime", T_TIME | N_EVENT_TIME),
	KEY("series", T_CHILD | R_SERIES),
	KEY("reportingComponent", T_FIELD | F_REPORTING_COMPONENT),
	KEY("kind", T_HAS_KIND),
	KEY("apiVersion", T_HAS_API_VERSION),
	KEY("code", T_NUMBER | N_CODE),
	{NULL, 0, 0}
};

static const struct key_rule meta_keys[] = {
	KEY("name", T_FIELD | F_NAME),
	KEY("namespace", T_FIELD | F_NAMESPACE),
	KEY("uid", T_FIELD | F_UID),
	KEY("resourceVersion", T_FIELD | F_RV),
	{NULL, 0, 0}
};

static const struct key_rule involved_keys[] = {
	KEY("kind", T_FIELD | F_OBJ_KIND),
	KEY("namespace", T_FIELD | F_OBJ_NAMESPACE),
	KEY("name", T_FIELD | F_OBJ_NAME),
	KEY("uid", T_FIELD | F_OBJ_UID),
	KEY("fieldPath", T_FIELD | F_OBJ_FIELD_PATH),
	{NULL, 0, 0}
};

static const struct key_rule series_keys[] = {
	KEY("count", T_NUMBER | N_SERIES_COUNT),
	KEY("lastObservedTime", T_TIME | N_SERIES_LAST),
	{NULL, 0, 0}
};

static const struct key_rule source_keys[] = {
	KEY("component", T_FIELD | F_SOURCE_COMPONENT),
	KEY("host", T_FIELD | F_SOURCE_HOST),
	{NULL, 0, 0}
};

struct span {
	uint32_t off, len;
	int set;
};

struct event_decoder {
	struct json_parser json;
	enum event_mode mode;
	struct event_callbacks cb;
	int result;
	char error[128];

	/* role[n]: the container whose start token has depth n. */
	uint8_t role[ROLE_DEPTH];
	int target;		/* of the value after the last key */

	struct span fields[F_FIELDS];
	int64_t numbers[N_NUMBERS];
	int has_kind, has_api_version;
	int object_seen;	/* a watch event's object has ended */
	int meta_pending;	/* list metadata ended before kind */
	size_t raw_len;
	size_t store_len, object_mark;
	uint64_t json_fed;	/* bytes given to json since its reset */
	int skipping;		/* watch: dropping bytes up to a newline */
	uint64_t skipped;	/* watch lines dropped as not JSON */
	uint8_t *raw;		/* EVENT_MAX_OBJECT: the object's bytes */
	char *store;		/* STORE_SIZE: kept strings */
};

static const struct key_rule *
rules_of(int role)
{
	switch (role) {
	case R_DOC:
		return doc_keys;
	case R_LIST_META:
		return list_meta_keys;
	case R_WATCH:
		return watch_keys;
	case R_EVENT:
		return event_keys;
	case R_META:
		return meta_keys;
	case R_INVOLVED:
		return involved_keys;
	case R_SERIES:
		return series_keys;
	case R_SOURCE:
		return source_keys;
	default:
		return NULL;
	}
}

static int
lookup(int role, const char *key, size_t len)
{
	const struct key_rule *r = rules_of(role);

	if (r == NULL) {
		return T_NONE;
	}
	for (; r->key != NULL; r++) {
		if (r->len == len && memcmp(r->key, key, len) == 0) {
			return r->target;
		}
	}
	return T_NONE;
}

static void
store_set_len(struct event_decoder *d, size_t len)
{
	d->store_len = len;
	json_set_scratch(&d->json, d->store + len, STORE_SIZE - len);
}

/* Records a decoder error and stops the tokenizer; the first one
 * sticks. */
static int
decoder_fail(struct event_decoder *d, int result, const char *what)
{
	if (d->result == EVENT_OK) {
		d->result = result;
		snprintf(d->error, sizeof(d->error), "%s at byte %llu", what,
		    (unsigned long long)json_error_offset(&d->json));
	}
	return JSON_STOP;
}

static int
callback_stopped(struct event_decoder *d)
{
	if (d->result == EVENT_OK) {
		d->result = EVENT_STOPPED;
		snprintf(d->error, sizeof(d->error), "stopped by the caller");
	}
	return JSON_STOP;
}

static struct event_str
field_str(const struct event_decoder *d, int f)
{
	struct event_str s = {NULL, 0};

	if (d->fields[f].set) {
		s.ptr = d->store + d->fields[f].off;
		s.len = d->fields[f].len;
	}
	return s;
}

static int
field_is(const struct event_decoder *d, int f, const char *want)
{
	struct event_str s = field_str(d, f);

	return s.ptr != NULL && s.len == strlen(want) &&
	    memcmp(s.ptr, want, s.len) == 0;
}

static void
object_begin(struct event_decoder *d)
{
	memset(d->fields, 0, sizeof(d->fields[0]) * F_EVENT_FIELDS);
	memset(d->numbers, 0, sizeof(d->numbers[0]) * N_EVENT_NUMBERS);
	d->has_kind = 0;
	d->has_api_version = 0;
	d->object_mark = d->store_len;
	json_capture_start(&d->json, d->raw, EVENT_MAX_OBJECT);
}

static int
deliver_event(struct event_decoder *d, enum watch_type type)
{
	struct event_record ev;

	memset(&ev, 0, sizeof(ev));
	ev.watch_type = type;
	ev.uid = field_str(d, F_UID);
	ev.rv = field_str(d, F_RV);
	ev.namespace_ = field_str(d, F_NAMESPACE);
	ev.name = field_str(d, F_NAME);
	ev.type = field_str(d, F_TYPE);
	ev.reason = field_str(d, F_REASON);
	ev.message = field_str(d, F_MESSAGE);
	ev.count = d->numbers[N_COUNT];
	ev.first_timestamp = d->numbers[N_FIRST];
	ev.last_timestamp = d->numbers[N_LAST];
	ev.event_time = d->numbers[N_EVENT_TIME];
	ev.series_count = d->numbers[N_SERIES_COUNT];
	ev.series_last_observed = d->numbers[N_SERIES_LAST];
	ev.obj_kind = field_str(d, F_OBJ_KIND);
	ev.obj_name = field_str(d, F_OBJ_NAME);
	ev.obj_namespace = field_str(d, F_OBJ_NAMESPACE);
	ev.obj_uid = field_str(d, F_OBJ_UID);
	ev.obj_field_path = field_str(d, F_OBJ_FIELD_PATH);
	ev.source_component = field_str(d, F_SOURCE_COMPONENT);
	ev.source_host = field_str(d, F_SOURCE_HOST);
	ev.reporting_component = field_str(d, F_REPORTING_COMPONENT);
	ev.raw = d->raw;
	ev.raw_len = d->raw_len;
	ev.has_kind = d->has_kind;
	ev.has_api_version = d->has_api_version;
	if (d->cb.on_event != NULL && d->cb.on_event(d->cb.arg, &ev) != 0) {
		return callback_stopped(d);
	}
	return JSON_CONTINUE;
}

static int
deliver_status(struct event_decoder *d, int64_t code, int reason,
    int message)
{
	struct event_status st;

	st.code = code;
	st.reason = field_str(d, reason);
	st.message = field_str(d, message);
	if (d->cb.on_status != NULL && d->cb.on_status(d->cb.arg, &st) != 0) {
		return callback_stopped(d);
	}
	return JSON_CONTINUE;
}

static int
deliver_list_meta(struct event_decoder *d)
{
	struct event_str rv = field_str(d, F_LIST_RV);
	struct event_str cont = field_str(d, F_LIST_CONTINUE);

	d->meta_pending = 0;
	if (rv.ptr == NULL) {
		rv.ptr = "";
	}
	if (cont.ptr == NULL) {
		cont.ptr = "";
	}
	if (d->cb.on_list_meta != NULL &&
	    d->cb.on_list_meta(d->cb.arg, rv, cont) != 0) {
		return callback_stopped(d);
	}
	return JSON_CONTINUE;
}

static int
deliver_watch_event(struct event_decoder *d)
{
	static const char *const names[] = {
		NULL, "ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR"
	};
	int type, r;

	for (type = WATCH_ADDED; type <= WATCH_ERROR; type++) {
		if (field_is(d, F_WATCH_TYPE, names[type])) {
			break;
		}
	}
	if (type > WATCH_ERROR) {
		return decoder_fail(d, EVENT_ERR_SHAPE,
		    "watch event without a known type");
	}
	if (!d->object_seen) {
		return decoder_fail(d, EVENT_ERR_SHAPE,
		    "watch event without an object");
	}
	if (type == WATCH_ERROR) {
		r = deliver_status(d, d->numbers[N_CODE], F_REASON, F_MESSAGE);
	} else {
		r = deliver_event(d, (enum watch_type)type);
	}
	store_set_len(d, 0);
	return r;
}

static int
container_start(struct event_decoder *d, enum json_token t, int depth)
{
	int object = t == JSON_OBJECT_START;
	int target = d->target, child;

	d->target = T_NONE;

	/* The top level decides the document's shape. */
	if (depth == 0) {
		if (!object) {
			return decoder_fail(d, EVENT_ERR_SHAPE,
			    "document is not an object");
		}
		d->role[0] = d->mode == EVENT_LIST ? R_DOC : R_WATCH;
		if (d->mode == EVENT_WATCH) {
			memset(d->fields, 0, sizeof(d->fields));
			memset(d->numbers, 0, sizeof(d->numbers));
			d->object_seen = 0;
		}
		return JSON_CONTINUE;
	}
	if (depth >= ROLE_DEPTH) {
		return JSON_SKIP;
	}

	/* Each item of a list is an Event. */
	if (d->role[depth - 1] == R_ITEMS) {
		if (!object) {
			return decoder_fail(d, EVENT_ERR_SHAPE,
			    "list item is not an object");
		}
		d->role[depth] = R_EVENT;
		object_begin(d);
		return JSON_CONTINUE;
	}

	/* Otherwise only a key that names a container enters it. */
	if ((target & T_KIND_MASK) != T_CHILD) {
		return JSON_SKIP;
	}
	child = target & ~T_KIND_MASK;
	if ((child == R_ITEMS) != !object) {
		if (child == R_ITEMS || child == R_EVENT) {
			return decoder_fail(d, EVENT_ERR_SHAPE, child ==
			    R_ITEMS ? "items is not an array" :
			    "watch object is not an object");
		}
		return JSON_SKIP;
	}
	d->role[depth] = (uint8_t)child;
	if (child == R_EVENT) {
		object_begin(d);
	}
	return JSON_CONTINUE;
}

static int
container_end(struct event_decoder *d, int depth)
{
	int role = depth < ROLE_DEPTH ? d->role[depth] : R_NONE;

	if (depth < ROLE_DEPTH) {
		d->role[depth] = R_NONE;
	}
	switch (role) {
	case R_EVENT:
		d->raw_len = json_capture_stop(&d->json);
		if (d->mode == EVENT_WATCH) {
			d->object_seen = 1;
			return JSON_CONTINUE;
		}
		if (deliver_event(d, WATCH_NONE) != JSON_CONTINUE) {
			return JSON_STOP;
		}
		store_set_len(d, d->object_mark);
		return JSON_CONTINUE;
	case R_LIST_META:
		/* A Status body has metadata too; whether this is a list
		 * is only known from kind, which may not have come yet. */
		if (d->fields[F_DOC_KIND].set) {
			if (!field_is(d, F_DOC_KIND, "Status")) {
				return deliver_list_meta(d);
			}
			return JSON_CONTINUE;
		}
		d->meta_pending = 1;
		return JSON_CONTINUE;
	case R_DOC:
		if (field_is(d, F_DOC_KIND, "Status")) {
			return deliver_status(d, d->numbers[N_DOC_CODE],
			    F_DOC_REASON, F_DOC_MESSAGE);
		}
		if (d->meta_pending) {
			return deliver_list_meta(d);
		}
		return JSON_CONTINUE;
	case R_WATCH:
		return deliver_watch_event(d);
	default:
		return JSON_CONTINUE;
	}
}

/* A JSON integer in int64 range; anything else (a fraction, an
 * exponent, an overflow) reads as 0. */
static int64_t
parse_integer(const char *s, size_t len)
{
	uint64_t v = 0, limit = INT64_MAX;
	size_t i = 0;
	int negative = 0;

	if (len > 0 && s[0] == '-') {
		negative = 1;
		limit = (uint64_t)INT64_MAX + 1;
		i = 1;
	}
	if (i == len) {
		return 0;
	}
	for (; i < len; i++) {
		if (s[i] < '0' || s[i] > '9') {
			return 0;
		}
		if (v > (limit - (uint64_t)(s[i] - '0')) / 10) {
			return 0;
		}
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (negative) {
		return v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
	}
	return (int64_t)v;
}

static int
scalar_value(struct event_decoder *d, enum json_token t, int depth,
    const char *str, size_t len)
{
	int target = d->target;
	int64_t us;

	d->target = T_NONE;
	if (depth == 0) {
		return decoder_fail(d, EVENT_ERR_SHAPE,
		    "document is not an object");
	}
	if (depth <= ROLE_DEPTH && d->role[depth - 1] == R_ITEMS) {
		return decoder_fail(d, EVENT_ERR_SHAPE,
		    "list item is not an object");
	}
	switch (target & T_KIND_MASK) {
	case T_FIELD:
		if (t != JSON_STRING) {
			return JSON_CONTINUE;
		}

		/* The tokenizer assembles strings at the store's end; one
		 * taken straight from the input is copied there. */
		if (len > STORE_SIZE - d->store_len) {
			return decoder_fail(d, EVENT_ERR_TOO_LARGE,
			    "fields too large");
		}
		if (str != d->store + d->store_len) {
			memcpy(d->store + d->store_len, str, len);
		}
		target &= ~T_KIND_MASK;
		d->fields[target].off = (uint32_t)d->store_len;
		d->fields[target].len = (uint32_t)len;
		d->fields[target].set = 1;
		store_set_len(d, d->store_len + len);
		return JSON_CONTINUE;
	case T_NUMBER:
		if (t == JSON_NUMBER) {
			d->numbers[target & ~T_KIND_MASK] =
			    parse_integer(str, len);
		}
		return JSON_CONTINUE;
	case T_TIME:
		/* A malformed time reads as absent rather than failing the
		 * whole stream. */
		if (t == JSON_STRING && event_parse_time(str, len, &us) == 0) {
			d->numbers[target & ~T_KIND_MASK] = us;
		}
		return JSON_CONTINUE;
	default:
		return JSON_CONTINUE;
	}
}

static int
on_token(void *arg, enum json_token t, int depth, const char *str,
    size_t len)
{
	struct event_decoder *d = arg;
	int target, role;

	switch (t) {
	case JSON_KEY:
		role = depth <= ROLE_DEPTH ? d->role[depth - 1] : R_NONE;
		target = lookup(role, str, len);
		if (target == T_HAS_KIND) {
			d->has_kind = 1;
			return JSON_SKIP;
		}
		if (target == T_HAS_API_VERSION) {
			d->has_api_version = 1;
			return JSON_SKIP;
		}
		d->target = target;
		return target == T_NONE ? JSON_SKIP : JSON_CONTINUE;
	case JSON_OBJECT_START:
	case JSON_ARRAY_START:
		return container_start(d, t, depth);
	case JSON_OBJECT_END:
	case JSON_ARRAY_END:
		return container_end(d, depth);
	default:
		return scalar_value(d, t, depth, str, len);
	}
}

struct event_decoder *
event_decoder_new(enum event_mode mode, const struct event_callbacks *cb)
{
	struct event_decoder *d = calloc(1, sizeof(*d));

	if (d == NULL) {
		return NULL;
	}

	/* Both buffers are reserved whole but only touched as far as the
	 * largest object goes. */
	d->raw = malloc(EVENT_MAX_OBJECT);
	d->store = malloc(STORE_SIZE);
	if (d->raw == NULL || d->store == NULL) {
		event_decoder_free(d);
		return NULL;
	}
	if (cb != NULL) {
		d->cb = *cb;
	}
	event_decoder_reset(d, mode);
	return d;
}

/* Back to the state between two watch events (or before a list). */
static void
restart(struct event_decoder *d, enum event_mode mode)
{
	memset(&d->json, 0, sizeof(d->json));
	d->json.on_token = on_token;
	d->json.arg = d;
	d->json.single = mode == EVENT_LIST;
	d->mode = mode;
	d->result = EVENT_OK;
	memset(d->role, 0, sizeof(d->role));
	d->target = T_NONE;
	memset(d->fields, 0, sizeof(d->fields));
	memset(d->numbers, 0, sizeof(d->numbers));
	d->has_kind = 0;
	d->has_api_version = 0;
	d->object_seen = 0;
	d->meta_pending = 0;
	d->raw_len = 0;
	d->object_mark = 0;
	d->json_fed = 0;
	d->skipping = 0;
	store_set_len(d, 0);
}

void
event_decoder_reset(struct event_decoder *d, enum event_mode mode)
{
	restart(d, mode);
	d->error[0] = '\0';
	d->skipped = 0;
}

uint64_t
event_decoder_skipped(const struct event_decoder *d)
{
	return d->skipped;
}

/* Turns a tokenizer error into the decoder's sticky result. */
static int
json_failed(struct event_decoder *d, int err)
{
	int result = EVENT_ERR_JSON;

	if (err == JSON_ERR_STOPPED) {
		return d->result;
	}
	if (err == JSON_ERR_CAPTURE) {
		result = EVENT_ERR_TOO_LARGE;
	} else if (err == JSON_ERR_TOO_LONG) {
		result = EVENT_ERR_TOO_LARGE;
	} else if (err == JSON_ERR_TRUNCATED) {
		result = EVENT_ERR_TRUNCATED;
	}
	d->result = result;
	if (err == JSON_ERR_CAPTURE) {
		snprintf(d->error, sizeof(d->error),
		    "object over %d bytes at byte %llu", EVENT_MAX_OBJECT,
		    (unsigned long long)json_error_offset(&d->json));
	} else if (err == JSON_ERR_TRUNCATED && d->mode == EVENT_LIST &&
	    json_error_offset(&d->json) == 0) {
		snprintf(d->error, sizeof(d->error), "empty body");
	} else {
		snprintf(d->error, sizeof(d->error), "%s at byte %llu",
		    json_strerror(err),
		    (unsigned long long)json_error_offset(&d->json));
	}
	return result;
}

int
event_decoder_feed(struct event_decoder *d, const uint8_t *data, size_t len)
{
	const uint8_t *nl;
	uint64_t at;
	int err, result;

	while (d->result == EVENT_OK && len > 0) {
		if (d->skipping) {
			nl = memchr(data, '\n', len);
			if (nl == NULL) {
				return EVENT_OK;
			}
			len -= (size_t)(nl + 1 - data);
			data = nl + 1;
			restart(d, d->mode);
			continue;
		}
		err = json_feed(&d->json, data, len);
		if (err == JSON_OK) {
			d->json_fed += len;
			return EVENT_OK;
		}
		result = json_failed(d, err);
		if (d->mode != EVENT_WATCH || (result != EVENT_ERR_JSON &&
		    result != EVENT_ERR_TOO_LARGE)) {
			return result;
		}

		/* Watch events are one per line: a line that is not one
		 * (a proxy's error page, a corrupted or oversized object)
		 * is dropped up to its newline and decoding goes on with
		 * the next. The error text stays for the caller to report;
		 * the event such a line may have held is the caller's to
		 * recover. */
		d->skipped++;
		at = json_error_offset(&d->json);
		at = at > d->json_fed ? at - d->json_fed : 0;
		if (at > len) {
			at = len;
		}
		data += at;
		len -= (size_t)at;
		d->result = EVENT_OK;
		d->skipping = 1;
	}
	return d->result;
}

int
event_decoder_finish(struct event_decoder *d)
{
	int err;

	if (d->result != EVENT_OK) {
		return d->result;
	}
	err = json_finish(&d->json);
	return err == JSON_OK ? EVENT_OK : json_failed(d, err);
}

const char *
event_decoder_error(const struct event_decoder *d)
{
	return d->error;
}

void
event_decoder_free(struct event_decoder *d)
{
	if (d == NULL) {
		return;
	}
	free(d->raw);
	free(d->store);
	free(d);
}

static int
digits(const char *s, int n, int *out)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9') {
			return -1;
		}
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

int
event_parse_time(const char *s, size_t len, int64_t *us)
{
	int year, mon, day, hour, min, sec, oh = 0, om = 0, nd = 0;
	int64_t frac = 0, t;
	size_t i = 19;
	int sign = 0;

	/* The fixed part: YYYY-MM-DDTHH:MM:SS. */
	if (len < 20 || digits(s, 4, &year) || s[4] != '-' ||
	    digits(s + 5, 2, &mon) || s[7] != '-' || digits(s + 8, 2, &day) ||
	    (s[10] != 'T' && s[10] != 't') || digits(s + 11, 2, &hour) ||
	    s[13] != ':' || digits(s + 14, 2, &min) || s[16] != ':' ||
	    digits(s + 17, 2, &sec)) {
		return -1;
	}

	/* Fractional seconds of 1 to 9 digits, kept to microseconds. */
	if (s[i] == '.') {
		for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++, nd++) {
			if (nd < 6) {
				frac = frac * 10 + (s[i] - '0');
			}
		}
		if (nd == 0 || nd > 9) {
			return -1;
		}
		for (; nd < 6; nd++) {
			frac *= 10;
		}
	}

	/* The zone: Z or an offset of hours and minutes. */
	if (i < len && (s[i] == 'Z' || s[i] == 'z')) {
		i++;
	} else if (i < len && (s[i] == '+' || s[i] == '-')) {
		sign = s[i] == '-' ? -1 : 1;
		if (len - i < 6 || digits(s + i + 1, 2, &oh) ||
		    s[i + 3] != ':' || digits(s + i + 4, 2, &om)) {
			return -1;
		}
		i += 6;
	} else {
		return -1;
	}
	if (i != len || !civil_valid(year, mon, day, hour, min, sec) ||
	    oh > 23 || om > 59) {
		return -1;
	}
	t = civil_to_unix(year, mon, day, hour, min, sec) -
	    sign * (oh * 60 + om) * 60;
	*us = t * 1000000 + frac;
	return 0;
}
