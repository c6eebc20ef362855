/* The HTTP response decoder fed whole, byte by byte, at every split
 * point and at random splits; the request writer and query escaping
 * checked byte for byte; HTTP dates.
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "http.h"

/* What one feeding of a response produced. */
struct outcome {
	int heads;
	int done;
	int error;			/* HTTP_E_* or 0 */
	size_t used;			/* bytes taken up to HTTP_DONE */
	char body[8192];
	size_t body_len;
	struct http_response r;
};

/* Feeds in[0..n) in pieces ending at cuts[0..ncuts) and then at n, then
 * signals end of input when eof is set. Stops at HTTP_DONE. */
static void
feed_cuts(const char *in, size_t n, const size_t *cuts, size_t ncuts,
    int eof, struct outcome *o)
{
	size_t start = 0, end, pos, used, blen, k;
	const uint8_t *body;
	int ev;

	memset(o, 0, sizeof *o);
	for (k = 0; k <= ncuts && !o->done && !o->error; k++) {
		end = k < ncuts ? cuts[k] : n;
		pos = start;
		for (;;) {
			ev = http_parse(&o->r, (const uint8_t *)in + pos,
			    end - pos, &used, &body, &blen);
			pos += used;
			if (ev == HTTP_MORE) {
				break;
			}
			if (ev == HTTP_ERROR) {
				o->error = o->r.error;
				break;
			}
			if (ev == HTTP_HEAD) {
				o->heads++;
			}
			if (ev == HTTP_BODY) {
				if (o->body_len + blen <= sizeof o->body) {
					memcpy(o->body + o->body_len, body,
					    blen);
				}
				o->body_len += blen;
			}
			if (ev == HTTP_DONE) {
				o->done = 1;
				o->used = pos;
				break;
			}
		}
		start = end;
	}
	if (eof && !o->done && !o->error) {
		if (http_eof(&o->r) == HTTP_DONE) {
			o->done = 1;
			o->used = n;
		} else {
			o->error = o->r.error;
		}
	}
}

static int
same(const struct outcome *a, const struct outcome *b)
{
	return a->heads == b->heads && a->done == b->done &&
	    a->error == b->error && a->used == b->used &&
	    a->body_len == b->body_len &&
	    memcmp(a->body, b->body, a->body_len < sizeof a->body ?
	    a->body_len : sizeof a->body) == 0 &&
	    a->r.status == b->r.status && a->r.keep_alive == b->r.keep_alive;
}

static struct outcome whole, part;

/* Feeds in every way and checks each matches the whole feeding, which
 * is left in `whole` for the caller's own checks. */
static void
feed_all(const char *in, size_t n, int eof)
{
	size_t cuts[4096], k, m;
	int ok = 1, round;

	feed_cuts(in, n, NULL, 0, eof, &whole);

	/* One byte at a time. */
	for (k = 0; k + 1 < n && k < 4096; k++) {
		cuts[k] = k + 1;
	}
	feed_cuts(in, n, cuts, n > 0 && n - 1 < 4096 ? n - 1 : 0, eof,
	    &part);
	ok &= CHECK(same(&whole, &part));

	/* Every split into two pieces. */
	for (k = 0; k <= n && ok; k++) {
		cuts[0] = k;
		feed_cuts(in, n, cuts, 1, eof, &part);
		if (!same(&whole, &part)) {
			printf("  split at %zu differs\n", k);
			ok = CHECK(0);
		}
	}

	/* Random splits into many pieces. */
	for (round = 0; round < 50 && ok; round++) {
		m = 0;
		for (k = 1; k < n && m < 4096; k++) {
			if (harness_rand() % 5 == 0) {
				cuts[m++] = k;
			}
		}
		feed_cuts(in, n, cuts, m, eof, &part);
		ok &= CHECK(same(&whole, &part));
	}
}

#define FEED(s, eof) feed_all((s), sizeof(s) - 1, (eof))

