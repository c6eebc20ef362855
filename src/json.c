/* The JSON tokenizer: a byte-driven state machine with bulk scanning of
 * string bodies. Token meaning and field selection live in event.c.
 * SPDX-License-Identifier: Apache-2.0 */
#include <string.h>

#include "json.h"

enum {
	ST_TOP = 0,		/* between top-level values */
	ST_VALUE,		/* after ':' or an array's ',' */
	ST_ARRAY_FIRST,		/* after '[' */
	ST_OBJECT_FIRST,	/* after '{' */
	ST_KEY,			/* after an object's ',' */
	ST_COLON,
	ST_NEXT,		/* after a member: ',' or the closer */
	ST_STRING,
	ST_ESCAPE,
	ST_UNICODE,
	ST_UTF8,
	ST_NUMBER,
	ST_LITERAL
};

enum {
	NUM_MINUS,		/* '-' seen, a digit must follow */
	NUM_ZERO,		/* a leading 0: no digit may follow */
	NUM_INT,
	NUM_DOT,		/* '.' seen, a digit must follow */
	NUM_FRAC,
	NUM_EXP_MARK,		/* 'e' seen: sign or digit */
	NUM_EXP_SIGN,		/* sign seen: digit */
	NUM_EXP
};

/* 1 for bytes that may stand in a string body as they are: printable
 * ASCII other than '"' and '\\'. */
static const uint8_t plain[256] = {
	['\x20'] = 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
};

static int
is_ws(uint8_t c)
{
	return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

static uint64_t
pos_offset(const struct json_parser *p, const uint8_t *pos)
{
	return p->offset + (uint64_t)(pos - p->chunk);
}

/* Copies the capture run up to upto. Returns -1 (error set) when the
 * capture buffer would overflow. */
static int
capture_flush(struct json_parser *p, const uint8_t *upto)
{
	size_t n = (size_t)(upto - p->span);
	size_t room = p->capture_size - p->capture_len;

	if (n > room) {
		p->err = JSON_ERR_CAPTURE;
		p->err_offset = pos_offset(p, p->span + room);
		p->capturing = 0;
		return -1;
	}
	if (n > 0) {
		memcpy(p->capture + p->capture_len, p->span, n);
	}
	p->capture_len += n;
	p->span = upto;
	return 0;
}

static void
fail(struct json_parser *p, int err, uint64_t offset, const uint8_t *at)
{
	if (p->err) {
		return;
	}

	/* A capture that overflowed before the byte where this error was
	 * seen is the earlier error; flushing first keeps the reported
	 * error the same whatever the split of the input. */
	if (p->capturing && capture_flush(p, at) < 0) {
		return;
	}
	p->err = err;
	p->err_offset = offset;
}

static void
fail_at(struct json_parser *p, int err, const uint8_t *at)
{
	fail(p, err, pos_offset(p, at), at);
}

/* Reports a token; pos is its last byte, and the bytes before upto have
 * been read. */
static void
emit(struct json_parser *p, enum json_token t, int depth, const char *str,
    size_t len, const uint8_t *pos, const uint8_t *upto)
{
	int r;

	/* A capture that has overflowed fails before any later token is
	 * seen, as it would if the input ended right there. */
	if (p->capturing && upto >= p->span && p->capture_len +
	    (size_t)(upto - p->span) > p->capture_size) {
		capture_flush(p, upto);
		return;
	}
	if (p->skip) {
		if (depth == p->skip_depth && t != JSON_OBJECT_START &&
		    t != JSON_ARRAY_START) {
			p->skip = 0;
		}
		return;
	}
	if (p->on_token == NULL) {
		return;
	}
	p->tok_pos = pos;
	r = p->on_token(p->arg, t, depth, str, len);
	if (p->err) {
		return;
	}
	if (r == JSON_SKIP && (t == JSON_KEY || t == JSON_OBJECT_START ||
	    t == JSON_ARRAY_START)) {
		p->skip = 1;
		p->skip_depth = depth;
	} else if (r == JSON_STOP) {
		fail_at(p, JSON_ERR_STOPPED, pos);
	}
}

/* Adds n bytes to the current string. Bytes past the scratch size are
 * counted but not kept; the string's end reports JSON_ERR_TOO_LONG, so
 * that the error does not depend on where the input was split. */
static void
append(struct json_parser *p, const void *bytes, size_t n)
{
	size_t room;

	if (p->skip) {
		return;
	}
	room = p->str_len < p->scratch_size ? p->scratch_size - p->str_len : 0;
	memcpy(p->scratch + p->str_len, bytes, n < room ? n : room);
	p->str_len += n;
}

static void
append_code_point(struct json_parser *p, uint32_t cp)
{
	uint8_t u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (uint8_t)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (uint8_t)(0xc0 | cp >> 6);
		u[1] = (uint8_t)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (uint8_t)(0xe0 | cp >> 12);
		u[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
		u[2] = (uint8_t)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (uint8_t)(0xf0 | cp >> 18);
		u[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3f));
		u[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
		u[3] = (uint8_t)(0x80 | (cp & 0x3f));
		n = 4;
	}
	append(p, u, n);
}

static void
value_done(struct json_parser *p, int scalar)
{
	if (p->depth == 0) {
		p->values++;
		p->last_scalar = scalar;
		p->after_ws = 0;
		p->state = ST_TOP;
	} else {
		p->state = ST_NEXT;
	}
}

static int
too_long(struct json_parser *p, size_t len)
{
	return !p->skip && len > p->scratch_size;
}

/* Returns the first byte at or after s that is not plain string text
 * (a quote, a backslash, a control byte or a non-ASCII byte), or end.
 * Eight bytes at a time: each test flags its lowest matching byte
 * exactly, which is all that is needed. */
static const uint8_t *
scan_plain(const uint8_t *s, const uint8_t *end)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	const uint64_t ones = 0x0101010101010101ull;
	const uint64_t highs = 0x8080808080808080ull;

	while (end - s >= 8) {
		uint64_t w, q, b, hit;

		memcpy(&w, s, 8);
		q = w ^ (ones * '"');
		b = w ^ (ones * '\\');
		hit = ((q - ones) & ~q) | ((b - ones) & ~b) |
		    ((w - ones * 0x20) & ~w) | w;
		hit &= highs;
		if (hit != 0) {
			return s + (__builtin_ctzll(hit) >> 3);
		}
		s += 8;
	}
#endif
	while (s < end && plain[*s]) {
		s++;
	}
	return s;
}

