/* Which proxy, if any, carries the connection to a server: the
 * configured proxy URL, else HTTPS_PROXY / HTTP_PROXY with NO_PROXY as
 * Go's net/http reads them (client-go does the same). Opening the
 * tunnel belongs to conn.c.
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KEVENTS_PROXY_H
#define KEVENTS_PROXY_H

#include <stddef.h>

#include "conn.h"

/* Decides the proxy for server. A non-empty configured URL is always
 * used (as Go's http.ProxyURL does: no NO_PROXY, no localhost
 * exception). Otherwise HTTPS_PROXY/https_proxy (for https) or
 * HTTP_PROXY/http_proxy (for http) apply unless proxy_bypass() says
 * no. Returns 1 with *proxy filled, 0 for a direct connection, or -1
 * with err set when the proxy URL is bad or its scheme unsupported. */
int proxy_select(const char *configured, const struct conn_url *server,
    struct conn_url *proxy, char *err, size_t errlen);

/* True when a connection to host:port goes direct given the NO_PROXY
 * list no_proxy (may be NULL): host "localhost" and loopback IPs
 * always do; otherwise an entry "*" matches everything, an IP or a
 * CIDR (v4 or v6) matches IP hosts, "name" matches name and its
 * subdomains, ".name" and "*.name" only subdomains, and an entry with
 * ":port" only that port. */
int proxy_bypass(const char *no_proxy, const char *host, int port);

#endif