TEST(http_content_length)
{
	static const char in[] = "HTTP/1.1 200 OK\r\n"
	    "Content-Type: application/json; charset=utf-8\r\n"
	    "content-LENGTH: 11\r\n"
	    "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
	    "\r\n"
	    "hello world";

	FEED(in, 0);
	CHECK_INT(whole.done, 1);
	CHECK_INT(whole.heads, 1);
	CHECK_INT(whole.r.status, 200);
	CHECK_INT(whole.r.keep_alive, 1);
	CHECK_INT(whole.r.content_length, 11);
	CHECK_STR(whole.r.content_type, "application/json");
	CHECK_STR(whole.r.reason, "OK");
	CHECK_INT(whole.r.date, 784111777);
	CHECK_INT(whole.r.retry_after, -1);
	CHECK_MEM(whole.body, whole.body_len, "hello world", 11);
	CHECK_INT(whole.used, sizeof in - 1);
}

TEST(http_chunked_extensions_trailers)
{
	static const char in[] = "HTTP/1.1 200 OK\r\n"
	    "Transfer-Encoding: chunked\r\n"
	    "\r\n"
	    "5;name=value;other\r\nhello\r\n"
	    "1 ; x=\"q\"\r\n \r\n"
	    "00000A\r\n0123456789\r\n"
	    "0\r\n"
	    "Trailer-One: a\r\n"
	    "X-Two: b\r\n"
	    "\r\n";

	FEED(in, 0);
	CHECK_INT(whole.done, 1);
	CHECK_INT(whole.error, 0);
	CHECK_INT(whole.r.chunked, 1);
	CHECK_INT(whole.r.content_length, -1);
	CHECK_INT(whole.r.keep_alive, 1);
	CHECK_MEM(whole.body, whole.body_len, "hello 0123456789", 16);
	CHECK_INT(whole.used, sizeof in - 1);
}

TEST(http_chunked_bare_lf)
{
	static const char in[] = "HTTP/1.1 200 OK\n"
	    "Transfer-Encoding: chunked\n"
	    "\n"
	    "3\nabc\n0\n\n";

	FEED(in, 0);
	CHECK_INT(whole.done, 1);
	CHECK_MEM(whole.body, whole.body_len, "abc", 3);
}

TEST(http_read_to_close)
{
	static const char in[] = "HTTP/1.1 200 OK\r\n"
	    "Content-Type: text/plain\r\n"
	    "\r\n"
	    "until the end";

	FEED(in, 1);
	CHECK_INT(whole.done, 1);
	CHECK_INT(whole.r.keep_alive, 0);
	CHECK_INT(whole.r.content_length, -1);
	CHECK_MEM(whole.body, whole.body_len, "until the end", 13);
}

TEST(http_interim_skipped)
{
	static const char in[] = "HTTP/1.1 100 Continue\r\n\r\n"
	    "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n"
	    "Content-Length: 99\r\n\r\n"
	    "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok";

	FEED(in, 0);
	CHECK_INT(whole.done, 1);
	CHECK_INT(whole.heads, 1);
	CHECK_INT(whole.r.status, 201);
	CHECK_STR(whole.r.reason, "Created");
	CHECK_MEM(whole.body, whole.body_len, "ok", 2);
}

TEST(http_101_refused)
{
	FEED("HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n", 0);
	CHECK_INT(whole.error, HTTP_E_STATUS);
}

TEST(http_no_body_statuses)
{
	static const char nc[] = "HTTP/1.1 204 No Content\r\n"
	    "Content-Length: 10\r\n\r\nHTTP/1.1";
	static const char nm[] = "HTTP/1.1 304 Not Modified\r\n\r\n";

	FEED(nc, 0);
	CHECK_INT(whole.done, 1);
	CHECK_INT(whole.body_len, 0);
	CHECK_INT(whole.used, sizeof nc - 1 - 8);
	CHECK_INT(whole.r.keep_alive, 1);
	FEED(nm, 0);
	CHECK_INT(whole.done, 1);
	CHECK_INT(whole.r.status, 304);
	CHECK_INT(whole.body_len, 0);
}

TEST(http_keep_alive_back_to_back)
{
	static const char in[] = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n"
	    "\r\nonePP"
	    "HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "3\r\ntwo\r\n0\r\n\r\n";
	static const char *second;
	size_t k, first_len = 0;

	/* The first response ends exactly at its body; the rest, bytes
	 * that arrived early, decodes as the next response. */
	FEED(in, 0);
	CHECK_INT(whole.done, 1);
	CHECK_MEM(whole.body, whole.body_len, "one", 3);
	first_len = whole.used;
	CHECK_INT(first_len, strstr(in, "PP") - in);
	second = in + first_len + 2;
	feed_all(second, strlen(second), 0);
	CHECK_INT(whole.r.status, 404);
	CHECK_MEM(whole.body, whole.body_len, "two", 3);

	/* One decoder, reset between the two. */
	memset(&part, 0, sizeof part);
	for (k = 0; k < 2; k++) {
		size_t used, blen;
		const uint8_t *b;
		int ev;

		http_reset(&part.r);
		do {
			ev = http_parse(&part.r, (const uint8_t *)second,
			    strlen(second), &used, &b, &blen);
			second += used;
		} while (ev != HTTP_DONE && ev != HTTP_ERROR &&
		    ev != HTTP_MORE);
		CHECK_INT(ev, k == 0 ? HTTP_DONE : HTTP_MORE);
	}
}

