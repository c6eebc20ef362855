/* libFuzzer target: arbitrary bytes as a DER certificate through the SAN
 * walker and matcher (for a name, an IPv4 and an IPv6 literal), the
 * Common Name and validity decoders, and the insecure engine path.
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "x509name.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct x509name_engine engine;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *hosts[] = { "kubernetes.default", "10.0.0.1",
	    "::1", "a.example.com" };
	const br_x509_class **ctx = &engine.vtable;
	const uint8_t *names, *v;
	size_t names_len, vl, i;
	char err[200], cn[64], when[32];
	int64_t nb, na;
	int tag, n = 0;

	for (i = 0; i < sizeof hosts / sizeof hosts[0]; i++) {
		(void)x509name_check(data, size, hosts[i], err, sizeof err);
		if (strlen(err) >= sizeof err) {
			abort();
		}
	}
	if (x509name_find_sans(data, size, &names, &names_len) == 1) {
		if (names < data || names + names_len > data + size) {
			abort();
		}
		while (n++ < 1000 && x509name_next_san(&names, &names_len,
		    &tag, &v, &vl) == 1) {
			(void)x509name_match_dns(v, vl, "x.example.com");
		}
	}
	(void)x509name_subject_cn(data, size, cn, sizeof cn);
	if (x509name_validity(data, size, &nb, &na) == 0) {
		x509name_format_time(nb, when);
		x509name_format_time(na, when);
	}

	/* The bytes as a server's one-certificate chain, insecure mode. */
	x509name_engine_init(&engine, NULL, "10.0.0.1");
	(*ctx)->start_chain(ctx, NULL);
	(*ctx)->start_cert(ctx, (uint32_t)size);
	if (size > 0) {
		(*ctx)->append(ctx, data, size);
	}
	(*ctx)->end_cert(ctx);
	(void)(*ctx)->end_chain(ctx);
	(void)x509name_engine_detail(&engine, BR_ERR_X509_EXPIRED, 0);
	return 0;
}
