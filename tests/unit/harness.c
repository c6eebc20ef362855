/* Runner for the unit tests registered with TEST(); see harness.h.
 * Usage: unit-tests [NAME-SUBSTRING...] runs the matching cases only.
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>

#include "harness.h"

static struct test_case *cases;
static int case_failed;
static const char *case_name;

void
harness_register(struct test_case *tc)
{
	tc->next = cases;
	cases = tc;
}

int
harness_check(int ok, const char *what, const char *file, int line)
{
	if (!ok) {
		printf("FAIL %s: %s:%d: %s\n", case_name, file, line, what);
		case_failed = 1;
	}
	return ok;
}

int
harness_check_int(long long got, long long want, const char *what,
    const char *file, int line)
{
	if (got != want) {
		printf("FAIL %s: %s:%d: %s: got %lld, want %lld\n", case_name,
		    file, line, what, got, want);
		case_failed = 1;
		return 0;
	}
	return 1;
}

int
harness_check_str(const char *got, const char *want, const char *what,
    const char *file, int line)
{
	if (got == NULL || want == NULL ? got != want : strcmp(got, want)) {
		printf("FAIL %s: %s:%d: %s: got \"%s\", want \"%s\"\n",
		    case_name, file, line, what, got ? got : "(null)",
		    want ? want : "(null)");
		case_failed = 1;
		return 0;
	}
	return 1;
}

int
harness_check_mem(const void *got, size_t got_len, const void *want,
    size_t want_len, const char *what, const char *file, int line)
{
	if (got_len != want_len || memcmp(got, want, got_len)) {
		printf("FAIL %s: %s:%d: %s: got %zu bytes \"%.*s\", "
		    "want %zu bytes \"%.*s\"\n", case_name, file, line, what,
		    got_len, (int)(got_len > 200 ? 200 : got_len),
		    (const char *)got, want_len,
		    (int)(want_len > 200 ? 200 : want_len),
		    (const char *)want);
		case_failed = 1;
		return 0;
	}
	return 1;
}

static uint32_t rand_state = 0x9e3779b9u;

uint32_t
harness_rand(void)
{
	/* xorshift32: plenty for choosing split points. */
	rand_state ^= rand_state << 13;
	rand_state ^= rand_state >> 17;
	rand_state ^= rand_state << 5;
	return rand_state;
}

static int
selected(const char *name, int argc, char **argv)
{
	int i;

	if (argc < 2) {
		return 1;
	}
	for (i = 1; i < argc; i++) {
		if (strstr(name, argv[i]) != NULL) {
			return 1;
		}
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct test_case *tc, *rev = NULL, *next;
	int passed = 0, failed = 0;

	/* Constructors ran in link order but pushed onto a stack; reverse it
	 * so that cases run in the order they were written. */
	for (tc = cases; tc != NULL; tc = next) {
		next = tc->next;
		tc->next = rev;
		rev = tc;
	}
	for (tc = rev; tc != NULL; tc = tc->next) {
		if (!selected(tc->name, argc, argv)) {
			continue;
		}
		case_name = tc->name;
		case_failed = 0;
		tc->run();
		if (case_failed) {
			failed++;
		} else {
			passed++;
		}
	}
	fflush(stdout);
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