TEST(http_connection_reuse_rules)
{
	FEED("HTTP/1.1 200 OK\r\nConnection: close\r\n"
	    "Content-Length: 0\r\n\r\n", 0);
	CHECK_INT(whole.done, 1);
	CHECK_INT(whole.r.keep_alive, 0);
	FEED("HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx", 0);
	CHECK_INT(whole.r.minor, 0);
	CHECK_INT(whole.r.keep_alive, 0);
	FEED("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\n"
	    "Content-Length: 1\r\n\r\nx", 0);
	CHECK_INT(whole.r.keep_alive, 1);
	FEED("HTTP/1.1 200 OK\r\nConnection: foo, close\r\n"
	    "Content-Length: 1\r\n\r\nx", 0);
	CHECK_INT(whole.r.keep_alive, 0);
	FEED("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n", 0);
	CHECK_INT(whole.done, 1);
	CHECK_INT(whole.r.chunked, 1);
	CHECK_INT(whole.r.keep_alive, 0);
	CHECK_MEM(whole.body, whole.body_len, "x", 1);
}

TEST(http_connect_answer)
{
	struct outcome o;

	/* A 2xx to CONNECT has no body, whatever its headers say. */
	memset(&o, 0, sizeof o);
	{
		static const char in[] = "HTTP/1.1 200 Connection established"
		    "\r\n\r\n";
		size_t used, blen;
		const uint8_t *b;

		o.r.for_connect = 1;
		CHECK_INT(http_parse(&o.r, (const uint8_t *)in, sizeof in - 1,
		    &used, &b, &blen), HTTP_HEAD);
		CHECK_INT(used, sizeof in - 1);
		CHECK_INT(http_parse(&o.r, (const uint8_t *)in, 0, &used, &b,
		    &blen), HTTP_DONE);
	}
}

TEST(http_bad_status_lines)
{
	static const char *bad[] = {
		"HTTP/2 200 OK\r\n\r\n",
		"HTTP/1.2 200 OK\r\n\r\n",
		"http/1.1 200 OK\r\n\r\n",
		"HTTP/1.1 20 OK\r\n\r\n",
		"HTTP/1.1 2000 OK\r\n\r\n",
		"HTTP/1.1 600 Odd\r\n\r\n",
		"HTTP/1.1  200 OK\r\n\r\n",
		"HTTP/1.1 200 O\x01K\r\n\r\n",
		"HTTP/1.1 200 OK\rX\n\r\n",
		"ICY 200 OK\r\n\r\n",
		"\r\nHTTP/1.1 200 OK\r\n\r\n",
	};
	size_t k;

	for (k = 0; k < sizeof bad / sizeof bad[0]; k++) {
		feed_all(bad[k], strlen(bad[k]), 1);
		if (!CHECK_INT(whole.error, HTTP_E_STATUS)) {
			printf("  input %zu\n", k);
		}
	}
	FEED("HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", 0);
	CHECK_INT(whole.done, 1);
	CHECK_STR(whole.r.reason, "");
}

TEST(http_bad_headers)
{
	static const char *bad[] = {
		"HTTP/1.1 200 OK\r\nX: a\r\n folded\r\n\r\n",
		"HTTP/1.1 200 OK\r\nX: a\r\n\tfolded\r\n\r\n",
		"HTTP/1.1 200 OK\r\nBad Name: a\r\n\r\n",
		"HTTP/1.1 200 OK\r\nName : a\r\n\r\n",
		"HTTP/1.1 200 OK\r\nNoColon\r\n\r\n",
		"HTTP/1.1 200 OK\r\nX: a\0b\r\n\r\n",
		"HTTP/1.1 200 OK\r\nX: a\x1b[31m\r\n\r\n",
		"HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n",
		"HTTP/1.1 200 OK\r\n\rX",
		"HTTP/1.1 200 OK\r\n: empty\r\n\r\n",
	};
	size_t k;

	for (k = 0; k < sizeof bad / sizeof bad[0]; k++) {
		feed_all(bad[k], strlen(bad[k]) + (k == 5 ? 6 : 0), 1);
		if (!CHECK_INT(whole.error, HTTP_E_HEADER)) {
			printf("  input %zu\n", k);
		}
	}
}

