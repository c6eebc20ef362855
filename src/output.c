/* Text, wide and JSON printing of events; see output.h.
 * SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "output.h"

/* Columns, in the order they can appear. */
enum col {
	COL_NAMESPACE, COL_LAST_SEEN, COL_TYPE, COL_REASON, COL_OBJECT,
	COL_SOURCE, COL_MESSAGE, COL_FIRST_SEEN, COL_COUNT, COL_NAME, NCOLS
};

static const char *const col_titles[NCOLS] = {
	"NAMESPACE", "LAST SEEN", "TYPE", "REASON", "OBJECT", "SOURCE",
	"MESSAGE", "FIRST SEEN", "COUNT", "NAME"
};

/* Padding and minimum width as kubectl's tab writer sets them, so that
 * the columns line up the way people are used to. */
#define COL_PAD 3
#define COL_MIN 6

/* A row's strings, already escaped, and the times its ages come from. */
struct row {
	uint64_t seq;
	int64_t sort_time;
	int64_t first_timestamp, last_timestamp, event_time;
	int64_t series_last_observed, series_count, count;
	char *cell[NCOLS];	/* into text; NULL for computed columns */
	size_t cell_width[NCOLS];
	char text[];
};

struct output {
	enum output_format format;
	int no_headers;
	int fd;
	int cols[NCOLS];
	int ncols;
	size_t width[NCOLS];
	int header_done;

	char *buf;
	size_t len, cap;
	int failed;

	struct row **held;
	size_t nheld, held_cap, held_bytes;
	int hold_full;
	uint64_t seq, rows;
};

struct output *
output_new(const struct opts *o, int fd)
{
	struct output *out = calloc(1, sizeof *out);

	if (out == NULL) {
		return NULL;
	}
	out->format = o->output;
	out->no_headers = o->no_headers;
	out->fd = fd;

	/* kubectl events: NAMESPACE only with -A; wide adds what
	 * `kubectl get events -o wide` shows, minus SUBOBJECT. */
	if (o->all_namespaces) {
		out->cols[out->ncols++] = COL_NAMESPACE;
	}
	out->cols[out->ncols++] = COL_LAST_SEEN;
	out->cols[out->ncols++] = COL_TYPE;
	out->cols[out->ncols++] = COL_REASON;
	out->cols[out->ncols++] = COL_OBJECT;
	if (o->output == OUTPUT_WIDE) {
		out->cols[out->ncols++] = COL_SOURCE;
	}
	out->cols[out->ncols++] = COL_MESSAGE;
	if (o->output == OUTPUT_WIDE) {
		out->cols[out->ncols++] = COL_FIRST_SEEN;
		out->cols[out->ncols++] = COL_COUNT;
		out->cols[out->ncols++] = COL_NAME;
	}
	return out;
}

void
output_free(struct output *out)
{
	size_t i;

	if (out == NULL) {
		return;
	}
	for (i = 0; i < out->nheld; i++) {
		free(out->held[i]);
	}
	free(out->held);
	free(out->buf);
	free(out);
}

static void
put(struct output *out, const char *s, size_t n)
{
	if (out->len + n > out->cap) {
		size_t cap = out->cap ? out->cap : 65536;
		char *p;

		while (cap < out->len + n) {
			cap *= 2;
		}
		p = realloc(out->buf, cap);
		if (p == NULL) {
			out->failed = 1;
			return;
		}
		out->buf = p;
		out->cap = cap;
	}
	memcpy(out->buf + out->len, s, n);
	out->len += n;
}

static void
put_str(struct output *out, const char *s)
{
	put(out, s, strlen(s));
}

static void
put_spaces(struct output *out, size_t n)
{
	static const char spaces[] = "                                ";

	while (n > 0) {
		size_t k = n < sizeof spaces - 1 ? n : sizeof spaces - 1;

		put(out, spaces, k);
		n -= k;
	}
}

int
output_flush(struct output *out)
{
	size_t off = 0;

	if (out->failed) {
		errno = ENOMEM;
		return -1;
	}
	while (off < out->len) {
		ssize_t n = write(out->fd, out->buf + off, out->len - off);

		if (n < 0) {
			if (errno == EINTR) {
				continue;
			}
			if (errno == EAGAIN) {
				/* stdout was left non-blocking by whoever made
				 * it: wait for room rather than lose output. */
				usleep(1000);
				continue;
			}
			return -1;
		}
		off += (size_t)n;
	}
	out->len = 0;
	return 0;
}

