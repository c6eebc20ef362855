/* Waiting on sockets with deadlines, the monotonic clock, and the signals
 * that must interrupt every wait (SIGTERM and SIGINT, also as PID 1).
 * Other modules never sleep or poll on their own; they call io_wait().
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KEVENTS_IO_H
#define KEVENTS_IO_H

#include <stdint.h>

/* Results shared by every blocking call in kevents (conn, tls, client):
 * negative values, so that a byte count can share the return value. */
enum {
	IO_ERROR = -1,		/* failed; the caller's error buffer says why */
	IO_TIMEOUT = -2,	/* the deadline passed */
	IO_INTERRUPTED = -3	/* SIGTERM or SIGINT arrived */
};

/* Milliseconds on the monotonic clock. A deadline is such a value;
 * IO_NEVER means no deadline. */
#define IO_NEVER INT64_MAX
int64_t io_now_ms(void);
int64_t io_deadline_ms(int64_t timeout_ms);

/* Installs handlers for SIGTERM and SIGINT (without SA_RESTART, so that
 * the kernel delivers them to PID 1 too) and ignores SIGPIPE. Returns 0,
 * or -1 if the self-pipe could not be made. */
int io_signals_install(void);

/* The signal that stopped the run, or 0. SIGALRM means the time given
 * to io_stop_after_ms() ran out; SIGPIPE that the reader of stdout went
 * away. */
int io_stop_signal(void);

/* Ends every wait with IO_INTERRUPTED once ms have passed (--timeout). */
void io_stop_after_ms(int64_t ms);

/* When stdout is a pipe or socket, waits also watch it, so that a
 * reader that went away (kevents | head -1) ends the run at once even
 * while no event arrives. */
void io_watch_stdout(void);

/* Waits until fd is readable (write == 0) or writable (write != 0).
 * Returns 1 when ready, IO_TIMEOUT, IO_INTERRUPTED, or IO_ERROR (errno
 * set). fd < 0 just sleeps until the deadline or a signal. */
int io_wait(int fd, int write, int64_t deadline_ms);

/* Sleeps for ms or until a signal: 0, or IO_INTERRUPTED. */
int io_sleep_ms(int64_t ms);

#endif
