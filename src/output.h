/* The printer: text and wide columns as `kubectl events` prints them,
 * or one compact JSON object per line. Rows of the initial list are held
 * (up to a bound) and sorted by time before printing; later events print
 * at once. Output is buffered here and written only by output_flush(),
 * which the follow engine calls whenever its input is drained.
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KEVENTS_OUTPUT_H
#define KEVENTS_OUTPUT_H

#include <stddef.h>
#include <stdint.h>

#include "cli.h"
#include "event.h"

/* Rows of the initial list held for sorting: beyond this many (or
 * OUTPUT_HOLD_BYTES of text), the held rows are printed and the rest of
 * the list follows in server order. */
#define OUTPUT_HOLD_ROWS 10000
#define OUTPUT_HOLD_BYTES (4 * 1024 * 1024)

struct output;

/* fd is where output_flush() writes (1 for stdout). NULL when out of
 * memory. */
struct output *output_new(const struct opts *o, int fd);
void output_free(struct output *out);

/* now_us is the server's clock (Unix microseconds), for ages. */

/* Holds a row of the initial list. Returns 1 if it was held, 0 if the
 * hold bound was reached and it was printed instead (the caller says so
 * once), -1 when out of memory. */
int output_hold(struct output *out, const struct event_record *ev,
    int64_t now_us);

/* Sorts and prints the held rows. */
void output_release(struct output *out, int64_t now_us);

/* Prints one event now. */
void output_event(struct output *out, const struct event_record *ev,
    int64_t now_us);

/* Rows printed so far, and rows currently held. */
uint64_t output_rows(const struct output *out);
size_t output_held(const struct output *out);

/* Writes everything buffered. Returns 0, or -1 with errno set (EPIPE
 * when the reader went away). */
int output_flush(struct output *out);

/* Formats an age the way kubectl does ("45s", "3m2s", "12m", "5h3m",
 * "3d4h", "<invalid>" for the future). Exposed for tests. */
void output_age(char *buf, size_t len, int64_t age_us);

/* Escapes control characters (C0, DEL, C1) so that a message cannot
 * drive the terminal; returns the bytes written into dst (which gets no
 * NUL). dst must hold 4 * len bytes. Exposed for tests. */
size_t output_escape(char *dst, const char *src, size_t len);

#endif