void
output_age(char *buf, size_t len, int64_t age_us)
{
	int64_t s = age_us / 1000000, m, h, d, y;

	/* Like kubectl: a clock up to a second or so ahead is "now", more is
	 * a time in the future. */
	if (age_us < 0 && s < -1) {
		snprintf(buf, len, "<invalid>");
		return;
	}
	if (s < 0) {
		s = 0;
	}
	m = s / 60;
	h = s / 3600;
	d = h / 24;
	y = d / 365;
	if (s < 120) {
		snprintf(buf, len, "%" PRId64 "s", s);
	} else if (m < 10) {
		if (s % 60 == 0) {
			snprintf(buf, len, "%" PRId64 "m", m);
		} else {
			snprintf(buf, len, "%" PRId64 "m%" PRId64 "s", m,
			    s % 60);
		}
	} else if (m < 180) {
		snprintf(buf, len, "%" PRId64 "m", m);
	} else if (h < 8) {
		if (m % 60 == 0) {
			snprintf(buf, len, "%" PRId64 "h", h);
		} else {
			snprintf(buf, len, "%" PRId64 "h%" PRId64 "m", h,
			    m % 60);
		}
	} else if (h < 48) {
		snprintf(buf, len, "%" PRId64 "h", h);
	} else if (h < 24 * 8) {
		if (h % 24 == 0) {
			snprintf(buf, len, "%" PRId64 "d", d);
		} else {
			snprintf(buf, len, "%" PRId64 "d%" PRId64 "h", d,
			    h % 24);
		}
	} else if (d < 365 * 2) {
		snprintf(buf, len, "%" PRId64 "d", d);
	} else if (d < 365 * 8) {
		if (d % 365 == 0) {
			snprintf(buf, len, "%" PRId64 "y", y);
		} else {
			snprintf(buf, len, "%" PRId64 "y%" PRId64 "d", y,
			    d % 365);
		}
	} else {
		snprintf(buf, len, "%" PRId64 "y", y);
	}
}

size_t
output_escape(char *dst, const char *src, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)src;
	size_t i, n = 0;

	for (i = 0; i < len; i++) {
		unsigned char c = s[i];

		if (c >= 0x20 && c != 0x7f && c != 0xc2) {
			dst[n++] = (char)c;
			continue;
		}
		/* U+0080..U+009F (C1 controls, CSI among them) are C2 80..9F
		 * in UTF-8; any other C2 sequence is ordinary text. */
		if (c == 0xc2) {
			if (i + 1 < len && s[i + 1] >= 0x80 &&
			    s[i + 1] <= 0x9f) {
				memcpy(dst + n, "\\u00", 4);
				dst[n + 4] = hex[s[i + 1] >> 4];
				dst[n + 5] = hex[s[i + 1] & 15];
				n += 6;
				i++;
			} else {
				dst[n++] = (char)c;
			}
			continue;
		}
		dst[n++] = '\\';
		switch (c) {
		case '\n':
			dst[n++] = 'n';
			break;
		case '\t':
			dst[n++] = 't';
			break;
		case '\r':
			dst[n++] = 'r';
			break;
		default:
			dst[n++] = 'x';
			dst[n++] = hex[c >> 4];
			dst[n++] = hex[c & 15];
			break;
		}
	}
	return n;
}

/* Display width: code points, as a tab writer counts them. */
static size_t
text_width(const char *s)
{
	size_t w = 0;

	for (; *s != '\0'; s++) {
		if (((unsigned char)*s & 0xc0) != 0x80) {
			w++;
		}
	}
	return w;
}

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
	    c == '\v' || c == '\f';
}

/* The time kubectl events sorts by: the series' last observation, else
 * lastTimestamp, else eventTime. */
static int64_t
sort_time(const struct event_record *ev)
{
	if (ev->series_count > 0 && ev->series_last_observed != 0) {
		return ev->series_last_observed;
	}
	if (ev->last_timestamp != 0) {
		return ev->last_timestamp;
	}
	return ev->event_time;
}

