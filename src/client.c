/* The API-server client: one kept-alive connection, requests written by
 * http.c, responses decoded as they arrive; see client.h for the
 * contract.
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <string.h>

#include "client.h"
#include "io.h"
#include "proxy.h"

/* Request heads are written on the stack: a long bearer token (some
 * OIDC providers issue several KiB) plus a continue token fit. */
#define CLIENT_MAX_REQUEST 16384

int
client_init(struct client *c, const struct client_config *cfg)
{
	int r;

	memset(c, 0, sizeof *c);
	c->conn.fd = -1;
	c->cfg = *cfg;
	if (cfg->server == NULL || conn_parse_url(&c->url, cfg->server, 0,
	    "server", c->err, sizeof c->err) != 0) {
		if (cfg->server == NULL) {
			snprintf(c->err, sizeof c->err, "no server URL");
		}
		return CLIENT_ERR_CONFIG;
	}
	r = proxy_select(cfg->proxy_url, &c->url, &c->proxy, c->err,
	    sizeof c->err);
	if (r < 0) {
		return CLIENT_ERR_CONFIG;
	}
	c->use_proxy = r;
	return CLIENT_OK;
}

void
client_disconnect(struct client *c)
{
	conn_close(&c->conn);
	c->connected = 0;
	c->rpos = c->rlen = 0;
}

void
client_free(struct client *c)
{
	client_disconnect(c);
}

static void
fmt_span(char *out, size_t cap, int64_t ms)
{
	if (ms % 1000 == 0) {
		snprintf(out, cap, "%llds", (long long)(ms / 1000));
	} else {
		snprintf(out, cap, "%.1fs", (double)ms / 1000.0);
	}
}

/* Turns an IO_* code from reading or writing into a result and words. */
static int
io_failure(struct client *c, int code, const char *verb, int stream,
    int64_t timeout_ms, const char *why)
{
	char span[32];

	fmt_span(span, sizeof span, timeout_ms);
	switch (code) {
	case IO_TIMEOUT:
		if (stream) {
			snprintf(c->err, sizeof c->err, "%s %s: timed out "
			    "after %s of silence", verb, c->conn.peer, span);
		} else {
			snprintf(c->err, sizeof c->err, "request to %s timed "
			    "out after %s", c->conn.peer, span);
		}
		return CLIENT_ERR_TIMEOUT;
	case IO_INTERRUPTED:
		snprintf(c->err, sizeof c->err, "%s %s: interrupted by a "
		    "signal", verb, c->conn.peer);
		return CLIENT_INTERRUPTED;
	default:
		snprintf(c->err, sizeof c->err, "%s %s: %s", verb,
		    c->conn.peer, why);
		return CLIENT_ERR_IO;
	}
}

static int
open_conn(struct client *c, int64_t deadline_ms)
{
	int rc, hs = 0;

	rc = conn_open(&c->conn, &c->url, c->use_proxy ? &c->proxy : NULL,
	    c->cfg.tls, c->cfg.user_agent, c->cfg.connect_timeout_ms,
	    deadline_ms, &hs, c->err, sizeof c->err);
	switch (rc) {
	case 0:
		c->connected = 1;
		c->connects++;
		c->handshakes += (uint64_t)hs;
		c->rpos = c->rlen = 0;
		return CLIENT_OK;
	case CONN_E_RESOLVE:
		return CLIENT_ERR_RESOLVE;
	case CONN_E_PROXY:
		return CLIENT_ERR_PROXY;
	case CONN_E_TLS:
		return CLIENT_ERR_TLS;
	case IO_TIMEOUT:
		return CLIENT_ERR_TIMEOUT;
	case IO_INTERRUPTED:
		return CLIENT_INTERRUPTED;
	default:
		return CLIENT_ERR_CONNECT;
	}
}

/* The server ended the connection; words for where in the response. */
static int
eof_failure(struct client *c)
{
	const struct http_response *r = &c->http;

	if (http_in_chunk(r)) {
		snprintf(c->err, sizeof c->err, "server %s closed the "
		    "connection in the middle of a chunk", c->conn.peer);
	} else if (http_in_body(r) && r->content_length > 0) {
		snprintf(c->err, sizeof c->err, "server %s closed the "
		    "connection after %lld of %lld body bytes", c->conn.peer,
		    (long long)r->body_bytes, (long long)r->content_length);
	} else if (!http_started(r)) {
		snprintf(c->err, sizeof c->err, "server %s closed the "
		    "connection without answering", c->conn.peer);
	} else {
		snprintf(c->err, sizeof c->err, "server %s closed the "
		    "connection before the response headers ended",
		    c->conn.peer);
	}
	return CLIENT_ERR_IO;
}

/* Reads and decodes one response. Sets *retry (and returns) when the
 * connection failed before any byte of it arrived and retry_ok. */
