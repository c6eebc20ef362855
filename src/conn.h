/* Connections to an API server: URL parsing, name resolution, TCP with
 * keepalive and connect timeouts, an optional HTTP CONNECT tunnel, and
 * an optional TLS session on top; reads and writes with deadlines.
 * Choosing the proxy belongs to proxy.c, HTTP itself to http.c.
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KEVENTS_CONN_H
#define KEVENTS_CONN_H

#include <stddef.h>
#include <stdint.h>

#include "tls.h"

/* A parsed http:// or https:// URL. */
struct conn_url {
	char scheme[16];		/* "https" or "http", lower case */
	int tls;			/* scheme is https */
	char host[256];			/* name or IP, no brackets */
	int port;			/* explicit, else 443 or 80 */
	char prefix[1024];		/* path, no trailing "/"; or "" */
	int has_user;
	char user[256];			/* userinfo, percent-decoded */
	char pass[256];
};

/* Parses s. A URL without "scheme://" is https (or, with bare_http set,
 * http, as proxy variables are read). Any scheme but http and https is
 * refused with "proxy scheme X is not supported" when what names the
 * URL as a proxy ("proxy"), else "unsupported scheme X". A query or
 * fragment is refused. Returns 0, or -1 with err set. */
int conn_parse_url(struct conn_url *u, const char *s, int bare_http,
    const char *what, char *err, size_t errlen);

/* Result codes of conn_open() beside 0 and the negative IO_* codes. */
enum {
	CONN_E_RESOLVE = 1,	/* the name did not resolve */
	CONN_E_CONNECT,		/* no address accepted the connection */
	CONN_E_PROXY,		/* the proxy refused or failed */
	CONN_E_TLS		/* the TLS handshake failed */
};

/* One open connection. Zeroed is closed. */
struct conn {
	int open;
	int fd;
	struct tls_session *tls;
	char peer[300];			/* "host:port" for messages */
};

/* Opens a connection to server, through proxy when it is not NULL
 * (HTTP CONNECT, with basic auth from the proxy's userinfo), then does
 * the TLS handshake for https with tls (NULL is an empty config). Each
 * address gets connect_timeout_ms, and everything ends by deadline_ms.
 * Sets *did_handshake when a TLS handshake completed. Returns 0, a
 * CONN_E_* code, IO_TIMEOUT or IO_INTERRUPTED, with err set on
 * failure; c is then closed. */
int conn_open(struct conn *c, const struct conn_url *server,
    const struct conn_url *proxy, const struct tls_config *tls,
    const char *user_agent, int64_t connect_timeout_ms, int64_t deadline_ms,
    int *did_handshake, char *err, size_t errlen);

/* Reads up to len bytes. Returns the count (> 0), 0 when the peer
 * closed, or IO_ERROR / IO_TIMEOUT / IO_INTERRUPTED (err set for
 * IO_ERROR, without the peer's name). */
long conn_read(struct conn *c, void *buf, size_t len, int64_t deadline_ms,
    char *err, size_t errlen);

/* Writes all of buf. Returns 0 or an IO_* code as conn_read(). */
int conn_write_all(struct conn *c, const void *buf, size_t len,
    int64_t deadline_ms, char *err, size_t errlen);

/* Frees the TLS session and closes the socket; a closed c is left
 * alone. */
void conn_close(struct conn *c);

#endif
