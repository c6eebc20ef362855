/* Standard base64 (RFC 4648 alphabet, '=' padding) decoding for the
 * kubeconfig *-data fields. Encoding is not needed by kevents.
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KEVENTS_BASE64_H
#define KEVENTS_BASE64_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Room that decoding len input bytes may need. */
#define BASE64_DECODED_MAX(len) ((len) / 4 * 3 + 3)

/* Decodes len bytes of in into out, which holds at least
 * BASE64_DECODED_MAX(len) bytes. Whitespace (space, tab, CR, LF) is
 * skipped anywhere, so PEM-style wrapped text decodes too. Padding is
 * required: the characters must come in whole groups of four, '=' may
 * only end the last group (one or two of them), and nothing but
 * whitespace may follow it. Unused low bits of the last group are not
 * checked, as Go's decoder does not check them.
 * Returns the decoded length, or -1 with *bad_at set to the offset in
 * in of the first byte that is wrong (len when the input ends early). */
ssize_t base64_decode(const char *in, size_t len, uint8_t *out,
    size_t *bad_at);

#endif
