/* Proxy selection from configuration and the environment, with NO_PROXY
 * matched the way Go's golang.org/x/net/http/httpproxy matches it; see
 * proxy.h for the contract.
 * SPDX-License-Identifier: Apache-2.0 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy.h"

/* An IP literal as bytes: 4 for IPv4, 16 for IPv6. */
struct ip {
	int len;
	uint8_t b[16];
};

static int
parse_ip(const char *s, struct ip *ip)
{
	if (inet_pton(AF_INET, s, ip->b) == 1) {
		ip->len = 4;
		return 1;
	}
	if (inet_pton(AF_INET6, s, ip->b) == 1) {
		ip->len = 16;
		/* An IPv4-mapped address compares as the IPv4 one. */
		if (memcmp(ip->b, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0) {
			memmove(ip->b, ip->b + 12, 4);
			ip->len = 4;
		}
		return 1;
	}
	return 0;
}

static int
loopback(const struct ip *ip)
{
	static const uint8_t v6[16] = { [15] = 1 };

	return ip->len == 4 ? ip->b[0] == 127 : memcmp(ip->b, v6, 16) == 0;
}

static int
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Does CIDR entry e (already lower case, holding a "/") contain ip? */
static int
cidr_match(char *e, const struct ip *ip)
{
	char *slash = strchr(e, '/'), *end;
	struct ip net;
	long bits;
	int k;

	*slash = '\0';
	if (!parse_ip(e, &net) || slash[1] == '\0') {
		return 0;
	}
	bits = strtol(slash + 1, &end, 10);
	if (*end != '\0' || bits < 0) {
		return 0;
	}
	if (net.len == 4 && strchr(e, ':') != NULL) {
		/* "::ffff:a.b.c.d/n": the prefix counts the 96 mapped bits. */
		bits -= 96;
	}
	if (bits < 0 || bits > net.len * 8 || net.len != ip->len) {
		return 0;
	}
	for (k = 0; k < bits; k++) {
		uint8_t m = (uint8_t)(0x80 >> (k % 8));

		if ((net.b[k / 8] & m) != (ip->b[k / 8] & m)) {
			return 0;
		}
	}
	return 1;
}

/* Splits "host:port" or "[v6]:port" in place. Returns the port text, or
 * NULL when the entry has none; *host points at the host part. */
static char *
split_port(char *e, char **host)
{
	char *colon, *close;

	*host = e;
	if (e[0] == '[') {
		close = strchr(e, ']');
		if (close == NULL) {
			return NULL;
		}
		if (close[1] == ':') {
			*close = '\0';
			*host = e + 1;
			return close + 2;
		}
		if (close[1] == '\0') {
			*close = '\0';
			*host = e + 1;
		}
		return NULL;
	}
	colon = strchr(e, ':');
	/* More than one colon is a bare IPv6 address, not host:port. */
	if (colon == NULL || strchr(colon + 1, ':') != NULL) {
		return NULL;
	}
	*colon = '\0';
	return colon + 1;
}

static int
entry_match(char *e, const char *host, const struct ip *hip, int is_ip,
    int port)
{
	char *h, *p, dom[300];
	struct ip eip;
	int matchhost;

	if (strchr(e, '/') != NULL) {
		return is_ip && cidr_match(e, hip);
	}
	p = split_port(e, &h);
	if (p != NULL && (*h == '\0' || atoi(p) != port)) {
		return 0;
	}
	if (parse_ip(h, &eip)) {
		return is_ip && eip.len == hip->len &&
		    memcmp(eip.b, hip->b, (size_t)eip.len) == 0;
	}
	if (*h == '\0' || is_ip) {
		return 0;
	}

	/* "*.x" is ".x"; a bare "x" matches x itself and its subdomains,
	 * ".x" only the subdomains. */
	if (h[0] == '*' && h[1] == '.') {
		h++;
	}
	matchhost = h[0] != '.';
	snprintf(dom, sizeof dom, "%s%s", matchhost ? "." : "", h);
	return ends_with(host, dom) || (matchhost && strcmp(host, h) == 0);
}

int
proxy_bypass(const char *no_proxy, const char *host, int port)
{
	char lhost[256], entry[300];
	struct ip hip;
	const char *p, *q;
	size_t n, k;
	int is_ip;

	/* Go never proxies loopback, whatever NO_PROXY says. */
	for (k = 0; host[k] != '\0' && k + 1 < sizeof lhost; k++) {
		lhost[k] = (char)(host[k] >= 'A' && host[k] <= 'Z' ?
		    host[k] + 32 : host[k]);
	}
	lhost[k] = '\0';
	is_ip = parse_ip(lhost, &hip);
	if (strcmp(lhost, "localhost") == 0 || (is_ip && loopback(&hip))) {
		return 1;
	}
	if (no_proxy == NULL) {
		return 0;
	}

	/* Entries are comma-separated, trimmed and compared in lower case;
	 * empty and overlong ones are skipped. */
	for (p = no_proxy; *p != '\0'; p = *q ? q + 1 : q) {
		q = p + strcspn(p, ",");
		while (p < q && (*p == ' ' || *p == '\t')) {
			p++;
		}
		n = (size_t)(q - p);
		while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t')) {
			n--;
		}
		if (n == 0 || n >= sizeof entry) {
			continue;
		}
		for (k = 0; k < n; k++) {
			entry[k] = (char)(p[k] >= 'A' && p[k] <= 'Z' ?
			    p[k] + 32 : p[k]);
		}
		entry[n] = '\0';
		if (strcmp(entry, "*") == 0 ||
		    entry_match(entry, lhost, &hip, is_ip, port)) {
			return 1;
		}
	}
	return 0;
}

/* Only plain-HTTP proxies speak CONNECT to us here; a TLS proxy would
 * need a second TLS session under the server's. */
static int
check_scheme(const struct conn_url *proxy, char *err, size_t errlen)
{
	if (proxy->tls) {
		snprintf(err, errlen, "proxy scheme %s is not supported",
		    proxy->scheme);
		return -1;
	}
	return 1;
}

static const char *
env_any(const char *upper, const char *lower_)
{
	const char *v = getenv(upper);

	if (v == NULL || v[0] == '\0') {
		v = getenv(lower_);
	}
	return v != NULL && v[0] != '\0' ? v : NULL;
}

int
proxy_select(const char *configured, const struct conn_url *server,
    struct conn_url *proxy, char *err, size_t errlen)
{
	const char *env;

	if (configured != NULL && configured[0] != '\0') {
		if (conn_parse_url(proxy, configured, 1, "proxy", err,
		    errlen) != 0) {
			return -1;
		}
		return check_scheme(proxy, err, errlen);
	}
	env = server->tls ? env_any("HTTPS_PROXY", "https_proxy") :
	    env_any("HTTP_PROXY", "http_proxy");
	if (env == NULL || proxy_bypass(env_any("NO_PROXY", "no_proxy"),
	    server->host, server->port)) {
		return 0;
	}
	if (conn_parse_url(proxy, env, 1, "proxy", err, errlen) != 0) {
		return -1;
	}
	return check_scheme(proxy, err, errlen);
}
