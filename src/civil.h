/* Civil (proleptic Gregorian, UTC) dates and Unix time, for the places
 * that read dates off the wire: HTTP Date headers, RFC 3339 timestamps
 * in events and X.509 validity. Parsing each format stays with its
 * module; the calendar is here once.
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KEVENTS_CIVIL_H
#define KEVENTS_CIVIL_H

#include <stdint.h>

/* 1 when y-m-d hh:mm:ss is a real date and time (a leap second, ss 60,
 * allowed), else 0. */
int civil_valid(int64_t y, int m, int d, int hh, int mm, int ss);

/* Seconds since 1970-01-01T00:00:00Z of a valid civil date and time. */
int64_t civil_to_unix(int64_t y, int m, int d, int hh, int mm, int ss);

/* Formats Unix time t as "2026-12-03T10:00:00Z" into buf. */
void civil_format(int64_t t, char buf[32]);

#endif
