/* TLS 1.2 client sessions over a connected socket, with BearSSL: trust
 * anchors and client credentials (tls_config), the handshake, and record
 * I/O with deadlines. Certificate names are checked by x509name.c, the
 * way Go checks them (SANs only, IP SANs for IP literals).
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KEVENTS_TLS_H
#define KEVENTS_TLS_H

#include <stddef.h>
#include <stdint.h>

#include <bearssl.h>

/* Trust anchors and client credentials, built once from PEM and shared
 * by every session. Zeroed is a valid empty config. */
struct tls_config {
	br_x509_trust_anchor *anchors;
	size_t anchor_count;
	int insecure;			/* insecure-skip-tls-verify */
	char server_name[256];		/* tls-server-name, or "" */
	/* client certificate chain and key, when configured */
	br_x509_certificate *chain;
	size_t chain_len;
	int key_type;			/* 0 none, BR_KEYTYPE_RSA or _EC */
	/* private key storage follows (owned by tls.c) */
	void *key;
};

/* Each loader returns 0, or -1 with a one-line reason in err naming
 * `source` (a file name or a kubeconfig field). */
int tls_config_add_anchors(struct tls_config *cfg, const uint8_t *pem,
    size_t len, const char *source, char *err, size_t errlen);
/* cert_pem and key_pem may be the same buffer (one file holding both). */
int tls_config_set_client(struct tls_config *cfg, const uint8_t *cert_pem,
    size_t cert_len, const char *cert_source, const uint8_t *key_pem,
    size_t key_len, const char *key_source, char *err, size_t errlen);
void tls_config_free(struct tls_config *cfg);

struct tls_session;

/* Allocates a session and performs the handshake on fd (connected,
 * non-blocking) for host (the name or IP literal from the URL, without
 * brackets). Returns the session, or NULL with err set and *code one of
 * IO_TIMEOUT, IO_INTERRUPTED or IO_ERROR. */
struct tls_session *tls_handshake(int fd, const struct tls_config *cfg,
    const char *host, int64_t deadline_ms, int *code, char *err,
    size_t errlen);

/* Returns bytes read (> 0), 0 on a clean close by the peer, or an IO_*
 * code (err set for IO_ERROR). */
long tls_read(struct tls_session *s, void *buf, size_t len,
    int64_t deadline_ms, char *err, size_t errlen);

/* Returns 0 once everything is written and flushed, or an IO_* code. */
int tls_write_all(struct tls_session *s, const void *buf, size_t len,
    int64_t deadline_ms, char *err, size_t errlen);

/* Frees the session; does not close fd. */
void tls_session_free(struct tls_session *s);

#endif
