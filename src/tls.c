/* TLS sessions with BearSSL: trust anchors and client credentials from
 * PEM, the handshake and record I/O on a non-blocking socket, and
 * handshake failures put into words. Names are checked by x509name.c;
 * waiting is io_wait()'s.
 * SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "io.h"
#include "pem.h"
#include "tls.h"
#include "x509name.h"

/* The private key behind tls_config.key, with its byte fields copied into
 * storage that lives as long as the config. */
struct tls_key {
	int type;
	unsigned issuer_key_type;	/* signer of the client certificate */
	br_rsa_private_key rsa;
	br_ec_private_key ec;
	uint8_t *bytes;
};

struct tls_session {
	int fd;
	int eof;			/* the peer closed TCP */
	int have_client_cert;
	/* Incoming record framing, to tell whether a TCP close fell on a
	 * record boundary. */
	uint8_t rec_hdr[5];
	size_t rec_hdr_len;
	size_t rec_left;
	br_ssl_client_context cc;
	br_x509_minimal_context minimal;
	struct x509name_engine names;
	uint8_t iobuf[BR_SSL_BUFSIZE_BIDI];
};

/* BearSSL's error codes by name and in words; the words complete
 * "TLS handshake failed: ...". */
static const struct {
	int code;
	const char *name;
	const char *words;
} br_errors[] = {
	{ BR_ERR_BAD_PARAM, "BR_ERR_BAD_PARAM", "invalid parameter" },
	{ BR_ERR_BAD_STATE, "BR_ERR_BAD_STATE", "engine in a bad state" },
	{ BR_ERR_UNSUPPORTED_VERSION, "BR_ERR_UNSUPPORTED_VERSION",
	    "the server chose a TLS version other than 1.2; it may require "
	    "TLS 1.3, and BearSSL speaks TLS 1.2 only" },
	{ BR_ERR_BAD_VERSION, "BR_ERR_BAD_VERSION", "the server requires "
	    "TLS 1.3, and BearSSL speaks TLS 1.2 only" },
	{ BR_ERR_BAD_LENGTH, "BR_ERR_BAD_LENGTH", "bad record length from "
	    "the server (is this port speaking TLS?)" },
	{ BR_ERR_TOO_LARGE, "BR_ERR_TOO_LARGE", "record too large" },
	{ BR_ERR_BAD_MAC, "BR_ERR_BAD_MAC", "record authentication "
	    "failed (data corrupted in transit)" },
	{ BR_ERR_NO_RANDOM, "BR_ERR_NO_RANDOM", "no entropy to seed the "
	    "random generator" },
	{ BR_ERR_UNKNOWN_TYPE, "BR_ERR_UNKNOWN_TYPE", "unknown record type "
	    "(is this port speaking TLS?)" },
	{ BR_ERR_UNEXPECTED, "BR_ERR_UNEXPECTED", "unexpected message "
	    "from the server" },
	{ BR_ERR_BAD_CCS, "BR_ERR_BAD_CCS", "bad ChangeCipherSpec" },
	{ BR_ERR_BAD_ALERT, "BR_ERR_BAD_ALERT", "malformed alert" },
	{ BR_ERR_BAD_HANDSHAKE, "BR_ERR_BAD_HANDSHAKE", "malformed "
	    "handshake message" },
	{ BR_ERR_OVERSIZED_ID, "BR_ERR_OVERSIZED_ID", "oversized session "
	    "ID" },
	{ BR_ERR_BAD_CIPHER_SUITE, "BR_ERR_BAD_CIPHER_SUITE", "the server "
	    "chose a cipher suite that was not offered" },
	{ BR_ERR_BAD_COMPRESSION, "BR_ERR_BAD_COMPRESSION", "the server "
	    "chose an unsupported compression" },
	{ BR_ERR_BAD_FRAGLEN, "BR_ERR_BAD_FRAGLEN", "bad maximum fragment "
	    "length" },
	{ BR_ERR_BAD_SECRENEG, "BR_ERR_BAD_SECRENEG", "secure renegotiation "
	    "failed" },
	{ BR_ERR_EXTRA_EXTENSION, "BR_ERR_EXTRA_EXTENSION", "the server "
	    "sent an extension that was not offered" },
	{ BR_ERR_BAD_SNI, "BR_ERR_BAD_SNI", "bad server name indication" },
	{ BR_ERR_BAD_HELLO_DONE, "BR_ERR_BAD_HELLO_DONE", "bad "
	    "ServerHelloDone" },
	{ BR_ERR_LIMIT_EXCEEDED, "BR_ERR_LIMIT_EXCEEDED", "an internal "
	    "limit was exceeded (e.g. a certificate chain too long)" },
	{ BR_ERR_BAD_FINISHED, "BR_ERR_BAD_FINISHED", "bad Finished "
	    "message" },
	{ BR_ERR_RESUME_MISMATCH, "BR_ERR_RESUME_MISMATCH", "session "
	    "resumption mismatch" },
	{ BR_ERR_INVALID_ALGORITHM, "BR_ERR_INVALID_ALGORITHM", "the "
	    "server used an unsupported or disallowed algorithm" },
	{ BR_ERR_BAD_SIGNATURE, "BR_ERR_BAD_SIGNATURE", "the server's "
	    "key exchange signature is invalid" },
	{ BR_ERR_WRONG_KEY_USAGE, "BR_ERR_WRONG_KEY_USAGE", "the server "
	    "certificate's key usage does not allow this key exchange" },
	{ BR_ERR_NO_CLIENT_AUTH, "BR_ERR_NO_CLIENT_AUTH", "the server "
	    "requires a client certificate and none is configured" },
	{ BR_ERR_IO, "BR_ERR_IO", "I/O error" },
	{ BR_ERR_X509_INVALID_VALUE, "BR_ERR_X509_INVALID_VALUE",
	    "malformed server certificate (invalid value)" },
	{ BR_ERR_X509_TRUNCATED, "BR_ERR_X509_TRUNCATED", "malformed "
	    "server certificate (truncated)" },
	{ BR_ERR_X509_EMPTY_CHAIN, "BR_ERR_X509_EMPTY_CHAIN", "the server "
	    "sent no certificate" },
	{ BR_ERR_X509_INNER_TRUNC, "BR_ERR_X509_INNER_TRUNC", "malformed "
	    "server certificate (inner element truncated)" },
	{ BR_ERR_X509_BAD_TAG_CLASS, "BR_ERR_X509_BAD_TAG_CLASS",
	    "malformed server certificate (bad tag class)" },
	{ BR_ERR_X509_BAD_TAG_VALUE, "BR_ERR_X509_BAD_TAG_VALUE",
	    "malformed server certificate (bad tag)" },
	{ BR_ERR_X509_INDEFINITE_LENGTH, "BR_ERR_X509_INDEFINITE_LENGTH",
	    "malformed server certificate (indefinite length)" },
	{ BR_ERR_X509_EXTRA_ELEMENT, "BR_ERR_X509_EXTRA_ELEMENT",
	    "malformed server certificate (extra element)" },
	{ BR_ERR_X509_UNEXPECTED, "BR_ERR_X509_UNEXPECTED", "malformed "
	    "server certificate (unexpected element)" },
	{ BR_ERR_X509_NOT_CONSTRUCTED, "BR_ERR_X509_NOT_CONSTRUCTED",
	    "malformed server certificate (not constructed)" },
	{ BR_ERR_X509_NOT_PRIMITIVE, "BR_ERR_X509_NOT_PRIMITIVE",
	    "malformed server certificate (not primitive)" },
	{ BR_ERR_X509_PARTIAL_BYTE, "BR_ERR_X509_PARTIAL_BYTE",
	    "malformed server certificate (partial byte)" },
	{ BR_ERR_X509_BAD_BOOLEAN, "BR_ERR_X509_BAD_BOOLEAN", "malformed "
	    "server certificate (bad boolean)" },
	{ BR_ERR_X509_OVERFLOW, "BR_ERR_X509_OVERFLOW", "malformed server "
	    "certificate (overflow)" },
	{ BR_ERR_X509_BAD_DN, "BR_ERR_X509_BAD_DN", "malformed server "
	    "certificate (bad distinguished name)" },
	{ BR_ERR_X509_BAD_TIME, "BR_ERR_X509_BAD_TIME", "malformed server "
	    "certificate (bad time)" },
	{ BR_ERR_X509_UNSUPPORTED, "BR_ERR_X509_UNSUPPORTED", "the server "
	    "certificate uses an unsupported feature or algorithm" },
	{ BR_ERR_X509_LIMIT_EXCEEDED, "BR_ERR_X509_LIMIT_EXCEEDED", "the "
	    "server certificate exceeds an internal limit" },
	{ BR_ERR_X509_WRONG_KEY_TYPE, "BR_ERR_X509_WRONG_KEY_TYPE", "the "
	    "server certificate has the wrong key type for the cipher "
	    "suite" },
	{ BR_ERR_X509_BAD_SIGNATURE, "BR_ERR_X509_BAD_SIGNATURE", "a "
	    "certificate signature in the server's chain is invalid" },
	{ BR_ERR_X509_TIME_UNKNOWN, "BR_ERR_X509_TIME_UNKNOWN", "the local "
	    "time is unknown, so certificate dates cannot be checked" },
	{ BR_ERR_X509_EXPIRED, "BR_ERR_X509_EXPIRED", "a certificate in "
	    "the server's chain has expired or is not yet valid" },
	{ BR_ERR_X509_DN_MISMATCH, "BR_ERR_X509_DN_MISMATCH", "the "
	    "server's chain is out of order (issuer and subject names do "
	    "not match)" },
	{ BR_ERR_X509_BAD_SERVER_NAME, "BR_ERR_X509_BAD_SERVER_NAME", "the "
	    "server certificate is not valid for the requested name" },
	{ BR_ERR_X509_CRITICAL_EXTENSION, "BR_ERR_X509_CRITICAL_EXTENSION",
	    "a certificate has a critical extension BearSSL does not "
	    "know" },
	{ BR_ERR_X509_NOT_CA, "BR_ERR_X509_NOT_CA", "a certificate that "
	    "signs another is not a CA" },
	{ BR_ERR_X509_FORBIDDEN_KEY_USAGE, "BR_ERR_X509_FORBIDDEN_KEY_USAGE",
	    "a certificate's key usage forbids its use here" },
	{ BR_ERR_X509_WEAK_PUBLIC_KEY, "BR_ERR_X509_WEAK_PUBLIC_KEY", "a "
	    "certificate's public key is too weak" },
	{ BR_ERR_X509_NOT_TRUSTED, "BR_ERR_X509_NOT_TRUSTED", "certificate "
	    "signed by unknown authority" },
};

