/* URLs, TCP connections with keepalive, CONNECT tunnels and TLS on top;
 * see conn.h for the contract.
 * SPDX-License-Identifier: Apache-2.0 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conn.h"
#include "http.h"
#include "io.h"

/* ---- URLs ---- */

static int
hexdigit(int c)
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

/* Percent-decodes s[0..n) into out. Returns 0, or -1 when it does not
 * fit, an escape is broken or it decodes to a NUL or control byte. */
static int
pct_decode(char *out, size_t cap, const char *s, size_t n)
{
	size_t i, o = 0;
	int c;

	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c == '%') {
			if (i + 2 >= n || hexdigit(s[i + 1]) < 0 ||
			    hexdigit(s[i + 2]) < 0) {
				return -1;
			}
			c = hexdigit(s[i + 1]) * 16 + hexdigit(s[i + 2]);
			i += 2;
		}
		if (c < 0x20 || c == 0x7f || o + 1 >= cap) {
			return -1;
		}
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return 0;
}

static int
host_byte(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
}

static int
path_byte(int c)
{
	return c > 0x20 && c < 0x7f && c != '?' && c != '#';
}

int
conn_parse_url(struct conn_url *u, const char *s, int bare_http,
    const char *what, char *err, size_t errlen)
{
	const char *p, *auth, *auth_end, *at, *colon, *h, *h_end;
	size_t n, k;
	long port;
	struct in6_addr a6;

	memset(u, 0, sizeof *u);
	if (what == NULL) {
		what = "server";
	}

	/* The scheme decides TLS and the default port. */
	p = strstr(s, "://");
	if (p != NULL) {
		n = (size_t)(p - s);
		if (n == 0 || n >= sizeof u->scheme) {
			snprintf(err, errlen, "%s URL \"%s\" has a bad scheme",
			    what, s);
			return -1;
		}
		for (k = 0; k < n; k++) {
			u->scheme[k] = (char)(s[k] >= 'A' && s[k] <= 'Z' ?
			    s[k] + 32 : s[k]);
		}
		auth = p + 3;
	} else {
		strcpy(u->scheme, bare_http ? "http" : "https");
		auth = s;
	}
	if (strcmp(u->scheme, "https") == 0) {
		u->tls = 1;
	} else if (strcmp(u->scheme, "http") != 0) {
		if (strcmp(what, "proxy") == 0) {
			snprintf(err, errlen,
			    "proxy scheme %s is not supported", u->scheme);
		} else {
			snprintf(err, errlen, "%s URL \"%s\": unsupported "
			    "scheme %s", what, s, u->scheme);
		}
		return -1;
	}

	/* Userinfo is everything before the last "@" of the authority. */
	auth_end = auth + strcspn(auth, "/?#");
	at = NULL;
	for (p = auth; p < auth_end; p++) {
		if (*p == '@') {
			at = p;
		}
	}
	h = auth;
	if (at != NULL) {
		colon = memchr(auth, ':', (size_t)(at - auth));
		n = (size_t)((colon != NULL ? colon : at) - auth);
		if (pct_decode(u->user, sizeof u->user, auth, n) != 0 ||
		    (colon != NULL && pct_decode(u->pass, sizeof u->pass,
		    colon + 1, (size_t)(at - colon - 1)) != 0)) {
			snprintf(err, errlen, "%s URL has bad user "
			    "information", what);
			return -1;
		}
		u->has_user = 1;
		h = at + 1;
	}

	/* Host: a bracketed IPv6 literal, or a name or IPv4 address. */
	if (*h == '[') {
		h_end = memchr(h, ']', (size_t)(auth_end - h));
		n = h_end != NULL ? (size_t)(h_end - h - 1) : 0;
		if (h_end == NULL || n == 0 || n >= sizeof u->host) {
			goto bad_host;
		}
		memcpy(u->host, h + 1, n);
		u->host[n] = '\0';
		if (inet_pton(AF_INET6, u->host, &a6) != 1) {
			goto bad_host;
		}
		p = h_end + 1;
	} else {
		for (p = h; p < auth_end && host_byte(*p); p++) {
		}
		n = (size_t)(p - h);
		if (n == 0 || n >= sizeof u->host) {
			goto bad_host;
		}
		memcpy(u->host, h, n);
		u->host[n] = '\0';
	}

	/* An explicit port, else the scheme's. */
	u->port = u->tls ? 443 : 80;
	if (p < auth_end && *p == ':') {
		p++;
		port = 0;
		if (p == auth_end) {
			goto bad_port;
		}
		for (; p < auth_end; p++) {
			if (*p < '0' || *p > '9' || port > 65535) {
				goto bad_port;
			}
			port = port * 10 + (*p - '0');
		}
		if (port < 1 || port > 65535) {
			goto bad_port;
		}
		u->port = (int)port;
	}
	if (p != auth_end) {
		goto bad_host;
	}

	/* The path becomes a prefix of every request path. */
	if (*auth_end == '?' || *auth_end == '#') {
		snprintf(err, errlen, "%s URL \"%s\" must not have a query "
		    "or fragment", what, s);
		return -1;
	}
	n = strlen(auth_end);
	while (n > 0 && auth_end[n - 1] == '/') {
		n--;
	}
	for (k = 0; k < n; k++) {
		if (!path_byte((unsigned char)auth_end[k])) {
			snprintf(err, errlen, "%s URL \"%s\" has a bad path",
			    what, s);
			return -1;
		}
	}
	if (n >= sizeof u->prefix) {
		snprintf(err, errlen, "%s URL path is too long", what);
		return -1;
	}
	memcpy(u->prefix, auth_end, n);
	u->prefix[n] = '\0';
	return 0;

bad_host:
	snprintf(err, errlen, "%s URL \"%s\" has a bad host", what, s);
	return -1;
bad_port:
	snprintf(err, errlen, "%s URL \"%s\" has a bad port", what, s);
	return -1;
}

