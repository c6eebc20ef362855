/* A minimal unit-test harness: TEST() registers a case at start-up,
 * CHECK*() record failures without stopping the case, and the runner in
 * harness.c prints one line per failed check and "N passed, N failed".
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KEVENTS_HARNESS_H
#define KEVENTS_HARNESS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct test_case {
	const char *name;
	void (*run)(void);
	struct test_case *next;
};

void harness_register(struct test_case *tc);
int harness_check(int ok, const char *what, const char *file, int line);
int harness_check_int(long long got, long long want, const char *what,
    const char *file, int line);
int harness_check_str(const char *got, const char *want, const char *what,
    const char *file, int line);
int harness_check_mem(const void *got, size_t got_len, const void *want,
    size_t want_len, const char *what, const char *file, int line);

/* Deterministic pseudo-random numbers so that "random splits" repeat. */
uint32_t harness_rand(void);

#define TEST(name) \
	static void test_##name(void); \
	static struct test_case tc_##name = { #name, test_##name, NULL }; \
	__attribute__((constructor)) static void reg_##name(void) \
	{ \
		harness_register(&tc_##name); \
	} \
	static void test_##name(void)

#define CHECK(cond) harness_check(!!(cond), #cond, __FILE__, __LINE__)
#define CHECK_INT(got, want) \
	harness_check_int((long long)(got), (long long)(want), \
	    #got " == " #want, __FILE__, __LINE__)
#define CHECK_STR(got, want) \
	harness_check_str((got), (want), #got " == " #want, __FILE__, __LINE__)
#define CHECK_MEM(got, glen, want, wlen) \
	harness_check_mem((got), (glen), (want), (wlen), #got " == " #want, \
	    __FILE__, __LINE__)

#endif