/* TLS alert descriptions (RFC 5246, 8446). */
static const struct {
	int code;
	const char *name;
} alerts[] = {
	{ 0, "close_notify" }, { 10, "unexpected_message" },
	{ 20, "bad_record_mac" }, { 21, "decryption_failed" },
	{ 22, "record_overflow" }, { 30, "decompression_failure" },
	{ 40, "handshake_failure" }, { 41, "no_certificate" },
	{ 42, "bad_certificate" }, { 43, "unsupported_certificate" },
	{ 44, "certificate_revoked" }, { 45, "certificate_expired" },
	{ 46, "certificate_unknown" }, { 47, "illegal_parameter" },
	{ 48, "unknown_ca" }, { 49, "access_denied" },
	{ 50, "decode_error" }, { 51, "decrypt_error" },
	{ 60, "export_restriction" }, { 70, "protocol_version" },
	{ 71, "insufficient_security" }, { 80, "internal_error" },
	{ 86, "inappropriate_fallback" }, { 90, "user_canceled" },
	{ 100, "no_renegotiation" }, { 109, "missing_extension" },
	{ 110, "unsupported_extension" }, { 112, "unrecognized_name" },
	{ 113, "bad_certificate_status_response" },
	{ 115, "unknown_psk_identity" }, { 116, "certificate_required" },
	{ 120, "no_application_protocol" },
};

