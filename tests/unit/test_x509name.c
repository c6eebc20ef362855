/* Go's certificate name rules, the SAN and validity DER walkers, and the
 * wrapping X.509 engine, on certificates made once with openssl and
 * embedded here (signed by a throwaway EC CA; valid 2024 to 2124, except
 * "dated", 2030 to 2031, and "gtime", to 2060 in GeneralizedTime).
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "pem.h"
#include "tls.h"
#include "x509name.h"

static const char san_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBzzCCAXWgAwIBAgICEAAwCgYIKoZIzj0EAwIwFTETMBEGA1UEAwwKdW5pdC1l\n"
    "Yy1jYTAgFw0yNDAxMDEwMDAwMDBaGA8yMTI0MDEwMTAwMDAwMFowDjEMMAoGA1UE\n"
    "AwwDYXBpMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEOwtiR0hOeNJswIGyXOd2\n"
    "u89pnnhXxFkJl8x4k5nA3eeE8A9vEHzil2xSsYFK8LNPYrPPZjYJZvoAYcAculVk\n"
    "LKOBuTCBtjAJBgNVHRMEAjAAMGkGA1UdEQRiMGCCCmt1YmVybmV0ZXOCEmt1YmVy\n"
    "bmV0ZXMuZGVmYXVsdIINKi5leGFtcGxlLmNvbYcECgAAAYcQAAAAAAAAAAAAAAAA\n"
    "AAAAAYcQAAAAAAAAAAAAAP//wKgBAYEFYUBiLmMwHQYDVR0OBBYEFKQewL9khhOi\n"
    "sQd/HSSwNz2MsWV6MB8GA1UdIwQYMBaAFHGg3LigKIkkVS6pNIy7wYjlIq72MAoG\n"
    "CCqGSM49BAMCA0gAMEUCIQD4YksQ4qOzT1kJUy4Ny4l6jCJe3dLJnS0KMcSU+F05\n"
    "+gIgZR6evFJYX1aciRLRquUHUaBT2dcdwBKMVxwZJ5FQJ90=\n"
    "-----END CERTIFICATE-----\n";

static const char cnonly_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBajCCAQ+gAwIBAgICEAEwCgYIKoZIzj0EAwIwFTETMBEGA1UEAwwKdW5pdC1l\n"
    "Yy1jYTAgFw0yNDAxMDEwMDAwMDBaGA8yMTI0MDEwMTAwMDAwMFowFTETMBEGA1UE\n"
    "AwwKa3ViZXJuZXRlczBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABMmNfU+iXPnL\n"
    "qMQbCraL5u7QomuCdZuBWaBlbqnho2BzHRBGTWOidw4SRMdwhOk//+DJ1xJU0OpT\n"
    "fusXdRud4oOjTTBLMAkGA1UdEwQCMAAwHQYDVR0OBBYEFInowPhoUBqXQq6W7d0w\n"
    "axKEQISjMB8GA1UdIwQYMBaAFHGg3LigKIkkVS6pNIy7wYjlIq72MAoGCCqGSM49\n"
    "BAMCA0kAMEYCIQDCCcUgYlRInojK/fbqsSlcRZ58HCwIWoTUFglFmraTgQIhAKJX\n"
    "kuP4xGdjru4PY7o9RJEpIqLA4FHyincwC35E4+4X\n"
    "-----END CERTIFICATE-----\n";

static const char dated_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBdDCCARmgAwIBAgICEAIwCgYIKoZIzj0EAwIwFTETMBEGA1UEAwwKdW5pdC1l\n"
    "Yy1jYTAeFw0zMDAxMDEwMDAwMDBaFw0zMTAxMDEwMDAwMDBaMBAxDjAMBgNVBAMM\n"
    "BWRhdGVkMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEpvLmuVId8ZDzmhgjnuY7\n"
    "iyb5EYsCj+F7GPzbOK+WlwUaBSxxN6GaqlA9A+TNxIRmG4QQLT5BMa4Glnay57R/\n"
    "cqNeMFwwCQYDVR0TBAIwADAPBgNVHREECDAGhwR/AAABMB0GA1UdDgQWBBRm9VK6\n"
    "emfM4lXqRL+6u817M1LPPDAfBgNVHSMEGDAWgBRxoNy4oCiJJFUuqTSMu8GI5SKu\n"
    "9jAKBggqhkjOPQQDAgNJADBGAiEAgAfsxiw6Gd9t3Mx6K9sIF+Mvin+sw8qyqfdf\n"
    "vS03WdcCIQC/dUx2H+9eAYkqPhEvILQu0pBHnZMzUWThDw7gxFT6+w==\n"
    "-----END CERTIFICATE-----\n";

static const char gtime_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBdTCCARugAwIBAgICEAMwCgYIKoZIzj0EAwIwFTETMBEGA1UEAwwKdW5pdC1l\n"
    "Yy1jYTAgFw0yNDAxMDEwMDAwMDBaGA8yMDYwMDEwMjAzMDQwNVowEDEOMAwGA1UE\n"
    "AwwFZ3RpbWUwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAT0BiSi9yePENW2aktw\n"
    "tJrc+XG1yaKKCGt3wjeVlWLspAiGfoNxzepXzwD2tyxJHO2wQsaedmM2ZVaJsMIo\n"
    "T1Swo14wXDAJBgNVHRMEAjAAMA8GA1UdEQQIMAaHBH8AAAEwHQYDVR0OBBYEFBBC\n"
    "SbJSknRCRFMgj8x9rwdp0iB/MB8GA1UdIwQYMBaAFHGg3LigKIkkVS6pNIy7wYjl\n"
    "Iq72MAoGCCqGSM49BAMCA0gAMEUCIAv5XLY6Uie3Gfda82PsNYaklc0L4G5HQctS\n"
    "7qHAWEWpAiEAh6ORt+Fr0gzIJvg2pWgRQ3CNUGucSCRHVuxvQzrkiD8=\n"
    "-----END CERTIFICATE-----\n";

static const char ca_ec_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBgTCCASegAwIBAgIUcQi1YeGkhVc73FoCX9QjawehMfMwCgYIKoZIzj0EAwIw\n"
    "FTETMBEGA1UEAwwKdW5pdC1lYy1jYTAgFw0yNjEyMDMwOTI5NDlaGA8yMTI2MTEw\n"
    "OTA5Mjk0OVowFTETMBEGA1UEAwwKdW5pdC1lYy1jYTBZMBMGByqGSM49AgEGCCqG\n"
    "SM49AwEHA0IABP3a/voXDflBZKQNt5pHyuj2rLIq4Th/0RT83jJlUkBL7yPaNvHI\n"
    "Gj9MoU0IqS1o+EbUy7iv/YIkm8XRzfx/iuKjUzBRMB0GA1UdDgQWBBRxoNy4oCiJ\n"
    "JFUuqTSMu8GI5SKu9jAfBgNVHSMEGDAWgBRxoNy4oCiJJFUuqTSMu8GI5SKu9jAP\n"
    "BgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0gAMEUCIHXlpHIdt9r8fS8OgGPl\n"
    "TL55l2FMyCAbx4IIAMFRkyb4AiEAhe53lFHfnd8IN26OsVEJx+qu5bD7px0bNvKy\n"
    "umZjAcw=\n"
    "-----END CERTIFICATE-----\n";

/* The DER of the first block of a PEM string; the caller frees it. */
static uint8_t *
der_of(const char *pem, size_t *len)
{
	struct pem_reader r;
	char label[PEM_LABEL_MAX], err[200];
	uint8_t *der = malloc(strlen(pem));

	pem_reader_init(&r, (const uint8_t *)pem, strlen(pem));
	if (pem_next(&r, label, der, strlen(pem), len, err, sizeof err) != 1) {
		*len = 0;
	}
	return der;
}

