/* tls_probe: one TLS handshake and HTTP GET through tls.c, for the
 * integration tests. Connects to 127.0.0.1 (or ::1 for --host with a
 * colon) on --port, checks the certificate for --host, prints the first
 * line of the response, or the error and exits 1.
 * SPDX-License-Identifier: Apache-2.0 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "io.h"
#include "tls.h"

static uint8_t *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t cap = 0, n;

	*len = 0;
	if (f == NULL) {
		perror(path);
		exit(2);
	}
	for (;;) {
		if (*len == cap) {
			cap = cap ? cap * 2 : 4096;
			buf = realloc(buf, cap);
			if (buf == NULL) {
				exit(2);
			}
		}
		n = fread(buf + *len, 1, cap - *len, f);
		if (n == 0) {
			break;
		}
		*len += n;
	}
	fclose(f);
	return buf;
}

static int
connect_local(const char *host, int port)
{
	struct sockaddr_in6 a6;
	struct sockaddr_in a4;
	int fd, v6 = strchr(host, ':') != NULL;

	fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
	if (fd < 0) {
		perror("socket");
		exit(2);
	}
	if (v6) {
		memset(&a6, 0, sizeof a6);
		a6.sin6_family = AF_INET6;
		a6.sin6_port = htons((uint16_t)port);
		a6.sin6_addr = in6addr_loopback;
		if (connect(fd, (struct sockaddr *)&a6, sizeof a6) != 0) {
			perror("connect");
			exit(1);
		}
	} else {
		memset(&a4, 0, sizeof a4);
		a4.sin_family = AF_INET;
		a4.sin_port = htons((uint16_t)port);
		a4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (connect(fd, (struct sockaddr *)&a4, sizeof a4) != 0) {
			perror("connect");
			exit(1);
		}
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return fd;
}

int
main(int argc, char **argv)
{
	struct tls_config cfg;
	const char *host = NULL, *ca = NULL, *cert = NULL, *key = NULL;
	char err[1024], req[512], resp[4096];
	uint8_t *cert_pem, *key_pem, *ca_pem;
	size_t cert_len, key_len, ca_len, got = 0;
	int64_t deadline;
	struct tls_session *s = NULL;
	int i, port = 0, code, rc = 0, fd = -1;
	long n;

	memset(&cfg, 0, sizeof cfg);
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--insecure") == 0) {
			cfg.insecure = 1;
			continue;
		}
		if (v == NULL) {
			fprintf(stderr, "tls_probe: %s needs a value\n", a);
			return 2;
		}
		i++;
		if (strcmp(a, "--host") == 0) {
			host = v;
		} else if (strcmp(a, "--port") == 0) {
			port = atoi(v);
		} else if (strcmp(a, "--ca") == 0) {
			ca = v;
		} else if (strcmp(a, "--cert") == 0) {
			cert = v;
		} else if (strcmp(a, "--key") == 0) {
			key = v;
		} else if (strcmp(a, "--server-name") == 0) {
			snprintf(cfg.server_name, sizeof cfg.server_name,
			    "%s", v);
		} else {
			fprintf(stderr, "tls_probe: unknown option %s\n", a);
			return 2;
		}
	}
	if (host == NULL || port <= 0) {
		fprintf(stderr, "usage: tls_probe --host H --port P [--ca F] "
		    "[--cert F --key F] [--insecure] [--server-name N]\n");
		return 2;
	}
	io_signals_install();

	if (ca != NULL) {
		ca_pem = slurp(ca, &ca_len);
		rc = tls_config_add_anchors(&cfg, ca_pem, ca_len, ca, err,
		    sizeof err);
		free(ca_pem);
		if (rc != 0) {
			goto fail;
		}
	}
	if (cert != NULL || key != NULL) {
		cert_pem = slurp(cert ? cert : key, &cert_len);
		key_pem = slurp(key ? key : cert, &key_len);
		rc = tls_config_set_client(&cfg, cert_pem, cert_len,
		    cert ? cert : key, key_pem, key_len, key ? key : cert,
		    err, sizeof err);
		free(cert_pem);
		free(key_pem);
		if (rc != 0) {
			goto fail;
		}
	}

	deadline = io_deadline_ms(10000);
	fd = connect_local(host, port);
	s = tls_handshake(fd, &cfg, host, deadline, &code, err, sizeof err);
	if (s == NULL) {
		goto fail;
	}
	snprintf(req, sizeof req, "GET / HTTP/1.1\r\nHost: %s\r\n"
	    "Connection: close\r\n\r\n", host);
	if (tls_write_all(s, req, strlen(req), deadline, err,
	    sizeof err) != 0) {
		goto fail;
	}
	while (got < sizeof resp - 1 && memchr(resp, '\n', got) == NULL) {
		n = tls_read(s, resp + got, sizeof resp - 1 - got, deadline,
		    err, sizeof err);
		if (n == 0) {
			break;
		}
		if (n < 0) {
			goto fail;
		}
		got += (size_t)n;
	}
	resp[got] = 0;
	resp[strcspn(resp, "\r\n")] = 0;
	printf("%s\n", resp);

	/* Read to the end so that the close path runs too. */
	while ((n = tls_read(s, resp, sizeof resp, deadline, err,
	    sizeof err)) > 0) {
	}
	if (n < 0) {
		printf("error after the response: %s\n", err);
		rc = 1;
	}
	tls_session_free(s);
	tls_config_free(&cfg);
	close(fd);
	return rc;
fail:
	printf("error: %s\n", err);
	tls_session_free(s);
	tls_config_free(&cfg);
	if (fd >= 0) {
		close(fd);
	}
	return 1;
}
