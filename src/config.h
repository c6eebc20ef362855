/* Cluster configuration as client-go resolves it: command-line flags
 * over kubeconfig (--kubeconfig, else the KUBECONFIG list, else
 * ~/.kube/config) over in-cluster service-account settings. It yields
 * the server, TLS material and credentials as bytes; turning them into
 * a TLS context belongs to tls.c.
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KEVENTS_CONFIG_H
#define KEVENTS_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* What the command line says; NULL / 0 where a flag was not given. */
struct config_flags {
	const char *kubeconfig;
	const char *context;
	const char *namespace_;
	const char *server;
	const char *token;
	const char *certificate_authority;
	const char *client_certificate;
	const char *client_key;
	int insecure_skip_tls_verify;	/* 1 when the flag was given */
	const char *tls_server_name;
};

/* A blob of PEM bytes and where it came from, for error messages:
 * a file name, or `user "x" client-key-data in FILE`. */
struct config_blob {
	uint8_t *data;			/* malloc'd, NUL-terminated */
	size_t len;
	char source[512];
	char path[4096];		/* the file it was read from, or "" */
};

struct kube_config {
	char server[2048];
	char proxy_url[2048];		/* "" when none */
	char tls_server_name[256];
	int insecure;
	char namespace_[256];		/* never empty: "default" at worst */
	char context[256];		/* context used, "" for in-cluster */
	char origin[4096];		/* "FILE", "in-cluster", "flags" */

	struct config_blob ca;		/* data NULL when none configured */
	struct config_blob client_cert;
	struct config_blob client_key;

	char *token;			/* malloc'd, or NULL */
	char token_file[4096];		/* "" unless the token comes from one */

	time_t creds_loaded;		/* when the files were last read */
};

/* Resolves the configuration. env is consulted through getenv()
 * (KUBECONFIG, HOME, KUBERNETES_SERVICE_HOST/PORT, POD_NAMESPACE).
 * Returns 0, or -1 with one line in err naming the file and line, or
 * the entry and field, that was wrong; kc then holds nothing to free.
 *
 * Where client-go leaves room, kevents chooses:
 * - Kubeconfig files that define nothing count as none: in-cluster (or
 *   the flags) are used instead, as client-go falls back on an empty
 *   merged config.
 * - --server with no kubeconfig: the flags are the configuration; if
 *   KUBERNETES_SERVICE_HOST/PORT are set, the service-account token and
 *   CA fill in what the flags leave open (their absence is then not an
 *   error), and the namespace follows the in-cluster rules.
 * - An inline token wins over tokenFile; *-data wins over the file
 *   form of the same field; insecure-skip-tls-verify (either place)
 *   drops the CA.
 * - A user with exec, auth-provider or username/password is an error,
 *   unless --token or --client-certificate provides the credentials.
 * - A context naming no user is anonymous; one naming an undefined
 *   user or cluster is an error. */
int config_resolve(const struct config_flags *flags, struct kube_config *kc,
    char *err, size_t errlen);

/* Re-reads the token file and client certificate/key files (not data
 * embedded in a kubeconfig). Returns 1 if anything changed, 0 if not,
 * -1 with err set if a file became unreadable (the old values are kept).
 * follow.c calls it at most once a minute and after a 401. */
int config_reload_credentials(struct kube_config *kc, char *err,
    size_t errlen);

void config_free(struct kube_config *kc);

/* The in-cluster service-account directory; tests may point it
 * elsewhere only by building with -DKEVENTS_SA_DIR (never at run time,
 * so that no flag can weaken in-cluster trust). */
#ifndef KEVENTS_SA_DIR
#define KEVENTS_SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"
#endif

#endif