static const char *
alert_name(int code)
{
	size_t i;

	for (i = 0; i < sizeof alerts / sizeof alerts[0]; i++) {
		if (alerts[i].code == code) {
			return alerts[i].name;
		}
	}
	return "unknown alert";
}

/* Puts a BearSSL error into one sentence that ends with its name and
 * number. detail, when known, replaces the table's words. */
static void
describe_error(int code, const char *detail, int have_client_cert,
    char *err, size_t errlen)
{
	const char *hint = "";
	size_t i;
	int alert;

	if (code >= BR_ERR_RECV_FATAL_ALERT &&
	    code < BR_ERR_SEND_FATAL_ALERT) {
		alert = code - BR_ERR_RECV_FATAL_ALERT;
		switch (alert) {
		case 70:
			hint = ": the server requires TLS 1.3, and BearSSL "
			    "speaks TLS 1.2 only";
			break;
		case 41: case 42: case 116:
			hint = have_client_cert ? ": the server rejected the "
			    "client certificate" : ": the server wants a "
			    "client certificate and none is configured";
			break;
		case 45:
			hint = ": the server says the client certificate "
			    "has expired";
			break;
		case 48:
			hint = ": the server does not trust the client "
			    "certificate's issuer";
			break;
		case 71:
			hint = ": the server finds the offered parameters "
			    "too weak";
			break;
		case 112:
			hint = ": the server does not know the requested "
			    "server name (SNI)";
			break;
		default:
			break;
		}
		if (alert == 40) {
			snprintf(err, errlen, "the server refused the TLS 1.2 "
			    "handshake (handshake_failure alert): it may "
			    "require TLS 1.3 or extended master secret, "
			    "which BearSSL lacks%s (BR_ERR_RECV_FATAL_ALERT "
			    "+ 40)", have_client_cert ? "" : ", or a client "
			    "certificate, and none is configured");
			return;
		}
		snprintf(err, errlen, "the server sent the fatal TLS alert "
		    "%s (%d)%s (BR_ERR_RECV_FATAL_ALERT + %d)",
		    alert_name(alert), alert, hint, alert);
		return;
	}
	if (code >= BR_ERR_SEND_FATAL_ALERT) {
		alert = code - BR_ERR_SEND_FATAL_ALERT;
		snprintf(err, errlen, "kevents sent the fatal TLS alert %s "
		    "(%d) (BR_ERR_SEND_FATAL_ALERT + %d)", alert_name(alert),
		    alert, alert);
		return;
	}
	for (i = 0; i < sizeof br_errors / sizeof br_errors[0]; i++) {
		if (br_errors[i].code == code) {
			snprintf(err, errlen, "%s (%s, %d)",
			    detail != NULL ? detail : br_errors[i].words,
			    br_errors[i].name, code);
			return;
		}
	}
	snprintf(err, errlen, "%s (BearSSL error %d, not in kevents' "
	    "table)", detail != NULL ? detail : "TLS failure", code);
}

/* A growable byte buffer for decoded DNs; a failed allocation sticks. */
struct bytes {
	uint8_t *data;
	size_t len, cap;
	int failed;
};

static void
bytes_append(void *ctx, const void *buf, size_t len)
{
	struct bytes *b = ctx;
	uint8_t *p;
	size_t cap;

	if (b->failed) {
		return;
	}
	if (len > b->cap - b->len) {
		cap = b->cap ? b->cap : 256;
		while (cap - b->len < len) {
			cap *= 2;
		}
		p = realloc(b->data, cap);
		if (p == NULL) {
			b->failed = 1;
			return;
		}
		b->data = p;
		b->cap = cap;
	}
	memcpy(b->data + b->len, buf, len);
	b->len += len;
}

static uint8_t *
dup_bytes(const void *src, size_t len)
{
	uint8_t *p = malloc(len ? len : 1);

	if (p != NULL && len > 0) {
		memcpy(p, src, len);
	}
	return p;
}

static const char *
err_name(int code)
{
	size_t i;

	for (i = 0; i < sizeof br_errors / sizeof br_errors[0]; i++) {
		if (br_errors[i].code == code) {
			return br_errors[i].name;
		}
	}
	return "BearSSL error";
}

static void
free_anchor(br_x509_trust_anchor *ta)
{
	free(ta->dn.data);
	if (ta->pkey.key_type == BR_KEYTYPE_RSA) {
		free(ta->pkey.key.rsa.n);
		free(ta->pkey.key.rsa.e);
	} else if (ta->pkey.key_type == BR_KEYTYPE_EC) {
		free(ta->pkey.key.ec.q);
	}
}

/* One certificate's DER as a trust anchor, with owned copies of its DN
 * and key. */
