/* libFuzzer target: the HTTP response decoder. The input is fed whole
 * and then in pieces whose sizes come from a hash of the input; both
 * feedings must agree on every event, body byte and error, and every
 * body slice must lie inside the piece it came from.
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

struct run {
	int heads;
	int dones;
	int error;
	uint64_t body_sum;		/* order-sensitive body hash */
	uint64_t body_len;
	int status;
	int keep_alive;
};

static void
body_add(struct run *r, const uint8_t *b, size_t n)
{
	size_t k;

	for (k = 0; k < n; k++) {
		r->body_sum = r->body_sum * 1099511628211u + b[k] + 1;
	}
	r->body_len += n;
}

/* Feeds data in pieces of at most step bytes (0: whole); responses are
 * decoded back to back, as on a kept-alive connection. */
static void
feed(const uint8_t *data, size_t size, uint32_t seed, struct run *out)
{
	struct http_response r;
	const uint8_t *body;
	size_t pos = 0, end, used, blen;
	int ev;

	memset(out, 0, sizeof *out);
	memset(&r, 0, sizeof r);
	while (pos <= size && !out->error) {
		end = size;
		if (seed != 0) {
			seed = seed * 1103515245u + 12345u;
			end = pos + 1 + (seed >> 16) % 9;
			if (end > size) {
				end = size;
			}
		}
		for (;;) {
			ev = http_parse(&r, data + pos, end - pos, &used,
			    &body, &blen);
			if (used > end - pos) {
				abort();
			}
			if (ev == HTTP_BODY && (body < data + pos ||
			    body + blen > data + pos + used || blen == 0)) {
				abort();
			}
			pos += used;
			if (ev == HTTP_MORE) {
				break;
			}
			if (ev == HTTP_ERROR) {
				out->error = r.error;
				if (r.why == NULL) {
					abort();
				}
				break;
			}
			if (ev == HTTP_HEAD) {
				out->heads++;
				out->status = r.status;
				out->keep_alive = r.keep_alive;
				if (r.status < 200 || r.status > 599) {
					abort();
				}
			} else if (ev == HTTP_BODY) {
				body_add(out, body, blen);
			} else if (ev == HTTP_DONE) {
				out->dones++;
				http_reset(&r);
				/* A response with nothing left is the end. */
				if (pos == size) {
					break;
				}
			}
		}
		if (pos == size) {
			break;
		}
	}
	if (!out->error && http_eof(&r) == HTTP_ERROR) {
		out->error = r.error;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run a, b;
	uint32_t seed = 2166136261u;
	time_t t;
	size_t k;

	for (k = 0; k < size; k++) {
		seed = (seed ^ data[k]) * 16777619u;
	}
	feed(data, size, 0, &a);
	feed(data, size, seed | 1, &b);
	if (memcmp(&a, &b, sizeof a) != 0) {
		abort();
	}
	(void)http_parse_date((const char *)data, size < 64 ? size : 64, &t);
	return 0;
}
