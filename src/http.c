/* HTTP/1.1 request heads, query strings and the response decoder; see
 * http.h for the contract.
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "civil.h"
#include "http.h"

/* ---- Writing ---- */

/* An append-only view of a caller's buffer; fail sticks. */
struct out {
	char *buf;
	size_t cap;
	size_t len;
	int fail;
};

static void
put(struct out *o, const char *s, size_t n)
{
	if (o->fail) {
		return;
	}
	if (memchr(s, '\r', n) != NULL || memchr(s, '\n', n) != NULL ||
	    memchr(s, '\0', n) != NULL || o->cap - o->len < n + 1) {
		o->fail = 1;
		return;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

static void
puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

/* CRLF is the one place where a line break may enter a request. */
static void
put_crlf(struct out *o)
{
	if (o->fail || o->cap - o->len < 3) {
		o->fail = 1;
		return;
	}
	memcpy(o->buf + o->len, "\r\n", 3);
	o->len += 2;
}

static void
put_hostport(struct out *o, const char *host, int port, int show_port)
{
	char num[16];

	if (strchr(host, ':') != NULL) {
		puts_(o, "[");
		puts_(o, host);
		puts_(o, "]");
	} else {
		puts_(o, host);
	}
	if (show_port) {
		snprintf(num, sizeof num, ":%d", port);
		puts_(o, num);
	}
}

long
http_write_request(char *buf, size_t cap, const struct http_request *rq)
{
	struct out o = { buf, cap, 0, cap == 0 };
	int dflt = rq->tls ? 443 : 80;

	puts_(&o, rq->method != NULL ? rq->method : "GET");
	puts_(&o, " ");
	if (rq->prefix != NULL) {
		puts_(&o, rq->prefix);
	}
	puts_(&o, rq->path_query);
	puts_(&o, " HTTP/1.1");
	put_crlf(&o);
	puts_(&o, "Host: ");
	put_hostport(&o, rq->host, rq->port, rq->port != dflt);
	put_crlf(&o);
	if (rq->token != NULL && rq->token[0] != '\0') {
		puts_(&o, "Authorization: Bearer ");
		puts_(&o, rq->token);
		put_crlf(&o);
	}
	puts_(&o, "Accept: application/json");
	put_crlf(&o);
	if (rq->user_agent != NULL) {
		puts_(&o, "User-Agent: ");
		puts_(&o, rq->user_agent);
		put_crlf(&o);
	}
	put_crlf(&o);
	return o.fail ? -1 : (long)o.len;
}

static void
put_base64(struct out *o, const unsigned char *s, size_t n)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+/";
	char q[4];
	size_t i;
	unsigned v;

	for (i = 0; i < n; i += 3) {
		v = (unsigned)s[i] << 16;
		if (i + 1 < n) {
			v |= (unsigned)s[i + 1] << 8;
		}
		if (i + 2 < n) {
			v |= s[i + 2];
		}
		q[0] = tab[(v >> 18) & 63];
		q[1] = tab[(v >> 12) & 63];
		q[2] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
		q[3] = i + 2 < n ? tab[v & 63] : '=';
		put(o, q, 4);
	}
}

long
http_write_connect(char *buf, size_t cap, const char *host, int port,
    const char *user, const char *pass, const char *user_agent)
{
	struct out o = { buf, cap, 0, cap == 0 };
	char cred[512];
	int n;

	puts_(&o, "CONNECT ");
	put_hostport(&o, host, port, 1);
	puts_(&o, " HTTP/1.1");
	put_crlf(&o);
	puts_(&o, "Host: ");
	put_hostport(&o, host, port, 1);
	put_crlf(&o);
	if (user != NULL) {
		n = snprintf(cred, sizeof cred, "%s:%s", user,
		    pass != NULL ? pass : "");
		if (n < 0 || (size_t)n >= sizeof cred) {
			return -1;
		}
		puts_(&o, "Proxy-Authorization: Basic ");
		put_base64(&o, (const unsigned char *)cred, (size_t)n);
		put_crlf(&o);
		memset(cred, 0, sizeof cred);
	}
	if (user_agent != NULL) {
		puts_(&o, "User-Agent: ");
		puts_(&o, user_agent);
		put_crlf(&o);
	}
	put_crlf(&o);
	return o.fail ? -1 : (long)o.len;
}

static int
unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	    c == '~';
}

