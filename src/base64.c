/* base64 decoding, one character at a time with a four-character group
 * so that whitespace may sit anywhere.
 * SPDX-License-Identifier: Apache-2.0 */
#include "base64.h"

/* The value of an alphabet character, -1 for whitespace, -2 for '=',
 * -3 for anything else. */
static int
sextet(unsigned char c)
{
	if (c >= 'A' && c <= 'Z') {
		return c - 'A';
	}
	if (c >= 'a' && c <= 'z') {
		return c - 'a' + 26;
	}
	if (c >= '0' && c <= '9') {
		return c - '0' + 52;
	}
	switch (c) {
	case '+':
		return 62;
	case '/':
		return 63;
	case ' ':
	case '\t':
	case '\r':
	case '\n':
		return -1;
	case '=':
		return -2;
	default:
		return -3;
	}
}

ssize_t
base64_decode(const char *in, size_t len, uint8_t *out, size_t *bad_at)
{
	uint32_t group = 0;
	size_t i, n = 0;
	int have = 0, pad = 0, v;

	for (i = 0; i < len; i++) {
		v = sextet((unsigned char)in[i]);
		if (v == -1) {
			continue;
		}

		/* After the padding of a complete last group, only
		 * whitespace may follow. */
		if (pad > 0 && have == 0) {
			*bad_at = i;
			return -1;
		}
		if (v == -3) {
			*bad_at = i;
			return -1;
		}

		/* '=' stands for the missing characters of the last group:
		 * never in its first two places, and once it starts, the
		 * rest of the group is '=' too. */
		if (v == -2) {
			if (have < 2) {
				*bad_at = i;
				return -1;
			}
			pad++;
			v = 0;
		} else if (pad > 0) {
			*bad_at = i;
			return -1;
		}
		group = group << 6 | (uint32_t)v;
		if (++have < 4) {
			continue;
		}
		out[n++] = (uint8_t)(group >> 16);
		if (pad < 2) {
			out[n++] = (uint8_t)(group >> 8);
		}
		if (pad < 1) {
			out[n++] = (uint8_t)group;
		}
		have = 0;
		group = 0;
	}
	if (have != 0) {
		*bad_at = len;
		return -1;
	}
	return (ssize_t)n;
}