/* ---- Connecting ---- */

static void
hostport(char *out, size_t cap, const char *host, int port)
{
	if (strchr(host, ':') != NULL) {
		snprintf(out, cap, "[%s]:%d", host, port);
	} else {
		snprintf(out, cap, "%s:%d", host, port);
	}
}

static void
fmt_ms(char *out, size_t cap, int64_t ms)
{
	if (ms % 1000 == 0) {
		snprintf(out, cap, "%llds", (long long)(ms / 1000));
	} else {
		snprintf(out, cap, "%.1fs", (double)ms / 1000.0);
	}
}

/* Keepalive finds a vanished peer in about a minute (30 s idle, then 3
 * probes 10 s apart) and keeps middleboxes from dropping a quiet watch;
 * NODELAY because each request is one small write we wait on. */
static void
tune_socket(int fd)
{
	int one = 1, idle = 30, intvl = 10, cnt = 3;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof intvl);
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof cnt);
}

/* One connect attempt to one address. Returns the socket, or an IO_*
 * code with err set. */
static int
connect_one(const struct addrinfo *ai, int64_t deadline_ms, char *err,
    size_t errlen)
{
	int fd, r, soerr;
	socklen_t sl = sizeof soerr;

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, ai->ai_protocol);
	if (fd < 0) {
		snprintf(err, errlen, "%s", strerror(errno));
		return IO_ERROR;
	}
	tune_socket(fd);
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
		return fd;
	}
	if (errno != EINPROGRESS && errno != EINTR) {
		snprintf(err, errlen, "%s", strerror(errno));
		close(fd);
		return IO_ERROR;
	}
	r = io_wait(fd, 1, deadline_ms);
	if (r < 0) {
		if (r == IO_ERROR) {
			snprintf(err, errlen, "%s", strerror(errno));
		}
		close(fd);
		return r;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0) {
		soerr = errno;
	}
	if (soerr != 0) {
		snprintf(err, errlen, "%s", strerror(soerr));
		close(fd);
		return IO_ERROR;
	}
	return fd;
}

static void
addr_text(const struct addrinfo *ai, char *out, size_t cap)
{
	char ip[INET6_ADDRSTRLEN] = "?";
	const void *a;

	if (ai->ai_family == AF_INET6) {
		a = &((const struct sockaddr_in6 *)ai->ai_addr)->sin6_addr;
	} else {
		a = &((const struct sockaddr_in *)ai->ai_addr)->sin_addr;
	}
	inet_ntop(ai->ai_family, a, ip, sizeof ip);
	snprintf(out, cap, "%s", ip);
}

/* Resolves host and connects to its addresses in turn. Returns the
 * socket, or a CONN_E_* / IO_* code with err set. */