size_t
http_escape(char *out, size_t cap, const char *value)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *)value;
	size_t n = 0, w = 0;

	/* n counts the whole encoding, w what fit (whole escapes only). */
	for (; *p != '\0'; p++) {
		if (unreserved(*p)) {
			if (w == n && n + 1 < cap) {
				out[w++] = (char)*p;
			}
			n++;
			continue;
		}
		if (w == n && n + 3 < cap) {
			out[w++] = '%';
			out[w++] = hex[*p >> 4];
			out[w++] = hex[*p & 15];
		}
		n += 3;
	}
	if (cap > 0) {
		out[w] = '\0';
	}
	return n;
}

void
http_query_add(struct http_query *q, const char *name, const char *value)
{
	size_t nlen, vlen;

	/* Measure first, so that a parameter is written whole or not at
	 * all: a half-written one would change the meaning of the query. */
	nlen = http_escape(NULL, 0, name);
	vlen = http_escape(NULL, 0, value);
	if (q->overflow || q->len >= q->cap ||
	    q->cap - q->len < nlen + vlen + 3) {
		q->overflow = 1;
		return;
	}
	q->buf[q->len] = q->len == 0 ? '?' : '&';
	q->len++;
	q->len += http_escape(q->buf + q->len, q->cap - q->len, name);
	q->buf[q->len++] = '=';
	q->len += http_escape(q->buf + q->len, q->cap - q->len, value);
}

/* ---- Dates ---- */

static const char months[] = "janfebmaraprmayjunjulaugsepoctnovdec";

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

struct cur {
	const char *s;
	size_t n;
	size_t i;
	int bad;
};

static int
digits(struct cur *c, int count, int space_ok)
{
	int v = 0, k;
	char ch;

	for (k = 0; k < count; k++) {
		if (c->i >= c->n) {
			c->bad = 1;
			return 0;
		}
		ch = c->s[c->i++];
		if (k == 0 && space_ok && ch == ' ') {
			continue;
		}
		if (ch < '0' || ch > '9') {
			c->bad = 1;
			return 0;
		}
		v = v * 10 + (ch - '0');
	}
	return v;
}

static void
lit(struct cur *c, const char *want)
{
	for (; *want != '\0'; want++) {
		if (c->i >= c->n || lower(c->s[c->i]) != lower(*want)) {
			c->bad = 1;
			return;
		}
		c->i++;
	}
}

static int
month(struct cur *c)
{
	char m[3];
	int k;

	if (c->i > c->n || c->n - c->i < 3) {
		c->bad = 1;
		return 0;
	}
	for (k = 0; k < 3; k++) {
		m[k] = (char)lower(c->s[c->i + k]);
	}
	c->i += 3;
	for (k = 0; k < 12; k++) {
		if (memcmp(months + 3 * k, m, 3) == 0) {
			return k;
		}
	}
	c->bad = 1;
	return 0;
}

int
http_parse_date(const char *s, size_t n, time_t *out)
{
	struct cur c = { s, n, 0, 0 };
	int day, mon, year, hh, mm, ss, asctime_form = 0;

	/* The weekday name is skipped, not checked: the date decides. */
	while (c.i < n && ((s[c.i] >= 'a' && s[c.i] <= 'z') ||
	    (s[c.i] >= 'A' && s[c.i] <= 'Z'))) {
		c.i++;
	}
	if (c.i < 3 || c.i >= n) {
		return -1;
	}
	if (s[c.i] == ',') {
		c.i++;
		lit(&c, " ");
		day = digits(&c, 2, 0);
		if (c.i < n && s[c.i] == '-') {
			/* RFC 850: two-digit years from 70 are 19xx. */
			lit(&c, "-");
			mon = month(&c);
			lit(&c, "-");
			year = digits(&c, 2, 0);
			year += year >= 70 ? 1900 : 2000;
		} else {
			lit(&c, " ");
			mon = month(&c);
			lit(&c, " ");
			year = digits(&c, 4, 0);
		}
		lit(&c, " ");
	} else {
		asctime_form = 1;
		lit(&c, " ");
		mon = month(&c);
		lit(&c, " ");
		day = digits(&c, 2, 1);
		lit(&c, " ");
		year = 0;
	}
	hh = digits(&c, 2, 0);
	lit(&c, ":");
	mm = digits(&c, 2, 0);
	lit(&c, ":");
	ss = digits(&c, 2, 0);
	if (asctime_form) {
		lit(&c, " ");
		year = digits(&c, 4, 0);
	} else {
		lit(&c, " GMT");
	}
	if (c.bad || c.i != n) {
		return -1;
	}

	if (year < 1970 || !civil_valid(year, mon + 1, day, hh, mm, ss)) {
		return -1;
	}
	*out = (time_t)civil_to_unix(year, mon + 1, day, hh, mm, ss);
	return 0;
}

