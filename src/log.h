/* Diagnostics for the person running kevents: one-line errors, one line
 * per request at -v 1, decisions at -v 2. Everything goes to stderr,
 * unbuffered; nothing here ever prints a credential.
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KEVENTS_LOG_H
#define KEVENTS_LOG_H

void log_set_verbosity(int level);
int log_verbosity(void);

/* "kevents: MESSAGE" on stderr. */
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* "kevents: MESSAGE" when the verbosity is at least level; level 0 is
 * a notice printed always (such as "watch forbidden, polling"). */
void log_info(int level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
