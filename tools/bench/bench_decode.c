/* Micro-benchmark of the decoding path: the tokenizer alone and the
 * event decoder over a generated watch stream of about 100 MB (Events of
 * about 1 KB, managedFields included), and the UID set on a million
 * keys, timed in CPU seconds of this process (so that other load on the
 * machine counts less). Build and run from the top of the tree:
 *
 *   gcc -O2 -Isrc -o bench_decode src/json.c src/event.c src/uidset.c \
 *       tools/bench/bench_decode.c && ./bench_decode [STREAM_MB]
 *
 * STREAM_MB (default 100) sets the stream size; tools/bench/run.py runs
 * it for make bench.
 *
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "event.h"
#include "json.h"
#include "uidset.h"

#define PIECE 16384		/* a typical read from a TLS record */
#define KEYS 1000000

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *const reasons[] = {
	"Scheduled", "Pulling", "Pulled", "Created", "Started", "BackOff"
};

/* One watch event line in the shape kube-apiserver sends. */
static size_t
watch_line(char *out, size_t cap, unsigned i)
{
	return (size_t)snprintf(out, cap,
	    "{\"type\":\"ADDED\",\"object\":{\"kind\":\"Event\","
	    "\"apiVersion\":"
	    "\"v1\",\"metadata\":{\"name\":\"web-7d4b9c-x2k8p.17c9f%08x\","
	    "\"namespace\":\"default\",\"uid\":\"%08x-1c2d-4e5f-8a9b-"
	    "0c1d2e3f4a5b\",\"resourceVersion\":\"%u\",\"creationTimestamp\":"
	    "\"2024-05-01T10:00:00Z\",\"managedFields\":[{\"manager\":"
	    "\"kubelet\",\"operation\":\"Update\",\"apiVersion\":\"v1\","
	    "\"time\":\"2024-05-01T10:00:00Z\",\"fieldsType\":\"FieldsV1\","
	    "\"fieldsV1\":{\"f:count\":{},\"f:firstTimestamp\":{},"
	    "\"f:involvedObject\":{},\"f:lastTimestamp\":{},\"f:message\":{},"
	    "\"f:reason\":{},\"f:reportingComponent\":{},\"f:reportingInstance"
	    "\":{},\"f:source\":{\"f:component\":{},\"f:host\":{}},\"f:type\":"
	    "{}}}]},\"involvedObject\":{\"kind\":\"Pod\",\"namespace\":"
	    "\"default\",\"name\":\"web-7d4b9c-x2k8p\",\"uid\":\"5f0c1d2e-"
	    "3a4b-4c5d-9e6f-7a8b9c0d1e2f\",\"apiVersion\":\"v1\","
	    "\"resourceVersion\":\"4711\",\"fieldPath\":\"spec.containers{web}"
	    "\"},\"reason\":\"%s\",\"message\":\"Container image \\\"registry."
	    "example.com/team/web:1.25.%u\\\" already present on machine and "
	    "was started \\u2713 after %u attempts\",\"source\":{"
	    "\"component\":"
	    "\"kubelet\",\"host\":\"node-%u\"},\"firstTimestamp\":"
	    "\"2024-05-01T10:00:00Z\",\"lastTimestamp\":"
	    "\"2024-05-01T10:05:%02uZ"
	    "\",\"count\":%u,\"type\":\"Normal\",\"eventTime\":null,"
	    "\"reportingComponent\":\"kubelet\",\"reportingInstance\":"
	    "\"node-%u\"}}\n", i, i, 100000 + i, reasons[i % 6], i % 100,
	    i % 9, i % 50, i % 60, 1 + i % 5, i % 50);
}

static int
count_token(void *arg, enum json_token t, int depth, const char *s,
    size_t len)
{
	(*(size_t *)arg)++;
	return JSON_CONTINUE;
}

static int
count_event(void *arg, const struct event_record *ev)
{
	*(size_t *)arg += ev->raw_len + ev->message.len;
	return 0;
}