/* ---- Decoding ---- */

enum {
	ST_VERSION = 0,		/* "HTTP/1." */
	ST_MINOR,
	ST_SP1,
	ST_CODE,
	ST_AFTER_CODE,
	ST_REASON,
	ST_STATUS_LF,
	ST_HDR_START,
	ST_HDR_NAME,
	ST_HDR_VALUE,
	ST_HDR_LF,
	ST_HDR_END_LF,
	/* states from here on are past the header block */
	ST_BODY_NONE,
	ST_BODY_LENGTH,
	ST_BODY_CLOSE,
	ST_CH_SIZE,
	ST_CH_BWS,
	ST_CH_EXT,
	ST_CH_SIZE_LF,
	ST_CH_DATA,
	ST_CH_DATA_CR,
	ST_CH_DATA_LF,
	ST_DONE,
	ST_ERROR
};

enum {
	H_OTHER = 0,
	H_CONTENT_LENGTH,
	H_TRANSFER_ENCODING,
	H_CONNECTION,
	H_DATE,
	H_RETRY_AFTER,
	H_CONTENT_TYPE
};

static const struct {
	const char *name;
	int id;
} known[] = {
	{ "content-length", H_CONTENT_LENGTH },
	{ "transfer-encoding", H_TRANSFER_ENCODING },
	{ "connection", H_CONNECTION },
	{ "date", H_DATE },
	{ "retry-after", H_RETRY_AFTER },
	{ "content-type", H_CONTENT_TYPE },
};

static int
fail(struct http_response *r, int code, const char *why)
{
	if (r->error == HTTP_E_NONE) {
		r->error = code;
		r->why = why;
	}
	r->state = ST_ERROR;
	return HTTP_ERROR;
}

static int
tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c != '\0' &&
	    strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9') {
		return c - '0';
	}
	c = (unsigned char)lower(c);
	if (c >= 'a' && c <= 'f') {
		return c - 'a' + 10;
	}
	return -1;
}

/* Field values may hold visible ASCII, space, tab and obs-text; every
 * other control byte, NUL included, is refused. */
