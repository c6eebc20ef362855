/* Certificate names checked the way Go's crypto/x509 checks them, and the
 * X.509 engine that does it during a BearSSL handshake: it wraps the
 * chain-validating engine (which gets no name), keeps the end-entity
 * certificate, and matches its subjectAltName entries itself: dNSName
 * (one left-most wildcard label) for a host name, iPAddress for an IP
 * literal, never the subject Common Name. It also decodes validity dates
 * so that a clock problem can be explained. Printing is the caller's.
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KEVENTS_X509NAME_H
#define KEVENTS_X509NAME_H

#include <stddef.h>
#include <stdint.h>

#include <bearssl.h>

/* The largest end-entity certificate kept for the name check; API server
 * certificates are 1 to 2 KB even with dozens of SANs. */
#define X509NAME_EE_MAX 16384
/* Validity dates sit in the first few hundred bytes of a certificate;
 * this much of each chain certificate is kept to find them. */
#define X509NAME_HEAD_MAX 4096
/* Chain certificates whose dates are remembered. */
#define X509NAME_CHAIN_MAX 8

/* GeneralName tags (context-specific, primitive) the matcher uses. */
#define X509NAME_SAN_DNS 0x82
#define X509NAME_SAN_IP 0x87

/* Finds the subjectAltName extension of a DER certificate and returns
 * its GeneralNames contents (the inside of the SEQUENCE) in *names.
 * Returns 1 when found, 0 when the certificate has none, -1 when the
 * DER is malformed. Never reads outside cert[0..len). */
int x509name_find_sans(const uint8_t *cert, size_t len,
    const uint8_t **names, size_t *names_len);

/* Walks GeneralNames contents: returns 1 with the entry's tag byte and
 * value, 0 at the end, -1 when malformed. *p and *left advance. */
int x509name_next_san(const uint8_t **p, size_t *left, int *tag,
    const uint8_t **value, size_t *value_len);

/* Decodes the subject Common Name (first one) into cn (NUL-terminated,
 * truncated to cap). Returns 1, 0 when absent, -1 when malformed. It is
 * for messages only: names are never matched against it. */
int x509name_subject_cn(const uint8_t *cert, size_t len, char *cn,
    size_t cap);

/* Parses an IP literal (dotted IPv4 or IPv6, no brackets or zone) into
 * 16 bytes (IPv4 as ::ffff:a.b.c.d). Returns 4 or 16 for the family, 0
 * when host is not an IP literal. */
int x509name_parse_ip(const char *host, uint8_t ip[16]);

/* Go's rules for one dNSName pattern against a host name: ASCII case is
 * ignored, a trailing dot on the host is dropped, "*" is allowed only as
 * the whole left-most label and matches exactly one label. Returns 1 on
 * a match. */
int x509name_match_dns(const uint8_t *pattern, size_t pattern_len,
    const char *host);

/* Checks host (a name or IP literal) against the certificate's SANs.
 * Returns 0 on a match; -1 otherwise, with err saying what the
 * certificate is valid for:
 * "certificate is valid for 10.0.0.1, kubernetes, not 127.0.0.1". */
int x509name_check(const uint8_t *cert, size_t len, const char *host,
    char *err, size_t errlen);

/* Validity period of a certificate in seconds since the Unix epoch.
 * Returns 0, or -1 when the DER (possibly only the certificate's first
 * bytes) does not hold a well-formed validity. */
int x509name_validity(const uint8_t *cert, size_t len, int64_t *not_before,
    int64_t *not_after);

/* Formats t as RFC 3339 UTC, "2030-01-01T00:00:00Z"; buf holds 32. */
void x509name_format_time(int64_t t, char buf[32]);

/* The wrapping X.509 engine. Embed it where the SSL engine can see it for
 * the whole handshake; the SSL engine is given &engine.vtable. */
struct x509name_engine {
	const br_x509_class *vtable;
	const br_x509_class **inner;	/* chain validation, or NULL */
	br_x509_decoder_context decoder; /* the end-entity key when insecure */
	char host[256];			/* the name the EE must be valid for */
	unsigned cert_index;		/* certificates begun in this chain */
	uint8_t ee[X509NAME_EE_MAX];
	size_t ee_len;
	int ee_too_long;
	uint8_t head[X509NAME_HEAD_MAX];	/* the current chain cert */
	size_t head_len;
	struct {
		int64_t not_before, not_after;
		int known;
	} validity[X509NAME_CHAIN_MAX];
	char detail[768];		/* why end_chain failed, or "" */
};

/* Sets up the wrapper. inner is an initialised validating engine (for
 * br_ssl_client_init_full's br_x509_minimal_context: &ctx.vtable), or
 * NULL to accept any chain and take the end-entity key as it is. host
 * is the name or IP literal to check (copied; at most 255 bytes). */
void x509name_engine_init(struct x509name_engine *e,
    const br_x509_class **inner, const char *host);

/* After a failed handshake: a sentence for the X.509 error code the
 * engine returned, when it knows more than the code (name mismatch,
 * validity dates against the local clock, certificate too large), else
 * NULL. now is the Unix time the dates are compared with. */
const char *x509name_engine_detail(struct x509name_engine *e, unsigned code,
    int64_t now);

#endif
