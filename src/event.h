/* The event decoder: turns a LIST body ({"items":[...]}) or a WATCH
 * stream ({"type":...,"object":...} per line) into one event_record per
 * Event, plus the list metadata and any Status. It is a push decoder
 * built on json.c; it never holds more than one object.
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KEVENTS_EVENT_H
#define KEVENTS_EVENT_H

#include <stddef.h>
#include <stdint.h>

#include "json.h"

/* An object larger than this is reported as EVENT_ERR_TOO_LARGE rather
 * than held: no Event comes near it, and memory must stay bounded. */
#define EVENT_MAX_OBJECT (1024 * 1024)

enum watch_type {
	WATCH_NONE = 0,		/* an item of a LIST */
	WATCH_ADDED,
	WATCH_MODIFIED,
	WATCH_DELETED,
	WATCH_BOOKMARK,
	WATCH_ERROR
};

/* A string field: bytes (unescaped UTF-8, not NUL-terminated) valid only
 * during the callback. len 0 and ptr NULL when absent or null. */
struct event_str {
	const char *ptr;
	size_t len;
};

/* Times are Unix microseconds; 0: absent, null or malformed. */
struct event_record {
	enum watch_type watch_type;
	struct event_str uid, rv, namespace_, name;
	struct event_str type, reason, message;
	int64_t count;			/* 0: absent or not an integer */
	int64_t first_timestamp, last_timestamp, event_time;
	int64_t series_count;		/* 0: no series, or no integer */
	int64_t series_last_observed;
	struct event_str obj_kind, obj_name, obj_namespace, obj_uid;
	struct event_str obj_field_path;
	struct event_str source_component, source_host;
	struct event_str reporting_component;
	/* The object's compact JSON, as sent (whitespace outside strings
	 * removed), and whether it carried "kind" and "apiVersion". */
	const uint8_t *raw;
	size_t raw_len;
	int has_kind, has_api_version;
};

/* A Status: the object of a watch ERROR, or a non-2xx response body. */
struct event_status {
	int64_t code;
	struct event_str reason, message;
};

struct event_callbacks {
	/* One Event (list item, or watch ADDED/MODIFIED/DELETED/BOOKMARK).
	 * Return non-zero to stop decoding (event_decoder_feed then returns
	 * EVENT_STOPPED). */
	int (*on_event)(void *arg, const struct event_record *ev);
	/* A list's metadata: resourceVersion and continue ("" when
	 * absent), delivered when the list's metadata object ends. */
	int (*on_list_meta)(void *arg, struct event_str rv,
	    struct event_str cont);
	/* A watch ERROR event's Status, or a top-level Status body. */
	int (*on_status)(void *arg, const struct event_status *st);
	void *arg;
};

enum event_mode {
	EVENT_LIST,		/* one document: an EventList (or a Status) */
	EVENT_WATCH		/* newline-separated watch events */
};

enum event_result {
	EVENT_OK = 0,
	EVENT_STOPPED,		/* a callback returned non-zero */
	EVENT_ERR_JSON,		/* malformed JSON; event_decoder_error() says */
	EVENT_ERR_TOO_LARGE,	/* one object over EVENT_MAX_OBJECT */
	EVENT_ERR_SHAPE,	/* valid JSON of an unexpected shape */
	EVENT_ERR_TRUNCATED	/* finish() in the middle of a document */
};

struct event_decoder;

/* Allocates a decoder (NULL when out of memory). */
struct event_decoder *event_decoder_new(enum event_mode mode,
    const struct event_callbacks *cb);

/* Feeds any split of the body. The first error sticks: later calls
 * return it again without reading. */
int event_decoder_feed(struct event_decoder *d, const uint8_t *data,
    size_t len);

/* The body ended: EVENT_OK when it ended between documents (a watch) or
 * after the one document (a list), else an error. */
int event_decoder_finish(struct event_decoder *d);

/* A short description of the sticky error ("invalid escape at byte
 * 1234"), "" when none. */
const char *event_decoder_error(const struct event_decoder *d);

/* Watch mode only: lines dropped because they were not a watch event
 * (invalid JSON, or an object over EVENT_MAX_OBJECT) since the last
 * reset. Decoding goes on with the next line; event_decoder_error()
 * describes the last one dropped. */
uint64_t event_decoder_skipped(const struct event_decoder *d);

/* Back to the start state, keeping the allocation (for the next
 * response on a kept-alive connection). */
void event_decoder_reset(struct event_decoder *d, enum event_mode mode);

void event_decoder_free(struct event_decoder *d);

/* Parses an RFC 3339 timestamp ("2024-05-01T10:00:00Z",
 * "...T10:00:00.123456Z", "...+02:00") into Unix microseconds. Returns
 * 0 on success, -1 if s is not one. */
int event_parse_time(const char *s, size_t len, int64_t *us);

#endif