TEST(http_bare_lf_tolerated)
{
	FEED("HTTP/1.1 200 OK\nContent-Length: 2\nX: y\n\nab", 0);
	CHECK_INT(whole.done, 1);
	CHECK_MEM(whole.body, whole.body_len, "ab", 2);
}

TEST(http_header_block_bound)
{
	static char big[HTTP_MAX_HEADER_BYTES + 200];
	size_t n, k;

	/* Just inside the bound is fine; one byte more is not. */
	n = (size_t)snprintf(big, sizeof big, "HTTP/1.1 200 OK\r\nX: ");
	for (k = n; k < HTTP_MAX_HEADER_BYTES - 23; k++) {
		big[k] = 'a';
	}
	memcpy(big + k, "\r\nContent-Length: 0\r\n\r\n", 23);
	n = k + 23;
	CHECK_INT(n, HTTP_MAX_HEADER_BYTES);
	feed_cuts(big, n, NULL, 0, 0, &whole);
	CHECK_INT(whole.done, 1);
	CHECK_INT(whole.error, 0);
	memmove(big + 20, big + 19, n - 19);
	feed_cuts(big, n + 1, NULL, 0, 0, &whole);
	CHECK_INT(whole.error, HTTP_E_TOO_BIG);

	/* Interim responses count toward the same bound. */
	n = 0;
	while (n + 40 < sizeof big) {
		memcpy(big + n, "HTTP/1.1 100 Continue\r\n\r\n", 25);
		n += 25;
	}
	feed_cuts(big, n, NULL, 0, 0, &whole);
	CHECK_INT(whole.error, HTTP_E_TOO_BIG);
}

TEST(http_trailer_bound)
{
	static char big[HTTP_MAX_HEADER_BYTES + 200];
	size_t n, k;

	n = (size_t)snprintf(big, sizeof big, "HTTP/1.1 200 OK\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n0\r\nT: ");
	for (k = n; k < sizeof big - 4; k++) {
		big[k] = 'b';
	}
	memcpy(big + k, "\r\n\r\n", 4);
	feed_cuts(big, sizeof big, NULL, 0, 0, &whole);
	CHECK_INT(whole.error, HTTP_E_TOO_BIG);
}

#define CHUNKED_HEAD "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"

TEST(http_chunk_size_bounds)
{
	static char ext[HTTP_MAX_CHUNK_EXT + 200];
	size_t n, k;

	FEED(CHUNKED_HEAD "ffffffffffffffffff\r\n", 1);
	CHECK_INT(whole.error, HTTP_E_CHUNK);
	FEED(CHUNKED_HEAD "00000000000000001\r\nx\r\n0\r\n\r\n", 1);
	CHECK_INT(whole.error, HTTP_E_CHUNK);
	FEED(CHUNKED_HEAD "0000000000000001\r\nx\r\n0\r\n\r\n", 1);
	CHECK_INT(whole.done, 1);
	CHECK_MEM(whole.body, whole.body_len, "x", 1);
	FEED(CHUNKED_HEAD "ffffffffffffffff\r\nabc", 1);
	CHECK_INT(whole.error, HTTP_E_TRUNCATED);
	CHECK_INT(whole.body_len, 3);

	/* Extensions up to the bound pass, beyond it do not. */
	for (k = 0; k < 2; k++) {
		n = (size_t)snprintf(ext, sizeof ext, "%s1;",
		    CHUNKED_HEAD);
		memset(ext + n, 'e', HTTP_MAX_CHUNK_EXT + k);
		n += HTTP_MAX_CHUNK_EXT + k;
		memcpy(ext + n, "\r\nx\r\n0\r\n\r\n", 10);
		feed_cuts(ext, n + 10, NULL, 0, 0, &whole);
		CHECK_INT(whole.error, k == 0 ? 0 : HTTP_E_CHUNK);
		CHECK_INT(whole.done, k == 0);
	}
}