/* The length of the valid, complete UTF-8 sequence at s, or 0 when it
 * is invalid or cut by the end of the chunk (the byte machine then
 * finds out which, at the exact byte). */
static int
utf8_whole(const uint8_t *s, const uint8_t *end)
{
	uint8_t c = s[0], lo = 0x80, hi = 0xbf;
	ptrdiff_t have = end - s;

	if (c >= 0xc2 && c <= 0xdf) {
		return have >= 2 && (s[1] & 0xc0) == 0x80 ? 2 : 0;
	}
	if (c >= 0xe0 && c <= 0xef) {
		if (c == 0xe0) {
			lo = 0xa0;
		} else if (c == 0xed) {
			hi = 0x9f;
		}
		return have >= 3 && s[1] >= lo && s[1] <= hi &&
		    (s[2] & 0xc0) == 0x80 ? 3 : 0;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if (c == 0xf0) {
			lo = 0x90;
		} else if (c == 0xf4) {
			hi = 0x8f;
		}
		return have >= 4 && s[1] >= lo && s[1] <= hi &&
		    (s[2] & 0xc0) == 0x80 && (s[3] & 0xc0) == 0x80 ? 4 : 0;
	}
	return 0;
}

static void
string_begin(struct json_parser *p, const uint8_t *quote, int key)
{
	p->state = ST_STRING;
	p->str_key = key;
	p->str_len = 0;
	p->str_buffered = 0;
	p->uhigh = 0;
	p->tok_pos = quote;
	p->err_offset = pos_offset(p, quote);
}