static int
make_anchor(br_x509_trust_anchor *ta, const uint8_t *der, size_t len,
    unsigned number, const char *source, char *err, size_t errlen)
{
	br_x509_decoder_context dc;
	struct bytes dn = { NULL, 0, 0, 0 };
	const br_x509_pkey *pk;
	int e;

	memset(ta, 0, sizeof *ta);
	br_x509_decoder_init(&dc, bytes_append, &dn);
	br_x509_decoder_push(&dc, der, len);
	pk = br_x509_decoder_get_pkey(&dc);
	if (pk == NULL) {
		e = br_x509_decoder_last_error(&dc);
		free(dn.data);
		snprintf(err, errlen, "%s: certificate %u cannot be decoded "
		    "(%s, %d)", source, number, err_name(e), e);
		return -1;
	}
	if (dn.failed) {
		free(dn.data);
		snprintf(err, errlen, "%s: out of memory", source);
		return -1;
	}
	ta->dn.data = dn.data;
	ta->dn.len = dn.len;

	/* A CA certificate anchors chains it signed; any other one (a
	 * self-signed server certificate given as the CA) is trusted
	 * directly, when the server presents that very key. */
	ta->flags = br_x509_decoder_isCA(&dc) ? BR_X509_TA_CA : 0;
	ta->pkey.key_type = pk->key_type;
	if (pk->key_type == BR_KEYTYPE_RSA) {
		ta->pkey.key.rsa.n = dup_bytes(pk->key.rsa.n,
		    pk->key.rsa.nlen);
		ta->pkey.key.rsa.nlen = pk->key.rsa.nlen;
		ta->pkey.key.rsa.e = dup_bytes(pk->key.rsa.e,
		    pk->key.rsa.elen);
		ta->pkey.key.rsa.elen = pk->key.rsa.elen;
		if (ta->pkey.key.rsa.n == NULL || ta->pkey.key.rsa.e == NULL) {
			goto oom;
		}
	} else {
		ta->pkey.key.ec.curve = pk->key.ec.curve;
		ta->pkey.key.ec.q = dup_bytes(pk->key.ec.q, pk->key.ec.qlen);
		ta->pkey.key.ec.qlen = pk->key.ec.qlen;
		if (ta->pkey.key.ec.q == NULL) {
			goto oom;
		}
	}
	return 0;
oom:
	free_anchor(ta);
	snprintf(err, errlen, "%s: out of memory", source);
	return -1;
}

int
tls_config_add_anchors(struct tls_config *cfg, const uint8_t *pem,
    size_t len, const char *source, char *err, size_t errlen)
{
	struct pem_reader r;
	char label[PEM_LABEL_MAX];
	br_x509_trust_anchor *grown;
	uint8_t *der;
	size_t der_len, added = 0;
	unsigned number = 0;
	int got;

	/* One scratch buffer as large as the input holds any block. */
	der = malloc(len ? len : 1);
	if (der == NULL) {
		snprintf(err, errlen, "%s: out of memory", source);
		return -1;
	}
	pem_reader_init(&r, pem, len);
	for (;;) {
		got = pem_next(&r, label, der, len, &der_len, err, errlen);
		if (got <= 0) {
			break;
		}
		if (strcmp(label, "CERTIFICATE") != 0 &&
		    strcmp(label, "TRUSTED CERTIFICATE") != 0) {
			continue;
		}
		number++;
		grown = realloc(cfg->anchors,
		    (cfg->anchor_count + 1) * sizeof *grown);
		if (grown == NULL) {
			snprintf(err, errlen, "%s: out of memory", source);
			got = -1;
			break;
		}
		cfg->anchors = grown;
		if (make_anchor(&cfg->anchors[cfg->anchor_count], der, der_len,
		    number, source, err, errlen) != 0) {
			got = -1;
			break;
		}
		cfg->anchor_count++;
		added++;
	}
	free(der);

	/* A PEM error names the block; put the source in front of it. */
	if (got < 0) {
		if (strncmp(err, source, strlen(source)) != 0) {
			char reason[256];

			snprintf(reason, sizeof reason, "%s", err);
			snprintf(err, errlen, "%s: %s", source, reason);
		}
		return -1;
	}
	if (added == 0) {
		snprintf(err, errlen, "%s: no PEM CERTIFICATE block found "
		    "(expected one or more CA certificates)", source);
		return -1;
	}
	return 0;
}

static void
free_chain(br_x509_certificate *chain, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(chain[i].data);
	}
	free(chain);
}

static void
free_key(struct tls_key *k)
{
	if (k == NULL) {
		return;
	}
	if (k->bytes != NULL) {
		explicit_bzero(k->bytes, k->rsa.plen + k->rsa.qlen +
		    k->rsa.dplen + k->rsa.dqlen + k->rsa.iqlen + k->ec.xlen);
		free(k->bytes);
	}
	free(k);
}

/* Copies a decoded private key; the decoder's buffers are on the
 * stack. */
static struct tls_key *
copy_key(const br_skey_decoder_context *kd)
{
	struct tls_key *k = calloc(1, sizeof *k);
	const br_rsa_private_key *rsa;
	const br_ec_private_key *ec;
	uint8_t *p;

	if (k == NULL) {
		return NULL;
	}
	k->type = br_skey_decoder_key_type(kd);
	if (k->type == BR_KEYTYPE_RSA) {
		rsa = br_skey_decoder_get_rsa(kd);
		k->rsa = *rsa;
		k->bytes = malloc(rsa->plen + rsa->qlen + rsa->dplen +
		    rsa->dqlen + rsa->iqlen);
		if (k->bytes == NULL) {
			free(k);
			return NULL;
		}
		p = k->bytes;
		memcpy(p, rsa->p, rsa->plen);
		k->rsa.p = p;
		p += rsa->plen;
		memcpy(p, rsa->q, rsa->qlen);
		k->rsa.q = p;
		p += rsa->qlen;
		memcpy(p, rsa->dp, rsa->dplen);
		k->rsa.dp = p;
		p += rsa->dplen;
		memcpy(p, rsa->dq, rsa->dqlen);
		k->rsa.dq = p;
		p += rsa->dqlen;
		memcpy(p, rsa->iq, rsa->iqlen);
		k->rsa.iq = p;
	} else {
		ec = br_skey_decoder_get_ec(kd);
		k->ec = *ec;
		k->bytes = dup_bytes(ec->x, ec->xlen);
		if (k->bytes == NULL) {
			free(k);
			return NULL;
		}
		k->ec.x = k->bytes;
	}
	return k;
}

/* Big-endian integers compared without their leading zeros. */
static int
same_integer(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	while (alen > 0 && a[0] == 0) {
		a++;
		alen--;
	}
	while (blen > 0 && b[0] == 0) {
		b++;
		blen--;
	}
	return alen == blen && memcmp(a, b, alen) == 0;
}