TEST(http_chunk_bad_framing)
{
	static const char *bad[] = {
		CHUNKED_HEAD "g\r\n",
		CHUNKED_HEAD "\r\n",
		CHUNKED_HEAD "-1\r\n",
		CHUNKED_HEAD "0x5\r\nhello\r\n",
		CHUNKED_HEAD "5 x\r\nhello\r\n",
		CHUNKED_HEAD "3\r\nhello\r\n",
		CHUNKED_HEAD "3\r\nabcX\n",
		CHUNKED_HEAD "3\rabc",
		CHUNKED_HEAD "3;\x01\r\nabc",
	};
	size_t k;

	for (k = 0; k < sizeof bad / sizeof bad[0]; k++) {
		feed_all(bad[k], strlen(bad[k]), 1);
		if (!CHECK_INT(whole.error, HTTP_E_CHUNK)) {
			printf("  input %zu\n", k);
		}
	}
}

TEST(http_unsupported_coding)
{
	FEED("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
	    1);
	CHECK_INT(whole.error, HTTP_E_CODING);
	FEED("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n", 1);
	CHECK_INT(whole.error, HTTP_E_CODING);
	FEED("HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked \r\n\r\n"
	    "0\r\n\r\n", 0);
	CHECK_INT(whole.done, 1);
}

TEST(http_content_length_rules)
{
	static const char *bad[] = {
		"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: +1\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n"
		    "Content-Length: 2\r\n\r\nab",
		"HTTP/1.1 200 OK\r\nContent-Length: 1, 2\r\n\r\nab",
		"HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 1,\r\n\r\nx",
		"HTTP/1.1 200 OK\r\nContent-Length: 0x10\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 1 2\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: "
		    "99999999999999999999999\r\n\r\n",
	};
	size_t k;

	for (k = 0; k < sizeof bad / sizeof bad[0]; k++) {
		feed_all(bad[k], strlen(bad[k]), 1);
		if (!CHECK_INT(whole.error, HTTP_E_LENGTH)) {
			printf("  input %zu\n", k);
		}
	}

	/* The same value repeated is one length. */
	FEED("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
	    "Content-Length: 2, 2\r\n\r\nab", 0);
	CHECK_INT(whole.done, 1);
	CHECK_MEM(whole.body, whole.body_len, "ab", 2);
}

TEST(http_body_cut_short)
{
	FEED("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", 1);
	CHECK_INT(whole.error, HTTP_E_TRUNCATED);
	CHECK_INT(whole.body_len, 3);
	FEED(CHUNKED_HEAD "5\r\nab", 1);
	CHECK_INT(whole.error, HTTP_E_TRUNCATED);
	CHECK(http_in_chunk(&whole.r) == 0);
	FEED(CHUNKED_HEAD "5\r\nabcde\r\n0\r\nT: x\r\n", 1);
	CHECK_INT(whole.error, HTTP_E_TRUNCATED);
	FEED("HTTP/1.1 200 OK\r\nContent-Le", 1);
	CHECK_INT(whole.error, HTTP_E_TRUNCATED);
	feed_cuts("", 0, NULL, 0, 0, &whole);
	CHECK(!http_started(&whole.r));
	CHECK_INT(http_eof(&whole.r), HTTP_ERROR);
	CHECK_INT(whole.r.error, HTTP_E_TRUNCATED);
}

TEST(http_in_chunk_at_eof)
{
	static const char in[] = CHUNKED_HEAD "5\r\nab";
	struct http_response r;
	size_t used, blen;
	const uint8_t *b;

	memset(&r, 0, sizeof r);
	CHECK_INT(http_parse(&r, (const uint8_t *)in, sizeof in - 1, &used, &b,
	    &blen), HTTP_HEAD);
	CHECK_INT(http_parse(&r, (const uint8_t *)in + used,
	    sizeof in - 1 - used, &used, &b, &blen), HTTP_BODY);
	CHECK(http_in_chunk(&r));
	CHECK(http_in_body(&r));
	CHECK_INT(http_eof(&r), HTTP_ERROR);
	CHECK_INT(r.error, HTTP_E_TRUNCATED);
	CHECK_STR(r.why, "connection closed in the middle of a chunk");
}