TEST(x509name_dns_rules_like_go)
{
	static const struct {
		const char *pattern, *host;
		int match;
	} cases[] = {
		{ "kubernetes", "kubernetes", 1 },
		{ "Kubernetes.Default", "kubernetes.default", 1 },
		{ "kubernetes.default", "KUBERNETES.DEFAULT", 1 },
		{ "kubernetes.default", "kubernetes.default.", 1 },
		{ "kubernetes.default", "kubernetes", 0 },
		{ "*.example.com", "api.example.com", 1 },
		{ "*.example.com", "API.EXAMPLE.COM", 1 },
		{ "*.example.com", "a.b.example.com", 0 },
		{ "*.example.com", "example.com", 0 },
		{ "*.example.com", ".example.com", 0 },
		{ "*", "localhost", 0 },
		{ "*", "*", 1 },
		{ "a*.example.com", "ab.example.com", 0 },
		{ "*a.example.com", "ba.example.com", 0 },
		{ "api.*.com", "api.example.com", 0 },
		{ "*.*.example.com", "a.b.example.com", 0 },
		{ "*.com", "example.com", 1 },
		{ "under_score.local", "under_score.local", 1 },
		{ "", "", 0 },
		{ "", "example.com", 0 },
		{ "example.com", "", 0 },
		{ ".", ".", 0 },
		{ "example.com.", "example.com", 0 },
		{ "-bad.example.com", "-bad.example.com", 1 },
		{ "10.0.0.1", "10.0.0.1", 1 },
	};
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int got = x509name_match_dns(
		    (const uint8_t *)cases[i].pattern,
		    strlen(cases[i].pattern), cases[i].host);

		if (!CHECK_INT(got, cases[i].match)) {
			CHECK_STR(cases[i].pattern, cases[i].host);
		}
	}

	/* A NUL inside a SAN never matches a shorter host. */
	CHECK_INT(x509name_match_dns((const uint8_t *)"evil.com\0.example.com",
	    21, "evil.com"), 0);
}

