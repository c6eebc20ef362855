/* Test driver: GET a URL with client_get() and print what came back.
 *
 *   http_get [--proxy URL] [--token T] [--stream] [--timeout-ms N]
 *            [--connect-timeout-ms N] [--repeat N] [--sleep-ms N]
 *            [--path P] [--insecure] URL
 *
 * Each response prints "status N" and its body to stdout. With --path
 * the URL is the server (a path in it is a prefix) and P the request
 * path; without it the URL's path is the request. On failure stderr
 * gets "error NAME: c->err" and the exit status is 1. A last line on
 * stderr gives the counters: "requests N connects N handshakes N".
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "io.h"

static const char *const names[] = {
	"OK", "CONFIG", "RESOLVE", "CONNECT", "PROXY", "TLS", "IO",
	"PROTOCOL", "TIMEOUT", "INTERRUPTED", "ABORTED"
};

static int
on_body(void *arg, const struct client_response *resp, const uint8_t *data,
    size_t len)
{
	(void)arg;
	(void)resp;
	fwrite(data, 1, len, stdout);
	/* A watch is read as it arrives, so flush every slice. */
	fflush(stdout);
	return 0;
}

int
main(int argc, char **argv)
{
	static struct client c;
	struct client_config cfg;
	struct client_response resp;
	struct tls_config tls;
	char server[2048];
	const char *url = NULL, *path = NULL, *slash;
	int64_t timeout_ms = 30000;
	long repeat = 1, sleep_ms = 0, k;
	int stream = 0, i, rc = CLIENT_OK;

	memset(&cfg, 0, sizeof cfg);
	memset(&tls, 0, sizeof tls);
	cfg.connect_timeout_ms = 5000;
	cfg.user_agent = "kevents-test/0 (linux)";
	cfg.tls = &tls;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--proxy") == 0 && i + 1 < argc) {
			cfg.proxy_url = argv[++i];
		} else if (strcmp(argv[i], "--token") == 0 && i + 1 < argc) {
			cfg.token = argv[++i];
		} else if (strcmp(argv[i], "--stream") == 0) {
			stream = 1;
		} else if (strcmp(argv[i], "--insecure") == 0) {
			tls.insecure = 1;
		} else if (strcmp(argv[i], "--timeout-ms") == 0 &&
		    i + 1 < argc) {
			timeout_ms = atoll(argv[++i]);
		} else if (strcmp(argv[i], "--connect-timeout-ms") == 0 &&
		    i + 1 < argc) {
			cfg.connect_timeout_ms = atoi(argv[++i]);
		} else if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc) {
			repeat = atol(argv[++i]);
		} else if (strcmp(argv[i], "--sleep-ms") == 0 &&
		    i + 1 < argc) {
			sleep_ms = atol(argv[++i]);
		} else if (strcmp(argv[i], "--path") == 0 && i + 1 < argc) {
			path = argv[++i];
		} else if (argv[i][0] != '-' && url == NULL) {
			url = argv[i];
		} else {
			fprintf(stderr, "usage: http_get [options] URL\n");
			return 2;
		}
	}
	if (url == NULL) {
		fprintf(stderr, "usage: http_get [options] URL\n");
		return 2;
	}

	/* Without --path, split the URL into server and request path. */
	snprintf(server, sizeof server, "%s", url);
	if (path == NULL) {
		slash = strstr(server, "://");
		slash = strchr(slash != NULL ? slash + 3 : server, '/');
		path = "/";
		if (slash != NULL) {
			path = url + (slash - server);
			server[slash - server] = '\0';
		}
	}
	cfg.server = server;
	if (io_signals_install() != 0) {
		fprintf(stderr, "error: no signal handling\n");
		return 1;
	}
	rc = client_init(&c, &cfg);
	for (k = 0; k < repeat && rc == CLIENT_OK; k++) {
		if (k > 0 && sleep_ms > 0) {
			io_sleep_ms(sleep_ms);
		}
		rc = client_get(&c, path, stream, timeout_ms, &resp, on_body,
		    NULL);
		if (rc == CLIENT_OK) {
			printf("\nstatus %d\n", resp.status);
			fflush(stdout);
		}
	}
	if (rc != CLIENT_OK) {
		fprintf(stderr, "error %s: %s\n", names[rc], c.err);
	}
	fprintf(stderr, "requests %llu connects %llu handshakes %llu\n",
	    (unsigned long long)c.requests, (unsigned long long)c.connects,
	    (unsigned long long)c.handshakes);
	client_free(&c);
	return rc == CLIENT_OK ? 0 : 1;
}
