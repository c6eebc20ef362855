/* The follow engine; see follow.h. One consistent list, then a watch
 * from the list's resourceVersion, resumed from the last resourceVersion
 * seen; polling with resourceVersionMatch=NotOlderThan only where watch
 * is forbidden.
 * SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/time.h>
#include <time.h>

#include "client.h"
#include "config.h"
#include "event.h"
#include "follow.h"
#include "http.h"
#include "io.h"
#include "log.h"
#include "output.h"
#include "tls.h"
#include "uidset.h"

#ifndef KEVENTS_VERSION
#define KEVENTS_VERSION "0.0.0"
#endif
#ifndef KEVENTS_ARCH
#define KEVENTS_ARCH "unknown"
#endif

/* Backoff for 429, 5xx and dropped connections: full jitter over an
 * exponentially growing ceiling, reset after two healthy minutes. */
#define BACKOFF_START_MS 800
#define BACKOFF_MAX_MS 30000
#define BACKOFF_RESET_MS 120000

/* A watch that ends this soon having delivered nothing, twice in a row,
 * is how some providers say "resourceVersion expired". */
#define QUICK_CLOSE_MS 2000

/* Credentials from files are re-read this often (token rotation). */
#define CREDS_RELOAD_S 60

/* The part of an error body kept for the message. */
#define ERRBODY_MAX 16384

/* What one step (a list or a watch) came to. */
enum step {
	STEP_OK,		/* done; go on */
	STEP_RETRY,		/* transient: wait (backoff) and try again */
	STEP_EXPIRED,		/* 410: the resourceVersion is gone */
	STEP_RECONCILE,		/* lines were dropped: relist to be sure */
	STEP_FORBIDDEN,		/* 403 */
	STEP_UNAUTHORIZED,	/* 401 */
	STEP_FATAL,		/* reported; exit 1 */
	STEP_STOP		/* signal, --timeout or stdout closed: exit 0 */
};

enum phase { PHASE_LIST, PHASE_WATCH };
enum list_kind { LIST_INITIAL, LIST_RELIST, LIST_POLL };

struct follow {
	const struct opts *o;
	struct kube_config kc;
	struct tls_config tls;
	struct client cl;
	char user_agent[96];
	struct event_decoder *dec;
	struct uidset *uids;
	struct output *out;
	int64_t server_skew_us;		/* server clock minus ours */
	int connected_once;		/* a request has succeeded */
	uint64_t handshakes_seen;

	char path[1200];		/* .../events */
	char selector[4096];		/* escaped fieldSelector value */
	char rv[256];			/* the resourceVersion to resume from */

	/* The response being read. */
	enum phase phase;
	enum list_kind list_kind;
	int body_started, body_ok;
	char errbody[ERRBODY_MAX];
	size_t errbody_len;
	char list_rv[256];
	char cont[8192];
	int status_seen;
	int64_t status_code;
	char status_reason[64];
	char status_message[512];
	int aborted_output;		/* stdout is gone */
	char decode_error[256];
	uint64_t step_events;		/* events decoded in this response */
	uint64_t step_news;		/* events printed in this response */
	uint64_t skipped_lines;		/* watch lines dropped, this response */
	int64_t since_us;		/* --since bound, server clock */
	int hold_warned;		/* said that sorting stopped */
	int uids_full;			/* said that the UID set is full */

	/* Backoff state. */
	int64_t backoff_ms;
	int64_t last_trouble_ms;
	long retry_after;

	/* Counters for --stats. */
	struct {
		uint64_t lists, consistent_lists, pages, watches, polls;
		uint64_t relists, expired, printed, updates, deleted;
		uint64_t status_429, status_5xx, retries, bookmarks;
	} n;
};

static int64_t
real_now_us(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
}

static int64_t
server_now_us(const struct follow *f)
{
	return real_now_us() + f->server_skew_us;
}

