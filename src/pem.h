/* PEM blocks in a buffer: each block's label and DER bytes, in order, with
 * BearSSL's streaming decoder. What a block means (certificate, key) is
 * the caller's business.
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KEVENTS_PEM_H
#define KEVENTS_PEM_H

#include <stddef.h>
#include <stdint.h>

#include <bearssl.h>

/* The longest label BearSSL's decoder keeps (127 characters and NUL). */
#define PEM_LABEL_MAX 128

/* Iteration state over one input buffer, which must outlive it. Set up
 * with pem_reader_init(); a zeroed reader reads an empty input. */
struct pem_reader {
	const uint8_t *in;
	size_t len;
	size_t off;
	unsigned block;		/* blocks begun so far; 1 is the first */
	int in_block;
	int tail_pushed;	/* the final newline was pushed */
	int failed;		/* the first error sticks */
	int started;
	uint8_t *der;		/* the caller's output for this block */
	size_t der_cap;
	size_t der_len;
	int overflow;
	br_pem_decoder_context dc;
};

void pem_reader_init(struct pem_reader *r, const uint8_t *in, size_t len);

/* Decodes the next block into der (cap bytes; a block never decodes to
 * more bytes than the whole input holds, so cap == len always suffices).
 * label receives the block's name, upper-cased ("CERTIFICATE").
 * Text outside blocks is skipped; CRLF and LF line ends are both fine.
 * Returns 1 with *der_len set, 0 after the last block, or -1 with err
 * naming the block number (and every later call returns -1 again). */
int pem_next(struct pem_reader *r, char label[PEM_LABEL_MAX], uint8_t *der,
    size_t cap, size_t *der_len, char *err, size_t errlen);

#endif
