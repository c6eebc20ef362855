/* Server and proxy URLs, NO_PROXY matching as Go's httpproxy does it,
 * and which proxy the environment picks.
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "conn.h"
#include "harness.h"
#include "proxy.h"

TEST(conn_url_forms)
{
	struct conn_url u;
	char err[256];

	CHECK_INT(conn_parse_url(&u, "https://10.96.0.1", 0, NULL, err,
	    sizeof err), 0);
	CHECK_INT(u.tls, 1);
	CHECK_STR(u.host, "10.96.0.1");
	CHECK_INT(u.port, 443);
	CHECK_STR(u.prefix, "");

	CHECK_INT(conn_parse_url(&u, "HTTP://Api.Example.com:8080/", 0, NULL,
	    err, sizeof err), 0);
	CHECK_INT(u.tls, 0);
	CHECK_STR(u.scheme, "http");
	CHECK_STR(u.host, "Api.Example.com");
	CHECK_INT(u.port, 8080);
	CHECK_STR(u.prefix, "");

	CHECK_INT(conn_parse_url(&u, "https://[fd00::1]:6443", 0, NULL, err,
	    sizeof err), 0);
	CHECK_STR(u.host, "fd00::1");
	CHECK_INT(u.port, 6443);
	CHECK_INT(conn_parse_url(&u, "https://[::1]", 0, NULL, err,
	    sizeof err), 0);
	CHECK_STR(u.host, "::1");
	CHECK_INT(u.port, 443);

	CHECK_INT(conn_parse_url(&u,
	    "https://rancher.example.com/k8s/clusters/c-abc12//", 0, NULL,
	    err, sizeof err), 0);
	CHECK_STR(u.host, "rancher.example.com");
	CHECK_STR(u.prefix, "/k8s/clusters/c-abc12");

	/* No scheme: https for servers, http for proxy variables. */
	CHECK_INT(conn_parse_url(&u, "kube:6443", 0, NULL, err, sizeof err),
	    0);
	CHECK_INT(u.tls, 1);
	CHECK_INT(conn_parse_url(&u, "proxy.corp:3128", 1, "proxy", err,
	    sizeof err), 0);
	CHECK_INT(u.tls, 0);
	CHECK_INT(u.port, 3128);

	CHECK_INT(conn_parse_url(&u, "http://us%40r:p%3Ass@proxy:3128", 1,
	    "proxy", err, sizeof err), 0);
	CHECK_INT(u.has_user, 1);
	CHECK_STR(u.user, "us@r");
	CHECK_STR(u.pass, "p:ss");
	CHECK_STR(u.host, "proxy");
}

TEST(conn_url_refused)
{
	static const char *bad[] = {
		"https://",
		"https://:443",
		"https://host:",
		"https://host:0",
		"https://host:65536",
		"https://host:12a",
		"https://[fd00::1",
		"https://[nothex]:1",
		"https://fd00::1:6443",
		"https://host/path?x=1",
		"https://host#frag",
		"https://ho st",
		"https://host/a b",
		"ftp://host",
		"://host",
		"http://u%zz@host",
	};
	struct conn_url u;
	char err[256];
	size_t k;

	for (k = 0; k < sizeof bad / sizeof bad[0]; k++) {
		err[0] = '\0';
		if (!CHECK_INT(conn_parse_url(&u, bad[k], 0, NULL, err,
		    sizeof err), -1)) {
			printf("  accepted %s\n", bad[k]);
		}
		CHECK(err[0] != '\0');
	}
	conn_parse_url(&u, "socks5://p:1080", 1, "proxy", err, sizeof err);
	CHECK_STR(err, "proxy scheme socks5 is not supported");
}

TEST(proxy_no_proxy_matching)
{
	static const struct {
		const char *no_proxy;
		const char *host;
		int port;
		int bypass;
	} cases[] = {
		/* Loopback never goes through a proxy. */
		{ NULL, "localhost", 443, 1 },
		{ NULL, "LocalHost", 443, 1 },
		{ NULL, "127.0.0.1", 6443, 1 },
		{ NULL, "127.9.9.9", 6443, 1 },
		{ NULL, "::1", 6443, 1 },
		{ NULL, "10.0.0.1", 443, 0 },
		{ "", "example.com", 443, 0 },
		{ "*", "anything.example", 443, 1 },
		{ " * ", "10.1.2.3", 443, 1 },
		/* A bare name matches itself and subdomains. */
		{ "example.com", "example.com", 443, 1 },
		{ "example.com", "api.example.com", 443, 1 },
		{ "example.com", "badexample.com", 443, 0 },
		{ "EXAMPLE.com", "Api.Example.COM", 443, 1 },
		/* A leading dot or "*." only subdomains. */
		{ ".example.com", "example.com", 443, 0 },
		{ ".example.com", "a.b.example.com", 443, 1 },
		{ "*.example.com", "example.com", 443, 0 },
		{ "*.example.com", "x.example.com", 443, 1 },
		/* Ports. */
		{ "example.com:6443", "example.com", 6443, 1 },
		{ "example.com:6443", "example.com", 443, 0 },
		{ "10.0.0.1:443", "10.0.0.1", 443, 1 },
		{ "10.0.0.1:443", "10.0.0.1", 6443, 0 },
		{ "[fd00::1]:443", "fd00::1", 443, 1 },
		{ "[fd00::1]:443", "fd00::1", 80, 0 },
		/* IPs and CIDRs match IP hosts only. */
		{ "10.0.0.1", "10.0.0.1", 443, 1 },
		{ "10.0.0.1", "10.0.0.2", 443, 0 },
		{ "fd00::1", "fd00:0::1", 443, 1 },
		{ "10.0.0.0/8", "10.200.3.4", 443, 1 },
		{ "10.0.0.0/8", "11.0.0.1", 443, 0 },
		{ "10.96.0.0/12", "10.111.255.255", 443, 1 },
		{ "10.96.0.0/12", "10.112.0.0", 443, 0 },
		{ "fd00::/8", "fd12::5", 443, 1 },
		{ "fd00::/8", "fe80::1", 443, 0 },
		{ "0.0.0.0/0", "192.168.1.1", 443, 1 },
		{ "10.0.0.0/8", "ten.example", 443, 0 },
		{ "10.0.0.1", "10.0.0.1.example", 443, 0 },
		/* Lists, spaces, junk entries skipped. */
		{ "foo.com, ,bar.com ,10.0.0.0/33", "x.bar.com", 443, 1 },
		{ "foo.com,bar.com", "baz.com", 443, 0 },
		{ ":443,[", "baz.com", 443, 0 },
	};
	size_t k;

	for (k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		if (!CHECK_INT(proxy_bypass(cases[k].no_proxy, cases[k].host,
		    cases[k].port), cases[k].bypass)) {
			printf("  NO_PROXY=%s host %s:%d\n",
			    cases[k].no_proxy ? cases[k].no_proxy : "(unset)",
			    cases[k].host, cases[k].port);
		}
	}
}