/* Whether the private key belongs to the certificate's public key: the
 * RSA modulus is recomputed from p and q, the EC point from x. */
static int
key_matches(const struct tls_key *k, const br_x509_pkey *pk)
{
	uint8_t point[BR_EC_KBUF_PUB_MAX_SIZE];
	br_ec_public_key pub;
	br_rsa_compute_modulus modulus;
	uint8_t *n;
	size_t nlen;
	int same;

	if (k->type != pk->key_type) {
		return 0;
	}
	if (k->type == BR_KEYTYPE_EC) {
		if (k->ec.curve != pk->key.ec.curve ||
		    br_ec_compute_pub(br_ec_get_default(), &pub, point,
		    &k->ec) == 0) {
			return 0;
		}
		return pub.qlen == pk->key.ec.qlen &&
		    memcmp(pub.q, pk->key.ec.q, pub.qlen) == 0;
	}
	modulus = br_rsa_compute_modulus_get_default();
	nlen = modulus(NULL, &k->rsa);
	if (nlen == 0 || (n = malloc(nlen)) == NULL) {
		return 0;
	}
	same = modulus(n, &k->rsa) == nlen &&
	    same_integer(n, nlen, pk->key.rsa.n, pk->key.rsa.nlen);
	free(n);
	return same;
}

/* Reads the certificate chain (every CERTIFICATE block, leaf first). */
static int
read_chain(const uint8_t *pem, size_t len, const char *source,
    br_x509_certificate **chain, size_t *chain_len, char *err,
    size_t errlen)
{
	struct pem_reader r;
	char label[PEM_LABEL_MAX], reason[256];
	br_x509_certificate *grown;
	uint8_t *der;
	size_t der_len;
	int got;

	*chain = NULL;
	*chain_len = 0;
	der = malloc(len ? len : 1);
	if (der == NULL) {
		snprintf(err, errlen, "%s: out of memory", source);
		return -1;
	}
	pem_reader_init(&r, pem, len);
	while ((got = pem_next(&r, label, der, len, &der_len, reason,
	    sizeof reason)) == 1) {
		if (strcmp(label, "CERTIFICATE") != 0) {
			continue;
		}
		grown = realloc(*chain, (*chain_len + 1) * sizeof *grown);
		if (grown == NULL) {
			snprintf(reason, sizeof reason, "out of memory");
			got = -1;
			break;
		}
		*chain = grown;
		grown[*chain_len].data = dup_bytes(der, der_len);
		grown[*chain_len].data_len = der_len;
		if (grown[*chain_len].data == NULL) {
			snprintf(reason, sizeof reason, "out of memory");
			got = -1;
			break;
		}
		(*chain_len)++;
	}
	free(der);
	if (got < 0 || *chain_len == 0) {
		free_chain(*chain, *chain_len);
		*chain = NULL;
		*chain_len = 0;
		if (got < 0) {
			snprintf(err, errlen, "%s: %s", source, reason);
		} else {
			snprintf(err, errlen, "%s: no PEM CERTIFICATE block "
			    "found (expected the client certificate)", source);
		}
		return -1;
	}
	return 0;
}

/* Reads the first private key block: PKCS#1, SEC1 or PKCS#8. */
static struct tls_key *
read_key(const uint8_t *pem, size_t len, const char *source, char *err,
    size_t errlen)
{
	static const char legacy[] = "Proc-Type: 4,ENCRYPTED";
	br_skey_decoder_context kd;
	struct pem_reader r;
	struct tls_key *k = NULL;
	char label[PEM_LABEL_MAX], reason[256];
	uint8_t *der;
	size_t der_len;
	int got, e;

	/* OpenSSL's old encrypted PEM keeps the label and adds header
	 * lines, which are not base64: recognise it before decoding. */
	if (memmem(pem, len, legacy, sizeof legacy - 1) != NULL) {
		snprintf(err, errlen, "%s: the private key is encrypted "
		    "(Proc-Type: 4,ENCRYPTED); kevents needs an unencrypted "
		    "key", source);
		return NULL;
	}
	der = malloc(len ? len : 1);
	if (der == NULL) {
		snprintf(err, errlen, "%s: out of memory", source);
		return NULL;
	}
	pem_reader_init(&r, pem, len);
	while ((got = pem_next(&r, label, der, len, &der_len, reason,
	    sizeof reason)) == 1) {
		if (strcmp(label, "ENCRYPTED PRIVATE KEY") == 0) {
			snprintf(err, errlen, "%s: the private key is "
			    "encrypted (ENCRYPTED PRIVATE KEY); kevents needs "
			    "an unencrypted key", source);
			goto done;
		}
		if (strcmp(label, "RSA PRIVATE KEY") != 0 &&
		    strcmp(label, "EC PRIVATE KEY") != 0 &&
		    strcmp(label, "PRIVATE KEY") != 0) {
			continue;
		}
		br_skey_decoder_init(&kd);
		br_skey_decoder_push(&kd, der, der_len);
		e = br_skey_decoder_last_error(&kd);
		if (e != 0) {
			snprintf(err, errlen, "%s: the %s block cannot be "
			    "decoded as an RSA or EC key (%s, %d)", source,
			    label, err_name(e), e);
			goto done;
		}
		k = copy_key(&kd);
		explicit_bzero(&kd, sizeof kd);
		if (k == NULL) {
			snprintf(err, errlen, "%s: out of memory", source);
		}
		goto done;
	}
	if (got < 0) {
		snprintf(err, errlen, "%s: %s", source, reason);
	} else {
		snprintf(err, errlen, "%s: no PEM private key block found "
		    "(RSA PRIVATE KEY, EC PRIVATE KEY or PRIVATE KEY)",
		    source);
	}
done:
	explicit_bzero(der, len);
	free(der);
	return k;
}