TEST(http_retry_after)
{
	FEED("HTTP/1.1 429 Too Many Requests\r\nRetry-After: 7\r\n"
	    "Content-Length: 0\r\n\r\n", 0);
	CHECK_INT(whole.r.status, 429);
	CHECK_INT(whole.r.retry_after, 7);
	FEED("HTTP/1.1 503 Unavailable\r\n"
	    "Retry-After: Sun, 06 Nov 1994 08:51:07 GMT\r\n"
	    "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
	    "Content-Length: 0\r\n\r\n", 0);
	CHECK_INT(whole.r.retry_after, 90);
	FEED("HTTP/1.1 503 Unavailable\r\n"
	    "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
	    "Retry-After: Sun, 06 Nov 1994 08:40:00 GMT\r\n"
	    "Content-Length: 0\r\n\r\n", 0);
	CHECK_INT(whole.r.retry_after, 0);
	FEED("HTTP/1.1 503 Unavailable\r\nRetry-After: soon\r\n"
	    "Content-Length: 0\r\n\r\n", 0);
	CHECK_INT(whole.r.retry_after, -1);
	/* Without a Date header the client's clock is the base: a date
	 * long past means "now". */
	FEED("HTTP/1.1 503 Unavailable\r\n"
	    "Retry-After: Sun, 06 Nov 1994 08:51:07 GMT\r\n"
	    "Content-Length: 0\r\n\r\n", 0);
	CHECK_INT(whole.r.retry_after, 0);
}

TEST(http_dates)
{
	time_t t;

	CHECK_INT(http_parse_date("Sun, 06 Nov 1994 08:49:37 GMT", 29, &t),
	    0);
	CHECK_INT(t, 784111777);
	CHECK_INT(http_parse_date("Sunday, 06-Nov-94 08:49:37 GMT", 30, &t),
	    0);
	CHECK_INT(t, 784111777);
	CHECK_INT(http_parse_date("Sun Nov  6 08:49:37 1994", 24, &t), 0);
	CHECK_INT(t, 784111777);
	CHECK_INT(http_parse_date("Thu, 01 Jan 1970 00:00:00 GMT", 29, &t),
	    0);
	CHECK_INT(t, 0);
	CHECK_INT(http_parse_date("Tue, 29 Feb 2028 23:59:59 GMT", 29, &t),
	    0);
	CHECK_INT(t, 1835481599);
	CHECK_INT(http_parse_date("Wed, 03 Dec 2025 09:13:00 GMT", 29, &t),
	    0);
	CHECK_INT(t, 1764753180);
	CHECK_INT(http_parse_date("Monday, 01-Jan-24 00:00:00 GMT", 30, &t),
	    0);
	CHECK_INT(t, 1704067200);
	CHECK_INT(http_parse_date("Sun, 29 Feb 2027 00:00:00 GMT", 29, &t),
	    -1);
	CHECK_INT(http_parse_date("Sun, 06 Nov 1994 24:00:00 GMT", 29, &t),
	    -1);
	CHECK_INT(http_parse_date("Sun, 06 Nov 1994 08:49:37 UTC", 29, &t),
	    -1);
	CHECK_INT(http_parse_date("Sun, 06 Foo 1994 08:49:37 GMT", 29, &t),
	    -1);
	CHECK_INT(http_parse_date("Sun, 06 Nov 1994 08:49:37 GMTx", 30, &t),
	    -1);
	CHECK_INT(http_parse_date("Sun, 06 Nov 1994", 16, &t), -1);
	CHECK_INT(http_parse_date("", 0, &t), -1);
	CHECK_INT(http_parse_date("1994-11-06T08:49:37Z", 20, &t), -1);
}

TEST(http_date_header_ignored_when_bad)
{
	FEED("HTTP/1.1 200 OK\r\nDate: yesterday\r\nContent-Length: 0\r\n\r\n",
	    0);
	CHECK_INT(whole.done, 1);
	CHECK_INT(whole.r.date, 0);
}

