/* tls.c without a network: trust anchors and client credentials from
 * PEM (RSA and EC keys in PKCS#1, SEC1 and PKCS#8, combined files,
 * mismatched and encrypted keys), and handshakes against fake peers on a
 * socketpair (garbage, a silent peer, a closed peer, an alert). The
 * embedded certificates were made once with openssl and are valid from
 * 2024 to 2124; real handshakes are in tests/integration/test_tls.py.
 * SPDX-License-Identifier: Apache-2.0 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"
#include "io.h"
#include "tls.h"

static const char ca_rsa_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIICCjCCAXOgAwIBAgIUAR7w8hzeqCmNEwJoVfcj84WgV/MwDQYJKoZIhvcNAQEL\n"
    "BQAwFjEUMBIGA1UEAwwLdW5pdC1yc2EtY2EwIBcNMjYxMjAzMDkyOTQ5WhgPMjEy\n"
    "NjExMDkwOTI5NDlaMBYxFDASBgNVBAMMC3VuaXQtcnNhLWNhMIGfMA0GCSqGSIb3\n"
    "DQEBAQUAA4GNADCBiQKBgQClkqPvdk3SubJYMXEdGGgcMUGzhdgMtBzUBzVTg4yZ\n"
    "/1KCxLUqAwIwOI4qt8RmgpfgMmr+LBRKcw9X+PnjROeFFliEotrTUeAHXXB+62SS\n"
    "vjbdnDC6Bu89n85PcSCVELcq+trivdRyeLcNTo7biKfpSIj03eQCqpHhOWQYBPiO\n"
    "DQIDAQABo1MwUTAdBgNVHQ4EFgQU4Uu7/bcL0g8AjSG1Ah5EYJ7FjBUwHwYDVR0j\n"
    "BBgwFoAU4Uu7/bcL0g8AjSG1Ah5EYJ7FjBUwDwYDVR0TAQH/BAUwAwEB/zANBgkq\n"
    "hkiG9w0BAQsFAAOBgQBohHSUXeWot2MezKAtXo/ldhzZjpAUbhXZuTCK9/UT6SwJ\n"
    "x+L40onGsoiwn6Na9s7giyoUTMoyARxeu5XZJHQrB7gqWtyp4wdp+9kxWlVVH89z\n"
    "bTNSv5GN+G02ojome68/t5tcGZ3PKXqU2XUHqSt8jqcZJxMYcGL9VhCHCIMTOw==\n"
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

static const char client_rsa_crt[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBsDCCAVagAwIBAgICEAQwCgYIKoZIzj0EAwIwFTETMBEGA1UEAwwKdW5pdC1l\n"
    "Yy1jYTAgFw0yNDAxMDEwMDAwMDBaGA8yMTI0MDEwMTAwMDAwMFowFTETMBEGA1UE\n"
    "AwwKY2xpZW50LXJzYTCBnzANBgkqhkiG9w0BAQEFAAOBjQAwgYkCgYEAuknJ7ZEL\n"
    "nRApb2tRlM+EzrpYrDxkWc97IQW5aIFqJbkPSAS9bJRHfRNiyS3Xb/qXDaCCT/FE\n"
    "eqvSanEgz+wIpFgsQaNATIpcYTdx3O1jzcOpZLrOmbRULBmUyhVShKXQVYoyKdm5\n"
    "haqPqS5UVnEoI+GO6IDYJ2oOjzGgN2pa8XkCAwEAAaNNMEswCQYDVR0TBAIwADAd\n"
    "BgNVHQ4EFgQU+MjxfsYmBD3ZBUN5mlO5IfgAb+YwHwYDVR0jBBgwFoAUcaDcuKAo\n"
    "iSRVLqk0jLvBiOUirvYwCgYIKoZIzj0EAwIDSAAwRQIgFT3ijCZtjLhpsyLWj2xA\n"
    "a1IzX+3QrDYssL/DDLD1hh8CIQC80CTx6sKwgntJTQVmtcgR6iVgad1ZtMu7NO0w\n"
    "SziFNQ==\n"
    "-----END CERTIFICATE-----\n";

static const char client_rsa_pkcs8[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIICdwIBADANBgkqhkiG9w0BAQEFAASCAmEwggJdAgEAAoGBALpJye2RC50QKW9r\n"
    "UZTPhM66WKw8ZFnPeyEFuWiBaiW5D0gEvWyUR30TYskt12/6lw2ggk/xRHqr0mpx\n"
    "IM/sCKRYLEGjQEyKXGE3cdztY83DqWS6zpm0VCwZlMoVUoSl0FWKMinZuYWqj6ku\n"
    "VFZxKCPhjuiA2CdqDo8xoDdqWvF5AgMBAAECgYAwCnl1t5McJR/aaP2397BTM8FM\n"
    "YaKrepNRV82RwtYh9lCXjQlgp/irq8UtBpJpgWFVFVCl1x2G2SrBYn1IwaEUeBpj\n"
    "O9j86Aj8i/msmQuGdbS+8fhFdRmIpqRupqvB3mLn9MVMv7FM41213Oo+F+UcHFhR\n"
    "iGf2Kjd25tLiKcrwNQJBAOTYWR07OFB4Nece6XAJUKfH8iCeI4Mv6BPSdEncaYCo\n"
    "VmK6RVKw8kSKEAi7mWLfTTNQ+/ReF+uTR5IL5dp1N/MCQQDQZK+kkWuEpL1gjuy5\n"
    "Iw7dhGecH/XI8gL6fQxUgWmmaMZ+eBELcremgkUd5nzzk8VYdS6nkT3yg3E2dlPi\n"
    "bpfjAkEAzyWTTOV9LUITMNmHXxXff3B7GNFsveRQhBjdkLpGeeJnB8kq1RY8xpPe\n"
    "vbjquFf/brMgzmuZ5XEUuPuyHVQ7xwJAArmeVl+UcVqaI14bGFyuABWQKUl9tE/9\n"
    "2/qwo5ZBpGxwVA0L5ANvBV1ku/xcm+7NwNdfcc+DaN1xKI4pkKdzkwJBAKIZ2uVY\n"
    "GS1Ok9eWJPUY3ibWmf8t4NHrSL6TLbZMpik//+aYvKIWnuAhZLUZb+qIIYcdHapZ\n"
    "fMDpFe+afVlOpw0=\n"
    "-----END PRIVATE KEY-----\n";

static const char client_rsa_pkcs1[] =
    "-----BEGIN RSA PRIVATE KEY-----\n"
    "MIICXQIBAAKBgQC6ScntkQudEClva1GUz4TOulisPGRZz3shBblogWoluQ9IBL1s\n"
    "lEd9E2LJLddv+pcNoIJP8UR6q9JqcSDP7AikWCxBo0BMilxhN3Hc7WPNw6lkus6Z\n"
    "tFQsGZTKFVKEpdBVijIp2bmFqo+pLlRWcSgj4Y7ogNgnag6PMaA3alrxeQIDAQAB\n"
    "AoGAMAp5dbeTHCUf2mj9t/ewUzPBTGGiq3qTUVfNkcLWIfZQl40JYKf4q6vFLQaS\n"
    "aYFhVRVQpdcdhtkqwWJ9SMGhFHgaYzvY/OgI/Iv5rJkLhnW0vvH4RXUZiKakbqar\n"
    "wd5i5/TFTL+xTONdtdzqPhflHBxYUYhn9io3dubS4inK8DUCQQDk2FkdOzhQeDXn\n"
    "HulwCVCnx/IgniODL+gT0nRJ3GmAqFZiukVSsPJEihAIu5li300zUPv0Xhfrk0eS\n"
    "C+XadTfzAkEA0GSvpJFrhKS9YI7suSMO3YRnnB/1yPIC+n0MVIFppmjGfngRC3K3\n"
    "poJFHeZ885PFWHUup5E98oNxNnZT4m6X4wJBAM8lk0zlfS1CEzDZh18V339wexjR\n"
    "bL3kUIQY3ZC6RnniZwfJKtUWPMaT3r246rhX/26zIM5rmeVxFLj7sh1UO8cCQAK5\n"
    "nlZflHFamiNeGxhcrgAVkClJfbRP/dv6sKOWQaRscFQNC+QDbwVdZLv8XJvuzcDX\n"
    "X3HPg2jdcSiOKZCnc5MCQQCiGdrlWBktTpPXliT1GN4m1pn/LeDR60i+ky22TKYp\n"
    "P//mmLyiFp7gIWS1GW/qiCGHHR2qWXzA6RXvmn1ZTqcN\n"
    "-----END RSA PRIVATE KEY-----\n";

static const char client_ec_crt[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBaDCCAQ6gAwIBAgICEAUwCgYIKoZIzj0EAwIwFTETMBEGA1UEAwwKdW5pdC1l\n"
    "Yy1jYTAgFw0yNDAxMDEwMDAwMDBaGA8yMTI0MDEwMTAwMDAwMFowFDESMBAGA1UE\n"
    "AwwJY2xpZW50LWVjMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE+FBh7vDkLWa3\n"
    "Naa4lh8UUceAIQZcfLoHB121pGOanUKFYryWFIhXltytj4i7an228Qn0Jihf/Xy8\n"
    "y/YfaQq4ZKNNMEswCQYDVR0TBAIwADAdBgNVHQ4EFgQUuUxZnTKtDDPzkz6FEqQu\n"
    "qtPJ340wHwYDVR0jBBgwFoAUcaDcuKAoiSRVLqk0jLvBiOUirvYwCgYIKoZIzj0E\n"
    "AwIDSAAwRQIgdtqovhF8IC44PCBgyQg48A9M0VXEYHseWBo0H9Y0E4MCIQDw9rvx\n"
    "443rqoik+MIRBjIGMHeffuk8Ua5jYTENq5FUkw==\n"
    "-----END CERTIFICATE-----\n";

static const char client_ec_pkcs8[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg4kunI6hVwAEMxcwt\n"
    "zBjZ9gXU13ZcZ4AbX+dtoJF9GVOhRANCAAT4UGHu8OQtZrc1priWHxRRx4AhBlx8\n"
    "ugcHXbWkY5qdQoVivJYUiFeW3K2PiLtqfbbxCfQmKF/9fLzL9h9pCrhk\n"
    "-----END PRIVATE KEY-----\n";

static const char client_ec_sec1[] =
    "-----BEGIN EC PRIVATE KEY-----\n"
    "MHcCAQEEIOJLpyOoVcABDMXMLcwY2fYF1Nd2XGeAG1/nbaCRfRlToAoGCCqGSM49\n"
    "AwEHoUQDQgAE+FBh7vDkLWa3Naa4lh8UUceAIQZcfLoHB121pGOanUKFYryWFIhX\n"
    "ltytj4i7an228Qn0Jihf/Xy8y/YfaQq4ZA==\n"
    "-----END EC PRIVATE KEY-----\n";

static const char other_ec_pkcs8[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgX9nlgcuaAeF5IPH6\n"
    "DKNisAE1elEhhKtCJ+gkb0KTRFihRANCAATJjX1Polz5y6jEGwq2i+bu0KJrgnWb\n"
    "gVmgZW6p4aNgcx0QRk1joncOEkTHcITpP//gydcSVNDqU37rF3UbneKD\n"
    "-----END PRIVATE KEY-----\n";

static int
add(struct tls_config *cfg, const char *pem, char *err, size_t errlen)
{
	return tls_config_add_anchors(cfg, (const uint8_t *)pem, strlen(pem),
	    "ca.crt", err, errlen);
}

static int
client(struct tls_config *cfg, const char *crt, const char *key,
    char *err, size_t errlen)
{
	return tls_config_set_client(cfg, (const uint8_t *)crt, strlen(crt),
	    "client.crt", (const uint8_t *)key, strlen(key), "client.key",
	    err, errlen);
}

TEST(tls_anchors_rsa_and_ec)
{
	struct tls_config cfg;
	char err[300], both[4096];

	memset(&cfg, 0, sizeof cfg);
	snprintf(both, sizeof both, "%s%s", ca_rsa_pem, ca_ec_pem);
	CHECK_INT(add(&cfg, both, err, sizeof err), 0);
	CHECK_INT(cfg.anchor_count, 2);
	CHECK_INT(cfg.anchors[0].pkey.key_type, BR_KEYTYPE_RSA);
	CHECK_INT(cfg.anchors[1].pkey.key_type, BR_KEYTYPE_EC);
	CHECK(cfg.anchors[0].flags & BR_X509_TA_CA);
	CHECK(cfg.anchors[0].dn.len > 10);
	CHECK_INT(cfg.anchors[1].pkey.key.ec.curve, BR_EC_secp256r1);

	/* A second source appends. */
	CHECK_INT(add(&cfg, ca_ec_pem, err, sizeof err), 0);
	CHECK_INT(cfg.anchor_count, 3);

	/* A client certificate (not a CA) is trusted directly. */
	CHECK_INT(add(&cfg, client_ec_crt, err, sizeof err), 0);
	CHECK_INT(cfg.anchors[3].flags & BR_X509_TA_CA, 0);
	tls_config_free(&cfg);
	CHECK_INT(cfg.anchor_count, 0);
	tls_config_free(&cfg);
}

