/* A push tokenizer for strict RFC 8259 JSON: bytes go in at any split,
 * tokens come out to a callback. It validates everything, holds only the
 * current string, and can copy the compact bytes of one value aside; what
 * the tokens mean is left to the caller (event.c).
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KEVENTS_JSON_H
#define KEVENTS_JSON_H

#include <stddef.h>
#include <stdint.h>

/* Containers nest at most this deep; one more is JSON_ERR_DEPTH. An Event
 * nests about eight deep (managedFields included), and 64 levels fit the
 * container stack in one word. */
#define JSON_MAX_DEPTH 64

/* The string bound when the caller sets no scratch buffer of its own. */
#define JSON_INLINE_SCRATCH 256

enum json_token {
	JSON_OBJECT_START = 1,
	JSON_OBJECT_END,
	JSON_ARRAY_START,
	JSON_ARRAY_END,
	JSON_KEY,		/* str: the unescaped key */
	JSON_STRING,		/* str: the unescaped UTF-8 value */
	JSON_NUMBER,		/* str: the number's text as sent */
	JSON_TRUE,
	JSON_FALSE,
	JSON_NULL
};

/* What a callback returns. */
enum json_action {
	JSON_CONTINUE = 0,
	/* After JSON_KEY: the value that follows is validated but not
	 * reported (no tokens, no scratch). After a *_START: the rest of the
	 * container up to and including its end token likewise. Elsewhere
	 * the same as JSON_CONTINUE. */
	JSON_SKIP = 1,
	/* Stop: json_feed() returns JSON_ERR_STOPPED, which sticks. */
	JSON_STOP = 2
};

enum json_error {
	JSON_OK = 0,
	JSON_ERR_SYNTAX,	/* a byte that cannot come here */
	JSON_ERR_NUMBER,	/* leading zero, missing digits */
	JSON_ERR_ESCAPE,	/* unknown escape or bad \u hex digits */
	JSON_ERR_SURROGATE,	/* \ud800 without its pair, or a lone low */
	JSON_ERR_UTF8,		/* bad, overlong or surrogate UTF-8 */
	JSON_ERR_CONTROL,	/* unescaped byte below 0x20 in a string */
	JSON_ERR_DEPTH,		/* nesting over JSON_MAX_DEPTH */
	JSON_ERR_TOO_LONG,	/* a reported string over the scratch size */
	JSON_ERR_CAPTURE,	/* the captured value over its buffer */
	JSON_ERR_TRAILING,	/* single mode: more after the one value */
	JSON_ERR_TRUNCATED,	/* ended inside a value, or before one */
	JSON_ERR_STOPPED	/* a callback returned JSON_STOP */
};

/* depth: how many containers enclose the token; a start or end token
 * has the depth of its container's own position (0 for a top-level
 * object), its keys and members one more. str/len are only valid during
 * the call (NULL and 0 for tokens without text). */
typedef int (*json_token_fn)(void *arg, enum json_token token, int depth,
    const char *str, size_t len);

/* The tokenizer state. A zeroed struct is a valid parser in watch
 * framing (any number of top-level values separated by whitespace) with
 * a JSON_INLINE_SCRATCH string bound and no callback. Set the public
 * fields before the first byte; the rest is private. */
struct json_parser {
	json_token_fn on_token;
	void *arg;
	int single;		/* one value, then only whitespace */

	/* private */
	char *scratch;
	size_t scratch_size, str_len;
	uint64_t offset;	/* bytes consumed before the current chunk */
	uint64_t err_offset;
	uint64_t stack;		/* bit n: container n is an object */
	const uint8_t *chunk;
	const uint8_t *tok_pos;
	const uint8_t *span;	/* start of the capture run in the chunk */
	uint8_t *capture;
	size_t capture_len, capture_size;
	uint32_t values;	/* top-level values completed */
	int err;
	int state, depth, skip, skip_depth, capturing;
	int str_key, str_buffered, after_ws, last_scalar;
	uint32_t ucode, uhigh;
	int uleft, u8left;
	uint8_t u8lo, u8hi;
	int num_state, lit_len, lit_pos, lit_token;
	const char *lit;
	char inline_scratch[JSON_INLINE_SCRATCH];
};

/* Sets where reported strings (and number texts) are assembled and so
 * the bound on their length; size 0 or buf NULL restores the inline
 * buffer. Call before feeding or from a callback, never mid-string. */
void json_set_scratch(struct json_parser *p, char *buf, size_t size);

/* Feeds len bytes. Returns JSON_OK (more may follow) or the error, which
 * sticks: later calls return it again without reading. */
int json_feed(struct json_parser *p, const uint8_t *data, size_t len);

/* The input ended. JSON_OK when it ended between top-level values (in
 * single mode: after exactly one), else JSON_ERR_TRUNCATED or the
 * sticky error. A number at the very end is completed here. */
int json_finish(struct json_parser *p);

/* Capture: from a JSON_OBJECT_START or JSON_ARRAY_START callback,
 * json_capture_start() begins copying that container's bytes, minus
 * whitespace outside strings, into buf; from its end token's callback
 * json_capture_stop() finishes the copy (the closing bracket included)
 * and returns its length. More than size bytes is JSON_ERR_CAPTURE. */
void json_capture_start(struct json_parser *p, uint8_t *buf, size_t size);
size_t json_capture_stop(struct json_parser *p);

/* The byte offset of the sticky error (or of the current token during
 * a callback). */
uint64_t json_error_offset(const struct json_parser *p);

/* A few words naming an error code ("invalid escape"). */
const char *json_strerror(int err);

#endif