/* Builds a row: every string column escaped into one allocation. */
static struct row *
row_new(const struct event_record *ev)
{
	struct event_str msg = ev->message;
	struct event_str src1 = ev->source_component, src2 = ev->source_host;
	size_t need;
	struct row *r;
	char *p;

	/* kubectl trims the message before printing it. */
	while (msg.len > 0 && is_space(msg.ptr[0])) {
		msg.ptr++;
		msg.len--;
	}
	while (msg.len > 0 && is_space(msg.ptr[msg.len - 1])) {
		msg.len--;
	}
	if (src1.len == 0) {
		src1 = ev->reporting_component;
	}
	need = 4 * (ev->namespace_.len + ev->type.len + ev->reason.len +
	    ev->obj_kind.len + ev->obj_name.len + 1 + src1.len + 2 +
	    src2.len + msg.len + ev->name.len) + NCOLS + 16;
	r = calloc(1, sizeof *r + need);
	if (r == NULL) {
		return NULL;
	}
	r->first_timestamp = ev->first_timestamp;
	r->last_timestamp = ev->last_timestamp;
	r->event_time = ev->event_time;
	r->series_last_observed = ev->series_last_observed;
	r->series_count = ev->series_count;
	r->count = ev->count;
	r->sort_time = sort_time(ev);

	p = r->text;
#define CELL(col, str) do { \
		r->cell[col] = p; \
		p += output_escape(p, (str).ptr ? (str).ptr : "", (str).len); \
		*p++ = '\0'; \
	} while (0)
	CELL(COL_NAMESPACE, ev->namespace_);
	CELL(COL_TYPE, ev->type);
	CELL(COL_REASON, ev->reason);
	r->cell[COL_OBJECT] = p;
	p += output_escape(p, ev->obj_kind.ptr ? ev->obj_kind.ptr : "",
	    ev->obj_kind.len);
	*p++ = '/';
	p += output_escape(p, ev->obj_name.ptr ? ev->obj_name.ptr : "",
	    ev->obj_name.len);
	*p++ = '\0';
	r->cell[COL_SOURCE] = p;
	p += output_escape(p, src1.ptr ? src1.ptr : "", src1.len);
	if (src2.len > 0) {
		*p++ = ',';
		*p++ = ' ';
		p += output_escape(p, src2.ptr, src2.len);
	}
	*p++ = '\0';
	CELL(COL_MESSAGE, msg);
	CELL(COL_NAME, ev->name);
#undef CELL
	return r;
}

static void
format_since(char *buf, size_t len, int64_t t_us, int64_t now_us)
{
	if (t_us == 0) {
		snprintf(buf, len, "<unknown>");
	} else {
		output_age(buf, len, now_us - t_us);
	}
}

/* Fills the computed columns (ages, count) the way kubectl events does:
 * "12m (x3 over 20m)" for a repeated event or a series. */
static void
row_times(const struct row *r, int64_t now_us, char *last_seen, size_t llen,
    char *first_seen, size_t flen, char *count, size_t clen)
{
	char a[32], b[32];
	int64_t first = r->event_time ? r->event_time : r->first_timestamp;

	format_since(b, sizeof b, first, now_us);
	if (r->series_count > 0) {
		format_since(a, sizeof a, r->series_last_observed, now_us);
		snprintf(last_seen, llen, "%s (x%" PRId64 " over %s)", a,
		    r->series_count, b);
	} else if (r->count > 1) {
		format_since(a, sizeof a, r->last_timestamp, now_us);
		snprintf(last_seen, llen, "%s (x%" PRId64 " over %s)", a,
		    r->count, b);
	} else {
		snprintf(last_seen, llen, "%s", b);
	}
	snprintf(first_seen, flen, "%s", b);
	snprintf(count, clen, "%" PRId64, r->series_count > 0 ?
	    r->series_count : r->count > 0 ? r->count : 1);
}

static void
put_line(struct output *out, const char *const cells[NCOLS])
{
	int i;

	for (i = 0; i < out->ncols; i++) {
		const char *s = cells[out->cols[i]];

		put_str(out, s);
		if (i + 1 < out->ncols) {
			size_t w = text_width(s);

			put_spaces(out, out->width[out->cols[i]] - w);
		}
	}
	put(out, "\n", 1);
}

/* Widens columns to fit cells; widths never shrink, so earlier lines
 * stay aligned with later ones as far as they can. */
static void
widen(struct output *out, const char *const cells[NCOLS])
{
	int i;

	for (i = 0; i < out->ncols; i++) {
		int c = out->cols[i];
		size_t w = text_width(cells[c]) + COL_PAD;

		if (w < COL_MIN) {
			w = COL_MIN;
		}
		if (w > out->width[c]) {
			out->width[c] = w;
		}
	}
}

/* Widths to start from when rows stream in one by one (nothing held to
 * measure first): roomy enough for common values, so that the header
 * and the first rows line up with those that follow. */
static const size_t stream_widths[NCOLS] = {
	14, 12, 10, 20, 28, 22, 0, 12, 8, 0
};

static void
header(struct output *out, int streaming)
{
	int i;

	if (out->header_done) {
		return;
	}
	out->header_done = 1;
	for (i = 0; streaming && i < NCOLS; i++) {
		if (out->width[i] < stream_widths[i]) {
			out->width[i] = stream_widths[i];
		}
	}
	if (!out->no_headers) {
		widen(out, col_titles);
		put_line(out, col_titles);
	}
}