static int
tcp_connect(const char *host, int port, const char *role,
    int64_t connect_timeout_ms, int64_t deadline_ms, char *err,
    size_t errlen)
{
	struct addrinfo hints, *res, *ai;
	char portstr[8], name[300], ip[INET6_ADDRSTRLEN], why[200];
	char span[32];
	int64_t d, start;
	int fd = IO_ERROR, rc, tried = 0;

	hostport(name, sizeof name, host, port);
	snprintf(portstr, sizeof portstr, "%d", port);
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;

	/* getaddrinfo() cannot be given a deadline; musl's resolver has
	 * its own timeouts and retries (a few seconds), and a signal ends
	 * the run after it returns. */
	rc = getaddrinfo(host, portstr, &hints, &res);
	if (rc != 0) {
		snprintf(err, errlen, "resolve %s%s: %s", role, host,
		    rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		return io_stop_signal() ? IO_INTERRUPTED : CONN_E_RESOLVE;
	}

	/* Each address gets its own connect timeout; the overall deadline
	 * still caps the sum. */
	why[0] = '\0';
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6) {
			continue;
		}
		tried++;
		addr_text(ai, ip, sizeof ip);
		start = io_now_ms();
		d = connect_timeout_ms > 0 ?
		    io_deadline_ms(connect_timeout_ms) : IO_NEVER;
		if (d > deadline_ms) {
			d = deadline_ms;
		}
		fd = connect_one(ai, d, why, sizeof why);
		if (fd >= 0 || fd == IO_INTERRUPTED) {
			break;
		}
		if (fd == IO_TIMEOUT) {
			fmt_ms(span, sizeof span, connect_timeout_ms > 0 &&
			    d < deadline_ms ? connect_timeout_ms :
			    d - start);
			snprintf(why, sizeof why, "timed out after %s", span);
			if (io_now_ms() >= deadline_ms) {
				break;
			}
		}
	}
	freeaddrinfo(res);
	if (fd >= 0) {
		return fd;
	}
	if (fd == IO_INTERRUPTED) {
		snprintf(err, errlen, "connect to %s%s: interrupted", role,
		    name);
		return IO_INTERRUPTED;
	}
	if (tried == 0) {
		snprintf(err, errlen, "resolve %s%s: no IPv4 or IPv6 address",
		    role, host);
		return CONN_E_RESOLVE;
	}
	if (strcmp(ip, host) == 0) {
		snprintf(err, errlen, "connect to %s%s: %s", role, name, why);
	} else {
		snprintf(err, errlen, "connect to %s%s (%s%s): %s", role, name,
		    ip, tried > 1 ? " and others" : "", why);
	}
	return fd == IO_TIMEOUT && io_now_ms() >= deadline_ms ? IO_TIMEOUT :
	    CONN_E_CONNECT;
}

/* Asks the proxy on c->fd for a tunnel to server. Returns 0, or
 * CONN_E_PROXY / an IO_* code with err set. */
static int
tunnel(struct conn *c, const struct conn_url *server,
    const struct conn_url *proxy, const char *user_agent,
    int64_t deadline_ms, char *err, size_t errlen)
{
	char req[2048], pname[300], why[200];
	uint8_t buf[512];
	struct http_response r;
	const uint8_t *body;
	size_t used, blen, off;
	long n, len;
	int ev, rc;

	hostport(pname, sizeof pname, proxy->host, proxy->port);
	len = http_write_connect(req, sizeof req, server->host, server->port,
	    proxy->has_user ? proxy->user : NULL,
	    proxy->has_user ? proxy->pass : NULL, user_agent);
	if (len < 0) {
		snprintf(err, errlen, "proxy %s: CONNECT request too long",
		    pname);
		return CONN_E_PROXY;
	}
	rc = conn_write_all(c, req, (size_t)len, deadline_ms, why,
	    sizeof why);
	memset(req, 0, sizeof req);
	if (rc != 0) {
		goto io_fail;
	}

	/* Read the proxy's answer. A tunnel carries nothing until we speak,
	 * so bytes after a 2xx head are a broken proxy, not data to keep. */
	memset(&r, 0, sizeof r);
	r.for_connect = 1;
	for (;;) {
		n = conn_read(c, buf, sizeof buf, deadline_ms, why,
		    sizeof why);
		if (n == 0) {
			snprintf(err, errlen, "proxy %s closed the connection "
			    "before answering CONNECT", pname);
			return CONN_E_PROXY;
		}
		if (n < 0) {
			rc = (int)n;
			goto io_fail;
		}
		off = 0;
		do {
			ev = http_parse(&r, buf + off, (size_t)n - off, &used,
			    &body, &blen);
			off += used;
		} while (ev == HTTP_BODY);
		if (ev == HTTP_ERROR) {
			snprintf(err, errlen, "proxy %s sent a malformed "
			    "answer to CONNECT: %s", pname, r.why);
			return CONN_E_PROXY;
		}
		if (ev == HTTP_HEAD) {
			break;
		}
	}
	if (r.status < 200 || r.status > 299) {
		snprintf(err, errlen, "proxy %s refused the tunnel to %s: "
		    "HTTP/1.%d %d %s", pname, c->peer, r.minor, r.status,
		    r.reason);
		return CONN_E_PROXY;
	}
	if (off != (size_t)n) {
		snprintf(err, errlen, "proxy %s sent data before the tunnel "
		    "was used", pname);
		return CONN_E_PROXY;
	}
	return 0;

io_fail:
	if (rc == IO_TIMEOUT) {
		snprintf(err, errlen, "proxy %s: timed out waiting for the "
		    "tunnel", pname);
	} else if (rc == IO_INTERRUPTED) {
		snprintf(err, errlen, "proxy %s: interrupted", pname);
	} else {
		snprintf(err, errlen, "proxy %s: %s", pname, why);
		return CONN_E_PROXY;
	}
	return rc;
}