TEST(http_request_bytes)
{
	char buf[1024];
	struct http_request rq;
	long n;

	memset(&rq, 0, sizeof rq);
	rq.host = "10.0.0.1";
	rq.port = 443;
	rq.tls = 1;
	rq.path_query = "/api/v1/events?limit=500";
	rq.token = "abc.def";
	rq.user_agent = "kevents/1.0 (linux/x86_64)";
	n = http_write_request(buf, sizeof buf, &rq);
	CHECK_STR(buf, "GET /api/v1/events?limit=500 HTTP/1.1\r\n"
	    "Host: 10.0.0.1\r\n"
	    "Authorization: Bearer abc.def\r\n"
	    "Accept: application/json\r\n"
	    "User-Agent: kevents/1.0 (linux/x86_64)\r\n\r\n");
	CHECK_INT(n, (long)strlen(buf));

	/* IPv6 in brackets, a non-default port, a prefix, no token. */
	rq.host = "fd00::1";
	rq.port = 6443;
	rq.token = NULL;
	rq.user_agent = NULL;
	rq.prefix = "/k8s/clusters/c-x";
	rq.path_query = "/api";
	n = http_write_request(buf, sizeof buf, &rq);
	CHECK_STR(buf, "GET /k8s/clusters/c-x/api HTTP/1.1\r\n"
	    "Host: [fd00::1]:6443\r\n"
	    "Accept: application/json\r\n\r\n");

	/* Port 80 is the default for http only. */
	rq.host = "example.com";
	rq.port = 80;
	rq.prefix = NULL;
	rq.tls = 0;
	rq.token = "";
	n = http_write_request(buf, sizeof buf, &rq);
	CHECK_STR(buf, "GET /api HTTP/1.1\r\nHost: example.com\r\n"
	    "Accept: application/json\r\n\r\n");
	rq.tls = 1;
	n = http_write_request(buf, sizeof buf, &rq);
	CHECK_STR(buf, "GET /api HTTP/1.1\r\nHost: example.com:80\r\n"
	    "Accept: application/json\r\n\r\n");

	/* Too small, or a line break smuggled in: refused, in bounds. */
	CHECK_INT(http_write_request(buf, 20, &rq), -1);
	CHECK_INT(http_write_request(buf, (size_t)n, &rq), -1);
	CHECK_INT(http_write_request(buf, (size_t)n + 1, &rq), n);
	rq.token = "x\r\nEvil: 1";
	CHECK_INT(http_write_request(buf, sizeof buf, &rq), -1);
	rq.token = NULL;
	rq.path_query = "/a b\n";
	CHECK_INT(http_write_request(buf, sizeof buf, &rq), -1);
}

TEST(http_connect_bytes)
{
	char buf[512];

	CHECK(http_write_connect(buf, sizeof buf, "fd00::1", 443, NULL, NULL,
	    NULL) > 0);
	CHECK_STR(buf, "CONNECT [fd00::1]:443 HTTP/1.1\r\n"
	    "Host: [fd00::1]:443\r\n\r\n");
	CHECK(http_write_connect(buf, sizeof buf, "api", 6443, "Aladdin",
	    "open sesame", "ua") > 0);
	CHECK_STR(buf, "CONNECT api:6443 HTTP/1.1\r\nHost: api:6443\r\n"
	    "Proxy-Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==\r\n"
	    "User-Agent: ua\r\n\r\n");
	CHECK(http_write_connect(buf, sizeof buf, "h", 1, "ab", "", NULL) >
	    0);
	CHECK(strstr(buf, "Basic YWI6\r\n") != NULL);
}

TEST(http_query_escaping)
{
	char buf[256], small[8];
	struct http_query q = { buf, sizeof buf, 0, 0 };

	http_query_add(&q, "fieldSelector",
	    "involvedObject.name=web-0,involvedObject.kind=Pod");
	http_query_add(&q, "limit", "500");
	http_query_add(&q, "continue", "a/b+c= ~_.-");
	CHECK_INT(q.overflow, 0);
	CHECK_STR(buf, "?fieldSelector=involvedObject.name%3Dweb-0%2C"
	    "involvedObject.kind%3DPod&limit=500"
	    "&continue=a%2Fb%2Bc%3D%20~_.-");
	CHECK_INT(q.len, strlen(buf));

	CHECK_INT(http_escape(small, sizeof small, "\xff\x01:"), 9);
	CHECK_STR(small, "%FF%01");
	CHECK_INT(http_escape(NULL, 0, "abc"), 3);

	/* A parameter that does not fit is left out whole. */
	{
		struct http_query t = { small, sizeof small, 0, 0 };

		http_query_add(&t, "a", "1");
		http_query_add(&t, "b", "22");
		CHECK_INT(t.overflow, 1);
		CHECK_STR(small, "?a=1");
		http_query_add(&t, "c", "");
		CHECK_STR(small, "?a=1");
	}
}