TEST(tls_anchors_errors_name_the_source)
{
	struct tls_config cfg;
	char err[300];

	memset(&cfg, 0, sizeof cfg);
	CHECK_INT(add(&cfg, "", err, sizeof err), -1);
	CHECK(strstr(err, "ca.crt: no PEM CERTIFICATE") != NULL);
	CHECK_INT(add(&cfg, client_ec_sec1, err, sizeof err), -1);
	CHECK(strstr(err, "ca.crt") != NULL);
	CHECK_INT(add(&cfg, "-----BEGIN CERTIFICATE-----\nAAEC\n"
	    "-----END CERTIFICATE-----\n", err, sizeof err), -1);
	CHECK(strstr(err, "ca.crt: certificate 1 cannot be decoded") != NULL);
	CHECK(strstr(err, "BR_ERR_X509") != NULL);
	CHECK_INT(add(&cfg, "-----BEGIN CERTIFICATE-----\nAAEC\n", err,
	    sizeof err), -1);
	CHECK(strstr(err, "ca.crt: PEM block 1") != NULL);
	CHECK_INT(cfg.anchor_count, 0);
	tls_config_free(&cfg);
}

TEST(tls_client_keys_every_format)
{
	static const struct {
		const char *crt, *key;
		int type;
	} cases[] = {
		{ client_rsa_crt, client_rsa_pkcs1, BR_KEYTYPE_RSA },
		{ client_rsa_crt, client_rsa_pkcs8, BR_KEYTYPE_RSA },
		{ client_ec_crt, client_ec_sec1, BR_KEYTYPE_EC },
		{ client_ec_crt, client_ec_pkcs8, BR_KEYTYPE_EC },
	};
	struct tls_config cfg;
	char err[300];
	size_t i;

	memset(&cfg, 0, sizeof cfg);
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		if (!CHECK_INT(client(&cfg, cases[i].crt, cases[i].key, err,
		    sizeof err), 0)) {
			CHECK_STR(err, "");
		}
		CHECK_INT(cfg.key_type, cases[i].type);
		CHECK_INT(cfg.chain_len, 1);
		CHECK(cfg.key != NULL);
	}
	tls_config_free(&cfg);
}