int
conn_open(struct conn *c, const struct conn_url *server,
    const struct conn_url *proxy, const struct tls_config *tls,
    const char *user_agent, int64_t connect_timeout_ms, int64_t deadline_ms,
    int *did_handshake, char *err, size_t errlen)
{
	static const struct tls_config empty;
	char tlserr[400];
	int fd, rc, code = IO_ERROR;

	conn_close(c);
	*did_handshake = 0;
	hostport(c->peer, sizeof c->peer, server->host, server->port);

	/* TCP to the proxy when there is one, else to the server. */
	if (proxy != NULL) {
		fd = tcp_connect(proxy->host, proxy->port, "proxy ",
		    connect_timeout_ms, deadline_ms, err, errlen);
	} else {
		fd = tcp_connect(server->host, server->port, "",
		    connect_timeout_ms, deadline_ms, err, errlen);
	}
	if (fd < 0 || (fd >= CONN_E_RESOLVE && fd <= CONN_E_TLS)) {
		if (fd == CONN_E_CONNECT || fd == CONN_E_RESOLVE) {
			return proxy != NULL ? CONN_E_PROXY : fd;
		}
		return fd;
	}
	c->fd = fd;
	c->open = 1;

	/* The tunnel, then TLS end to end with the server through it. */
	if (proxy != NULL) {
		rc = tunnel(c, server, proxy, user_agent, deadline_ms, err,
		    errlen);
		if (rc != 0) {
			conn_close(c);
			return rc;
		}
	}
	if (server->tls) {
		c->tls = tls_handshake(fd, tls != NULL ? tls : &empty,
		    server->host, deadline_ms, &code, tlserr, sizeof tlserr);
		if (c->tls == NULL) {
			conn_close(c);
			if (code == IO_TIMEOUT) {
				snprintf(err, errlen, "TLS handshake with %s "
				    "timed out", c->peer);
				return IO_TIMEOUT;
			}
			if (code == IO_INTERRUPTED) {
				snprintf(err, errlen, "TLS handshake with %s "
				    "interrupted", c->peer);
				return IO_INTERRUPTED;
			}
			snprintf(err, errlen, "TLS with %s: %s", c->peer,
			    tlserr);
			return CONN_E_TLS;
		}
		*did_handshake = 1;
	}
	return 0;
}

/* ---- Reading and writing ---- */

long
conn_read(struct conn *c, void *buf, size_t len, int64_t deadline_ms,
    char *err, size_t errlen)
{
	ssize_t n;
	int r;

	if (!c->open) {
		snprintf(err, errlen, "not connected");
		return IO_ERROR;
	}
	if (io_stop_signal()) {
		return IO_INTERRUPTED;
	}
	if (c->tls != NULL) {
		return tls_read(c->tls, buf, len, deadline_ms, err, errlen);
	}
	for (;;) {
		n = recv(c->fd, buf, len, 0);
		if (n >= 0) {
			return (long)n;
		}
		if (errno == EINTR) {
			if (io_stop_signal()) {
				return IO_INTERRUPTED;
			}
			continue;
		}
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			snprintf(err, errlen, "%s", strerror(errno));
			return IO_ERROR;
		}
		r = io_wait(c->fd, 0, deadline_ms);
		if (r < 0) {
			if (r == IO_ERROR) {
				snprintf(err, errlen, "%s", strerror(errno));
			}
			return r;
		}
	}
}

int
conn_write_all(struct conn *c, const void *buf, size_t len,
    int64_t deadline_ms, char *err, size_t errlen)
{
	const uint8_t *p = buf;
	ssize_t n;
	int r;

	if (!c->open) {
		snprintf(err, errlen, "not connected");
		return IO_ERROR;
	}
	if (io_stop_signal()) {
		return IO_INTERRUPTED;
	}
	if (c->tls != NULL) {
		return tls_write_all(c->tls, buf, len, deadline_ms, err,
		    errlen);
	}
	while (len > 0) {
		n = send(c->fd, p, len, MSG_NOSIGNAL);
		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR) {
			if (io_stop_signal()) {
				return IO_INTERRUPTED;
			}
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
			snprintf(err, errlen, "%s", strerror(errno));
			return IO_ERROR;
		}
		r = io_wait(c->fd, 1, deadline_ms);
		if (r < 0) {
			if (r == IO_ERROR) {
				snprintf(err, errlen, "%s", strerror(errno));
			}
			return r;
		}
	}
	return 0;
}

void
conn_close(struct conn *c)
{
	if (c->tls != NULL) {
		tls_session_free(c->tls);
		c->tls = NULL;
	}
	if (c->open) {
		close(c->fd);
	}
	c->open = 0;
	c->fd = -1;
}
