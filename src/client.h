/* An API-server client: one kept-alive connection (TCP, optional proxy
 * tunnel, optional TLS) to one server, over which GET requests are sent
 * and their responses streamed to a callback. It owns reconnecting a
 * connection the server closed between requests; it knows nothing of
 * Kubernetes resources, which belong to follow.c.
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KEVENTS_CLIENT_H
#define KEVENTS_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "conn.h"
#include "http.h"
#include "tls.h"

struct client_config {
	/* The server URL as configured: https://host[:port][/prefix] or
	 * http://...; an IPv6 literal in brackets. */
	const char *server;
	/* Proxy URL for this server (kubeconfig proxy-url), or NULL to use
	 * HTTPS_PROXY / HTTP_PROXY / NO_PROXY from the environment. */
	const char *proxy_url;
	/* TLS settings; unused for http://. Owned by the caller and kept
	 * alive while the client is. */
	const struct tls_config *tls;
	/* Bearer token, or NULL. The caller may change the pointed-to
	 * string between requests (token rotation). */
	const char *token;
	int connect_timeout_ms;		/* per address tried */
	const char *user_agent;		/* "kevents/VERSION (linux/ARCH)" */
};

/* What the caller learns of a response. */
struct client_response {
	int status;			/* HTTP status code */
	long retry_after;		/* seconds from Retry-After, or -1 */
	time_t date;			/* server's Date header, or 0 */
	char content_type[64];		/* media type, lower case, no params */
	int64_t body_bytes;		/* body bytes delivered so far */
};

/* Receives body bytes as they arrive, already de-chunked. Returning
 * non-zero stops the request: the connection is closed and
 * client_get() returns CLIENT_ABORTED. */
typedef int (*client_body_fn)(void *arg, const struct client_response *resp,
    const uint8_t *data, size_t len);

enum client_result {
	CLIENT_OK = 0,		/* a complete response of any status */
	CLIENT_ERR_CONFIG,	/* bad server or proxy URL */
	CLIENT_ERR_RESOLVE,	/* name did not resolve */
	CLIENT_ERR_CONNECT,	/* no address accepted the connection */
	CLIENT_ERR_PROXY,	/* the proxy refused or broke the tunnel */
	CLIENT_ERR_TLS,		/* handshake or certificate failure */
	CLIENT_ERR_IO,		/* reset, or closed before the body ended */
	CLIENT_ERR_PROTOCOL,	/* malformed HTTP from the server */
	CLIENT_ERR_TIMEOUT,	/* deadline or inactivity bound passed */
	CLIENT_INTERRUPTED,	/* SIGTERM or SIGINT */
	CLIENT_ABORTED		/* the body callback asked to stop */
};

struct client {
	struct client_config cfg;
	struct conn conn;
	int connected;
	uint64_t requests;		/* requests sent */
	uint64_t connects;		/* TCP connections opened */
	uint64_t handshakes;		/* TLS handshakes completed */
	char err[512];			/* the last failure, in words */
	/* fields private to client.c follow */
	struct http_response http;
	uint8_t rbuf[16384];
	size_t rpos, rlen;		/* unread bytes in rbuf */
	struct conn_url url;		/* cfg.server, parsed */
	struct conn_url proxy;
	int use_proxy;
};

/* Copies cfg (not the strings it points to) and checks the server URL.
 * Opens nothing yet. Returns CLIENT_OK or CLIENT_ERR_CONFIG. */
int client_init(struct client *c, const struct client_config *cfg);

/* Sends GET path_query (which starts with "/" and is already escaped)
 * and delivers the response body to fn. With stream == 0 the whole
 * request must finish within timeout_ms; with stream != 0 timeout_ms
 * bounds only the silence between two reads (a watch). A kept-alive
 * connection the server had closed is reopened once, transparently.
 * Returns a client_result; on anything but CLIENT_OK the connection is
 * closed and c->err says what happened. */
int client_get(struct client *c, const char *path_query, int stream,
    int64_t timeout_ms, struct client_response *resp, client_body_fn fn,
    void *arg);

/* Closes the connection (the next request opens a new one). */
void client_disconnect(struct client *c);

/* client_disconnect() and release everything. */
void client_free(struct client *c);

#endif