int
tls_config_set_client(struct tls_config *cfg, const uint8_t *cert_pem,
    size_t cert_len, const char *cert_source, const uint8_t *key_pem,
    size_t key_len, const char *key_source, char *err, size_t errlen)
{
	br_x509_decoder_context dc;
	br_x509_certificate *chain;
	const br_x509_pkey *pk;
	struct tls_key *k;
	size_t chain_len;
	int e;

	/* Everything is built aside first, so that a failed reload (a
	 * rotated file caught half-written) keeps the old credentials. */
	if (read_chain(cert_pem, cert_len, cert_source, &chain, &chain_len,
	    err, errlen) != 0) {
		return -1;
	}
	k = read_key(key_pem, key_len, key_source, err, errlen);
	if (k == NULL) {
		free_chain(chain, chain_len);
		return -1;
	}

	/* The leaf's key must be the private key's, and the signer's key
	 * type is what BearSSL needs for static ECDH suites. */
	br_x509_decoder_init(&dc, NULL, NULL);
	br_x509_decoder_push(&dc, chain[0].data, chain[0].data_len);
	pk = br_x509_decoder_get_pkey(&dc);
	if (pk == NULL) {
		e = br_x509_decoder_last_error(&dc);
		snprintf(err, errlen, "%s: the client certificate cannot be "
		    "decoded (%s, %d)", cert_source, err_name(e), e);
		goto fail;
	}
	if (!key_matches(k, pk)) {
		snprintf(err, errlen, "%s does not match the public key of "
		    "the client certificate in %s", key_source, cert_source);
		goto fail;
	}
	k->issuer_key_type = (unsigned)br_x509_decoder_get_signer_key_type(
	    &dc);

	free_chain(cfg->chain, cfg->chain_len);
	free_key(cfg->key);
	cfg->chain = chain;
	cfg->chain_len = chain_len;
	cfg->key = k;
	cfg->key_type = k->type;
	return 0;
fail:
	free_chain(chain, chain_len);
	free_key(k);
	return -1;
}

void
tls_config_free(struct tls_config *cfg)
{
	size_t i;

	for (i = 0; i < cfg->anchor_count; i++) {
		free_anchor(&cfg->anchors[i]);
	}
	free(cfg->anchors);
	free_chain(cfg->chain, cfg->chain_len);
	free_key(cfg->key);
	cfg->anchors = NULL;
	cfg->anchor_count = 0;
	cfg->chain = NULL;
	cfg->chain_len = 0;
	cfg->key = NULL;
	cfg->key_type = 0;
}

/* Follows TLS record framing in the bytes received, so that a TCP close
 * can be told apart as falling between records or inside one. */
static void
track_records(struct tls_session *s, const uint8_t *p, size_t n)
{
	size_t k;

	while (n > 0) {
		if (s->rec_hdr_len < 5) {
			s->rec_hdr[s->rec_hdr_len++] = *p++;
			n--;
			if (s->rec_hdr_len == 5) {
				s->rec_left = ((size_t)s->rec_hdr[3] << 8) |
				    s->rec_hdr[4];
				if (s->rec_left == 0) {
					s->rec_hdr_len = 0;
				}
			}
			continue;
		}
		k = n < s->rec_left ? n : s->rec_left;
		p += k;
		n -= k;
		s->rec_left -= k;
		if (s->rec_left == 0) {
			s->rec_hdr_len = 0;
		}
	}
}

/* A server that rejects the handshake sends an alert and closes, and
 * the write that follows fails with EPIPE or a reset; the alert may
 * still sit in the socket. Feeding what can be read without waiting
 * lets the engine report it. Returns 1 when the engine closed. */
static int
salvage_alert(struct tls_session *s)
{
	br_ssl_engine_context *eng = &s->cc.eng;
	unsigned char *buf;
	size_t len;
	ssize_t n;
	int rounds;

	for (rounds = 0; rounds < 64; rounds++) {
		if (br_ssl_engine_current_state(eng) & BR_SSL_CLOSED) {
			return 1;
		}
		if (!(br_ssl_engine_current_state(eng) & BR_SSL_RECVREC)) {
			return 0;
		}
		buf = br_ssl_engine_recvrec_buf(eng, &len);
		n = recv(s->fd, buf, len, MSG_DONTWAIT);
		if (n <= 0) {
			return 0;
		}
		track_records(s, buf, (size_t)n);
		br_ssl_engine_recvrec_ack(eng, (size_t)n);
	}
	return 0;
}

/* What pump() runs the engine until. */
enum {
	UNTIL_SENDAPP,		/* handshake done, or room to write */
	UNTIL_RECVAPP,		/* plaintext to read */
	UNTIL_FLUSHED		/* every record sent */
};

/* pump() results besides IO_*: 1 reached, and these two. */
#define PUMP_CLOSED 0		/* the engine closed; see last_error */
#define PUMP_EOF (-10)		/* the peer closed TCP */

static int
wait_failed(int r, const char *what, char *err, size_t errlen)
{
	if (r == IO_TIMEOUT) {
		snprintf(err, errlen, "timed out during %s", what);
	} else if (r == IO_INTERRUPTED) {
		snprintf(err, errlen, "interrupted during %s", what);
	} else {
		snprintf(err, errlen, "waiting on the socket during %s: %s",
		    what, strerror(errno));
		r = IO_ERROR;
	}
	return r;
}

/* Moves records between the engine and the socket until the engine
 * reaches the state `until` asks for. Writing comes first: BearSSL
 * cannot take more input while a record waits to go out. */
