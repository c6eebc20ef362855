/* stderr diagnostics; see log.h.
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

static int verbosity;

void
log_set_verbosity(int level)
{
	verbosity = level;
}

int
log_verbosity(void)
{
	return verbosity;
}

static void
emit(const char *fmt, va_list ap)
{
	char line[2048];
	int n;

	/* One write per line, so that lines from a pipe's other writers and
	 * stdout's flushes never interleave inside a line. */
	memcpy(line, "kevents: ", 9);
	n = vsnprintf(line + 9, sizeof line - 10, fmt, ap);
	if (n < 0) {
		return;
	}
	n += 9;
	if (n > (int)sizeof line - 2) {
		n = (int)sizeof line - 2;
	}
	line[n++] = '\n';
	(void)!write(2, line, (size_t)n);
}

void
log_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(fmt, ap);
	va_end(ap);
}

void
log_info(int level, const char *fmt, ...)
{
	va_list ap;

	if (level > verbosity) {
		return;
	}
	va_start(ap, fmt);
	emit(fmt, ap);
	va_end(ap);
}