TEST(x509name_parse_ip_literals)
{
	uint8_t ip[16];

	CHECK_INT(x509name_parse_ip("10.96.0.1", ip), 4);
	CHECK_MEM(ip, 16, "\0\0\0\0\0\0\0\0\0\0\xff\xff\x0a\x60\x00\x01", 16);
	CHECK_INT(x509name_parse_ip("::1", ip), 16);
	CHECK_INT(ip[15], 1);
	CHECK_INT(x509name_parse_ip("fd00::10", ip), 16);
	CHECK_INT(x509name_parse_ip("kubernetes", ip), 0);
	CHECK_INT(x509name_parse_ip("[::1]", ip), 0);
	CHECK_INT(x509name_parse_ip("10.0.0", ip), 0);
	CHECK_INT(x509name_parse_ip("", ip), 0);
}

TEST(x509name_check_sans)
{
	static const struct {
		const char *host;
		int ok;
	} cases[] = {
		{ "kubernetes", 1 },
		{ "kubernetes.default", 1 },
		{ "KUBERNETES.default.", 1 },
		{ "api.example.com", 1 },
		{ "a.b.example.com", 0 },
		{ "example.com", 0 },
		{ "10.0.0.1", 1 },
		{ "::ffff:10.0.0.1", 1 },	/* v4-mapped form, as Go */
		{ "192.168.1.1", 1 },		/* 16-byte SAN, v4 literal */
		{ "::1", 1 },
		{ "0:0:0:0:0:0:0:1", 1 },
		{ "::2", 0 },
		{ "10.0.0.2", 0 },
		{ "127.0.0.1", 0 },
		{ "api", 0 },			/* the CN is never used */
		{ "a@b.c", 0 },			/* rfc822Name is not a host */
	};
	uint8_t *der;
	size_t len, i;
	char err[300];

	der = der_of(san_pem, &len);
	CHECK(len > 0);
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int r = x509name_check(der, len, cases[i].host, err,
		    sizeof err);

		if (!CHECK_INT(r, cases[i].ok ? 0 : -1)) {
			CHECK_STR(cases[i].host, err);
		}
	}
	x509name_check(der, len, "127.0.0.1", err, sizeof err);
	CHECK_STR(err, "certificate is valid for kubernetes, "
	    "kubernetes.default, *.example.com, 10.0.0.1, ::1, "
	    "::ffff:192.168.1.1, not 127.0.0.1");

	/* A short error buffer still ends with the host. */
	x509name_check(der, len, "127.0.0.1", err, 60);
	CHECK(strlen(err) < 60);
	CHECK(strstr(err, "..., not 127.0.0.1") != NULL);
	free(der);
}