TEST(tls_client_combined_file)
{
	struct tls_config cfg;
	char err[300], both[4096];

	/* kubelet-client-current.pem: certificate then key, or the other
	 * way round, in one buffer given as both. */
	memset(&cfg, 0, sizeof cfg);
	snprintf(both, sizeof both, "%s%s", client_ec_crt, client_ec_sec1);
	CHECK_INT(client(&cfg, both, both, err, sizeof err), 0);
	CHECK_INT(cfg.key_type, BR_KEYTYPE_EC);
	snprintf(both, sizeof both, "%s%s", client_rsa_pkcs1, client_rsa_crt);
	CHECK_INT(client(&cfg, both, both, err, sizeof err), 0);
	CHECK_INT(cfg.key_type, BR_KEYTYPE_RSA);

	/* A chain: every certificate is sent, the first is the leaf. */
	snprintf(both, sizeof both, "%s%s%s", client_ec_crt, ca_ec_pem,
	    client_ec_pkcs8);
	CHECK_INT(client(&cfg, both, both, err, sizeof err), 0);
	CHECK_INT(cfg.chain_len, 2);
	tls_config_free(&cfg);
}

TEST(tls_client_key_errors)
{
	static const char encrypted[] = "-----BEGIN ENCRYPTED PRIVATE KEY-----"
	    "\nAAEC\n-----END ENCRYPTED PRIVATE KEY-----\n";
	static const char legacy[] = "-----BEGIN RSA PRIVATE KEY-----\n"
	    "Proc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nAAEC\n"
	    "-----END RSA PRIVATE KEY-----\n";
	static const char bad_key[] = "-----BEGIN PRIVATE KEY-----\nAAEC\n"
	    "-----END PRIVATE KEY-----\n";
	struct tls_config cfg;
	char err[300];

	memset(&cfg, 0, sizeof cfg);
	CHECK_INT(client(&cfg, client_ec_crt, client_ec_sec1, err,
	    sizeof err), 0);

	CHECK_INT(client(&cfg, client_ec_crt, other_ec_pkcs8, err,
	    sizeof err), -1);
	CHECK(strstr(err, "client.key does not match") != NULL);
	CHECK_INT(client(&cfg, client_rsa_crt, client_ec_pkcs8, err,
	    sizeof err), -1);
	CHECK(strstr(err, "does not match") != NULL);
	CHECK_INT(client(&cfg, client_ec_crt, encrypted, err, sizeof err),
	    -1);
	CHECK(strstr(err, "encrypted") != NULL);
	CHECK_INT(client(&cfg, client_ec_crt, legacy, err, sizeof err), -1);
	CHECK(strstr(err, "encrypted") != NULL);
	CHECK_INT(client(&cfg, client_ec_crt, bad_key, err, sizeof err), -1);
	CHECK(strstr(err, "client.key: the PRIVATE KEY block") != NULL);
	CHECK_INT(client(&cfg, client_ec_crt, client_ec_crt, err,
	    sizeof err), -1);
	CHECK(strstr(err, "client.key: no PEM private key") != NULL);
	CHECK_INT(client(&cfg, client_ec_sec1, client_ec_sec1, err,
	    sizeof err), -1);
	CHECK(strstr(err, "client.crt: no PEM CERTIFICATE") != NULL);

	/* Failed reloads keep the credentials that worked. */
	CHECK_INT(cfg.key_type, BR_KEYTYPE_EC);
	CHECK_INT(cfg.chain_len, 1);
	tls_config_free(&cfg);
}