static int
pump(struct tls_session *s, int until, const char *what, int64_t deadline,
    char *err, size_t errlen)
{
	br_ssl_engine_context *eng = &s->cc.eng;
	unsigned char *buf;
	unsigned st;
	size_t len;
	ssize_t n;
	int r;

	for (;;) {
		st = br_ssl_engine_current_state(eng);
		if (st & BR_SSL_CLOSED) {
			return PUMP_CLOSED;
		}

		/* Records waiting to go out are written first. */
		if (st & BR_SSL_SENDREC) {
			buf = br_ssl_engine_sendrec_buf(eng, &len);
			n = send(s->fd, buf, len, MSG_NOSIGNAL);
			if (n < 0 && errno == ENOTSOCK) {
				n = write(s->fd, buf, len);
			}
			if (n > 0) {
				br_ssl_engine_sendrec_ack(eng, (size_t)n);
				continue;
			}
			if (n < 0 && errno == EINTR) {
				continue;
			}
			if (n < 0 && (errno == EAGAIN ||
			    errno == EWOULDBLOCK)) {
				r = io_wait(s->fd, 1, deadline);
				if (r < 0) {
					return wait_failed(r, what, err,
					    errlen);
				}
				continue;
			}
			r = errno;
			if (salvage_alert(s)) {
				return PUMP_CLOSED;
			}
			snprintf(err, errlen, "writing to the server during "
			    "%s: %s", what, n < 0 ? strerror(r) :
			    "nothing written");
			return IO_ERROR;
		}

		/* Then the caller's condition. */
		if ((until == UNTIL_SENDAPP && (st & BR_SSL_SENDAPP)) ||
		    (until == UNTIL_RECVAPP && (st & BR_SSL_RECVAPP)) ||
		    until == UNTIL_FLUSHED) {
			return 1;
		}

		/* Otherwise the engine needs bytes from the server. */
		if (!(st & BR_SSL_RECVREC)) {
			snprintf(err, errlen, "TLS engine stalled during %s "
			    "(state 0x%x)", what, st);
			return IO_ERROR;
		}
		buf = br_ssl_engine_recvrec_buf(eng, &len);
		n = read(s->fd, buf, len);
		if (n > 0) {
			track_records(s, buf, (size_t)n);
			br_ssl_engine_recvrec_ack(eng, (size_t)n);
			continue;
		}
		if (n == 0) {
			s->eof = 1;
			return PUMP_EOF;
		}
		if (errno == EINTR) {
			continue;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			r = io_wait(s->fd, 0, deadline);
			if (r < 0) {
				return wait_failed(r, what, err, errlen);
			}
			continue;
		}
		snprintf(err, errlen, "reading from the server during %s: %s",
		    what, strerror(errno));
		return IO_ERROR;
	}
}

/* The engine closed: 0 if that was a clean close_notify, else IO_ERROR
 * with the reason. */
static int
closed_result(struct tls_session *s, const char *what, char *err,
    size_t errlen)
{
	char reason[512];
	int e = br_ssl_engine_last_error(&s->cc.eng);

	if (e == BR_ERR_OK) {
		return 0;
	}
	describe_error(e, NULL, s->have_client_cert, reason,
	    sizeof reason);
	snprintf(err, errlen, "TLS failure during %s: %s", what, reason);
	return IO_ERROR;
}

/* Go sends SNI for host names only; an IP literal never goes there, and
 * neither does a trailing dot. */
static void
sni_for(const char *name, char sni[256])
{
	uint8_t ip[16];
	size_t n;

	sni[0] = 0;
	if (x509name_parse_ip(name, ip) != 0) {
		return;
	}
	snprintf(sni, 256, "%s", name);
	n = strlen(sni);
	if (n > 0 && sni[n - 1] == '.') {
		sni[n - 1] = 0;
	}
}

struct tls_session *
tls_handshake(int fd, const struct tls_config *cfg, const char *host,
    int64_t deadline_ms, int *code, char *err, size_t errlen)
{
	const struct tls_key *k = cfg->key;
	struct tls_session *s;
	const char *name, *detail;
	char sni[256], reason[768];
	uint8_t seed[32];
	int r, e;

	*code = IO_ERROR;
	name = cfg->server_name[0] ? cfg->server_name : host;
	if (strlen(name) > 255) {
		snprintf(err, errlen, "server name too long for TLS: %.60s...",
		    name);
		return NULL;
	}
	s = calloc(1, sizeof *s);
	if (s == NULL) {
		snprintf(err, errlen, "out of memory for a TLS session");
		return NULL;
	}
	s->fd = fd;
	s->have_client_cert = k != NULL && cfg->chain_len > 0;

	/* The full client profile (every cipher suite BearSSL has), pinned
	 * to TLS 1.2, the only version both BearSSL and API servers speak. */
	br_ssl_client_init_full(&s->cc, &s->minimal, cfg->anchors,
	    cfg->anchor_count);
	br_ssl_engine_set_versions(&s->cc.eng, BR_TLS12, BR_TLS12);
	br_ssl_engine_set_buffer(&s->cc.eng, s->iobuf, sizeof s->iobuf, 1);

	/* Name checking. BearSSL hands the name given to
	 * br_ssl_client_reset() both to the ClientHello (as SNI) and to the
	 * X.509 engine's start_chain() (as the name to match against dNSName
	 * SANs, or the CN when there are none). The wrapper takes that call,
	 * drops the name and starts the minimal engine with NULL, so the
	 * chain is validated with no name check at all, then matches `name`
	 * itself, Go's way. So reset() gets the SNI (empty for an IP
	 * literal, which sends no SNI) and the wrapper the checked name. */
	x509name_engine_init(&s->names, cfg->insecure ? NULL :
	    &s->minimal.vtable, name);
	br_ssl_engine_set_x509(&s->cc.eng, &s->names.vtable);

	if (k != NULL && cfg->chain_len > 0) {
		if (k->type == BR_KEYTYPE_RSA) {
			br_ssl_client_set_single_rsa(&s->cc, cfg->chain,
			    cfg->chain_len, &k->rsa,
			    br_rsa_pkcs1_sign_get_default());
		} else {
			br_ssl_client_set_single_ec(&s->cc, cfg->chain,
			    cfg->chain_len, &k->ec, BR_KEYTYPE_SIGN,
			    k->issuer_key_type, br_ec_get_default(),
			    br_ecdsa_sign_asn1_get_default());
		}
	}

	/* BearSSL 0.6 seeds itself only from /dev/urandom or RDRAND; the
	 * first may not exist in a scratch image and the second not on the
	 * CPU, so the kernel's getentropy() seeds it here. */
	if (getentropy(seed, sizeof seed) != 0) {
		snprintf(err, errlen, "cannot seed the TLS random generator: "
		    "getentropy() failed: %s", strerror(errno));
		free(s);
		return NULL;
	}
	br_ssl_engine_inject_entropy(&s->cc.eng, seed, sizeof seed);
	explicit_bzero(seed, sizeof seed);

	sni_for(name, sni);
	if (!br_ssl_client_reset(&s->cc, sni[0] ? sni : NULL, 0)) {
		e = br_ssl_engine_last_error(&s->cc.eng);
		describe_error(e, NULL, 1, reason, sizeof reason);
		snprintf(err, errlen, "cannot start TLS: %s", reason);
		free(s);
		return NULL;
	}

	/* The handshake is done when the engine accepts application data. */
	r = pump(s, UNTIL_SENDAPP, "the TLS handshake", deadline_ms, err,
	    errlen);
	if (r == 1) {
		*code = 0;
		return s;
	}
	if (r == PUMP_CLOSED) {
		e = br_ssl_engine_last_error(&s->cc.eng);
		detail = x509name_engine_detail(&s->names, (unsigned)e,
		    (int64_t)time(NULL));
		if (e == BR_ERR_X509_NOT_TRUSTED && cfg->anchor_count == 0 &&
		    !cfg->insecure) {
			detail = "certificate signed by unknown authority (no "
			    "CA certificate is configured)";
		}
		describe_error(e, detail, k != NULL, reason, sizeof reason);
		snprintf(err, errlen, "TLS handshake with %s failed: %s",
		    host, reason);
		if (e == BR_ERR_OK) {
			snprintf(err, errlen, "TLS handshake with %s failed: "
			    "the server closed the TLS session", host);
		}
		r = IO_ERROR;
	} else if (r == PUMP_EOF) {
		snprintf(err, errlen, "TLS handshake with %s failed: the "
		    "server closed the connection during the handshake (is "
		    "this port speaking TLS 1.2?)", host);
		r = IO_ERROR;
	}
	*code = r;
	tls_session_free(s);
	return NULL;
}

