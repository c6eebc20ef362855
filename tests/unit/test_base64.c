/* Unit tests for base64 decoding: known answers, whitespace anywhere,
 * and the exact offset of each kind of bad input.
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "harness.h"

static ssize_t
decode(const char *in, uint8_t *out, size_t *bad)
{
	*bad = (size_t)-1;
	return base64_decode(in, strlen(in), out, bad);
}

TEST(base64_known_answers)
{
	static const struct {
		const char *in, *out;
	} v[] = {
		{ "", "" },
		{ "Zg==", "f" },
		{ "Zm8=", "fo" },
		{ "Zm9v", "foo" },
		{ "Zm9vYg==", "foob" },
		{ "Zm9vYmE=", "fooba" },
		{ "Zm9vYmFy", "foobar" },
		{ "+/+/", "\xfb\xff\xbf" },
		{ "Zg=\n=", "f" },
		{ " Zm9v\r\nYmFy\n", "foobar" },
		{ "Zm9vYg==\n\n", "foob" },
		{ "Zh==", "f" },
	};
	uint8_t out[32];
	size_t i, bad;
	ssize_t n;

	for (i = 0; i < sizeof v / sizeof v[0]; i++) {
		n = decode(v[i].in, out, &bad);
		CHECK_MEM(out, n < 0 ? 0 : (size_t)n, v[i].out,
		    strlen(v[i].out));
		CHECK(n >= 0);
	}
}

TEST(base64_errors_give_the_offset)
{
	static const struct {
		const char *in;
		size_t at;
	} v[] = {
		{ "Zm9v*mFy", 4 },
		{ "Zm9", 3 },
		{ "Z", 1 },
		{ "Zm9vY", 5 },
		{ "=Zm9", 0 },
		{ "Z===", 1 },
		{ "Zm=v", 3 },
		{ "Zg==Zm9v", 4 },
		{ "Zg== x", 5 },
		{ "Zg===", 4 },
		{ "Zm9v-_", 4 },
		{ "Zm9v\x80", 4 },
		{ "Zg=", 3 },
	};
	uint8_t out[32];
	size_t i, bad;

	for (i = 0; i < sizeof v / sizeof v[0]; i++) {
		CHECK_INT(decode(v[i].in, out, &bad), -1);
		CHECK_INT(bad, v[i].at);
	}
}

TEST(base64_pem_sized_input)
{
	/* A long input wrapped at 64 columns, as PEM bodies are, decodes
	 * to exactly the bytes encoded, within the documented room. */
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	uint8_t raw[3000], *out;
	char *text;
	size_t i, n = 0, bad;
	ssize_t got;
	uint32_t v;

	for (i = 0; i < sizeof raw; i++) {
		raw[i] = (uint8_t)harness_rand();
	}
	text = malloc(sizeof raw * 2);
	for (i = 0; i < sizeof raw; i += 3) {
		v = (uint32_t)raw[i] << 16 | (uint32_t)raw[i + 1] << 8 |
		    raw[i + 2];
		text[n++] = alphabet[v >> 18];
		text[n++] = alphabet[v >> 12 & 63];
		text[n++] = alphabet[v >> 6 & 63];
		text[n++] = alphabet[v & 63];
		if (n % 65 == 64) {
			text[n++] = '\n';
		}
	}
	out = malloc(BASE64_DECODED_MAX(n));
	got = base64_decode(text, n, out, &bad);
	CHECK_MEM(out, got < 0 ? 0 : (size_t)got, raw, sizeof raw);
	free(out);
	free(text);
}