static int
receive(struct client *c, int stream, int64_t timeout_ms,
    int64_t deadline_ms, struct client_response *resp, client_body_fn fn,
    void *arg, int retry_ok, int *retry)
{
	const uint8_t *body;
	size_t used, blen;
	char why[256];
	long n;
	int ev, rc;

	for (;;) {
		/* A server that keeps sending never makes a read wait, so
		 * the bound on a whole request is checked here too. */
		if (!stream && io_now_ms() >= deadline_ms) {
			return io_failure(c, IO_TIMEOUT, "read from", stream,
			    timeout_ms, "");
		}

		/* Bytes left over from the last response come first. */
		if (c->rpos == c->rlen) {
			n = conn_read(&c->conn, c->rbuf, sizeof c->rbuf,
			    stream ? io_deadline_ms(timeout_ms) : deadline_ms,
			    why, sizeof why);
			if ((n == 0 || n == IO_ERROR) && retry_ok &&
			    !http_started(&c->http)) {
				*retry = 1;
				return CLIENT_ERR_IO;
			}
			if (n == 0) {
				/* Words first: http_eof() ends the state they
				 * come from. */
				rc = eof_failure(c);
				if (http_eof(&c->http) == HTTP_DONE) {
					c->err[0] = '\0';
					client_disconnect(c);
					return CLIENT_OK;
				}
				return rc;
			}
			if (n < 0) {
				return io_failure(c, (int)n, "read from",
				    stream, timeout_ms, why);
			}
			c->rpos = 0;
			c->rlen = (size_t)n;
		}

		/* Hand every event of these bytes on before reading more. */
		for (;;) {
			ev = http_parse(&c->http, c->rbuf + c->rpos,
			    c->rlen - c->rpos, &used, &body, &blen);
			c->rpos += used;
			if (ev == HTTP_MORE) {
				break;
			}
			switch (ev) {
			case HTTP_ERROR:
				snprintf(c->err, sizeof c->err, "malformed "
				    "response from %s: %s", c->conn.peer,
				    c->http.why);
				return CLIENT_ERR_PROTOCOL;
			case HTTP_HEAD:
				resp->status = c->http.status;
				resp->retry_after = c->http.retry_after;
				resp->date = c->http.date;
				memcpy(resp->content_type,
				    c->http.content_type,
				    sizeof resp->content_type);
				break;
			case HTTP_BODY:
				resp->body_bytes += (int64_t)blen;
				if (fn != NULL && fn(arg, resp, body, blen)) {
					snprintf(c->err, sizeof c->err,
					    "request to %s stopped by the "
					    "reader", c->conn.peer);
					return CLIENT_ABORTED;
				}
				break;
			case HTTP_DONE:
				if (!c->http.keep_alive) {
					client_disconnect(c);
				}
				return CLIENT_OK;
			default:
				break;
			}
		}
	}
}

int
client_get(struct client *c, const char *path_query, int stream,
    int64_t timeout_ms, struct client_response *resp, client_body_fn fn,
    void *arg)
{
	char req[CLIENT_MAX_REQUEST], why[256];
	struct http_request rq;
	int64_t deadline;
	long len;
	int attempt, reused, rc, retry;

	memset(resp, 0, sizeof *resp);
	resp->retry_after = -1;
	c->err[0] = '\0';

	/* The request head is built once and resent as it is on a retry. */
	memset(&rq, 0, sizeof rq);
	rq.host = c->url.host;
	rq.port = c->url.port;
	rq.tls = c->url.tls;
	rq.prefix = c->url.prefix;
	rq.path_query = path_query;
	rq.token = c->cfg.token;
	rq.user_agent = c->cfg.user_agent;
	len = http_write_request(req, sizeof req, &rq);
	if (len < 0) {
		snprintf(c->err, sizeof c->err, "request for %.100s%s is too "
		    "long or holds a line break", path_query,
		    strlen(path_query) > 100 ? "..." : "");
		return CLIENT_ERR_CONFIG;
	}

	/* A whole request gets timeout_ms; a stream gets it for the setup
	 * and then for each silence. */
	deadline = io_deadline_ms(timeout_ms);
	rc = CLIENT_ERR_IO;
	for (attempt = 0; attempt < 2; attempt++) {
		reused = c->connected;
		if (!c->connected) {
			/* A watch's bound is the silence of a long stream;
			 * setting up its connection (TCP, proxy, TLS) must
			 * not wait that long on a server that accepts and
			 * then says nothing. */
			rc = open_conn(c, stream ? io_deadline_ms(3 *
			    (int64_t)c->cfg.connect_timeout_ms) : deadline);
			if (rc != CLIENT_OK) {
				break;
			}
		}

		/* A kept-alive connection the server closed meanwhile fails
		 * on the write or the first read: reopen once, resend. */
		c->requests++;
		http_reset(&c->http);
		rc = conn_write_all(&c->conn, req, (size_t)len, deadline, why,
		    sizeof why);
		if (rc == IO_ERROR && reused && attempt == 0 &&
		    c->rpos == c->rlen) {
			client_disconnect(c);
			continue;
		}
		if (rc != 0) {
			rc = io_failure(c, rc, "write to", 0, timeout_ms, why);
			break;
		}
		retry = 0;
		rc = receive(c, stream, timeout_ms, deadline, resp, fn, arg,
		    reused && attempt == 0 && c->rpos == c->rlen, &retry);
		if (retry) {
			client_disconnect(c);
			continue;
		}
		break;
	}
	memset(req, 0, sizeof req);
	if (rc != CLIENT_OK) {
		client_disconnect(c);
	}
	return rc;
}