long
tls_read(struct tls_session *s, void *buf, size_t len, int64_t deadline_ms,
    char *err, size_t errlen)
{
	unsigned char *app;
	size_t avail;
	int r;

	if (len == 0) {
		return 0;
	}
	if (s->eof) {
		return 0;
	}
	r = pump(s, UNTIL_RECVAPP, "a TLS read", deadline_ms, err, errlen);
	if (r == 1) {
		app = br_ssl_engine_recvapp_buf(&s->cc.eng, &avail);
		if (avail > len) {
			avail = len;
		}
		memcpy(buf, app, avail);
		br_ssl_engine_recvapp_ack(&s->cc.eng, avail);
		return (long)avail;
	}
	if (r == PUMP_CLOSED) {
		return closed_result(s, "a TLS read", err, errlen);
	}

	/* A TCP close without close_notify counts as the end of the stream
	 * when it falls between records, as in Go: HTTP framing then tells
	 * whether the body was complete. Inside a record it is truncation. */
	if (r == PUMP_EOF) {
		if (s->rec_hdr_len == 0) {
			return 0;
		}
		snprintf(err, errlen, "the server closed the connection in "
		    "the middle of a TLS record (the response is truncated)");
		return IO_ERROR;
	}
	return r;
}

int
tls_write_all(struct tls_session *s, const void *buf, size_t len,
    int64_t deadline_ms, char *err, size_t errlen)
{
	const unsigned char *p = buf;
	unsigned char *app;
	size_t room;
	int r;

	/* Plaintext goes into the engine as room appears; the final flush
	 * sends the last partial record. */
	while (len > 0) {
		r = pump(s, UNTIL_SENDAPP, "a TLS write", deadline_ms, err,
		    errlen);
		if (r != 1) {
			goto failed;
		}
		app = br_ssl_engine_sendapp_buf(&s->cc.eng, &room);
		if (room > len) {
			room = len;
		}
		memcpy(app, p, room);
		br_ssl_engine_sendapp_ack(&s->cc.eng, room);
		p += room;
		len -= room;
	}
	br_ssl_engine_flush(&s->cc.eng, 0);
	r = pump(s, UNTIL_FLUSHED, "a TLS write", deadline_ms, err, errlen);
	if (r == 1) {
		return 0;
	}
failed:
	if (r == PUMP_CLOSED) {
		r = closed_result(s, "a TLS write", err, errlen);
		if (r == 0) {
			snprintf(err, errlen, "the server closed the TLS "
			    "session before the request was sent");
		}
		return IO_ERROR;
	}
	if (r == PUMP_EOF) {
		snprintf(err, errlen, "the server closed the connection "
		    "before the request was sent");
		return IO_ERROR;
	}
	return r;
}

void
tls_session_free(struct tls_session *s)
{
	unsigned char *buf;
	size_t len;

	if (s == NULL) {
		return;
	}

	/* A close_notify, if it can go out at once; nobody waits for the
	 * server's answer, the socket is closed next. */
	if (!s->eof && !(br_ssl_engine_current_state(&s->cc.eng) &
	    BR_SSL_CLOSED)) {
		br_ssl_engine_close(&s->cc.eng);
		if (br_ssl_engine_current_state(&s->cc.eng) & BR_SSL_SENDREC) {
			buf = br_ssl_engine_sendrec_buf(&s->cc.eng, &len);
			(void)!send(s->fd, buf, len, MSG_NOSIGNAL |
			    MSG_DONTWAIT);
		}
	}
	explicit_bzero(s, sizeof *s);
	free(s);
}