TEST(x509name_cn_only_is_refused)
{
	uint8_t *der;
	size_t len;
	char err[300], cn[64];
	const uint8_t *names;
	size_t names_len;

	der = der_of(cnonly_pem, &len);
	CHECK_INT(x509name_find_sans(der, len, &names, &names_len), 0);
	CHECK_INT(x509name_subject_cn(der, len, cn, sizeof cn), 1);
	CHECK_STR(cn, "kubernetes");
	CHECK_INT(x509name_check(der, len, "kubernetes", err, sizeof err), -1);
	CHECK(strstr(err, "no subjectAltName (SANs)") != NULL);
	CHECK(strstr(err, "\"kubernetes\"") != NULL);
	free(der);
}

TEST(x509name_san_iteration)
{
	const uint8_t *names, *v;
	size_t names_len, vl;
	uint8_t *der;
	size_t len;
	int tag, n = 0, dns = 0, ip = 0, r;

	der = der_of(san_pem, &len);
	CHECK_INT(x509name_find_sans(der, len, &names, &names_len), 1);
	while ((r = x509name_next_san(&names, &names_len, &tag, &v,
	    &vl)) == 1) {
		n++;
		dns += tag == X509NAME_SAN_DNS;
		ip += tag == X509NAME_SAN_IP;
	}
	CHECK_INT(r, 0);
	CHECK_INT(n, 7);
	CHECK_INT(dns, 3);
	CHECK_INT(ip, 3);
	free(der);
}

TEST(x509name_truncated_and_corrupt_der)
{
	const uint8_t *names;
	size_t names_len, len, cut, i;
	int64_t nb, na;
	uint8_t *der;
	char err[200];

	/* Every strict prefix is malformed for the SAN walker. */
	der = der_of(san_pem, &len);
	for (cut = 0; cut < len; cut++) {
		CHECK_INT(x509name_find_sans(der, cut, &names,
		    &names_len), -1);
		CHECK_INT(x509name_check(der, cut, "kubernetes", err,
		    sizeof err), -1);
	}

	/* Flipping any byte never reads out of bounds (ASan watches). */
	for (i = 0; i < len; i++) {
		der[i] ^= 0xff;
		(void)x509name_check(der, len, "10.0.0.1", err, sizeof err);
		(void)x509name_validity(der, len, &nb, &na);
		der[i] ^= 0xff;
	}
	free(der);
}

TEST(x509name_validity_dates)
{
	uint8_t *der;
	size_t len, cut;
	int64_t nb, na;
	char buf[32];

	der = der_of(dated_pem, &len);
	CHECK_INT(x509name_validity(der, len, &nb, &na), 0);
	x509name_format_time(nb, buf);
	CHECK_STR(buf, "2030-01-01T00:00:00Z");
	x509name_format_time(na, buf);
	CHECK_STR(buf, "2031-01-01T00:00:00Z");
	CHECK_INT(nb, 1893456000);

	/* The dates are found in a prefix of the certificate. */
	CHECK_INT(x509name_validity(der, 120, &nb, &na), 0);
	for (cut = 0; cut < 60; cut++) {
		CHECK_INT(x509name_validity(der, cut, &nb, &na), -1);
	}
	free(der);

	der = der_of(gtime_pem, &len);
	CHECK_INT(x509name_validity(der, len, &nb, &na), 0);
	x509name_format_time(na, buf);
	CHECK_STR(buf, "2060-01-02T03:04:05Z");
	free(der);

	x509name_format_time(0, buf);
	CHECK_STR(buf, "1970-01-01T00:00:00Z");
	x509name_format_time(951782400, buf);
	CHECK_STR(buf, "2000-02-29T00:00:00Z");
	x509name_format_time(-1, buf);
	CHECK_STR(buf, "1969-12-31T23:59:59Z");
}