static int
value_byte(unsigned char c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

/* Calls fn on each comma-separated element of the value, trimmed. */
static int
each_element(struct http_response *r,
    int (*fn)(struct http_response *, const char *, size_t))
{
	size_t i = 0, start, end;

	while (i <= r->val_len) {
		start = i;
		while (i < r->val_len && r->val[i] != ',') {
			i++;
		}
		end = i;
		while (start < end && (r->val[start] == ' ' ||
		    r->val[start] == '\t')) {
			start++;
		}
		while (end > start && (r->val[end - 1] == ' ' ||
		    r->val[end - 1] == '\t')) {
			end--;
		}
		if (fn(r, r->val + start, end - start) != 0) {
			return -1;
		}
		i++;
	}
	return 0;
}

static int
is_token(const char *s, size_t n, const char *want)
{
	size_t k;

	if (strlen(want) != n) {
		return 0;
	}
	for (k = 0; k < n; k++) {
		if (lower(s[k]) != want[k]) {
			return 0;
		}
	}
	return 1;
}

static int
length_element(struct http_response *r, const char *s, size_t n)
{
	int64_t v = 0;
	size_t k;

	/* Digits only: this refuses signs (a negative length) and empty
	 * elements; the bound keeps the sum of body bytes in an int64. */
	if (n == 0) {
		return -1;
	}
	for (k = 0; k < n; k++) {
		if (s[k] < '0' || s[k] > '9' || v > (INT64_MAX / 4 - 9) / 10) {
			return -1;
		}
		v = v * 10 + (s[k] - '0');
	}
	if (r->saw_length && r->content_length != v) {
		return -1;
	}
	r->saw_length = 1;
	r->content_length = v;
	return 0;
}

static int
coding_element(struct http_response *r, const char *s, size_t n)
{
	/* Only chunked, once, is understood; we send no TE header, so a
	 * server has no business applying any other coding. */
	if (n == 0) {
		return 0;
	}
	if (is_token(s, n, "chunked") && !r->chunked) {
		r->chunked = 1;
	} else {
		r->te_bad = 1;
	}
	return 0;
}

static int
connection_element(struct http_response *r, const char *s, size_t n)
{
	if (is_token(s, n, "close")) {
		r->conn_close = 1;
	} else if (is_token(s, n, "keep-alive")) {
		r->conn_keep_alive = 1;
	}
	return 0;
}

static int
all_digits(const char *s, size_t n, long *out)
{
	long v = 0;
	size_t k;

	if (n == 0) {
		return 0;
	}
	for (k = 0; k < n; k++) {
		if (s[k] < '0' || s[k] > '9') {
			return 0;
		}
		if (v < 100000000L) {
			v = v * 10 + (s[k] - '0');
		}
	}
	*out = v;
	return 1;
}

/* A header line ended: act on the ones that matter. */
static int
header_done(struct http_response *r)
{
	size_t k;

	while (r->val_len > 0 && (r->val[r->val_len - 1] == ' ' ||
	    r->val[r->val_len - 1] == '\t')) {
		r->val_len--;
	}
	r->val[r->val_len] = '\0';
	if (r->in_trailer) {
		return 0;
	}
	if (r->val_long && r->hdr_id != H_CONTENT_TYPE &&
	    r->hdr_id != H_CONNECTION) {
		return fail(r, HTTP_E_HEADER, "header value too long");
	}
	switch (r->hdr_id) {
	case H_CONTENT_LENGTH:
		if (each_element(r, length_element) != 0) {
			return fail(r, HTTP_E_LENGTH,
			    "bad or conflicting Content-Length");
		}
		break;
	case H_TRANSFER_ENCODING:
		r->saw_te = 1;
		each_element(r, coding_element);
		break;
	case H_CONNECTION:
		each_element(r, connection_element);
		break;
	case H_DATE:
		if (http_parse_date(r->val, r->val_len, &r->date) != 0) {
			r->date = 0;
		}
		break;
	case H_RETRY_AFTER:
		if (!all_digits(r->val, r->val_len, &r->retry_delta) &&
		    http_parse_date(r->val, r->val_len, &r->retry_date) != 0) {
			r->retry_date = 0;
		}
		break;
	case H_CONTENT_TYPE:
		for (k = 0; k < r->val_len && k + 1 < sizeof r->content_type &&
		    r->val[k] != ';' && r->val[k] != ' ' && r->val[k] != '\t';
		    k++) {
			r->content_type[k] = (char)lower(r->val[k]);
		}
		r->content_type[k] = '\0';
		break;
	default:
		break;
	}
	return 0;
}

/* Clears what one response head set, so that a 1xx leaves no trace. */
static void
clear_head(struct http_response *r)
{
	r->status = 0;
	r->reason[0] = '\0';
	r->chunked = 0;
	r->content_length = 0;
	r->date = 0;
	r->content_type[0] = '\0';
	r->saw_length = r->saw_te = r->te_bad = 0;
	r->conn_close = r->conn_keep_alive = 0;
	r->retry_date = 0;
	r->retry_delta = -1;
}

/* The header block ended. Returns HTTP_HEAD, HTTP_MORE (a 1xx was
 * skipped) or HTTP_ERROR. */
static int
head_done(struct http_response *r)
{
	time_t base;

	if (r->in_trailer) {
		r->state = ST_DONE;
		return HTTP_MORE;
	}

	/* Interim responses are dropped whole; 101 would switch protocols,
	 * which we never ask for. */
	if (r->status < 200) {
		if (r->status == 101) {
			return fail(r, HTTP_E_STATUS,
			    "unexpected 101 response");
		}
		clear_head(r);
		r->state = ST_VERSION;
		r->idx = 0;
		return HTTP_MORE;
	}

	/* HTTP/1.1 keeps the connection unless told not to; HTTP/1.0 only
	 * when the server says keep-alive. */
	r->keep_alive = !r->conn_close && (r->minor == 1 ||
	    r->conn_keep_alive);
	r->retry_after = -1;
	if (r->retry_delta >= 0) {
		r->retry_after = r->retry_delta;
	} else if (r->retry_date != 0) {
		base = r->date != 0 ? r->date : time(NULL);
		r->retry_after = r->retry_date > base ?
		    (long)(r->retry_date - base) : 0;
	}

	/* Decide how the body ends: RFC 9112 section 6.3 in order. */
	if ((r->for_connect && r->status < 300) || r->status == 204 ||
	    r->status == 304) {
		r->chunked = 0;
		r->content_length = 0;
		r->state = ST_BODY_NONE;
	} else if (r->saw_te) {
		if (r->te_bad || !r->chunked) {
			return fail(r, HTTP_E_CODING,
			    "unsupported transfer coding");
		}
		/* Chunked overrides Content-Length, but such a message may
		 * be a smuggling attempt: do not reuse the connection. */
		if (r->saw_length) {
			r->keep_alive = 0;
		}
		r->content_length = -1;
		r->state = ST_CH_SIZE;
	} else if (r->saw_length) {
		r->left = (uint64_t)r->content_length;
		r->state = r->left > 0 ? ST_BODY_LENGTH : ST_BODY_NONE;
	} else {
		r->content_length = -1;
		r->keep_alive = 0;
		r->state = ST_BODY_CLOSE;
	}
	r->idx = 0;
	r->left = r->state == ST_BODY_LENGTH ? r->left : 0;
	return HTTP_HEAD;
}

/* Status line and header bytes, one at a time. Returns HTTP_MORE to go
 * on, or the event or error the byte caused. */
static int
head_byte(struct http_response *r, unsigned char c)
{
	size_t k;

	switch (r->state) {
	case ST_VERSION:
		if (c != (unsigned char)"HTTP/1."[r->idx]) {
			return fail(r, HTTP_E_STATUS,
			    "not an HTTP/1.x response");
		}
		if (++r->idx == 7) {
			r->state = ST_MINOR;
		}
		return HTTP_MORE;
	case ST_MINOR:
		if (c != '0' && c != '1') {
			return fail(r, HTTP_E_STATUS,
			    "unsupported HTTP version");
		}
		r->minor = c - '0';
		r->state = ST_SP1;
		return HTTP_MORE;
	case ST_SP1:
		if (c != ' ') {
			return fail(r, HTTP_E_STATUS, "malformed status line");
		}
		clear_head(r);
		r->idx = 0;
		r->state = ST_CODE;
		return HTTP_MORE;
	case ST_CODE:
		if (c < '0' || c > '9' || (r->idx == 0 && (c < '1' ||
		    c > '5'))) {
			return fail(r, HTTP_E_STATUS, "malformed status code");
		}
		r->status = r->status * 10 + (c - '0');
		if (++r->idx == 3) {
			r->idx = 0;
			r->state = ST_AFTER_CODE;
		}
		return HTTP_MORE;
	case ST_AFTER_CODE:
		if (c == ' ') {
			r->state = ST_REASON;
			return HTTP_MORE;
		}
		/* A missing reason phrase (no space either) is tolerated. */
		if (c == '\r') {
			r->state = ST_STATUS_LF;
			return HTTP_MORE;
		}
		if (c == '\n') {
			r->state = ST_HDR_START;
			return HTTP_MORE;
		}
		return fail(r, HTTP_E_STATUS, "malformed status code");
	case ST_REASON:
		if (c == '\r') {
			r->state = ST_STATUS_LF;
		} else if (c == '\n') {
			r->state = ST_HDR_START;
		} else if (!value_byte(c)) {
			return fail(r, HTTP_E_STATUS,
			    "control byte in the status line");
		} else if (r->idx + 1 < sizeof r->reason) {
			r->reason[r->idx++] = (char)c;
			r->reason[r->idx] = '\0';
		}
		return HTTP_MORE;
	case ST_STATUS_LF:
		if (c != '\n') {
			return fail(r, HTTP_E_STATUS,
			    "bare CR in the status line");
		}
		r->state = ST_HDR_START;
		return HTTP_MORE;
	case ST_HDR_START:
		if (c == '\r') {
			r->state = ST_HDR_END_LF;
			return HTTP_MORE;
		}
		if (c == '\n') {
			return head_done(r);
		}
		if (c == ' ' || c == '\t') {
			return fail(r, HTTP_E_HEADER, "obsolete line folding");
		}
		if (!tchar(c)) {
			return fail(r, HTTP_E_HEADER, "malformed header name");
		}
		r->name_len = 0;
		r->val_len = 0;
		r->val_long = 0;
		r->state = ST_HDR_NAME;
		/* fall through */
	case ST_HDR_NAME:
		if (c == ':') {
			r->hdr_id = H_OTHER;
			for (k = 0; k < sizeof known / sizeof known[0]; k++) {
				if (strlen(known[k].name) == r->name_len &&
				    memcmp(known[k].name, r->name,
				    r->name_len) == 0) {
					r->hdr_id = known[k].id;
				}
			}
			r->state = ST_HDR_VALUE;
			return HTTP_MORE;
		}
		if (!tchar(c)) {
			return fail(r, HTTP_E_HEADER, "malformed header name");
		}
		/* Names longer than any we look for are kept only counted. */
		if (r->name_len < sizeof r->name) {
			r->name[r->name_len] = (char)lower(c);
		}
		r->name_len++;
		return HTTP_MORE;
	case ST_HDR_VALUE:
		if (c == '\r') {
			r->state = ST_HDR_LF;
			return HTTP_MORE;
		}
		if (c == '\n') {
			r->state = ST_HDR_START;
			return header_done(r) ? HTTP_ERROR : HTTP_MORE;
		}
		if (!value_byte(c)) {
			return fail(r, HTTP_E_HEADER,
			    "control byte in a header value");
		}
		if (r->hdr_id == H_OTHER || (r->val_len == 0 && (c == ' ' ||
		    c == '\t'))) {
			return HTTP_MORE;
		}
		if (r->val_len + 1 < sizeof r->val) {
			r->val[r->val_len++] = (char)c;
		} else {
			r->val_long = 1;
		}
		return HTTP_MORE;
	case ST_HDR_LF:
		if (c != '\n') {
			return fail(r, HTTP_E_HEADER, "bare CR in a header");
		}
		r->state = ST_HDR_START;
		return header_done(r) ? HTTP_ERROR : HTTP_MORE;
	case ST_HDR_END_LF:
		if (c != '\n') {
			return fail(r, HTTP_E_HEADER, "bare CR in a header");
		}
		return head_done(r);
	default:
		return fail(r, HTTP_E_HEADER, "decoder state lost");
	}
}

/* Chunk framing bytes (everything in a chunked body but the data). */
static int
chunk_byte(struct http_response *r, unsigned char c)
{
	int h;

	switch (r->state) {
	case ST_CH_SIZE:
		h = hexval(c);
		if (h >= 0) {
			/* Sixteen digits already fill 64 bits. */
			if (++r->idx > HTTP_MAX_CHUNK_DIGITS) {
				return fail(r, HTTP_E_CHUNK,
				    "chunk size too large");
			}
			r->left = r->left << 4 | (uint64_t)h;
			return HTTP_MORE;
		}
		if (r->idx == 0) {
			return fail(r, HTTP_E_CHUNK, "malformed chunk size");
		}
		r->ext_len = 0;
		r->state = ST_CH_BWS;
		/* fall through */
	case ST_CH_BWS:
		if (c == ' ' || c == '\t') {
			return HTTP_MORE;
		}
		if (c == ';') {
			r->state = ST_CH_EXT;
			return HTTP_MORE;
		}
		if (c != '\r' && c != '\n') {
			return fail(r, HTTP_E_CHUNK, "malformed chunk size");
		}
		/* fall through */
	case ST_CH_EXT:
		if (c == '\r') {
			r->state = ST_CH_SIZE_LF;
			return HTTP_MORE;
		}
		if (c != '\n') {
			/* Extensions are ignored, so they need only a bound
			 * that stops a server streaming one forever. */
			if (!value_byte(c) ||
			    ++r->ext_len > HTTP_MAX_CHUNK_EXT) {
				return fail(r, HTTP_E_CHUNK,
				    "malformed chunk extension");
			}
			return HTTP_MORE;
		}
		/* fall through */
	case ST_CH_SIZE_LF:
		if (c != '\n') {
			return fail(r, HTTP_E_CHUNK,
			    "bare CR in a chunk size");
		}
		r->idx = 0;
		if (r->left == 0) {
			r->in_trailer = 1;
			r->hdr_bytes = 0;
			r->state = ST_HDR_START;
		} else {
			r->state = ST_CH_DATA;
		}
		return HTTP_MORE;
	case ST_CH_DATA_CR:
		if (c == '\r') {
			r->state = ST_CH_DATA_LF;
			return HTTP_MORE;
		}
		/* fall through */
	case ST_CH_DATA_LF:
		if (c != '\n') {
			return fail(r, HTTP_E_CHUNK,
			    "chunk data overruns its size");
		}
		r->left = 0;
		r->idx = 0;
		r->state = ST_CH_SIZE;
		return HTTP_MORE;
	default:
		return fail(r, HTTP_E_CHUNK, "decoder state lost");
	}
}

int
http_parse(struct http_response *r, const uint8_t *in, size_t len,
    size_t *used, const uint8_t **body, size_t *body_len)
{
	size_t i = 0, n;
	int ev;

	*used = 0;
	*body = NULL;
	*body_len = 0;
	for (;;) {
		switch (r->state) {
		case ST_ERROR:
			return HTTP_ERROR;
		case ST_DONE:
			*used = i;
			return HTTP_DONE;
		case ST_BODY_NONE:
			r->state = ST_DONE;
			continue;
		case ST_BODY_LENGTH:
		case ST_BODY_CLOSE:
		case ST_CH_DATA:
			if (i == len) {
				*used = i;
				return HTTP_MORE;
			}

			/* Body bytes go out as one slice of the input. */
			n = len - i;
			if (r->state != ST_BODY_CLOSE && n > r->left) {
				n = (size_t)r->left;
			}
			if (r->state != ST_BODY_CLOSE) {
				r->left -= n;
				if (r->left == 0) {
					r->state = r->state == ST_CH_DATA ?
					    ST_CH_DATA_CR : ST_DONE;
				}
			}
			r->body_bytes += (int64_t)n;
			*body = in + i;
			*body_len = n;
			*used = i + n;
			return HTTP_BODY;
		default:
			break;
		}
		if (i == len) {
			*used = i;
			return HTTP_MORE;
		}
		if (r->state < ST_BODY_NONE) {
			/* The whole head, interim responses included, is
			 * bounded so that a server cannot hold us reading
			 * headers forever. */
			if (++r->hdr_bytes > HTTP_MAX_HEADER_BYTES) {
				return fail(r, HTTP_E_TOO_BIG, r->in_trailer ?
				    "trailers too large" :
				    "header block too large");
			}
			ev = head_byte(r, in[i++]);
		} else {
			ev = chunk_byte(r, in[i++]);
		}
		if (ev != HTTP_MORE) {
			*used = i;
			return ev;
		}
	}
}

int
http_eof(struct http_response *r)
{
	if (r->state == ST_BODY_CLOSE || r->state == ST_BODY_NONE ||
	    r->state == ST_DONE) {
		r->state = ST_DONE;
		return HTTP_DONE;
	}
	if (r->state == ST_ERROR) {
		return HTTP_ERROR;
	}
	return fail(r, HTTP_E_TRUNCATED, http_in_chunk(r) ?
	    "connection closed in the middle of a chunk" :
	    r->state < ST_BODY_NONE ?
	    "connection closed before the response headers ended" :
	    "connection closed before the body ended");
}

int
http_started(const struct http_response *r)
{
	return r->state != ST_VERSION || r->idx != 0 || r->hdr_bytes != 0;
}

int
http_in_body(const struct http_response *r)
{
	return r->state >= ST_BODY_NONE && r->state < ST_DONE;
}

int
http_in_chunk(const struct http_response *r)
{
	return r->state >= ST_CH_SIZE && r->state <= ST_CH_DATA_LF;
}

void
http_reset(struct http_response *r)
{
	memset(r, 0, sizeof *r);
}