static uint32_t
random_u32(void)
{
	uint32_t r;

	if (getrandom(&r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r) {
		r = (uint32_t)(io_now_ms() * 2654435761u);
	}
	return r;
}

/* Copies an event_str into a NUL-terminated buffer, truncating. */
static void
copy_str(char *dst, size_t cap, struct event_str s)
{
	size_t n = s.len < cap - 1 ? s.len : cap - 1;

	if (n > 0) {
		memcpy(dst, s.ptr, n);
	}
	dst[n] = '\0';
}

/* --- decoding callbacks ------------------------------------------------ */

static uint32_t
event_count(const struct event_record *ev)
{
	int64_t c = ev->series_count > ev->count ? ev->series_count : ev->count;

	if (c < 0) {
		c = 0;
	}
	return c > UINT32_MAX ? UINT32_MAX : (uint32_t)c;
}

static int
type_wanted(const struct follow *f, const struct event_record *ev)
{
	int t = f->o->types;

	if (t == 0 || t == (TYPE_NORMAL | TYPE_WARNING)) {
		return 1;
	}
	if (ev->type.len == 7 && memcmp(ev->type.ptr, "Warning", 7) == 0) {
		return (t & TYPE_WARNING) != 0;
	}
	return (t & TYPE_NORMAL) != 0;
}

static int64_t
last_seen_us(const struct event_record *ev)
{
	if (ev->series_last_observed != 0) {
		return ev->series_last_observed;
	}
	if (ev->last_timestamp != 0) {
		return ev->last_timestamp;
	}
	if (ev->event_time != 0) {
		return ev->event_time;
	}
	return ev->first_timestamp;
}

/* Records an Event in the UID set and decides whether it is printed:
 * a UID not seen before always is, a known one only with --updates and
 * a higher count. */
static void
take_event(struct follow *f, const struct event_record *ev)
{
	uint32_t count = event_count(ev), old = 0;
	int known, print = 0;

	if (ev->uid.len == 0) {
		return;
	}
	known = uidset_get(f->uids, ev->uid.ptr, ev->uid.len, &old);
	if (!known) {
		/* Without room to remember it, the event is printed all the
		 * same: a possible double later beats a certain loss now. */
		if (uidset_put(f->uids, ev->uid.ptr, ev->uid.len, count) < 0 &&
		    !f->uids_full) {
			f->uids_full = 1;
			log_error("out of memory for the set of %zu event "
			    "UIDs: from now on an event may print twice",
			    uidset_count(f->uids));
		}
		print = 1;
	} else if (count > old) {
		uidset_put(f->uids, ev->uid.ptr, ev->uid.len, count);
		if (f->o->updates) {
			print = 1;
			f->n.updates++;
		}
	}
	if (f->phase == PHASE_LIST) {
		uidset_mark(f->uids, ev->uid.ptr, ev->uid.len);
	}
	if (!print || !type_wanted(f, ev)) {
		return;
	}

	/* The initial list honours --watch-only and --since and is held for
	 * sorting; anything later is news and goes out at once. */
	if (f->phase == PHASE_LIST && f->list_kind == LIST_INITIAL) {
		if (f->o->watch_only) {
			return;
		}
		if (f->since_us != 0 && last_seen_us(ev) != 0 &&
		    last_seen_us(ev) < f->since_us + f->server_skew_us) {
			return;
		}
		if (output_hold(f->out, ev, server_now_us(f)) == 0 &&
		    !f->hold_warned) {
			f->hold_warned = 1;
			log_info(0, "more events in the initial list than are "
			    "held for sorting: the rest follow in server "
			    "order");
		}
	} else {
		output_event(f->out, ev, server_now_us(f));
	}
	f->n.printed++;
	f->step_news++;
}

static int
on_event(void *arg, const struct event_record *ev)
{
	struct follow *f = arg;

	f->step_events++;
	if (f->phase == PHASE_LIST) {
		take_event(f, ev);
		return 0;
	}

	/* Watch events arrive in resourceVersion order, so each one's
	 * resourceVersion is where a resumed watch must start. */
	if (ev->rv.len > 0) {
		copy_str(f->rv, sizeof f->rv, ev->rv);
	}
	switch (ev->watch_type) {
	case WATCH_ADDED:
	case WATCH_MODIFIED:
		take_event(f, ev);
		break;
	case WATCH_DELETED:
		/* Expired by the event TTL: forget it, keeping the set as
		 * small as the live events. */
		if (ev->uid.len > 0 &&
		    uidset_del(f->uids, ev->uid.ptr, ev->uid.len)) {
			f->n.deleted++;
		}
		break;
	case WATCH_BOOKMARK:
		f->n.bookmarks++;
		break;
	default:
		break;
	}
	return 0;
}

static int
on_list_meta(void *arg, struct event_str rv, struct event_str cont)
{
	struct follow *f = arg;

	copy_str(f->list_rv, sizeof f->list_rv, rv);
	if (cont.len >= sizeof f->cont) {
		snprintf(f->decode_error, sizeof f->decode_error,
		    "continue token of %zu bytes is too long", cont.len);
		return 1;
	}
	copy_str(f->cont, sizeof f->cont, cont);
	return 0;
}

static int
on_status(void *arg, const struct event_status *st)
{
	struct follow *f = arg;

	f->status_seen = 1;
	f->status_code = st->code;
	copy_str(f->status_reason, sizeof f->status_reason, st->reason);
	copy_str(f->status_message, sizeof f->status_message, st->message);
	return 0;
}

/* Body bytes of every response. A 2xx body goes to the event decoder,
 * anything else is kept (bounded) for its Status message. Output is
 * flushed here, each time the input read so far is used up, so that a
 * line reaches a pipe as soon as its event arrived. */
static int
on_body(void *arg, const struct client_response *resp, const uint8_t *data,
    size_t len)
{
	struct follow *f = arg;
	int r;

	if (!f->body_started) {
		f->body_started = 1;
		f->body_ok = resp->status >= 200 && resp->status < 300;
	}
	if (!f->body_ok) {
		size_t room = sizeof f->errbody - 1 - f->errbody_len;
		size_t n = len < room ? len : room;

		memcpy(f->errbody + f->errbody_len, data, n);
		f->errbody_len += n;
		f->errbody[f->errbody_len] = '\0';
		return 0;
	}
	r = event_decoder_feed(f->dec, data, len);
	if (event_decoder_skipped(f->dec) > f->skipped_lines) {
		f->skipped_lines = event_decoder_skipped(f->dec);
		log_info(0, "watch: dropped a line from %s that is not a "
		    "watch event (%s)", f->kc.server,
		    event_decoder_error(f->dec));
	}
	if (output_flush(f->out) != 0) {
		f->aborted_output = 1;
		return 1;
	}
	if (r != EVENT_OK) {
		if (f->decode_error[0] == '\0') {
			snprintf(f->decode_error, sizeof f->decode_error, "%s",
			    event_decoder_error(f->dec));
		}
		return 1;
	}
	return 0;
}

/* --- requests ---------------------------------------------------------- */

/* Re-reads file-based credentials when they are due (or when forced
 * after a 401), and rebuilds the TLS client identity if it changed. */
static int
refresh_credentials(struct follow *f, int force)
{
	char err[512];
	int r;

	if (!force && time(NULL) - f->kc.creds_loaded < CREDS_RELOAD_S) {
		return 0;
	}
	r = config_reload_credentials(&f->kc, err, sizeof err);
	if (r < 0) {
		log_info(0, "%s (keeping the credentials read before)", err);
		return 0;
	}
	if (r > 0 && f->kc.client_cert.data != NULL &&
	    f->kc.client_key.data != NULL) {
		if (tls_config_set_client(&f->tls, f->kc.client_cert.data,
		    f->kc.client_cert.len, f->kc.client_cert.source,
		    f->kc.client_key.data, f->kc.client_key.len,
		    f->kc.client_key.source, err, sizeof err) != 0) {
			log_info(0, "%s (keeping the certificate read before)",
			    err);
		}
		client_disconnect(&f->cl);
	}
	f->cl.cfg.token = f->kc.token;
	return r > 0;
}

/* Copies text from the server into a message: at most its first line
 * and 300 bytes, with control characters escaped, since it goes to a
 * terminal. */
static void
server_text(char *dst, size_t cap, const char *s, size_t n)
{
	char esc[4 * 300];
	size_t line = strcspn(s, "\r\n");

	if (n > line) {
		n = line;
	}
	if (n > 300) {
		n = 300;
	}
	n = output_escape(esc, s, n);
	snprintf(dst, cap, "%.*s", (int)n, esc);
}

/* Turns an error response into a message: "HTTP 403: " and the Status
 * message when the body is one, else the body's first line. */
static void
error_message(struct follow *f, const struct client_response *resp,
    char *msg, size_t len)
{
	char text[1300];
	const char *body = f->errbody;
	size_t n = f->errbody_len;

	if (n > 0 && strstr(resp->content_type, "json") != NULL) {
		f->status_seen = 0;
		event_decoder_reset(f->dec, EVENT_LIST);
		event_decoder_feed(f->dec, (const uint8_t *)f->errbody, n);
		if (f->status_seen && f->status_message[0] != '\0') {
			body = f->status_message;
			n = strlen(body);
		}
	}
	server_text(text, sizeof text, body, n);
	snprintf(msg, len, "HTTP %d%s%s", resp->status, text[0] ? ": " : "",
	    text);
}

/* Sends one GET and classifies what came back. */
static enum step
request(struct follow *f, const char *query, int stream, int64_t timeout_ms,
    enum event_mode mode, struct client_response *resp, char *msg,
    size_t msglen)
{
	char target[16384];
	int64_t t0;
	int r;

	if (snprintf(target, sizeof target, "%s%s", f->path, query) >=
	    (int)sizeof target) {
		log_error("request for %s is too long", f->path);
		return STEP_FATAL;
	}
	refresh_credentials(f, 0);
	f->cl.cfg.token = f->kc.token;
	event_decoder_reset(f->dec, mode);
	f->body_started = f->body_ok = 0;
	f->errbody_len = 0;
	f->errbody[0] = '\0';
	f->list_rv[0] = f->cont[0] = '\0';
	f->status_seen = 0;
	f->status_code = 0;
	f->decode_error[0] = '\0';
	f->step_events = f->step_news = 0;
	f->skipped_lines = 0;
	f->retry_after = -1;
	msg[0] = '\0';

	t0 = io_now_ms();
	memset(resp, 0, sizeof *resp);
	r = client_get(&f->cl, target, stream, timeout_ms, resp, on_body, f);
	if (resp->date != 0) {
		f->server_skew_us = (int64_t)resp->date * 1000000 -
		    real_now_us();
		/* Within a second either way is our own clock's rounding. */
		if (f->server_skew_us > -1500000 &&
		    f->server_skew_us < 1500000) {
			f->server_skew_us = 0;
		}
	}
	if (f->o->cluster.insecure_skip_tls_verify || f->kc.insecure) {
		if (f->cl.handshakes != f->handshakes_seen) {
			log_info(0, "warning: insecure-skip-tls-verify: the "
			    "certificate of %s was not checked", f->kc.server);
		}
	}
	f->handshakes_seen = f->cl.handshakes;
	if (r == CLIENT_OK && f->body_ok && !f->aborted_output &&
	    event_decoder_finish(f->dec) != EVENT_OK &&
	    f->decode_error[0] == '\0') {
		snprintf(f->decode_error, sizeof f->decode_error, "%s",
		    event_decoder_error(f->dec));
	}
	if (output_flush(f->out) != 0) {
		f->aborted_output = 1;
	}
	if (r == CLIENT_OK) {
		log_info(1, "GET %s %d %" PRId64 "ms%s", target, resp->status,
		    io_now_ms() - t0, stream ? " (watch)" : "");
	} else {
		log_info(1, "GET %s failed after %" PRId64 "ms: %s", target,
		    io_now_ms() - t0, f->cl.err);
	}

	if (f->aborted_output) {
		return STEP_STOP;
	}
	switch (r) {
	case CLIENT_OK:
		break;
	case CLIENT_INTERRUPTED:
		return STEP_STOP;
	case CLIENT_ABORTED:
		snprintf(msg, msglen, "invalid response from %s: %s",
		    f->kc.server, f->decode_error[0] ? f->decode_error :
		    "stopped");
		return f->connected_once ? STEP_RETRY : STEP_FATAL;
	case CLIENT_ERR_CONFIG:
	case CLIENT_ERR_PROXY:
		snprintf(msg, msglen, "%s", f->cl.err);
		return STEP_FATAL;
	default:
		/* Before anything has worked, a failure to reach the server
		 * is a configuration problem to report; later it is the
		 * server restarting or the network failing, to wait out. */
		snprintf(msg, msglen, "%s", f->cl.err);
		return f->connected_once ? STEP_RETRY : STEP_FATAL;
	}

	f->retry_after = resp->retry_after;
	if (resp->status >= 200 && resp->status < 300) {
		if (f->decode_error[0] != '\0') {
			snprintf(msg, msglen, "invalid response from %s: %s",
			    f->kc.server, f->decode_error);
			return f->connected_once ? STEP_RETRY : STEP_FATAL;
		}
		f->connected_once = 1;
		return STEP_OK;
	}
	f->connected_once = 1;
	error_message(f, resp, msg, msglen);
	switch (resp->status) {
	case 401:
		return STEP_UNAUTHORIZED;
	case 403:
		return STEP_FORBIDDEN;
	case 410:
		return STEP_EXPIRED;
	case 429:
		f->n.status_429++;
		return STEP_RETRY;
	default:
		break;
	}
	if (resp->status >= 500) {
		f->n.status_5xx++;
		/* "Too large resource version": the server is behind the
		 * revision we have seen; it says how long to wait. */
		if (resp->status == 504 && f->retry_after < 0 &&
		    strstr(msg, "resource version") != NULL) {
			f->retry_after = 1;
		}
		return STEP_RETRY;
	}
	return STEP_FATAL;
}

/* Waits out a transient failure: the longer of Retry-After and a
 * jittered exponential backoff. */
static enum step
backoff(struct follow *f)
{
	int64_t now = io_now_ms(), wait;

	if (f->last_trouble_ms == 0 ||
	    now - f->last_trouble_ms > BACKOFF_RESET_MS) {
		f->backoff_ms = BACKOFF_START_MS;
	}
	f->last_trouble_ms = now;
	wait = (int64_t)(random_u32() % (uint32_t)(f->backoff_ms + 1));
	if (f->retry_after >= 0 && f->retry_after * 1000 > wait) {
		wait = f->retry_after * 1000;
	}
	f->backoff_ms *= 2;
	if (f->backoff_ms > BACKOFF_MAX_MS) {
		f->backoff_ms = BACKOFF_MAX_MS;
	}
	f->n.retries++;
	log_info(2, "waiting %" PRId64 "ms before the next request", wait);
	if (output_flush(f->out) != 0) {
		return STEP_STOP;
	}
	return io_sleep_ms(wait) == IO_INTERRUPTED ? STEP_STOP : STEP_OK;
}

/* Handles what every step shares: 401 (re-read credentials once),
 * 429/5xx/connection trouble (backoff) and the fatal answers. Returns
 * STEP_RETRY when the caller should repeat its request, or the step. */
static enum step
recover(struct follow *f, enum step s, const char *what, const char *msg,
    int *unauthorized)
{
	switch (s) {
	case STEP_UNAUTHORIZED:
		if (*unauthorized) {
			log_error("%s: 401 Unauthorized from %s (%s), also "
			    "after re-reading the credentials", what,
			    f->kc.server, msg);
			return STEP_FATAL;
		}
		*unauthorized = 1;
		log_info(1, "401 Unauthorized: re-reading the credentials");
		refresh_credentials(f, 1);
		client_disconnect(&f->cl);
		return STEP_RETRY;
	case STEP_RETRY:
		log_info(0, "%s: %s; retrying", what, msg);
		return backoff(f) == STEP_STOP ? STEP_STOP : STEP_RETRY;
	case STEP_FATAL:
		log_error("%s: %s", what, msg);
		return STEP_FATAL;
	case STEP_FORBIDDEN:
		log_error("%s: forbidden: %s", what, msg);
		return STEP_FATAL;
	default:
		*unauthorized = 0;
		return s;
	}
}

/* Builds the query shared by lists and watches. */
static void
base_query(const struct follow *f, struct http_query *q, char *buf,
    size_t cap)
{
	memset(q, 0, sizeof *q);
	q->buf = buf;
	q->cap = cap;
	buf[0] = '\0';
	if (f->selector[0] != '\0') {
		http_query_add(q, "fieldSelector", f->selector);
	}
}

/* Reads one complete list, every page. Initial lists are the run's
 * consistent read (no resourceVersion); relists and polls ask for
 * resourceVersion=RV&resourceVersionMatch=NotOlderThan, which never goes
 * back in time and which a caching server can answer from memory. */
static enum step
list_all(struct follow *f, enum list_kind kind, int consistent)
{
	char query[12288], msg[600], num[24], start_rv[256];
	struct http_query q;
	char cont[sizeof f->cont];
	struct client_response resp;
	int restarts = 0, unauthorized = 0, paging = f->o->chunk_size > 0;
	const char *what = kind == LIST_POLL ? "poll" : "list events";
	enum step s;

	snprintf(start_rv, sizeof start_rv, "%s", consistent ? "" : f->rv);
	f->phase = PHASE_LIST;
	f->list_kind = kind;
	cont[0] = '\0';
	for (;;) {
		/* The first page carries this list's resourceVersion rules;
		 * later pages only continue, limit and the selector, since
		 * the server rejects a resourceVersion beside continue. */
		base_query(f, &q, query, sizeof query);
		if (paging) {
			snprintf(num, sizeof num, "%ld", f->o->chunk_size);
			http_query_add(&q, "limit", num);
		}
		if (cont[0] != '\0') {
			http_query_add(&q, "continue", cont);
		} else {
			if (start_rv[0] != '\0') {
				http_query_add(&q, "resourceVersion", start_rv);
				http_query_add(&q, "resourceVersionMatch",
				    "NotOlderThan");
			} else {
				f->n.consistent_lists++;
			}
			f->n.lists++;
		}
		f->n.pages++;
		if (q.overflow) {
			log_error("list request is too long");
			return STEP_FATAL;
		}
		s = request(f, query, 0, f->o->request_timeout_ms, EVENT_LIST,
		    &resp, msg, sizeof msg);
		if (s == STEP_OK) {
			unauthorized = 0;
			/* A restart must not be a second consistent read:
			 * it starts from the first page's resourceVersion. */
			if (start_rv[0] == '\0' && f->list_rv[0] != '\0') {
				snprintf(start_rv, sizeof start_rv, "%s",
				    f->list_rv);
			}
			if (paging && f->cont[0] != '\0') {
				memcpy(cont, f->cont, sizeof cont);
				continue;
			}
			break;
		}
		if (s == STEP_EXPIRED && cont[0] != '\0') {
			/* The continue token outlived the compaction window.
			 * Start over; the UID set keeps what was printed
			 * from printing twice. Paging goes after three. */
			if (++restarts > 3) {
				paging = 0;
			}
			log_info(0, "list: continue token expired; restarting "
			    "the list%s", paging ? "" : " without paging");
			cont[0] = '\0';
			continue;
		}
		if (s == STEP_EXPIRED || s == STEP_STOP) {
			if (s == STEP_EXPIRED) {
				log_info(1, "list: %s", msg);
			}
			return s;
		}
		/* Anything else is retried as it was: a continue token
		 * stays valid until it expires. */
		s = recover(f, s, what, msg, &unauthorized);
		if (s != STEP_RETRY) {
			return s;
		}
	}

	/* A complete list is the whole truth: its resourceVersion is where
	 * the watch starts, and UIDs missing from it are gone. */
	if (f->list_rv[0] != '\0') {
		snprintf(f->rv, sizeof f->rv, "%s", f->list_rv);
	} else if (start_rv[0] != '\0') {
		snprintf(f->rv, sizeof f->rv, "%s", start_rv);
	}
	uidset_sweep(f->uids);
	if (kind == LIST_INITIAL) {
		output_release(f->out, server_now_us(f));
	}
	if (output_flush(f->out) != 0) {
		return STEP_STOP;
	}
	return STEP_OK;
}

/* One watch, from f->rv, until the server ends it or something breaks.
 * *quick counts watches in a row that closed at once with nothing. */
static enum step
watch_once(struct follow *f, int *quick, char *msg, size_t msglen)
{
	char query[12288], num[24];
	struct http_query q;
	struct client_response resp;
	int64_t t0, timeout_s, inactivity_ms;
	enum step s;

	/* Without bookmarks a quiet watch's resourceVersion never moves,
	 * so each resume likely costs a 410 and a relist: resume rarely,
	 * at a random point in 30..60 minutes unless told otherwise. */
	if (f->o->watch_timeout_ms > 0) {
		timeout_s = f->o->watch_timeout_ms / 1000;
	} else {
		timeout_s = 1800 + (int64_t)(random_u32() % 1801);
	}
	inactivity_ms = timeout_s * 1000 + 5000 + timeout_s * 50;

	base_query(f, &q, query, sizeof query);
	http_query_add(&q, "watch", "1");
	http_query_add(&q, "resourceVersion", f->rv);
	http_query_add(&q, "allowWatchBookmarks", "true");
	snprintf(num, sizeof num, "%" PRId64, timeout_s);
	http_query_add(&q, "timeoutSeconds", num);

	if (q.overflow) {
		log_error("watch request is too long");
		return STEP_FATAL;
	}
	f->phase = PHASE_WATCH;
	f->n.watches++;
	t0 = io_now_ms();
	s = request(f, query, 1, inactivity_ms, EVENT_WATCH, &resp, msg,
	    msglen);
	if (s == STEP_RETRY && f->step_events > 0) {
		/* A watch that delivered events and then broke resumes at
		 * once from the last resourceVersion, without backoff; bad
		 * bytes from the server are worth a line on stderr. */
		log_info(f->decode_error[0] ? 0 : 1, "watch: %s; resuming "
		    "from resourceVersion %s", msg, f->rv);
		*quick = 0;
		return STEP_OK;
	}
	if (s == STEP_OK && f->skipped_lines > 0) {
		/* A dropped line may have held an event: a list from the
		 * last resourceVersion finds it, and the UID set keeps the
		 * rest from printing twice. */
		snprintf(msg, msglen, "%" PRIu64 " line(s) of the watch were "
		    "dropped", f->skipped_lines);
		return STEP_RECONCILE;
	}
	if (s != STEP_OK) {
		return s;
	}
	if (f->status_seen) {
		server_text(msg, msglen, f->status_message,
		    strlen(f->status_message));
		if (f->status_code == 410) {
			return STEP_EXPIRED;
		}
		/* Any other ERROR event (a 500 inside the stream, say) is
		 * retried from the same resourceVersion. */
		if (f->status_code == 429) {
			f->n.status_429++;
		}
		return STEP_RETRY;
	}
	if (f->step_events == 0 && io_now_ms() - t0 < QUICK_CLOSE_MS) {
		if (++*quick >= 2) {
			*quick = 0;
			snprintf(msg, msglen, "the watch closed at once "
			    "with no events twice in a row");
			return STEP_EXPIRED;
		}
	} else {
		*quick = 0;
	}
	return STEP_OK;
}

/* Polls the list, for when the role grants list but not watch. Each
 * poll carries resourceVersion and NotOlderThan; the interval doubles
 * while polls bring nothing and drops back when one does. */
static int
poll_loop(struct follow *f)
{
	int64_t interval = f->o->poll_interval_ms;
	uint64_t before;
	enum step s;

	for (;;) {
		if (output_flush(f->out) != 0 ||
		    io_sleep_ms(interval) == IO_INTERRUPTED) {
			return 0;
		}
		before = f->n.printed + f->n.updates;
		f->n.polls++;
		s = list_all(f, LIST_POLL, 0);
		if (s == STEP_EXPIRED) {
			log_info(0, "poll: resourceVersion %s is too old; "
			    "listing without one", f->rv);
			s = list_all(f, LIST_POLL, 1);
		}
		if (s == STEP_STOP) {
			return 0;
		}
		if (s != STEP_OK) {
			return 1;
		}
		if (f->n.printed + f->n.updates != before) {
			interval = f->o->poll_interval_ms;
		} else if (interval < f->o->poll_max_interval_ms) {
			interval *= 2;
			if (interval > f->o->poll_max_interval_ms) {
				interval = f->o->poll_max_interval_ms;
			}
		}
	}
}

/* Relists after the watch's resourceVersion expired: NotOlderThan the
 * last one seen, and without a resourceVersion only if that fails. */
static enum step
relist(struct follow *f)
{
	enum step s;

	f->n.relists++;
	s = list_all(f, LIST_RELIST, 0);
	if (s == STEP_EXPIRED) {
		log_info(0, "relist from resourceVersion %s refused as too "
		    "old; listing without one", f->rv);
		s = list_all(f, LIST_RELIST, 1);
	}
	if (s == STEP_EXPIRED) {
		log_error("list events: the server answers 410 Gone even to a "
		    "list without a resourceVersion");
		return STEP_FATAL;
	}
	return s;
}

static int
watch_loop(struct follow *f)
{
	char msg[600];
	int quick = 0, unauthorized = 0;
	enum step s;

	for (;;) {
		s = watch_once(f, &quick, msg, sizeof msg);
		switch (s) {
		case STEP_OK:
			unauthorized = 0;
			continue;
		case STEP_EXPIRED:
		case STEP_RECONCILE:
			log_info(1, "watch: %s; relisting from "
			    "resourceVersion %s", msg, f->rv);
			if (s == STEP_EXPIRED) {
				f->n.expired++;
			}
			s = relist(f);
			if (s == STEP_STOP) {
				return 0;
			}
			if (s != STEP_OK) {
				return 1;
			}
			continue;
		case STEP_FORBIDDEN:
			if (f->o->mode == MODE_AUTO) {
				int64_t ms = f->o->poll_interval_ms;

				log_info(0, "watch is not allowed (%s); "
				    "polling every %" PRId64 "%s with "
				    "resourceVersionMatch=NotOlderThan instead",
				    msg, ms % 1000 ? ms : ms / 1000,
				    ms % 1000 ? "ms" : "s");
				return poll_loop(f);
			}
			log_error("watch events: forbidden: %s", msg);
			return 1;
		case STEP_STOP:
			return 0;
		default:
			break;
		}
		s = recover(f, s, "watch events", msg, &unauthorized);
		if (s == STEP_STOP) {
			return 0;
		}
		if (s != STEP_RETRY) {
			return 1;
		}
	}
}

/* --- setup --------------------------------------------------------------- */

static int
setup_tls(struct follow *f)
{
	char err[600];
	const struct kube_config *kc = &f->kc;

	f->tls.insecure = kc->insecure;
	snprintf(f->tls.server_name, sizeof f->tls.server_name, "%s",
	    kc->tls_server_name);
	if (strncmp(kc->server, "http://", 7) == 0) {
		return 0;
	}
	if (kc->ca.data != NULL) {
		if (tls_config_add_anchors(&f->tls, kc->ca.data, kc->ca.len,
		    kc->ca.source, err, sizeof err) != 0) {
			log_error("%s", err);
			return -1;
		}
	} else if (!kc->insecure) {
		log_error("no certificate authority for %s: set "
		    "certificate-authority or certificate-authority-data in "
		    "the kubeconfig, or --certificate-authority (kevents "
		    "reads no system CA bundle)", kc->server);
		return -1;
	}
	if ((kc->client_cert.data != NULL) != (kc->client_key.data != NULL)) {
		log_error("%s is configured without %s",
		    kc->client_cert.data ? "a client certificate" :
		    "a client key", kc->client_cert.data ? "its key" :
		    "its certificate");
		return -1;
	}
	if (kc->client_cert.data != NULL &&
	    tls_config_set_client(&f->tls, kc->client_cert.data,
	    kc->client_cert.len, kc->client_cert.source, kc->client_key.data,
	    kc->client_key.len, kc->client_key.source, err, sizeof err) != 0) {
		log_error("%s", err);
		return -1;
	}
	return 0;
}

/* The field selector: the object, the type, then the user's own. */
static int
setup_selector(struct follow *f)
{
	const struct opts *o = f->o;
	char *s = f->selector;
	size_t cap = sizeof f->selector, len = 0;
	int n = 0;

	s[0] = '\0';
	if (o->for_kind != NULL) {
		n = snprintf(s, cap, "involvedObject.kind=%s,"
		    "involvedObject.name=%s", o->for_kind, o->for_name);
		if (n < 0 || (size_t)n >= cap) {
			return -1;
		}
		len = (size_t)n;
	}
	if (o->types == TYPE_NORMAL || o->types == TYPE_WARNING) {
		n = snprintf(s + len, cap - len, "%stype=%s", len ? "," : "",
		    o->types == TYPE_NORMAL ? "Normal" : "Warning");
		if (n < 0 || (size_t)n >= cap - len) {
			return -1;
		}
		len += (size_t)n;
	}
	if (o->field_selector != NULL && o->field_selector[0] != '\0') {
		n = snprintf(s + len, cap - len, "%s%s", len ? "," : "",
		    o->field_selector);
		if (n < 0 || (size_t)n >= cap - len) {
			return -1;
		}
	}
	return 0;
}

static int
setup(struct follow *f, const struct opts *o)
{
	struct client_config cc;
	char err[600], ns[800];

	f->o = o;
	if (config_resolve(&o->cluster, &f->kc, err, sizeof err) != 0) {
		log_error("%s", err);
		return -1;
	}
	snprintf(f->user_agent, sizeof f->user_agent,
	    "kevents/%s (linux/%s)", KEVENTS_VERSION, KEVENTS_ARCH);
	memset(&cc, 0, sizeof cc);
	cc.server = f->kc.server;
	cc.proxy_url = f->kc.proxy_url[0] ? f->kc.proxy_url : NULL;
	cc.tls = &f->tls;
	cc.token = f->kc.token;
	cc.connect_timeout_ms = o->request_timeout_ms < 10000 ?
	    (int)o->request_timeout_ms : 10000;
	cc.user_agent = f->user_agent;
	if (client_init(&f->cl, &cc) != CLIENT_OK) {
		log_error("%s", f->cl.err);
		return -1;
	}
	if (setup_tls(f) != 0) {
		return -1;
	}

	if (o->all_namespaces) {
		snprintf(f->path, sizeof f->path, "/api/v1/events");
	} else {
		if (http_escape(ns, sizeof ns, f->kc.namespace_) >= sizeof ns) {
			log_error("namespace is too long");
			return -1;
		}
		snprintf(f->path, sizeof f->path,
		    "/api/v1/namespaces/%s/events", ns);
	}
	if (setup_selector(f) != 0) {
		log_error("field selector is too long");
		return -1;
	}
	f->dec = event_decoder_new(EVENT_LIST, &(struct event_callbacks){
	    on_event, on_list_meta, on_status, f });
	f->uids = uidset_new();
	f->out = output_new(o, 1);
	if (f->dec == NULL || f->uids == NULL || f->out == NULL) {
		log_error("out of memory");
		return -1;
	}
	return 0;
}

static void
print_stats(const struct follow *f)
{
	char line[1024];

	snprintf(line, sizeof line, "{\"requests\":%" PRIu64
	    ",\"connections\":%" PRIu64 ",\"tls_handshakes\":%" PRIu64
	    ",\"lists\":%" PRIu64 ",\"consistent_lists\":%" PRIu64
	    ",\"pages\":%" PRIu64 ",\"watches\":%" PRIu64
	    ",\"polls\":%" PRIu64 ",\"relists\":%" PRIu64
	    ",\"expired\":%" PRIu64 ",\"printed\":%" PRIu64
	    ",\"updates\":%" PRIu64 ",\"deleted\":%" PRIu64
	    ",\"bookmarks\":%" PRIu64 ",\"status_429\":%" PRIu64
	    ",\"status_5xx\":%" PRIu64 ",\"retries\":%" PRIu64
	    ",\"uids\":%zu,\"uid_bytes\":%zu}\n",
	    f->cl.requests, f->cl.connects, f->cl.handshakes, f->n.lists,
	    f->n.consistent_lists, f->n.pages, f->n.watches, f->n.polls,
	    f->n.relists, f->n.expired, f->n.printed, f->n.updates,
	    f->n.deleted, f->n.bookmarks, f->n.status_429, f->n.status_5xx,
	    f->n.retries, f->uids ? uidset_count(f->uids) : 0,
	    f->uids ? uidset_memory(f->uids) : 0);
	fputs(line, stderr);
}

static void
teardown(struct follow *f)
{
	client_free(&f->cl);
	tls_config_free(&f->tls);
	config_free(&f->kc);
	if (f->dec != NULL) {
		event_decoder_free(f->dec);
	}
	if (f->uids != NULL) {
		uidset_free(f->uids);
	}
	output_free(f->out);
}

int
follow_main(const struct opts *o)
{
	struct follow *f = calloc(1, sizeof *f);
	int status = 1;
	enum step s;

	if (f == NULL) {
		log_error("out of memory");
		return 1;
	}
	if (setup(f, o) != 0) {
		goto done;
	}
	if (o->timeout_ms > 0) {
		io_stop_after_ms(o->timeout_ms);
	}
	io_watch_stdout();
	if (o->since_ms > 0) {
		f->since_us = real_now_us() - o->since_ms * 1000;
	}

	/* The run's one consistent read. */
	s = list_all(f, LIST_INITIAL, 1);
	if (s == STEP_EXPIRED) {
		log_error("list events: 410 Gone for a list without a "
		    "resourceVersion");
		goto done;
	}
	if (s != STEP_OK) {
		status = s == STEP_STOP ? 0 : 1;
		goto done;
	}
	if (!o->watch) {
		if (f->n.printed == 0 && o->output != OUTPUT_JSON) {
			if (o->all_namespaces) {
				log_info(0, "No events found.");
			} else {
				log_info(0, "No events found in %s namespace.",
				    f->kc.namespace_);
			}
		}
		status = 0;
		goto done;
	}
	if (o->mode == MODE_POLL) {
		status = poll_loop(f);
	} else {
		status = watch_loop(f);
	}

done:
	if (f->out != NULL && output_flush(f->out) != 0 && errno != EPIPE) {
		log_error("writing to stdout: %s", strerror(errno));
		status = 1;
	}
	if (o->stats) {
		print_stats(f);
	}
	teardown(f);
	free(f);
	return status;
}
