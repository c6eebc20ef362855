/* The YAML-subset reader: a recursive descent over lines for block
 * collections and over characters for flow collections and quoted
 * scalars, writing nodes and decoded text into two growing arenas.
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yaml.h"

#define NO_KEY ((size_t)-1)

struct parser {
	struct yaml_doc *doc;
	const char *s;
	size_t len;
	size_t pos;
	size_t line_start;
	int line;
	int depth;
	size_t scalar_start;	/* arena offset of the scalar being built */
	const char *file;
	char *err;
	size_t errlen;
	int failed;
};

/* A saved position, to look at a line and step back. */
struct mark {
	size_t pos, line_start;
	int line;
};

static void
vfail(struct parser *p, int line, const char *prefix, const char *fmt,
    va_list ap)
{
	char what[256];

	if (p->failed) {
		return;
	}
	p->failed = 1;
	vsnprintf(what, sizeof what, fmt, ap);
	if (p->errlen > 0) {
		snprintf(p->err, p->errlen, "%s%s at %s:%d", prefix, what,
		    p->file, line);
	}
}

static void __attribute__((format(printf, 3, 4)))
fail_at(struct parser *p, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(p, line, "invalid YAML: ", fmt, ap);
	va_end(ap);
}

#define fail(p, ...) fail_at((p), (p)->line, __VA_ARGS__)

static void __attribute__((format(printf, 2, 3)))
unsupported(struct parser *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(p, p->line, "unsupported YAML: ", fmt, ap);
	va_end(ap);
}

static int
cur(const struct parser *p)
{
	return p->pos < p->len ? (unsigned char)p->s[p->pos] : 0;
}

static int
peek(const struct parser *p, size_t k)
{
	return p->pos + k < p->len ? (unsigned char)p->s[p->pos + k] : 0;
}

static int
is_blank(int c)
{
	return c == ' ' || c == '\t';
}

/* Control characters were refused up front, so 0 means the end. */
static int
is_eol(int c)
{
	return c == '\n' || c == '\r' || c == 0;
}

static int
is_ws_end(int c)
{
	return is_blank(c) || is_eol(c);
}

static int
is_flow_indicator(int c)
{
	return c == ',' || c == '[' || c == ']' || c == '{' || c == '}';
}

static int
column(const struct parser *p)
{
	return (int)(p->pos - p->line_start);
}

static struct mark
save(const struct parser *p)
{
	struct mark m = { p->pos, p->line_start, p->line };

	return m;
}

static void
restore(struct parser *p, struct mark m)
{
	p->pos = m.pos;
	p->line_start = m.line_start;
	p->line = m.line;
}

static void
skip_to_eol(struct parser *p)
{
	while (!is_eol(cur(p))) {
		p->pos++;
	}
}

/* At a line break: steps over it (CRLF counts once). At the end: stays. */
static void
next_line(struct parser *p)
{
	if (cur(p) == 0) {
		return;
	}
	if (cur(p) == '\r') {
		p->pos++;
	}
	if (cur(p) == '\n') {
		p->pos++;
	}
	p->line++;
	p->line_start = p->pos;
}

/* A '#' starts a comment at the start of a line or after whitespace. */
static int
at_comment(const struct parser *p)
{
	return cur(p) == '#' && (p->pos == p->line_start ||
	    is_blank((unsigned char)p->s[p->pos - 1]));
}

/* Skips blanks and a trailing comment; returns 1 when at the line end. */
static int
skip_inline(struct parser *p)
{
	while (is_blank(cur(p))) {
		p->pos++;
	}
	if (at_comment(p)) {
		skip_to_eol(p);
	}
	return is_eol(cur(p));
}

static int
at_doc_marker(const struct parser *p)
{
	int c = cur(p);

	return column(p) == 0 && (c == '-' || c == '.') &&
	    peek(p, 1) == c && peek(p, 2) == c && is_ws_end(peek(p, 3));
}

/* From the start of a line, skips blank and comment lines and stops at
 * the first content; returns its column, or -1 at the end of input.
 * A tab among the leading spaces of a content line is an error. */
