/* Test driver: resolves the configuration from the flags in argv and
 * the environment, and prints what was resolved, never a secret (the
 * token shows as its length and a short SHA-256 prefix). With --reload
 * it then waits for a line on stdin and re-reads the credentials.
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bearssl.h>

#include "config.h"

static void
print_blob(const char *name, const struct config_blob *b)
{
	if (b->data == NULL) {
		printf("%s: none\n", name);
	} else {
		printf("%s: %zu bytes from %s\n", name, b->len, b->source);
	}
}

static void
print_token(const struct kube_config *kc)
{
	br_sha256_context sha;
	unsigned char sum[32];
	int i;

	if (kc->token == NULL) {
		printf("token: none\n");
		return;
	}
	br_sha256_init(&sha);
	br_sha256_update(&sha, kc->token, strlen(kc->token));
	br_sha256_out(&sha, sum);
	printf("token: set, %zu bytes, sha256 ", strlen(kc->token));
	for (i = 0; i < 6; i++) {
		printf("%02x", sum[i]);
	}
	printf("\n");
}

int
main(int argc, char **argv)
{
	static const struct {
		const char *name;
		size_t offset;
	} opts[] = {
		{ "--kubeconfig", offsetof(struct config_flags, kubeconfig) },
		{ "--context", offsetof(struct config_flags, context) },
		{ "-n", offsetof(struct config_flags, namespace_) },
		{ "--server", offsetof(struct config_flags, server) },
		{ "--token", offsetof(struct config_flags, token) },
		{ "--certificate-authority",
		    offsetof(struct config_flags, certificate_authority) },
		{ "--client-certificate",
		    offsetof(struct config_flags, client_certificate) },
		{ "--client-key", offsetof(struct config_flags, client_key) },
		{ "--tls-server-name",
		    offsetof(struct config_flags, tls_server_name) },
	};
	struct config_flags flags = { 0 };
	struct kube_config kc;
	char err[1024], line[64];
	int i, reload = 0, rc;
	size_t k;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--insecure-skip-tls-verify") == 0) {
			flags.insecure_skip_tls_verify = 1;
			continue;
		}
		if (strcmp(argv[i], "--reload") == 0) {
			reload = 1;
			continue;
		}
		for (k = 0; k < sizeof opts / sizeof opts[0]; k++) {
			if (strcmp(argv[i], opts[k].name) == 0 &&
			    i + 1 < argc) {
				*(const char **)((char *)&flags +
				    opts[k].offset) = argv[++i];
				break;
			}
		}
		if (k == sizeof opts / sizeof opts[0]) {
			fprintf(stderr, "config_dump: unknown argument %s\n",
			    argv[i]);
			return 2;
		}
	}

	if (config_resolve(&flags, &kc, err, sizeof err) != 0) {
		fprintf(stderr, "error: %s\n", err);
		return 1;
	}
	printf("server: %s\n", kc.server);
	printf("proxy-url: %s\n", kc.proxy_url);
	printf("tls-server-name: %s\n", kc.tls_server_name);
	printf("insecure: %d\n", kc.insecure);
	printf("namespace: %s\n", kc.namespace_);
	printf("context: %s\n", kc.context);
	printf("origin: %s\n", kc.origin);
	print_blob("ca", &kc.ca);
	print_blob("client-certificate", &kc.client_cert);
	print_blob("client-key", &kc.client_key);
	print_token(&kc);
	printf("token-file: %s\n", kc.token_file);
	fflush(stdout);

	/* The caller changes files, then writes a line. */
	if (reload && fgets(line, sizeof line, stdin) != NULL) {
		rc = config_reload_credentials(&kc, err, sizeof err);
		printf("reload: %d%s%s\n", rc, rc < 0 ? " " : "",
		    rc < 0 ? err : "");
		print_token(&kc);
	}
	config_free(&kc);
	return 0;
}