/* A handshake on one end of a socketpair whose other end does `peer`. */
static struct tls_session *
handshake_with(int (*peer)(int fd), int64_t timeout_ms, int *code,
    char *err, size_t errlen)
{
	struct tls_config cfg;
	struct tls_session *s;
	char e[300];
	int sv[2];

	memset(&cfg, 0, sizeof cfg);
	add(&cfg, ca_ec_pem, e, sizeof e);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) {
		return NULL;
	}
	fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK);
	if (peer(sv[1]) != 0) {
		close(sv[1]);
		sv[1] = -1;
	}
	s = tls_handshake(sv[0], &cfg, "10.0.0.1", io_deadline_ms(timeout_ms),
	    code, err, errlen);
	close(sv[0]);
	if (sv[1] >= 0) {
		close(sv[1]);
	}
	tls_config_free(&cfg);
	return s;
}

static int
peer_http(int fd)
{
	static const char reply[] = "HTTP/1.1 400 Bad Request\r\n\r\n";

	return write(fd, reply, sizeof reply - 1) < 0;
}

static int
peer_silent(int fd)
{
	return 0;
}

static int
peer_closes(int fd)
{
	return 1;
}

static int
peer_alert(int fd)
{
	/* A fatal protocol_version alert, as a TLS 1.3-only server sends
	 * to a TLS 1.2 ClientHello. */
	static const uint8_t alert[] = { 21, 3, 3, 0, 2, 2, 70 };

	return write(fd, alert, sizeof alert) < 0;
}