static int
find_content(struct parser *p)
{
	for (;;) {
		while (cur(p) == ' ') {
			p->pos++;
		}
		if (cur(p) == '\t') {
			if (skip_inline(p)) {
				if (cur(p) == 0) {
					return -1;
				}
				next_line(p);
				continue;
			}
			if (!p->failed) {
				p->failed = 1;
				snprintf(p->err, p->errlen, "tabs are not "
				    "allowed for indentation at %s:%d",
				    p->file, p->line);
			}
			return -1;
		}
		if (at_comment(p)) {
			skip_to_eol(p);
		}
		if (cur(p) == 0 && p->pos >= p->len) {
			return -1;
		}
		if (is_eol(cur(p))) {
			next_line(p);
			continue;
		}
		return column(p);
	}
}

/* Node and text arenas. Nodes are addressed by index + 1 (0 is none)
 * while the arrays may still move; pointers are set at the end. */
static uint32_t
new_node(struct parser *p, enum yaml_kind kind, int line)
{
	struct yaml_doc *d = p->doc;
	struct yaml_node *n;

	if (p->failed) {
		return 0;
	}
	if (d->n_nodes_ == YAML_MAX_NODES) {
		fail(p, "more than %u nodes", YAML_MAX_NODES);
		return 0;
	}
	if (d->n_nodes_ == d->cap_nodes_) {
		size_t cap = d->cap_nodes_ ? d->cap_nodes_ * 2 : 64;
		struct yaml_node *grown;

		grown = realloc(d->nodes_, cap * sizeof *grown);
		if (grown == NULL) {
			fail(p, "out of memory");
			return 0;
		}
		d->nodes_ = grown;
		d->cap_nodes_ = cap;
	}
	n = &d->nodes_[d->n_nodes_++];
	memset(n, 0, sizeof *n);
	n->kind = kind;
	n->line = line;
	n->text_off_ = 0;
	n->key_off_ = NO_KEY;
	return (uint32_t)d->n_nodes_;
}

static struct yaml_node *
node(struct parser *p, uint32_t ix)
{
	return &p->doc->nodes_[ix - 1];
}

static void
append_child(struct parser *p, uint32_t parent, uint32_t child)
{
	struct yaml_node *pn;

	if (p->failed || parent == 0 || child == 0) {
		return;
	}
	pn = node(p, parent);
	if (pn->last_ix_ == 0) {
		pn->child_ix_ = child;
	} else {
		node(p, pn->last_ix_)->next_ix_ = child;
	}
	pn->last_ix_ = child;
}

static void
put(struct parser *p, int c)
{
	struct yaml_doc *d = p->doc;

	if (p->failed) {
		return;
	}
	if (d->n_text_ - p->scalar_start > YAML_MAX_SCALAR) {
		fail(p, "a scalar longer than %u bytes", YAML_MAX_SCALAR);
		return;
	}
	if (d->n_text_ == d->cap_text_) {
		size_t cap = d->cap_text_ ? d->cap_text_ * 2 : 4096;
		char *grown = realloc(d->text_, cap);

		if (grown == NULL) {
			fail(p, "out of memory");
			return;
		}
		d->text_ = grown;
		d->cap_text_ = cap;
	}
	d->text_[d->n_text_++] = (char)c;
}

static size_t
text_begin(struct parser *p)
{
	p->scalar_start = p->doc->n_text_;
	return p->scalar_start;
}

/* Ends the text begun at start; returns its length. */
static size_t
text_end(struct parser *p, size_t start)
{
	size_t len = p->doc->n_text_ - start;

	put(p, 0);
	return len;
}

