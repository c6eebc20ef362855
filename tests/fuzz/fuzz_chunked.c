/* libFuzzer target: chunked bodies. The input follows a fixed chunked
 * response head and is decoded whole, byte by byte, and in pieces sized
 * from a hash of the input: the body bytes, their count and the
 * outcome must be the same every time.
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

static const char head[] = "HTTP/1.1 200 OK\r\n"
    "Transfer-Encoding: chunked\r\n\r\n";

struct run {
	int done;
	int error;
	size_t used;			/* bytes taken up to HTTP_DONE */
	size_t body_len;
	uint8_t body[65536];
};

static struct run whole, part;

static void
feed(const uint8_t *data, size_t size, uint32_t seed, struct run *out)
{
	struct http_response r;
	const uint8_t *body;
	size_t pos = 0, end, used, blen;
	int ev;

	out->done = out->error = 0;
	out->used = out->body_len = 0;
	memset(&r, 0, sizeof r);
	if (http_parse(&r, (const uint8_t *)head, sizeof head - 1, &used,
	    &body, &blen) != HTTP_HEAD || used != sizeof head - 1) {
		abort();
	}
	while (!out->done && !out->error) {
		end = size;
		if (seed == 1) {
			end = pos + 1 < size ? pos + 1 : size;
		} else if (seed != 0) {
			seed = seed * 1103515245u + 12345u;
			end = pos + (seed >> 16) % 17;
			end = end < size ? end : size;
		}
		for (;;) {
			ev = http_parse(&r, data + pos, end - pos, &used,
			    &body, &blen);
			pos += used;
			if (ev == HTTP_MORE) {
				break;
			}
			if (ev == HTTP_ERROR) {
				out->error = r.error;
				break;
			}
			if (ev == HTTP_BODY) {
				if (out->body_len + blen <= sizeof out->body) {
					memcpy(out->body + out->body_len, body,
					    blen);
				}
				out->body_len += blen;
			} else if (ev == HTTP_DONE) {
				out->done = 1;
				out->used = pos;
				break;
			} else {
				abort();
			}
		}
		if (pos == size && !out->done && !out->error) {
			if (http_eof(&r) != HTTP_ERROR) {
				abort();
			}
			out->error = r.error;
		}
	}
}

static void
compare(void)
{
	size_t n = whole.body_len < sizeof whole.body ? whole.body_len :
	    sizeof whole.body;

	if (whole.done != part.done || whole.error != part.error ||
	    whole.used != part.used || whole.body_len != part.body_len ||
	    memcmp(whole.body, part.body, n) != 0) {
		abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t seed = 2166136261u;
	size_t k;

	for (k = 0; k < size; k++) {
		seed = (seed ^ data[k]) * 16777619u;
	}
	feed(data, size, 0, &whole);
	feed(data, size, 1, &part);
	compare();
	feed(data, size, seed | 2, &part);
	compare();
	return 0;
}
