/* libFuzzer target: the event decoder in list and watch modes, fed the
 * input whole and at splits derived from it; every split must give the
 * same records, results and error text, or the run aborts.
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"

/* A running hash of everything the callbacks saw. */
struct digest {
	uint64_t h;
	size_t events;
};

static void
mix_bytes(struct digest *g, const void *p, size_t n)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < n; i++) {
		g->h = (g->h ^ b[i]) * 0x100000001b3ull;
	}
	g->h = (g->h ^ n) * 0x100000001b3ull;
}

static void
mix_str(struct digest *g, struct event_str s)
{
	if (s.ptr == NULL && s.len != 0) {
		abort();
	}
	mix_bytes(g, s.ptr != NULL ? s.ptr : "", s.len);
	mix_bytes(g, s.ptr != NULL ? "+" : "-", 1);
}

static void
mix_int(struct digest *g, int64_t v)
{
	mix_bytes(g, &v, sizeof(v));
}

static int
on_event(void *arg, const struct event_record *ev)
{
	struct digest *g = arg;

	g->events++;
	mix_int(g, ev->watch_type);
	mix_str(g, ev->uid);
	mix_str(g, ev->rv);
	mix_str(g, ev->namespace_);
	mix_str(g, ev->name);
	mix_str(g, ev->type);
	mix_str(g, ev->reason);
	mix_str(g, ev->message);
	mix_int(g, ev->count);
	mix_int(g, ev->first_timestamp);
	mix_int(g, ev->last_timestamp);
	mix_int(g, ev->event_time);
	mix_int(g, ev->series_count);
	mix_int(g, ev->series_last_observed);
	mix_str(g, ev->obj_kind);
	mix_str(g, ev->obj_name);
	mix_str(g, ev->obj_namespace);
	mix_str(g, ev->obj_uid);
	mix_str(g, ev->obj_field_path);
	mix_str(g, ev->source_component);
	mix_str(g, ev->source_host);
	mix_str(g, ev->reporting_component);
	if (ev->raw_len == 0 || ev->raw_len > EVENT_MAX_OBJECT ||
	    ev->raw[0] != '{' || ev->raw[ev->raw_len - 1] != '}') {
		abort();
	}
	mix_bytes(g, ev->raw, ev->raw_len);
	mix_int(g, ev->has_kind);
	mix_int(g, ev->has_api_version);
	return 0;
}

static int
on_list_meta(void *arg, struct event_str rv, struct event_str cont)
{
	struct digest *g = arg;

	mix_bytes(g, "M", 1);
	mix_str(g, rv);
	mix_str(g, cont);
	return 0;
}

static int
on_status(void *arg, const struct event_status *st)
{
	struct digest *g = arg;

	mix_bytes(g, "S", 1);
	mix_int(g, st->code);
	mix_str(g, st->reason);
	mix_str(g, st->message);
	return 0;
}

struct outcome {
	struct digest digest;
	uint64_t skipped;
	int result;
	char error[128];
};

/* One decoder for the whole run, reset for each pass; the callbacks
 * add to the digest of the pass under way. */
static struct event_decoder *decoder;
static struct digest *current;

static int
event_cb(void *arg, const struct event_record *ev)
{
	return on_event(current, ev);
}

static int
list_meta_cb(void *arg, struct event_str rv, struct event_str cont)
{
	return on_list_meta(current, rv, cont);
}

static int
status_cb(void *arg, const struct event_status *st)
{
	return on_status(current, st);
}

/* seed 0: whole; 1: byte by byte; else seed-driven piece sizes. */
static void
run(struct outcome *o, enum event_mode mode, const uint8_t *data,
    size_t len, uint32_t seed)
{
	static const struct event_callbacks cb = {
		event_cb, list_meta_cb, status_cb, NULL
	};
	size_t pos = 0, n;
	int r = EVENT_OK;

	memset(o, 0, sizeof(*o));
	o->digest.h = 0xcbf29ce484222325ull;
	current = &o->digest;
	if (decoder == NULL) {
		decoder = event_decoder_new(mode, &cb);
		if (decoder == NULL) {
			abort();
		}
	}
	event_decoder_reset(decoder, mode);
	while (pos < len && r == EVENT_OK) {
		if (seed <= 1) {
			n = seed == 0 ? len - pos : 1;
		} else {
			seed = seed * 1103515245u + 12345u;
			n = 1 + (seed >> 16) % (seed & 0x100 ? 3 : 64);
		}
		if (n > len - pos) {
			n = len - pos;
		}

		/* A private copy makes ASan catch reads past each piece. */
		{
			uint8_t *piece = malloc(n);

			memcpy(piece, data + pos, n);
			r = event_decoder_feed(decoder, piece, n);
			free(piece);
		}
		pos += n;
	}
	if (r == EVENT_OK) {
		r = event_decoder_finish(decoder);
	}
	o->result = r;
	snprintf(o->error, sizeof(o->error), "%s",
	    event_decoder_error(decoder));
	o->skipped = event_decoder_skipped(decoder);

	/* An error text with success means a watch line was dropped. */
	if ((r == EVENT_OK && o->skipped == 0) != (o->error[0] == '\0') ||
	    (o->skipped > 0 && (mode != EVENT_WATCH || o->error[0] == '\0'))) {
		abort();
	}
}

static void
same(const struct outcome *a, const struct outcome *b)
{
	if (a->result != b->result || a->skipped != b->skipped ||
	    strcmp(a->error, b->error) != 0 ||
	    a->digest.h != b->digest.h || a->digest.events !=
	    b->digest.events) {
		fprintf(stderr, "splits disagree: %d \"%s\" vs %d \"%s\"\n",
		    a->result, a->error, b->result, b->error);
		abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum event_mode modes[] = {EVENT_LIST, EVENT_WATCH};
	struct outcome whole, split;
	uint32_t seed = 1;
	size_t i, m;

	for (i = 0; i < size && i < 8; i++) {
		seed = seed * 31 + data[i];
	}
	for (m = 0; m < 2; m++) {
		run(&whole, modes[m], data, size, 0);
		run(&split, modes[m], data, size, seed | 2);
		same(&whole, &split);
		run(&split, modes[m], data, size, seed * 4 + 2);
		same(&whole, &split);
		if (size < 512) {
			run(&split, modes[m], data, size, 1);
			same(&whole, &split);
		}
	}
	return 0;
}
