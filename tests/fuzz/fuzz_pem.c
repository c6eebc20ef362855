/* libFuzzer target: arbitrary bytes as PEM, then as trust anchors, as a
 * client certificate and key (the same buffer for both, as in a combined
 * file), and block by block through pem_next.
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pem.h"
#include "tls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tls_config cfg;
	struct pem_reader r;
	char label[PEM_LABEL_MAX], err[256];
	uint8_t *der;
	size_t der_len;
	int n = 0;

	der = malloc(size ? size : 1);
	if (der == NULL) {
		return 0;
	}
	pem_reader_init(&r, data, size);
	while (n++ < 64 && pem_next(&r, label, der, size, &der_len, err,
	    sizeof err) == 1) {
		if (der_len > size || strlen(label) >= PEM_LABEL_MAX) {
			abort();
		}
	}
	free(der);

	memset(&cfg, 0, sizeof cfg);
	(void)tls_config_add_anchors(&cfg, data, size, "fuzz", err,
	    sizeof err);
	(void)tls_config_set_client(&cfg, data, size, "fuzz", data, size,
	    "fuzz", err, sizeof err);
	tls_config_free(&cfg);
	return 0;
}