static void
string_end(struct json_parser *p, const char *str, size_t len,
    const uint8_t *quote)
{
	/* err_offset holds the opening quote until an error replaces it. */
	if (too_long(p, len)) {
		fail(p, JSON_ERR_TOO_LONG, p->err_offset, quote);
		return;
	}
	if (p->str_key) {
		p->state = ST_COLON;
		emit(p, JSON_KEY, p->depth, str, len, quote, quote + 1);
	} else {
		value_done(p, 0);
		emit(p, JSON_STRING, p->depth, str, len, quote, quote + 1);
	}
}

/* Scans string text from s; returns where it stopped (the chunk's end,
 * or the byte after the token or escape lead it ended on). */
static const uint8_t *
scan_string(struct json_parser *p, const uint8_t *s, const uint8_t *end)
{
	const uint8_t *run = s;
	int n;

	/* A high surrogate escape must be followed at once by its low
	 * half. */
	if (p->uhigh != 0 && *s != '\\') {
		fail_at(p, JSON_ERR_SURROGATE, s);
		return end;
	}
	for (;;) {
		s = scan_plain(s, end);
		if (s == end) {
			append(p, run, (size_t)(s - run));
			p->str_buffered = 1;
			return s;
		}
		if (*s == '"') {
			if (!p->str_buffered) {
				string_end(p, (const char *)run,
				    (size_t)(s - run), s);
			} else {
				append(p, run, (size_t)(s - run));
				string_end(p, p->scratch, p->str_len, s);
			}
			return s + 1;
		}
		if (*s == '\\') {
			append(p, run, (size_t)(s - run));
			p->str_buffered = 1;
			p->state = ST_ESCAPE;
			return s + 1;
		}
		if (*s < 0x20) {
			fail_at(p, JSON_ERR_CONTROL, s);
			return end;
		}
		n = utf8_whole(s, end);
		if (n > 0) {
			s += n;
			continue;
		}
		append(p, run, (size_t)(s - run));
		p->str_buffered = 1;
		p->state = ST_UTF8;
		p->u8left = 0;
		return s;
	}
}

/* One byte of a UTF-8 sequence the fast path could not take whole. */
static void
utf8_byte(struct json_parser *p, const uint8_t *s)
{
	uint8_t c = *s;

	if (p->u8left == 0) {
		p->u8lo = 0x80;
		p->u8hi = 0xbf;
		if (c >= 0xc2 && c <= 0xdf) {
			p->u8left = 1;
		} else if (c >= 0xe0 && c <= 0xef) {
			p->u8left = 2;
			if (c == 0xe0) {
				p->u8lo = 0xa0;
			} else if (c == 0xed) {
				p->u8hi = 0x9f;
			}
		} else if (c >= 0xf0 && c <= 0xf4) {
			p->u8left = 3;
			if (c == 0xf0) {
				p->u8lo = 0x90;
			} else if (c == 0xf4) {
				p->u8hi = 0x8f;
			}
		} else {
			fail_at(p, JSON_ERR_UTF8, s);
			return;
		}
		append(p, s, 1);
		return;
	}
	if (c < p->u8lo || c > p->u8hi) {
		fail_at(p, JSON_ERR_UTF8, s);
		return;
	}
	append(p, s, 1);
	p->u8lo = 0x80;
	p->u8hi = 0xbf;
	if (--p->u8left == 0) {
		p->state = ST_STRING;
	}
}

static void
escape_byte(struct json_parser *p, const uint8_t *s)
{
	static const char from[] = "\"\\/bfnrt";
	static const char to[] = "\"\\/\b\f\n\r\t";
	const char *hit;

	if (*s == 'u') {
		p->state = ST_UNICODE;
		p->uleft = 4;
		p->ucode = 0;
		return;
	}
	if (p->uhigh != 0) {
		fail_at(p, JSON_ERR_SURROGATE, s);
		return;
	}
	hit = *s != 0 ? strchr(from, *s) : NULL;
	if (hit == NULL) {
		fail_at(p, JSON_ERR_ESCAPE, s);
		return;
	}
	append(p, &to[hit - from], 1);
	p->state = ST_STRING;
}