static void
clear_proxy_env(void)
{
	unsetenv("HTTPS_PROXY");
	unsetenv("https_proxy");
	unsetenv("HTTP_PROXY");
	unsetenv("http_proxy");
	unsetenv("NO_PROXY");
	unsetenv("no_proxy");
}

TEST(proxy_select_env)
{
	struct conn_url server, proxy;
	char err[256];

	clear_proxy_env();
	conn_parse_url(&server, "https://kube.example:6443", 0, NULL, err,
	    sizeof err);
	CHECK_INT(proxy_select(NULL, &server, &proxy, err, sizeof err), 0);

	/* https servers use HTTPS_PROXY; HTTP_PROXY is for http ones. */
	setenv("HTTP_PROXY", "http://plain:1", 1);
	CHECK_INT(proxy_select(NULL, &server, &proxy, err, sizeof err), 0);
	setenv("https_proxy", "lower:3128", 1);
	CHECK_INT(proxy_select(NULL, &server, &proxy, err, sizeof err), 1);
	CHECK_STR(proxy.host, "lower");
	setenv("HTTPS_PROXY", "http://upper:3128", 1);
	CHECK_INT(proxy_select(NULL, &server, &proxy, err, sizeof err), 1);
	CHECK_STR(proxy.host, "upper");

	setenv("no_proxy", ".example", 1);
	CHECK_INT(proxy_select(NULL, &server, &proxy, err, sizeof err), 0);

	/* The configured URL wins over the environment and NO_PROXY. */
	CHECK_INT(proxy_select("http://cfg:8080", &server, &proxy, err,
	    sizeof err), 1);
	CHECK_STR(proxy.host, "cfg");
	CHECK_INT(proxy.port, 8080);

	/* Proxies kevents cannot use are errors, never direct. */
	CHECK_INT(proxy_select("socks5://s:1080", &server, &proxy, err,
	    sizeof err), -1);
	CHECK_STR(err, "proxy scheme socks5 is not supported");
	CHECK_INT(proxy_select("https://s:443", &server, &proxy, err,
	    sizeof err), -1);
	CHECK_STR(err, "proxy scheme https is not supported");
	unsetenv("no_proxy");
	setenv("HTTPS_PROXY", "socks5h://s:1080", 1);
	CHECK_INT(proxy_select(NULL, &server, &proxy, err, sizeof err), -1);
	CHECK_STR(err, "proxy scheme socks5h is not supported");

	conn_parse_url(&server, "http://plain.example", 0, NULL, err,
	    sizeof err);
	CHECK_INT(proxy_select(NULL, &server, &proxy, err, sizeof err), 1);
	CHECK_STR(proxy.host, "plain");
	clear_proxy_env();
}

TEST(client_init_checks_urls)
{
	static struct client c;
	struct client_config cfg;

	memset(&cfg, 0, sizeof cfg);
	cfg.server = "https://[fd00::1]:6443/prefix/";
	CHECK_INT(client_init(&c, &cfg), CLIENT_OK);
	CHECK_STR(c.url.prefix, "/prefix");
	CHECK_INT(c.connected, 0);
	client_free(&c);
	cfg.server = "https://host?x";
	CHECK_INT(client_init(&c, &cfg), CLIENT_ERR_CONFIG);
	CHECK(strstr(c.err, "query") != NULL);
	cfg.server = "https://host";
	cfg.proxy_url = "socks5://p:1080";
	CHECK_INT(client_init(&c, &cfg), CLIENT_ERR_CONFIG);
	CHECK_STR(c.err, "proxy scheme socks5 is not supported");
	cfg.server = NULL;
	CHECK_INT(client_init(&c, &cfg), CLIENT_ERR_CONFIG);
}

TEST(client_connect_refused_in_words)
{
	static struct client c;
	struct client_config cfg;
	struct client_response resp;

	/* Port 1 on loopback is closed on any sane test machine. */
	memset(&cfg, 0, sizeof cfg);
	cfg.server = "http://127.0.0.1:1";
	cfg.connect_timeout_ms = 2000;
	cfg.token = "secret-token";
	CHECK_INT(client_init(&c, &cfg), CLIENT_OK);
	CHECK_INT(client_get(&c, "/api", 0, 3000, &resp, NULL, NULL),
	    CLIENT_ERR_CONNECT);
	CHECK_STR(c.err, "connect to 127.0.0.1:1: Connection refused");
	CHECK(strstr(c.err, "secret") == NULL);
	CHECK_INT(c.connects, 0);
	client_free(&c);
}