static void
put_utf8(struct parser *p, unsigned long cp)
{
	if (cp < 0x80) {
		put(p, (int)cp);
	} else if (cp < 0x800) {
		put(p, (int)(0xc0 | cp >> 6));
		put(p, (int)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		put(p, (int)(0xe0 | cp >> 12));
		put(p, (int)(0x80 | (cp >> 6 & 0x3f)));
		put(p, (int)(0x80 | (cp & 0x3f)));
	} else {
		put(p, (int)(0xf0 | cp >> 18));
		put(p, (int)(0x80 | (cp >> 12 & 0x3f)));
		put(p, (int)(0x80 | (cp >> 6 & 0x3f)));
		put(p, (int)(0x80 | (cp & 0x3f)));
	}
}

/* Refuses the characters that start constructs outside the subset. */
static int
refuse_indicator(struct parser *p)
{
	int c = cur(p);

	switch (c) {
	case '&':
		unsupported(p, "anchors (&)");
		return 1;
	case '*':
		unsupported(p, "aliases (*)");
		return 1;
	case '!':
		unsupported(p, "tags (!)");
		return 1;
	case '|':
	case '>':
		unsupported(p, "block scalars (%c)", c);
		return 1;
	case '%':
		unsupported(p, "directives (%%)");
		return 1;
	case '@':
	case '`':
		fail(p, "a reserved character (%c) starts a scalar", c);
		return 1;
	case '?':
		if (is_ws_end(peek(p, 1))) {
			unsupported(p, "complex keys (?)");
			return 1;
		}
		return 0;
	default:
		return 0;
	}
}

static int
hex_value(int c)
{
	if (c >= '0' && c <= '9') {
		return c - '0';
	}
	if (c >= 'a' && c <= 'f') {
		return c - 'a' + 10;
	}
	if (c >= 'A' && c <= 'F') {
		return c - 'A' + 10;
	}
	return -1;
}

static long
read_hex(struct parser *p, int digits)
{
	long v = 0;
	int i, h;

	for (i = 0; i < digits; i++) {
		h = hex_value(peek(p, (size_t)i));
		if (h < 0) {
			fail(p, "a \\x, \\u or \\U escape needs %d hex digits",
			    digits);
			return -1;
		}
		v = v * 16 + h;
	}
	p->pos += (size_t)digits;
	return v;
}

/* One escape after a backslash in a double-quoted scalar. */
static void
escape(struct parser *p)
{
	long cp, low;
	int c = peek(p, 1);
	static const char simple[] =
	    "0\0a\ab\bt\tn\nv\vf\fr\re\x1b \040\"\"//\\\\";
	size_t i;

	/* Pairs of escape letter and byte; the first pair, \0, is refused
	 * below instead. */
	p->pos += 2;
	for (i = 2; i + 1 < sizeof simple; i += 2) {
		if (simple[i] == c) {
			put(p, simple[i + 1]);
			return;
		}
	}
	switch (c) {
	case '\t':
		put(p, '\t');
		return;
	case 'N':
		put_utf8(p, 0x85);
		return;
	case '_':
		put_utf8(p, 0xa0);
		return;
	case 'L':
		put_utf8(p, 0x2028);
		return;
	case 'P':
		put_utf8(p, 0x2029);
		return;
	case 'x':
		cp = read_hex(p, 2);
		break;
	case 'u':
		cp = read_hex(p, 4);
		break;
	case 'U':
		cp = read_hex(p, 8);
		break;
	case '0':
		unsupported(p, "a NUL character (\\0) in a string");
		return;
	default:
		p->pos--;
		fail(p, "an unknown escape in a double-quoted string");
		return;
	}
	if (cp < 0) {
		return;
	}

	/* JSON writes characters beyond the BMP as UTF-16 surrogate pairs;
	 * a lone surrogate is no character at all. */
	if (c == 'u' && cp >= 0xd800 && cp <= 0xdbff && cur(p) == '\\' &&
	    peek(p, 1) == 'u') {
		p->pos += 2;
		low = read_hex(p, 4);
		if (low < 0xdc00 || low > 0xdfff) {
			fail(p, "a \\u escape holds half a surrogate pair");
			return;
		}
		cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
	}
	if (cp == 0) {
		unsupported(p, "a NUL character in a string");
	} else if ((cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) {
		fail(p, "an escape names no Unicode character");
	} else {
		put_utf8(p, (unsigned long)cp);
	}
}

/* A single- or double-quoted scalar starting at the quote. Line breaks
 * inside fold as YAML says: one break becomes a space, n blank lines
 * become n newlines, and the whitespace around breaks goes. */
static size_t
quoted(struct parser *p, size_t *len)
{
	int q = cur(p), c, start_line = p->line, breaks;
	size_t start = text_begin(p), keep;

	p->pos++;
	keep = p->doc->n_text_;
	for (;;) {
		c = cur(p);
		if (p->failed) {
			break;
		}
		if (c == 0 && p->pos >= p->len) {
			fail_at(p, start_line, "a quoted string has no end");
			break;
		}
		if (c == q) {
			if (q == '\'' && peek(p, 1) == '\'') {
				put(p, '\'');
				p->pos += 2;
				keep = p->doc->n_text_;
				continue;
			}
			p->pos++;
			break;
		}
		if (q == '"' && c == '\\' && is_eol(peek(p, 1))) {
			/* An escaped line break joins the lines as is. */
			p->pos++;
			next_line(p);
			while (is_blank(cur(p))) {
				p->pos++;
			}
			keep = p->doc->n_text_;
			continue;
		}
		if (q == '"' && c == '\\') {
			escape(p);
			keep = p->doc->n_text_;
			continue;
		}
		if (is_eol(c)) {
			p->doc->n_text_ = keep;
			breaks = 0;
			for (;;) {
				next_line(p);
				while (is_blank(cur(p))) {
					p->pos++;
				}
				if (!is_eol(cur(p)) || p->pos >= p->len) {
					break;
				}
				breaks++;
			}
			if (breaks == 0) {
				put(p, ' ');
			}
			while (breaks-- > 0) {
				put(p, '\n');
			}
			keep = p->doc->n_text_;
			continue;
		}
		put(p, c);
		if (!is_blank(c)) {
			keep = p->doc->n_text_;
		}
		p->pos++;
	}
	*len = text_end(p, start);
	return start;
}

/* Copies bytes [from, to) of the input into the arena, trimmed of
 * trailing blanks. */
static void
put_span(struct parser *p, size_t from, size_t to)
{
	while (to > from && is_blank((unsigned char)p->s[to - 1])) {
		to--;
	}
	while (from < to) {
		put(p, (unsigned char)p->s[from++]);
	}
}

/* Scans one line of a plain scalar in block context up to its end, a
 * comment, or ": " (which, in a value, is an error). */
static void
plain_line(struct parser *p)
{
	size_t from = p->pos;

	for (;;) {
		int c = cur(p);

		if (is_eol(c) || at_comment(p)) {
			break;
		}
		if (c == ':' && is_ws_end(peek(p, 1))) {
			fail(p, "a \"key: value\" is not allowed here");
			return;
		}
		p->pos++;
	}
	put_span(p, from, p->pos);
}

static uint32_t
scalar_node(struct parser *p, int line, size_t off, size_t len, int q)
{
	uint32_t ix = new_node(p, YAML_SCALAR, line);
	const char *t;
	struct yaml_node *n;

	if (ix == 0) {
		return 0;
	}
	n = node(p, ix);
	n->text_off_ = off;
	n->len = len;
	n->quoted = q;
	t = p->doc->text_ + off;
	if (!q && (len == 0 || strcmp(t, "~") == 0 || strcmp(t, "null") == 0
	    || strcmp(t, "Null") == 0 || strcmp(t, "NULL") == 0)) {
		n->kind = YAML_NULL;
		n->text_off_ = 0;
		n->len = 0;
	}
	return ix;
}

/* A plain scalar in block context; lines indented deeper than parent
 * continue it (folded into one line), as YAML allows. */
static uint32_t
block_plain(struct parser *p, int parent)
{
	int line = p->line, breaks = 0, ind;
	size_t start = text_begin(p), len;
	struct mark m;

	plain_line(p);
	for (;;) {
		if (at_comment(p)) {
			skip_to_eol(p);
			break;
		}
		if (p->failed || (cur(p) != '\n' && cur(p) != '\r')) {
			break;
		}
		m = save(p);
		next_line(p);
		ind = 0;
		while (cur(p) == ' ') {
			p->pos++;
			ind++;
		}
		if (at_doc_marker(p)) {
			restore(p, m);
			break;
		}
		while (is_blank(cur(p))) {
			p->pos++;
		}
		if (is_eol(cur(p)) && p->pos < p->len) {
			breaks++;
			continue;
		}
		if (ind <= parent || at_comment(p) || is_eol(cur(p))) {
			restore(p, m);
			break;
		}
		if (breaks == 0) {
			put(p, ' ');
		}
		for (; breaks > 0; breaks--) {
			put(p, '\n');
		}
		plain_line(p);
	}
	len = text_end(p, start);
	return scalar_node(p, line, start, len, 0);
}

/* A plain scalar in flow context ends at a flow indicator, ": ", a
 * comment or the line end. Returns its arena offset. */
static size_t
flow_plain_text(struct parser *p, size_t *len)
{
	int c;
	size_t start = text_begin(p), from = p->pos;

	for (;;) {
		c = cur(p);
		if (is_eol(c) || is_flow_indicator(c) || at_comment(p)) {
			break;
		}
		if (c == ':' && (is_ws_end(peek(p, 1)) ||
		    is_flow_indicator(peek(p, 1)))) {
			break;
		}
		p->pos++;
	}
	put_span(p, from, p->pos);
	*len = text_end(p, start);
	return start;
}

static uint32_t
flow_plain(struct parser *p)
{
	int line = p->line;
	size_t off, len;

	off = flow_plain_text(p, &len);
	return scalar_node(p, line, off, len, 0);
}

/* Skips whitespace, line breaks and comments between flow tokens. */
static void
flow_skip(struct parser *p)
{
	for (;;) {
		if (is_blank(cur(p))) {
			p->pos++;
		} else if (at_comment(p)) {
			skip_to_eol(p);
		} else if (is_eol(cur(p)) && p->pos < p->len) {
			next_line(p);
		} else {
			return;
		}
	}
}

static uint32_t flow_node(struct parser *p);

static int
enter(struct parser *p)
{
	if (++p->depth > YAML_MAX_DEPTH) {
		fail(p, "nested deeper than %d levels", YAML_MAX_DEPTH);
		return 0;
	}
	return 1;
}

/* One key of a flow mapping, through the ':' if there is one. Returns
 * the key's arena offset; *has_value says whether a ':' followed. */
static size_t
flow_key(struct parser *p, size_t *len, int *has_value)
{
	size_t off;
	int c = cur(p);

	if (c == '"' || c == '\'') {
		off = quoted(p, len);
	} else if (c == '{' || c == '[') {
		unsupported(p, "a flow collection as a key");
		return 0;
	} else if (refuse_indicator(p)) {
		return 0;
	} else {
		off = flow_plain_text(p, len);
	}
	flow_skip(p);
	*has_value = cur(p) == ':';
	if (*has_value) {
		p->pos++;
	}
	return off;
}

static uint32_t
flow_collection(struct parser *p)
{
	int open = cur(p), close = open == '{' ? '}' : ']', line = p->line;
	int has_value, c;
	uint32_t coll, value;
	size_t key_off = NO_KEY, key_len = 0;

	coll = new_node(p, open == '{' ? YAML_MAP : YAML_SEQ, line);
	p->pos++;
	for (;;) {
		flow_skip(p);
		c = cur(p);
		if (p->failed) {
			return 0;
		}
		if (c == close) {
			p->pos++;
			return coll;
		}
		if (p->pos >= p->len) {
			fail_at(p, line, "a flow collection (%c) has no end",
			    open);
			return 0;
		}
		if (c == ',' || (is_flow_indicator(c) && c != '{' &&
		    c != '[')) {
			fail(p, "an unexpected '%c' in a flow collection", c);
			return 0;
		}

		/* A mapping entry is a key, then maybe ": value"; a key
		 * alone ({a, b}) has an empty value, as YAML says. */
		if (open == '{') {
			int key_line = p->line;

			has_value = 0;
			key_off = flow_key(p, &key_len, &has_value);
			if (p->failed) {
				return 0;
			}
			flow_skip(p);
			c = cur(p);
			if (!has_value || c == ',' || c == '}') {
				value = new_node(p, YAML_NULL, key_line);
			} else {
				value = flow_node(p);
			}
		} else {
			value = flow_node(p);
			flow_skip(p);
			if (cur(p) == ':') {
				unsupported(p, "a \"key: value\" inside a "
				    "flow sequence");
				return 0;
			}
		}
		if (value == 0) {
			return 0;
		}
		if (open == '{') {
			node(p, value)->key_off_ = key_off;
			node(p, value)->key_len = key_len;
		}
		append_child(p, coll, value);

		flow_skip(p);
		c = cur(p);
		if (c == ',') {
			p->pos++;
		} else if (c != close) {
			if (p->pos >= p->len) {
				fail_at(p, line, "a flow collection (%c) has "
				    "no end", open);
			} else {
				fail(p, "expected ',' or '%c' in a flow "
				    "collection", close);
			}
			return 0;
		}
	}
}

/* Any node inside a flow collection. */
static uint32_t
flow_node(struct parser *p)
{
	int c = cur(p), line = p->line;
	uint32_t ix;
	size_t off, len;

	if (!enter(p)) {
		return 0;
	}
	if (c == '{' || c == '[') {
		ix = flow_collection(p);
	} else if (c == '"' || c == '\'') {
		off = quoted(p, &len);
		ix = scalar_node(p, line, off, len, 1);
	} else if (refuse_indicator(p)) {
		ix = 0;
	} else if (c == '-' && is_ws_end(peek(p, 1))) {
		fail(p, "a block sequence inside a flow collection");
		ix = 0;
	} else {
		ix = flow_plain(p);
	}
	p->depth--;
	return p->failed ? 0 : ix;
}

/* Whether the line at the position reads "KEY:" followed by whitespace,
 * with KEY plain or quoted on this one line. Consumes nothing. */
static int
looks_like_key(const struct parser *p)
{
	size_t i = p->pos;
	int q = cur(p);
	const char *s = p->s;

	if (q == '"' || q == '\'') {
		for (i++; i < p->len && !is_eol((unsigned char)s[i]); i++) {
			if (q == '\'' && s[i] == '\'' && i + 1 < p->len &&
			    s[i + 1] == '\'') {
				i++;
			} else if (q == '"' && s[i] == '\\' && i + 1 < p->len
			    && !is_eol((unsigned char)s[i + 1])) {
				i++;
			} else if (s[i] == q) {
				break;
			}
		}
		if (i >= p->len || s[i] != q) {
			return 0;
		}
		for (i++; i < p->len && is_blank((unsigned char)s[i]); i++) {
		}
		return i < p->len && s[i] == ':' &&
		    (i + 1 >= p->len || is_ws_end((unsigned char)s[i + 1]));
	}
	for (; i < p->len && !is_eol((unsigned char)s[i]); i++) {
		if (s[i] == '#' && i > p->pos &&
		    is_blank((unsigned char)s[i - 1])) {
			return 0;
		}
		if (s[i] == ':' && (i + 1 >= p->len ||
		    is_ws_end((unsigned char)s[i + 1]))) {
			return 1;
		}
	}
	return 0;
}

static uint32_t block_node(struct parser *p, int col, int parent,
    int allow_block);

/* After a node that ended mid-line: only a comment may follow. A ':'
 * there makes the node a key, which only plain and quoted scalars on
 * one line may be (flow_key says so). */
static void
end_of_line(struct parser *p, const char *after, int flow_key)
{
	if (p->failed) {
		return;
	}
	if (!skip_inline(p)) {
		if (cur(p) == ':' && flow_key) {
			unsupported(p, "%s as a key", after);
		} else if (cur(p) == ':') {
			fail(p, "a \"key: value\" is not allowed here");
		} else {
			fail(p, "unexpected text after %s", after);
		}
		return;
	}
	next_line(p);
}

/* A block mapping whose keys sit at column col. */
static uint32_t
block_map(struct parser *p, int col)
{
	uint32_t map = new_node(p, YAML_MAP, p->line), value;
	size_t key_off, key_len, from;
	int key_line, ind;

	for (;;) {
		/* The key: quoted, or plain up to the ':' that ends it. */
		key_line = p->line;
		if (cur(p) == '-' && is_ws_end(peek(p, 1))) {
			fail(p, "a sequence entry where a key was expected");
			return 0;
		}
		if (refuse_indicator(p)) {
			return 0;
		}
		if (cur(p) == '{' || cur(p) == '[') {
			unsupported(p, "a flow collection as a key");
			return 0;
		}
		if (!looks_like_key(p)) {
			fail(p, "expected \"key: value\"");
			return 0;
		}
		if (cur(p) == '"' || cur(p) == '\'') {
			key_off = quoted(p, &key_len);
			while (is_blank(cur(p))) {
				p->pos++;
			}
		} else {
			key_off = text_begin(p);
			from = p->pos;
			while (!(cur(p) == ':' && is_ws_end(peek(p, 1)))) {
				p->pos++;
			}
			put_span(p, from, p->pos);
			key_len = text_end(p, key_off);
		}
		if (p->failed) {
			return 0;
		}
		p->pos++;

		/* The value: on the key's line, or on the lines below,
		 * indented deeper or (for a sequence) at the key's column,
		 * as kubectl writes it. */
		if (skip_inline(p)) {
			next_line(p);
			ind = find_content(p);
			if (p->failed) {
				return 0;
			}
			if (ind > col) {
				value = block_node(p, ind, col, 1);
			} else if (ind == col && cur(p) == '-' &&
			    is_ws_end(peek(p, 1))) {
				value = block_node(p, ind, col - 1, 1);
			} else {
				value = new_node(p, YAML_NULL, key_line);
			}
		} else {
			value = block_node(p, column(p), col, 0);
		}
		if (p->failed || value == 0) {
			return 0;
		}
		node(p, value)->key_off_ = key_off;
		node(p, value)->key_len = key_len;
		append_child(p, map, value);

		/* The next key must sit at the same column; less ends the
		 * mapping, more is a mistake. */
		ind = find_content(p);
		if (p->failed) {
			return 0;
		}
		if (ind < col || (ind == 0 && at_doc_marker(p))) {
			return map;
		}
		if (ind > col) {
			fail(p, "bad indentation (a key at column %d, "
			    "expected %d)", ind + 1, col + 1);
			return 0;
		}
	}
}

/* A block sequence whose dashes sit at column col. */
static uint32_t
block_seq(struct parser *p, int col)
{
	uint32_t seq = new_node(p, YAML_SEQ, p->line), item;
	int ind, line;

	for (;;) {
		/* An entry's node starts on the dash's line or below it. */
		line = p->line;
		p->pos++;
		if (skip_inline(p)) {
			next_line(p);
			ind = find_content(p);
			if (p->failed) {
				return 0;
			}
			if (ind > col) {
				item = block_node(p, ind, col, 1);
			} else {
				item = new_node(p, YAML_NULL, line);
			}
		} else {
			item = block_node(p, column(p), col, 1);
		}
		if (p->failed || item == 0) {
			return 0;
		}
		append_child(p, seq, item);

		/* Another dash at this column continues the sequence;
		 * anything else at this column or left of it ends it. */
		ind = find_content(p);
		if (p->failed) {
			return 0;
		}
		if (ind < col || (ind == 0 && at_doc_marker(p))) {
			return seq;
		}
		if (ind > col) {
			fail(p, "bad indentation (an entry at column %d, "
			    "expected %d)", ind + 1, col + 1);
			return 0;
		}
		if (!(cur(p) == '-' && is_ws_end(peek(p, 1)))) {
			return seq;
		}
	}
}

/* Any node in block context at column col, inside a parent indented at
 * parent. allow_block is 0 on a key's line, where neither a sequence
 * nor another key may start. The position ends at a line start. */
static uint32_t
block_node(struct parser *p, int col, int parent, int allow_block)
{
	int c = cur(p), line = p->line;
	uint32_t ix;
	size_t off, len;

	if (!enter(p)) {
		return 0;
	}
	if (c == '-' && is_ws_end(peek(p, 1))) {
		if (allow_block) {
			ix = block_seq(p, col);
		} else {
			fail(p, "a sequence cannot start on its key's line");
			ix = 0;
		}
	} else if (refuse_indicator(p)) {
		ix = 0;
	} else if (c == '{' || c == '[') {
		ix = flow_collection(p);
		end_of_line(p, "a flow collection", 1);
	} else if (allow_block && looks_like_key(p)) {
		ix = block_map(p, col);
	} else if (c == '"' || c == '\'') {
		off = quoted(p, &len);
		ix = scalar_node(p, line, off, len, 1);
		end_of_line(p, "a quoted string", 0);
	} else if (c == ']' || c == '}' || c == ',') {
		fail(p, "an unexpected '%c'", c);
		ix = 0;
	} else {
		ix = block_plain(p, parent);
		if (!p->failed) {
			next_line(p);
		}
	}
	p->depth--;
	return p->failed ? 0 : ix;
}

/* Refuses control characters (YAML does too) so that the scanner can
 * treat a 0 byte as the end and every text stays a C string. */
static int
check_bytes(struct parser *p)
{
	size_t i;
	int line = 1;

	for (i = 0; i < p->len; i++) {
		unsigned char c = (unsigned char)p->s[i];

		if (c == '\n') {
			line++;
		} else if (c < 0x20 && c != '\t' && c != '\r') {
			fail_at(p, line, "a control character (0x%02x)", c);
			return -1;
		}
	}
	return 0;
}

static void
link_tree(struct yaml_doc *d, uint32_t root)
{
	size_t i;
	struct yaml_node *n;

	for (i = 0; i < d->n_nodes_; i++) {
		n = &d->nodes_[i];
		n->text = d->text_ + n->text_off_;
		n->key = n->key_off_ == NO_KEY ? NULL : d->text_ + n->key_off_;
		n->child = n->child_ix_ ? &d->nodes_[n->child_ix_ - 1] : NULL;
		n->next = n->next_ix_ ? &d->nodes_[n->next_ix_ - 1] : NULL;
	}
	d->root = &d->nodes_[root - 1];
}

int
yaml_parse(struct yaml_doc *doc, const char *src, size_t len,
    const char *file, char *err, size_t errlen)
{
	struct parser p;
	uint32_t root = 0;
	int ind;

	memset(doc, 0, sizeof *doc);
	memset(&p, 0, sizeof p);
	p.doc = doc;
	p.s = src;
	p.len = len;
	p.line = 1;
	p.file = file;
	p.err = err;
	p.errlen = errlen;
	if (errlen > 0) {
		err[0] = '\0';
	}
	if (len > YAML_MAX_FILE) {
		fail(&p, "the file is larger than %u bytes", YAML_MAX_FILE);
		return -1;
	}
	if (check_bytes(&p) != 0) {
		return -1;
	}

	/* Offset 0 of the text arena is the empty string every collection
	 * and empty value points at. */
	put(&p, 0);
	if (len >= 3 && memcmp(src, "\xef\xbb\xbf", 3) == 0) {
		p.pos = p.line_start = 3;
	}

	/* A document start marker may open the file; a directive may not. */
	ind = find_content(&p);
	if (ind == 0 && cur(&p) == '-' && at_doc_marker(&p)) {
		p.pos += 3;
		if (!skip_inline(&p)) {
			unsupported(&p, "a node on the --- line");
		}
		next_line(&p);
		ind = find_content(&p);
	}
	if (ind >= 0 && !p.failed) {
		root = block_node(&p, ind, -1, 1);
	} else {
		root = new_node(&p, YAML_NULL, p.line);
	}

	/* After the one document, only an end marker and comments. */
	ind = find_content(&p);
	if (ind >= 0 && !p.failed) {
		if (ind == 0 && cur(&p) == '.' && at_doc_marker(&p)) {
			p.pos += 3;
			if (skip_inline(&p)) {
				next_line(&p);
				ind = find_content(&p);
			}
		}
		if (ind == 0 && at_doc_marker(&p)) {
			unsupported(&p, "several documents (%.3s)",
			    p.s + p.pos);
		} else if (ind >= 0) {
			fail(&p, "unexpected content (bad indentation?)");
		}
	}
	if (p.failed || root == 0) {
		if (!p.failed) {
			fail(&p, "no document");
		}
		yaml_free(doc);
		return -1;
	}
	link_tree(doc, root);
	return 0;
}

void
yaml_free(struct yaml_doc *doc)
{
	free(doc->nodes_);
	free(doc->text_);
	memset(doc, 0, sizeof *doc);
}

const struct yaml_node *
yaml_get(const struct yaml_node *map, const char *key)
{
	const struct yaml_node *n;
	size_t len = strlen(key);

	if (map == NULL || map->kind != YAML_MAP) {
		return NULL;
	}
	for (n = map->child; n != NULL; n = n->next) {
		if (n->key_len == len && memcmp(n->key, key, len) == 0) {
			return n;
		}
	}
	return NULL;
}

const char *
yaml_kind_name(enum yaml_kind kind)
{
	switch (kind) {
	case YAML_NULL:
		return "empty";
	case YAML_SCALAR:
		return "a string";
	case YAML_MAP:
		return "a mapping";
	case YAML_SEQ:
		return "a sequence";
	}
	return "?";
}