static void
row_cells(const struct row *r, int64_t now_us, const char *cells[NCOLS],
    char *last_seen, char *first_seen, char *count)
{
	int i;

	row_times(r, now_us, last_seen, 64, first_seen, 32, count, 24);
	for (i = 0; i < NCOLS; i++) {
		cells[i] = r->cell[i];
	}
	cells[COL_LAST_SEEN] = last_seen;
	cells[COL_FIRST_SEEN] = first_seen;
	cells[COL_COUNT] = count;
}

static void
print_row(struct output *out, const struct row *r, int64_t now_us)
{
	const char *cells[NCOLS];
	char last_seen[64], first_seen[32], count[24];

	row_cells(r, now_us, cells, last_seen, first_seen, count);
	header(out, 1);
	widen(out, cells);
	put_line(out, cells);
	out->rows++;
}

static void
print_json(struct output *out, const struct event_record *ev)
{
	/* List items come without kind and apiVersion: add them so that
	 * every line has the same shape as a watch event's object. */
	if (ev->raw_len >= 2 && (!ev->has_kind || !ev->has_api_version)) {
		put(out, "{", 1);
		if (!ev->has_kind) {
			put_str(out, "\"kind\":\"Event\"");
			if (!ev->has_api_version || ev->raw_len > 2) {
				put(out, ",", 1);
			}
		}
		if (!ev->has_api_version) {
			put_str(out, "\"apiVersion\":\"v1\"");
			if (ev->raw_len > 2) {
				put(out, ",", 1);
			}
		}
		put(out, (const char *)ev->raw + 1, ev->raw_len - 1);
	} else {
		put(out, (const char *)ev->raw, ev->raw_len);
	}
	put(out, "\n", 1);
	out->rows++;
}

void
output_event(struct output *out, const struct event_record *ev,
    int64_t now_us)
{
	struct row *r;

	if (out->format == OUTPUT_JSON) {
		print_json(out, ev);
		return;
	}
	r = row_new(ev);
	if (r == NULL) {
		out->failed = 1;
		return;
	}
	print_row(out, r, now_us);
	free(r);
}

int
output_hold(struct output *out, const struct event_record *ev,
    int64_t now_us)
{
	struct row *r;

	/* JSON lines go out in server order: nothing to align or sort. */
	if (out->format == OUTPUT_JSON || out->hold_full) {
		output_event(out, ev, now_us);
		return out->format == OUTPUT_JSON ? 1 : 0;
	}
	r = row_new(ev);
	if (r == NULL) {
		return -1;
	}
	if (out->nheld == OUTPUT_HOLD_ROWS ||
	    out->held_bytes > OUTPUT_HOLD_BYTES) {
		/* Past the bound, print what is held (sorted) and let the
		 * rest of the list follow as it comes. */
		output_release(out, now_us);
		out->hold_full = 1;
		print_row(out, r, now_us);
		free(r);
		return 0;
	}
	if (out->nheld == out->held_cap) {
		size_t cap = out->held_cap ? out->held_cap * 2 : 64;
		struct row **p = realloc(out->held, cap * sizeof *p);

		if (p == NULL) {
			free(r);
			return -1;
		}
		out->held = p;
		out->held_cap = cap;
	}
	r->seq = out->seq++;
	out->held[out->nheld++] = r;
	out->held_bytes += sizeof *r + strlen(r->cell[COL_MESSAGE]) + 256;
	return 1;
}

static int
cmp_rows(const void *a, const void *b)
{
	const struct row *x = *(const struct row *const *)a;
	const struct row *y = *(const struct row *const *)b;

	if (x->sort_time != y->sort_time) {
		return x->sort_time < y->sort_time ? -1 : 1;
	}
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void
output_release(struct output *out, int64_t now_us)
{
	const char *cells[NCOLS];
	char last_seen[64], first_seen[32], count[24];
	size_t i;

	if (out->nheld == 0) {
		return;
	}
	qsort(out->held, out->nheld, sizeof *out->held, cmp_rows);

	/* Widths come from every held row first, so that the whole initial
	 * list lines up as kubectl's does. */
	for (i = 0; i < out->nheld; i++) {
		row_cells(out->held[i], now_us, cells, last_seen, first_seen,
		    count);
		widen(out, cells);
	}
	header(out, 0);
	for (i = 0; i < out->nheld; i++) {
		print_row(out, out->held[i], now_us);
		free(out->held[i]);
	}
	out->nheld = 0;
	out->held_bytes = 0;
}

uint64_t
output_rows(const struct output *out)
{
	return out->rows;
}

size_t
output_held(const struct output *out)
{
	return out->nheld;
}
