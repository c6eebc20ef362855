/* Tests for calendar arithmetic.
 * SPDX-License-Identifier: Apache-2.0 */
#include "civil.h"
#include "harness.h"

#include <stdio.h>

TEST(civil_known_dates)
{
	char buf[32];

	CHECK_INT(civil_to_unix(1970, 1, 1, 0, 0, 0), 0);
	CHECK_INT(civil_to_unix(2000, 3, 1, 0, 0, 0), 951868800);
	CHECK_INT(civil_to_unix(2024, 2, 29, 12, 30, 15), 1709209815);
	CHECK_INT(civil_to_unix(1969, 12, 31, 23, 59, 59), -1);
	CHECK_INT(civil_to_unix(2106, 2, 7, 6, 28, 16), 4294967296LL);
	civil_format(1709209815, buf);
	CHECK_STR(buf, "2024-02-29T12:30:15Z");
	civil_format(-1, buf);
	CHECK_STR(buf, "1969-12-31T23:59:59Z");
}

TEST(civil_validity)
{
	CHECK(civil_valid(2000, 2, 29, 0, 0, 0));
	CHECK(civil_valid(2024, 2, 29, 0, 0, 0));
	CHECK(!civil_valid(1900, 2, 29, 0, 0, 0));
	CHECK(!civil_valid(2023, 2, 29, 0, 0, 0));
	CHECK(!civil_valid(2024, 4, 31, 0, 0, 0));
	CHECK(!civil_valid(2024, 13, 1, 0, 0, 0));
	CHECK(!civil_valid(2024, 0, 1, 0, 0, 0));
	CHECK(!civil_valid(2024, 1, 0, 0, 0, 0));
	CHECK(civil_valid(2016, 12, 31, 23, 59, 60));
	CHECK(!civil_valid(2016, 12, 31, 24, 0, 0));
	CHECK(!civil_valid(2016, 12, 31, 23, 60, 0));
}

TEST(civil_round_trip)
{
	char buf[32], want[32];
	int64_t t;

	/* Every day over four centuries comes back as itself. */
	for (t = -2208988800LL; t < 10413792000LL; t += 86400 + 3661) {
		int64_t y;
		int m, d, hh, mm, ss;

		civil_format(t, buf);
		y = (buf[0] - '0') * 1000 + (buf[1] - '0') * 100 +
		    (buf[2] - '0') * 10 + (buf[3] - '0');
		m = (buf[5] - '0') * 10 + (buf[6] - '0');
		d = (buf[8] - '0') * 10 + (buf[9] - '0');
		hh = (buf[11] - '0') * 10 + (buf[12] - '0');
		mm = (buf[14] - '0') * 10 + (buf[15] - '0');
		ss = (buf[17] - '0') * 10 + (buf[18] - '0');
		if (!CHECK(civil_valid(y, m, d, hh, mm, ss)) ||
		    !CHECK_INT(civil_to_unix(y, m, d, hh, mm, ss), t)) {
			snprintf(want, sizeof want, "%lld", (long long)t);
			CHECK_STR(buf, want);
			break;
		}
	}
}