static int
peer_handshake_failure(int fd)
{
	static const uint8_t alert[] = { 21, 3, 3, 0, 2, 2, 40 };

	return write(fd, alert, sizeof alert) < 0;
}

TEST(tls_handshake_failures_in_words)
{
	struct tls_session *s;
	char err[512];
	int code;

	s = handshake_with(peer_http, 5000, &code, err, sizeof err);
	CHECK(s == NULL);
	CHECK_INT(code, IO_ERROR);
	CHECK(strstr(err, "TLS handshake with 10.0.0.1 failed") != NULL);
	CHECK(strstr(err, "BR_ERR_") != NULL);

	s = handshake_with(peer_silent, 100, &code, err, sizeof err);
	CHECK(s == NULL);
	CHECK_INT(code, IO_TIMEOUT);
	CHECK(strstr(err, "timed out") != NULL);

	s = handshake_with(peer_closes, 5000, &code, err, sizeof err);
	CHECK(s == NULL);
	CHECK_INT(code, IO_ERROR);
	CHECK(strstr(err, "closed the connection") != NULL ||
	    strstr(err, "Broken pipe") != NULL);

	s = handshake_with(peer_alert, 5000, &code, err, sizeof err);
	CHECK(s == NULL);
	CHECK(strstr(err, "protocol_version (70)") != NULL);
	CHECK(strstr(err, "TLS 1.2 only") != NULL);

	s = handshake_with(peer_handshake_failure, 5000, &code, err,
	    sizeof err);
	CHECK(s == NULL);
	CHECK(strstr(err, "handshake_failure alert") != NULL);
	CHECK(strstr(err, "extended master secret") != NULL);
}

TEST(tls_server_name_too_long)
{
	struct tls_config cfg;
	char err[300], host[300];
	int code;

	memset(&cfg, 0, sizeof cfg);
	memset(host, 'a', sizeof host - 1);
	host[sizeof host - 1] = 0;
	CHECK(tls_handshake(-1, &cfg, host, IO_NEVER, &code, err,
	    sizeof err) == NULL);
	CHECK_INT(code, IO_ERROR);
	CHECK(strstr(err, "too long") != NULL);
	tls_session_free(NULL);
}
