/* HTTP/1.1 on the client side: the request head writer, a query-string
 * builder, and a push decoder for responses (status line, headers, and
 * bodies by Content-Length, chunked coding or read-to-close). Sockets,
 * TLS and retries belong to conn.c and client.c.
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KEVENTS_HTTP_H
#define KEVENTS_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* The largest header block accepted, status line and interim (1xx)
 * responses included; trailers get the same allowance of their own. */
#define HTTP_MAX_HEADER_BYTES 65536
/* Chunk-size lines: at most this many hex digits, then at most this
 * many bytes of chunk extensions. */
#define HTTP_MAX_CHUNK_DIGITS 16
#define HTTP_MAX_CHUNK_EXT 1024

/* ---- Requests ---- */

struct http_request {
	const char *method;		/* "GET"; NULL means "GET" */
	const char *host;		/* name or IP literal, no brackets */
	int port;
	int tls;			/* default port is 443, else 80 */
	const char *prefix;		/* path prefix ("/k8s/x") or NULL */
	const char *path_query;		/* "/api/v1/...?...", escaped */
	const char *token;		/* bearer token, or NULL */
	const char *user_agent;		/* or NULL for none */
};

/* Writes the request head (request line, Host, Authorization, Accept,
 * User-Agent, blank line) into buf. Returns its length, or -1 if it
 * does not fit in cap bytes or a field holds CR, LF or NUL (which
 * would split the request). Nothing is written past cap. */
long http_write_request(char *buf, size_t cap, const struct http_request *rq);

/* Writes "CONNECT host:port" for a proxy tunnel, with Proxy-Authorization
 * Basic when user is not NULL. Returns the length or -1 as above. */
long http_write_connect(char *buf, size_t cap, const char *host, int port,
    const char *user, const char *pass, const char *user_agent);

/* A query string under construction in a caller's buffer: "?a=1&b=2".
 * Zeroed plus buf/cap is a valid empty query. When something does not
 * fit, overflow is set, len stops growing and buf stays terminated. */
struct http_query {
	char *buf;
	size_t cap;
	size_t len;
	int overflow;
};

/* Appends name=value with both percent-encoded: RFC 3986 unreserved
 * characters stay, every other byte (including = , / : and space)
 * becomes %XX. */
void http_query_add(struct http_query *q, const char *name,
    const char *value);

/* Percent-encodes value into out (NUL-terminated when cap > 0). Returns
 * the length the full encoding needs, like snprintf. */
size_t http_escape(char *out, size_t cap, const char *value);

/* ---- Responses ----
 *
 * What the decoder accepts where RFC 9112 leaves a choice: a bare LF
 * ends a line anywhere (status line, headers, chunk framing, trailers),
 * a bare CR does not; the reason phrase may be missing; obsolete line
 * folding, NUL and control bytes (other than tab) are refused; 1xx
 * responses are skipped, except 101, which is refused (we never ask to
 * switch protocols). The only transfer coding understood is chunked,
 * once; when it comes with a Content-Length, chunked decides the body
 * and the connection is not reused. Several Content-Length values must
 * all be equal. A Date or Retry-After that does not parse is ignored. */

/* What http_parse() returns. */
enum {
	HTTP_ERROR = -1,	/* bad input; error and why say what */
	HTTP_MORE = 0,		/* all input used; more is needed */
	HTTP_HEAD = 1,		/* status and headers are now known */
	HTTP_BODY = 2,		/* *body and *body_len hold body bytes */
	HTTP_DONE = 3		/* the response is complete */
};

/* The sticking error codes. */
enum {
	HTTP_E_NONE = 0,
	HTTP_E_STATUS,		/* malformed status line or version */
	HTTP_E_HEADER,		/* malformed header line */
	HTTP_E_TOO_BIG,		/* header block or trailers too large */
	HTTP_E_LENGTH,		/* bad or conflicting Content-Length */
	HTTP_E_CODING,		/* a coding other than chunked */
	HTTP_E_CHUNK,		/* malformed chunk framing */
	HTTP_E_TRUNCATED	/* the connection ended inside the response */
};

/* One response being decoded. Zeroed is ready for a response; set
 * for_connect before feeding the answer to a CONNECT request (a 2xx
 * then has no body). The public fields are valid from HTTP_HEAD on. */
struct http_response {
	int for_connect;		/* set by the caller */

	int status;
	int minor;			/* 0 for HTTP/1.0, 1 for HTTP/1.1 */
	char reason[64];		/* reason phrase, truncated */
	int keep_alive;			/* the connection is reusable */
	int chunked;
	int64_t content_length;		/* -1 when not delimited */
	time_t date;			/* Date header, or 0 */
	long retry_after;		/* seconds, or -1 when absent */
	char content_type[64];		/* media type, lower case */
	int64_t body_bytes;		/* body bytes returned so far */

	int error;			/* HTTP_E_*, sticks */
	const char *why;		/* static sentence, or NULL */

	/* decoder state, private to http.c */
	int state;
	int body_mode;
	int hdr_id;
	int in_trailer;
	int saw_length;
	int saw_te;
	int conn_close;
	int conn_keep_alive;
	int te_bad;
	int val_long;
	size_t idx;
	size_t hdr_bytes;
	size_t name_len;
	size_t val_len;
	size_t ext_len;
	uint64_t left;
	time_t retry_date;
	long retry_delta;
	char name[32];
	char val[256];
};

/* Decodes in[0..len). Stops at the first event and stores in *used how
 * many bytes it took; call again with the rest (also with len 0 after
 * HTTP_HEAD, which may be followed at once by HTTP_DONE). HTTP_BODY
 * slices point into in. HTTP_MORE means all of in was used. After
 * HTTP_DONE, bytes past *used belong to the next response: reset with
 * http_reset() first. After HTTP_ERROR every call returns HTTP_ERROR. */
int http_parse(struct http_response *r, const uint8_t *in, size_t len,
    size_t *used, const uint8_t **body, size_t *body_len);

/* The connection ended. Returns HTTP_DONE when that completes the
 * response (a read-to-close body, or one already done), else
 * HTTP_ERROR with error HTTP_E_TRUNCATED. */
int http_eof(struct http_response *r);

/* True once any byte of the response has been taken. */
int http_started(const struct http_response *r);

/* True between HTTP_HEAD and HTTP_DONE. */
int http_in_body(const struct http_response *r);

/* True while the decoder is inside a chunk or chunk framing. */
int http_in_chunk(const struct http_response *r);

/* Prepares r for the next response on the same connection. */
void http_reset(struct http_response *r);

/* Parses an HTTP-date (IMF-fixdate, RFC 850 or asctime form) of n bytes.
 * Returns 0 and the time, or -1. */
int http_parse_date(const char *s, size_t n, time_t *out);

#endif
