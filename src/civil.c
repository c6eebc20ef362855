/* Calendar arithmetic; see civil.h.
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>

#include "civil.h"

static int
is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int
civil_valid(int64_t y, int m, int d, int hh, int mm, int ss)
{
	static const int mdays[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	if (m < 1 || m > 12 || d < 1 || hh < 0 || hh > 23 || mm < 0 ||
	    mm > 59 || ss < 0 || ss > 60) {
		return 0;
	}
	return d <= mdays[m - 1] + (m == 2 && is_leap(y));
}

/* Days from 1970-01-01, counting in 400-year eras (146097 days each)
 * with the year starting in March, so that the leap day comes last. */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int64_t
civil_to_unix(int64_t y, int m, int d, int hh, int mm, int ss)
{
	return days_from_civil(y, m, d) * 86400 + hh * 3600 + mm * 60 + ss;
}

void
civil_format(int64_t t, char buf[32])
{
	int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
	int64_t secs = t - days * 86400, z, era, doe, yoe, y, doy, mp;
	int d, m;

	/* The inverse of days_from_civil. */
	z = days + 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = (int)(doy - (153 * mp + 2) / 5 + 1);
	m = (int)(mp < 10 ? mp + 3 : mp - 9);
	y += m <= 2;
	snprintf(buf, 32, "%04lld-%02d-%02dT%02d:%02d:%02dZ", (long long)y,
	    m, d, (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60));
}
