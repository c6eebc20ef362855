/* PEM iteration on top of br_pem_decoder: the decoder finds banners and
 * decodes base64; this module adds block numbering, the missing newline
 * after a final END line, and the error for an unterminated block.
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <string.h>

#include "pem.h"

void
pem_reader_init(struct pem_reader *r, const uint8_t *in, size_t len)
{
	memset(r, 0, sizeof *r);
	r->in = in;
	r->len = len;
	br_pem_decoder_init(&r->dc);
	r->started = 1;
}

static void
append_der(void *ctx, const void *buf, size_t len)
{
	struct pem_reader *r = ctx;

	if (len > r->der_cap - r->der_len) {
		r->overflow = 1;
		return;
	}
	memcpy(r->der + r->der_len, buf, len);
	r->der_len += len;
}

/* BearSSL drops the trailing dashes of a BEGIN line only when they end
 * the line: with CRLF the name keeps them, so they go here. */
static void
copy_label(char label[PEM_LABEL_MAX], const char *name)
{
	size_t n;

	snprintf(label, PEM_LABEL_MAX, "%s", name);
	n = strlen(label);
	while (n > 0 && (label[n - 1] == '-' || label[n - 1] == '\r' ||
	    label[n - 1] == ' ')) {
		label[--n] = 0;
	}
}

int
pem_next(struct pem_reader *r, char label[PEM_LABEL_MAX], uint8_t *der,
    size_t cap, size_t *der_len, char *err, size_t errlen)
{
	static const unsigned char newline = '\n';
	size_t n;

	if (!r->started) {
		pem_reader_init(r, NULL, 0);
	}
	if (r->failed) {
		snprintf(err, errlen, "PEM block %u: decoding already failed",
		    r->block);
		return -1;
	}
	for (;;) {
		/* The decoder only sees an END banner once its line ends, so
		 * one newline follows the input in case the file lacks it. */
		if (r->off < r->len) {
			n = br_pem_decoder_push(&r->dc, r->in + r->off,
			    r->len - r->off);
			r->off += n;
		} else if (!r->tail_pushed) {
			(void)br_pem_decoder_push(&r->dc, &newline, 1);
			r->tail_pushed = 1;
		} else {
			if (r->in_block) {
				r->failed = 1;
				snprintf(err, errlen, "PEM block %u (%s) is "
				    "truncated: no END line", r->block,
				    br_pem_decoder_name(&r->dc));
				return -1;
			}
			return 0;
		}

		switch (br_pem_decoder_event(&r->dc)) {
		case BR_PEM_BEGIN_OBJ:
			r->block++;
			r->in_block = 1;
			r->der = der;
			r->der_cap = cap;
			r->der_len = 0;
			r->overflow = 0;
			br_pem_decoder_setdest(&r->dc, append_der, r);
			break;
		case BR_PEM_END_OBJ:
			r->in_block = 0;
			if (r->overflow) {
				r->failed = 1;
				snprintf(err, errlen, "PEM block %u (%s) does "
				    "not fit in %zu bytes", r->block,
				    br_pem_decoder_name(&r->dc), cap);
				return -1;
			}
			copy_label(label, br_pem_decoder_name(&r->dc));
			*der_len = r->der_len;
			return 1;
		case BR_PEM_ERROR:
			r->failed = 1;
			snprintf(err, errlen, "PEM block %u (%s) is not valid "
			    "base64", r->block ? r->block : 1,
			    br_pem_decoder_name(&r->dc));
			return -1;
		default:
			break;
		}
	}
}