static void
unicode_byte(struct json_parser *p, const uint8_t *s)
{
	uint8_t c = *s;
	uint32_t v, cp;

	if (c >= '0' && c <= '9') {
		v = (uint32_t)(c - '0');
	} else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') {
		v = (uint32_t)((c | 0x20) - 'a' + 10);
	} else {
		fail_at(p, JSON_ERR_ESCAPE, s);
		return;
	}
	p->ucode = p->ucode << 4 | v;
	if (--p->uleft > 0) {
		return;
	}

	/* The four digits are in: pair surrogates, refuse lone halves. */
	cp = p->ucode;
	p->state = ST_STRING;
	if (p->uhigh != 0) {
		if (cp < 0xdc00 || cp > 0xdfff) {
			fail_at(p, JSON_ERR_SURROGATE, s);
			return;
		}
		cp = 0x10000 + ((p->uhigh - 0xd800) << 10) + (cp - 0xdc00);
		p->uhigh = 0;
	} else if (cp >= 0xd800 && cp <= 0xdbff) {
		p->uhigh = cp;
		return;
	} else if (cp >= 0xdc00 && cp <= 0xdfff) {
		fail_at(p, JSON_ERR_SURROGATE, s);
		return;
	}
	append_code_point(p, cp);
}

static void
number_end(struct json_parser *p, const uint8_t *at)
{
	if (too_long(p, p->str_len)) {
		fail(p, JSON_ERR_TOO_LONG, p->err_offset, at);
		return;
	}
	value_done(p, 1);
	emit(p, JSON_NUMBER, p->depth, p->scratch, p->str_len, at, at);
}

static int
number_terminal(int ns)
{
	return ns == NUM_ZERO || ns == NUM_INT || ns == NUM_FRAC ||
	    ns == NUM_EXP;
}

/* One byte in a number. Returns 1 if it was consumed, 0 if the number
 * ended before it (the byte is then read again as structure). */
static int
number_byte(struct json_parser *p, const uint8_t *s)
{
	uint8_t c = *s;
	int ns = p->num_state;

	if (c >= '0' && c <= '9') {
		switch (ns) {
		case NUM_MINUS:
			ns = c == '0' ? NUM_ZERO : NUM_INT;
			break;
		case NUM_ZERO:
			fail_at(p, JSON_ERR_NUMBER, s);
			return 1;
		case NUM_DOT:
			ns = NUM_FRAC;
			break;
		case NUM_EXP_MARK:
		case NUM_EXP_SIGN:
			ns = NUM_EXP;
			break;
		default:
			break;
		}
	} else if (c == '.' && (ns == NUM_ZERO || ns == NUM_INT)) {
		ns = NUM_DOT;
	} else if ((c == 'e' || c == 'E') && (ns == NUM_ZERO ||
	    ns == NUM_INT || ns == NUM_FRAC)) {
		ns = NUM_EXP_MARK;
	} else if ((c == '+' || c == '-') && ns == NUM_EXP_MARK) {
		ns = NUM_EXP_SIGN;
	} else if (number_terminal(ns) && c != '.' && c != 'e' && c != 'E' &&
	    c != '+' && c != '-') {
		number_end(p, s);
		return 0;
	} else {
		fail_at(p, JSON_ERR_NUMBER, s);
		return 1;
	}
	p->num_state = ns;
	append(p, s, 1);
	return 1;
}

static void
open_container(struct json_parser *p, const uint8_t *s, int object)
{
	if (p->depth >= JSON_MAX_DEPTH) {
		fail_at(p, JSON_ERR_DEPTH, s);
		return;
	}
	if (object) {
		p->stack |= (uint64_t)1 << p->depth;
	} else {
		p->stack &= ~((uint64_t)1 << p->depth);
	}
	p->state = object ? ST_OBJECT_FIRST : ST_ARRAY_FIRST;
	p->depth++;
	emit(p, object ? JSON_OBJECT_START : JSON_ARRAY_START, p->depth - 1,
	    NULL, 0, s, s + 1);
}

