/* PEM iteration: several blocks, CRLF, text around blocks, a missing
 * final newline, truncation and bad base64, with block numbers in
 * errors.
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "pem.h"

/* "hello world" and three bytes 00 01 02 as base64. */
static const char two_blocks[] =
    "leading text, ignored\n"
    "-----BEGIN CERTIFICATE-----\n"
    "aGVsbG8g\n"
    "d29ybGQ=\n"
    "-----END CERTIFICATE-----\n"
    "between blocks\n"
    "-----BEGIN EC PRIVATE KEY-----\n"
    "AAEC\n"
    "-----END EC PRIVATE KEY-----\n"
    "trailing\n";

static int
read_all(const char *in, size_t len, char labels[][PEM_LABEL_MAX],
    uint8_t *der, size_t *lens, int max, char *err, size_t errlen)
{
	struct pem_reader r;
	size_t off = 0;
	int n = 0, got = 0;

	pem_reader_init(&r, (const uint8_t *)in, len);
	while (n < max && (got = pem_next(&r, labels[n], der + off,
	    len - off, &lens[n], err, errlen)) == 1) {
		off += lens[n];
		n++;
	}
	return got < 0 ? -1 : n;
}

TEST(pem_two_blocks_with_text_around)
{
	char labels[4][PEM_LABEL_MAX], err[200];
	uint8_t der[sizeof two_blocks];
	size_t lens[4];
	int n;

	n = read_all(two_blocks, strlen(two_blocks), labels, der, lens, 4,
	    err, sizeof err);
	CHECK_INT(n, 2);
	CHECK_STR(labels[0], "CERTIFICATE");
	CHECK_MEM(der, lens[0], "hello world", 11);
	CHECK_STR(labels[1], "EC PRIVATE KEY");
	CHECK_MEM(der + 11, lens[1], "\x00\x01\x02", 3);
}

TEST(pem_crlf_same_as_lf)
{
	char labels[4][PEM_LABEL_MAX], err[200], crlf[512];
	uint8_t der[512];
	size_t lens[4], i, j = 0;
	int n;

	for (i = 0; two_blocks[i]; i++) {
		if (two_blocks[i] == '\n') {
			crlf[j++] = '\r';
		}
		crlf[j++] = two_blocks[i];
	}
	n = read_all(crlf, j, labels, der, lens, 4, err, sizeof err);
	CHECK_INT(n, 2);
	CHECK_MEM(der, lens[0], "hello world", 11);
	CHECK_STR(labels[1], "EC PRIVATE KEY");
}

TEST(pem_no_final_newline)
{
	static const char in[] = "-----BEGIN X-----\nAAEC\n-----END X-----";
	char labels[2][PEM_LABEL_MAX], err[200];
	uint8_t der[64];
	size_t lens[2];

	CHECK_INT(read_all(in, strlen(in), labels, der, lens, 2, err,
	    sizeof err), 1);
	CHECK_STR(labels[0], "X");
	CHECK_INT(lens[0], 3);
}

TEST(pem_empty_and_garbage_have_no_blocks)
{
	static const char junk[] = "not pem at all\n\x01\x02\xff\n-----\n";
	char labels[2][PEM_LABEL_MAX], err[200];
	uint8_t der[64];
	size_t lens[2];
	struct pem_reader zero;
	size_t dl;

	CHECK_INT(read_all("", 0, labels, der, lens, 2, err, sizeof err), 0);
	CHECK_INT(read_all(junk, sizeof junk - 1, labels, der, lens, 2, err,
	    sizeof err), 0);
	memset(&zero, 0, sizeof zero);
	CHECK_INT(pem_next(&zero, labels[0], der, sizeof der, &dl, err,
	    sizeof err), 0);
}

TEST(pem_truncated_names_block)
{
	static const char in[] = "-----BEGIN CERTIFICATE-----\nAAEC\n"
	    "-----END CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----\nAAEC\n";
	char labels[2][PEM_LABEL_MAX], err[200];
	uint8_t der[64];
	size_t lens[2];
	struct pem_reader r;
	size_t dl;

	CHECK_INT(read_all(in, strlen(in), labels, der, lens, 2, err,
	    sizeof err), -1);
	CHECK(strstr(err, "PEM block 2") != NULL);
	CHECK(strstr(err, "PRIVATE KEY") != NULL);
	CHECK(strstr(err, "truncated") != NULL);

	/* The error sticks. */
	pem_reader_init(&r, (const uint8_t *)in, strlen(in));
	CHECK_INT(pem_next(&r, labels[0], der, sizeof der, &dl, err,
	    sizeof err), 1);
	CHECK_INT(pem_next(&r, labels[0], der, sizeof der, &dl, err,
	    sizeof err), -1);
	CHECK_INT(pem_next(&r, labels[0], der, sizeof der, &dl, err,
	    sizeof err), -1);
}

TEST(pem_bad_base64_names_block)
{
	static const char in[] = "-----BEGIN A-----\nAAEC\n-----END A-----\n"
	    "-----BEGIN B-----\nAA*C\n-----END B-----\n";
	char labels[2][PEM_LABEL_MAX], err[200];
	uint8_t der[64];
	size_t lens[2];

	CHECK_INT(read_all(in, strlen(in), labels, der, lens, 2, err,
	    sizeof err), -1);
	CHECK(strstr(err, "PEM block 2") != NULL);
	CHECK(strstr(err, "base64") != NULL);
}

TEST(pem_output_too_small)
{
	char label[PEM_LABEL_MAX], err[200];
	uint8_t der[4];
	struct pem_reader r;
	size_t dl;

	pem_reader_init(&r, (const uint8_t *)two_blocks, strlen(two_blocks));
	CHECK_INT(pem_next(&r, label, der, sizeof der, &dl, err, sizeof err),
	    -1);
	CHECK(strstr(err, "block 1") != NULL);
}

TEST(pem_every_prefix_is_safe)
{
	char labels[4][PEM_LABEL_MAX], err[200];
	uint8_t der[sizeof two_blocks];
	size_t lens[4], len;
	int n;

	/* A prefix ends inside a block (error) or after a whole one. */
	for (len = 0; len <= strlen(two_blocks); len++) {
		n = read_all(two_blocks, len, labels, der, lens, 4, err,
		    sizeof err);
		CHECK(n >= -1 && n <= 2);
	}
}