/* Runs one certificate through the engine as BearSSL would, in chunks
 * of `chunk` bytes. */
static unsigned
run_engine(struct x509name_engine *e, const uint8_t *der, size_t len,
    size_t chunk)
{
	const br_x509_class **ctx = &e->vtable;
	size_t off, n;

	(*ctx)->start_chain(ctx, "ignored.example");
	(*ctx)->start_cert(ctx, (uint32_t)len);
	for (off = 0; off < len; off += n) {
		n = len - off < chunk ? len - off : chunk;
		(*ctx)->append(ctx, der + off, n);
	}
	(*ctx)->end_cert(ctx);
	return (*ctx)->end_chain(ctx);
}

TEST(x509name_engine_checks_names_after_the_chain)
{
	static struct x509name_engine e;
	struct tls_config cfg;
	br_x509_minimal_context xm;
	const br_x509_pkey *pk;
	uint8_t *der;
	size_t len;
	char err[200];
	const char *detail;
	unsigned usages = 0;

	memset(&cfg, 0, sizeof cfg);
	CHECK_INT(tls_config_add_anchors(&cfg, (const uint8_t *)ca_ec_pem,
	    strlen(ca_ec_pem), "ca", err, sizeof err), 0);
	br_x509_minimal_init_full(&xm, cfg.anchors, cfg.anchor_count);
	der = der_of(san_pem, &len);

	/* The chain is trusted and 10.0.0.1 is an IP SAN; byte-sized
	 * appends behave like one big one. */
	x509name_engine_init(&e, &xm.vtable, "10.0.0.1");
	CHECK_INT(run_engine(&e, der, len, len), 0);
	pk = e.vtable->get_pkey(&e.vtable, &usages);
	CHECK(pk != NULL && pk->key_type == BR_KEYTYPE_EC);
	CHECK_INT(run_engine(&e, der, len, 1), 0);

	/* The inner engine got no name: the CN "api" is not accepted. */
	x509name_engine_init(&e, &xm.vtable, "api");
	CHECK_INT(run_engine(&e, der, len, 7), BR_ERR_X509_BAD_SERVER_NAME);
	detail = x509name_engine_detail(&e, BR_ERR_X509_BAD_SERVER_NAME, 0);
	CHECK(detail != NULL && strstr(detail, "not api") != NULL);
	free(der);

	/* Dates: BearSSL is told it is 2029, before the window. */
	der = der_of(dated_pem, &len);
	x509name_engine_init(&e, &xm.vtable, "127.0.0.1");
	br_x509_minimal_set_time(&xm, 719528 + 21550, 0);
	CHECK_INT(run_engine(&e, der, len, 100), BR_ERR_X509_EXPIRED);
	detail = x509name_engine_detail(&e, BR_ERR_X509_EXPIRED,
	    (int64_t)21550 * 86400);
	CHECK_STR(detail, "certificate for 127.0.0.1 is not valid now: "
	    "valid from 2030-01-01T00:00:00Z to 2031-01-01T00:00:00Z, "
	    "local clock says 2029-01-01T00:00:00Z");
	CHECK(x509name_engine_detail(&e, BR_ERR_X509_NOT_TRUSTED, 0) == NULL);

	/* Insecure: no inner engine, any name, the key still comes out. */
	x509name_engine_init(&e, NULL, "whatever");
	CHECK_INT(run_engine(&e, der, len, 3), 0);
	pk = e.vtable->get_pkey(&e.vtable, &usages);
	CHECK(pk != NULL && pk->key_type == BR_KEYTYPE_EC);
	CHECK(usages & BR_KEYTYPE_SIGN);
	CHECK(run_engine(&e, der, len / 2, 3) != 0);
	free(der);
	tls_config_free(&cfg);
}