static void
close_container(struct json_parser *p, const uint8_t *s)
{
	int object = (int)(p->stack >> (p->depth - 1) & 1);

	if (*s != (object ? '}' : ']')) {
		fail_at(p, JSON_ERR_SYNTAX, s);
		return;
	}
	p->depth--;
	value_done(p, 0);
	emit(p, object ? JSON_OBJECT_END : JSON_ARRAY_END, p->depth, NULL, 0,
	    s, s + 1);
}

/* The first byte of a value. */
static void
value_begin(struct json_parser *p, const uint8_t *s)
{
	switch (*s) {
	case '{':
		open_container(p, s, 1);
		return;
	case '[':
		open_container(p, s, 0);
		return;
	case '"':
		string_begin(p, s, 0);
		return;
	case 't':
		p->lit = "true";
		p->lit_token = JSON_TRUE;
		break;
	case 'f':
		p->lit = "false";
		p->lit_token = JSON_FALSE;
		break;
	case 'n':
		p->lit = "null";
		p->lit_token = JSON_NULL;
		break;
	default:
		if (*s == '-' || (*s >= '0' && *s <= '9')) {
			p->state = ST_NUMBER;
			p->num_state = *s == '-' ? NUM_MINUS :
			    *s == '0' ? NUM_ZERO : NUM_INT;
			p->str_len = 0;
			p->tok_pos = s;
			p->err_offset = pos_offset(p, s);
			append(p, s, 1);
			return;
		}
		fail_at(p, JSON_ERR_SYNTAX, s);
		return;
	}
	p->state = ST_LITERAL;
	p->lit_len = (int)strlen(p->lit);
	p->lit_pos = 1;
}

static void
literal_byte(struct json_parser *p, const uint8_t *s)
{
	if (*s != (uint8_t)p->lit[p->lit_pos]) {
		fail_at(p, JSON_ERR_SYNTAX, s);
		return;
	}
	if (++p->lit_pos == p->lit_len) {
		value_done(p, 1);
		emit(p, (enum json_token)p->lit_token, p->depth, NULL, 0, s,
		    s + 1);
	}
}

/* One structural byte (not whitespace) in the states between tokens. */
static void
structure_byte(struct json_parser *p, const uint8_t *s)
{
	uint8_t c = *s;

	switch (p->state) {
	case ST_TOP:
		if (p->single && p->values > 0) {
			fail_at(p, JSON_ERR_TRAILING, s);
		} else if (p->values > 0 && p->last_scalar && !p->after_ws) {
			fail_at(p, JSON_ERR_SYNTAX, s);
		} else {
			value_begin(p, s);
		}
		return;
	case ST_VALUE:
		value_begin(p, s);
		return;
	case ST_ARRAY_FIRST:
		if (c == ']') {
			close_container(p, s);
		} else {
			value_begin(p, s);
		}
		return;
	case ST_OBJECT_FIRST:
		if (c == '}') {
			close_container(p, s);
			return;
		}
		/* fall through */
	case ST_KEY:
		if (c == '"') {
			string_begin(p, s, 1);
		} else {
			fail_at(p, JSON_ERR_SYNTAX, s);
		}
		return;
	case ST_COLON:
		if (c == ':') {
			p->state = ST_VALUE;
		} else {
			fail_at(p, JSON_ERR_SYNTAX, s);
		}
		return;
	default:		/* ST_NEXT */
		if (c == ',') {
			p->state = p->stack >> (p->depth - 1) & 1 ? ST_KEY :
			    ST_VALUE;
		} else if (c == '}' || c == ']') {
			close_container(p, s);
		} else {
			fail_at(p, JSON_ERR_SYNTAX, s);
		}
		return;
	}
}

void
json_set_scratch(struct json_parser *p, char *buf, size_t size)
{
	if (buf == NULL || size == 0) {
		p->scratch = NULL;
		p->scratch_size = 0;
		return;
	}
	p->scratch = buf;
	p->scratch_size = size;
}

