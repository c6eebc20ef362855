/* libFuzzer target for base64 decoding: the output fits the documented
 * bound, its length follows from the input, and errors point inside it.
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include "base64.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *out = malloc(BASE64_DECODED_MAX(size));
	size_t i, chars = 0, pad = 0, bad = (size_t)-1;
	ssize_t n;

	n = base64_decode((const char *)data, size, out, &bad);

	/* A success decodes whole groups of four characters, less one
	 * byte per '='. */
	if (n >= 0) {
		for (i = 0; i < size; i++) {
			if (data[i] == '=') {
				pad++;
			}
			if (!strchr(" \t\r\n", data[i]) || data[i] == 0) {
				chars++;
			}
		}
		if (chars % 4 != 0 || (size_t)n != chars / 4 * 3 - pad ||
		    pad > 2) {
			abort();
		}
	} else if (n != -1 || bad > size) {
		abort();
	}
	free(out);
	return 0;
}