static void
key_of(char *out, unsigned i)
{
	uint64_t a = (uint64_t)i * 0x9e3779b97f4a7c15ull;

	sprintf(out, "%08x-%04x-4%03x-%04x-%012llx", (unsigned)(a >> 32),
	    (unsigned)(a >> 16 & 0xffff), i & 0xfff,
	    0x8000 | (i >> 12 & 0xfff),
	    (unsigned long long)(a & 0xffffffffffffull));
}

int
main(int argc, char **argv)
{
	size_t mb = argc > 1 ? strtoul(argv[1], NULL, 10) : 100;
	size_t target = (mb ? mb : 100) * 1000 * 1000;
	char *stream = malloc(target + 4096), (*keys)[40];
	size_t len = 0, pos, tokens = 0, sink = 0, n;
	unsigned events = 0, i;
	struct json_parser p;
	struct event_decoder *d;
	struct event_callbacks cb = {count_event, NULL, NULL, &sink};
	struct uidset *set;
	double t;
	uint32_t v;
	int r, hits = 0;

	if (stream == NULL) {
		fprintf(stderr, "bench_decode: out of memory\n");
		return 1;
	}
	/* The stream is built first so that only decoding is timed. */
	while (len < target) {
		len += watch_line(stream + len, target + 4096 - len,
		    events++);
	}
	printf("stream: %.1f MB, %u events of %zu bytes on average\n",
	    (double)len / 1e6, events, len / events);

	/* The tokenizer alone, every token reported. */
	memset(&p, 0, sizeof(p));
	p.on_token = count_token;
	p.arg = &tokens;
	t = now();
	for (pos = 0; pos < len; pos += n) {
		n = len - pos < PIECE ? len - pos : PIECE;
		if (json_feed(&p, (const uint8_t *)stream + pos, n) != 0) {
			fprintf(stderr, "tokenizer: %s\n",
			    json_strerror(p.err));
			return 1;
		}
	}
	t = now() - t;
	printf("tokenizer: %.0f MB/s (%zu tokens)\n", (double)len / 1e6 / t,
	    tokens);

	/* The whole decoder: field selection, skipping, raw capture. */
	d = event_decoder_new(EVENT_WATCH, &cb);
	t = now();
	for (pos = 0; pos < len; pos += n) {
		n = len - pos < PIECE ? len - pos : PIECE;
		r = event_decoder_feed(d, (const uint8_t *)stream + pos, n);
		if (r != EVENT_OK) {
			fprintf(stderr, "decoder: %s\n",
			    event_decoder_error(d));
			return 1;
		}
	}
	t = now() - t;
	printf("decoder: %.0f MB/s, %.0f events/s\n", (double)len / 1e6 / t,
	    (double)events / t);
	event_decoder_free(d);
	free(stream);

	/* The UID set: a million distinct UUIDs in, looked up, out. */
	keys = malloc(sizeof(*keys) * KEYS);
	for (i = 0; i < KEYS; i++) {
		key_of(keys[i], i);
	}
	set = uidset_new();
	t = now();
	for (i = 0; i < KEYS; i++) {
		uidset_put(set, keys[i], 36, i);
	}
	t = now() - t;
	printf("uidset insert: %.1f M ops/s, %.1f bytes per key\n",
	    KEYS / t / 1e6, (double)uidset_memory(set) / KEYS);
	t = now();
	for (i = 0; i < KEYS; i++) {
		hits += uidset_get(set, keys[(i * 7919u) % KEYS], 36, &v);
	}
	t = now() - t;
	printf("uidset lookup: %.1f M ops/s (%d hits)\n", KEYS / t / 1e6,
	    hits);
	t = now();
	for (i = 0; i < KEYS; i++) {
		uidset_del(set, keys[i], 36);
	}
	t = now() - t;
	printf("uidset delete: %.1f M ops/s (%zu left)\n", KEYS / t / 1e6,
	    uidset_count(set));
	uidset_free(set);
	free(keys);
	return sink == 0;
}