int
json_feed(struct json_parser *p, const uint8_t *data, size_t len)
{
	const uint8_t *s = data, *end = data + len;

	if (p->err) {
		return p->err;
	}
	if (p->scratch == NULL) {
		p->scratch = p->inline_scratch;
		p->scratch_size = sizeof(p->inline_scratch);
	}
	p->chunk = data;
	if (p->capturing) {
		p->span = data;
	}
	while (s < end && !p->err) {
		switch (p->state) {
		case ST_STRING:
			s = scan_string(p, s, end);
			break;
		case ST_ESCAPE:
			escape_byte(p, s++);
			break;
		case ST_UNICODE:
			unicode_byte(p, s++);
			break;
		case ST_UTF8:
			utf8_byte(p, s++);
			break;
		case ST_NUMBER:
			if (number_byte(p, s)) {
				s++;
			}
			break;
		case ST_LITERAL:
			literal_byte(p, s++);
			break;
		default:
			if (!is_ws(*s)) {
				structure_byte(p, s++);
				break;
			}

			/* Whitespace between tokens is dropped from a
			 * capture: copy the run before it, restart after. */
			if (p->capturing && capture_flush(p, s) < 0) {
				break;
			}
			while (s < end && is_ws(*s)) {
				s++;
			}
			if (p->state == ST_TOP) {
				p->after_ws = 1;
			}
			if (p->capturing) {
				p->span = s;
			}
			break;
		}
	}
	if (!p->err && p->capturing) {
		capture_flush(p, end);
	}
	p->offset += len;
	p->chunk = NULL;
	return p->err;
}

int
json_finish(struct json_parser *p)
{
	static const uint8_t none;

	if (p->err) {
		return p->err;
	}
	p->chunk = &none;
	if (p->scratch == NULL) {
		p->scratch = p->inline_scratch;
		p->scratch_size = sizeof(p->inline_scratch);
	}

	/* Only a delimiter ends a number, and at the top level the end of
	 * input is one. */
	if (p->state == ST_NUMBER && p->depth == 0 &&
	    number_terminal(p->num_state)) {
		p->tok_pos = &none;
		number_end(p, &none);
		if (p->err) {
			return p->err;
		}
	}
	if (p->state != ST_TOP || (p->single && p->values == 0)) {
		p->err = JSON_ERR_TRUNCATED;
		p->err_offset = p->offset;
	}
	p->chunk = NULL;
	return p->err;
}

void
json_capture_start(struct json_parser *p, uint8_t *buf, size_t size)
{
	p->capture = buf;
	p->capture_size = size;
	p->capture_len = 0;
	p->capturing = 1;
	p->span = p->tok_pos;
}

size_t
json_capture_stop(struct json_parser *p)
{
	if (!p->capturing) {
		return 0;
	}
	if (capture_flush(p, p->tok_pos + 1) < 0) {
		return 0;
	}
	p->capturing = 0;
	return p->capture_len;
}

uint64_t
json_error_offset(const struct json_parser *p)
{
	if (p->err || p->chunk == NULL) {
		return p->err_offset;
	}
	return pos_offset(p, p->tok_pos);
}

const char *
json_strerror(int err)
{
	switch (err) {
	case JSON_OK:
		return "no error";
	case JSON_ERR_SYNTAX:
		return "unexpected byte";
	case JSON_ERR_NUMBER:
		return "invalid number";
	case JSON_ERR_ESCAPE:
		return "invalid escape";
	case JSON_ERR_SURROGATE:
		return "unpaired surrogate escape";
	case JSON_ERR_UTF8:
		return "invalid UTF-8";
	case JSON_ERR_CONTROL:
		return "control character in string";
	case JSON_ERR_DEPTH:
		return "nesting too deep";
	case JSON_ERR_TOO_LONG:
		return "string too long";
	case JSON_ERR_CAPTURE:
		return "object too large";
	case JSON_ERR_TRAILING:
		return "data after the document";
	case JSON_ERR_TRUNCATED:
		return "input ends inside a value";
	case JSON_ERR_STOPPED:
		return "stopped";
	default:
		return "unknown error";
	}
}
