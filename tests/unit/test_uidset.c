/* Tests of the UID set against a plain reference array: millions of
 * keys, UUID and other keys mixed, forced hash collisions, mark and
 * sweep, and the memory each entry costs.
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "uidset.h"

/* Key i: a random-looking UUID, or every seventh a non-UUID name. */
static size_t
key_of(char *out, uint32_t i, int upper)
{
	uint64_t a = (uint64_t)i * 0x9e3779b97f4a7c15ull + 0x1234567;
	uint64_t b = a ^ (a >> 29) ^ ((uint64_t)i << 40);

	if (i % 7 == 3) {
		return (size_t)sprintf(out, "event-%u.17c9f%x", i, i * 31);
	}
	return (size_t)sprintf(out, upper ? "%08X-%04X-4%03X-%04X-%012llX" :
	    "%08x-%04x-4%03x-%04x-%012llx", (unsigned)(a >> 32),
	    (unsigned)(a >> 16 & 0xffff), (unsigned)(a & 0xfff),
	    (unsigned)(b >> 48 | 0x8000), (unsigned long long)(b &
	    0xffffffffffffull));
}

TEST(uidset_basic)
{
	struct uidset *s = uidset_new();
	const char *u = "5f0c1d2e-3a4b-4c5d-9e6f-7a8b9c0d1e2f";
	const char *U = "5F0C1D2E-3A4B-4C5D-9E6F-7A8B9C0D1E2F";
	uint32_t v = 0;

	CHECK_INT(uidset_count(s), 0);
	CHECK_INT(uidset_get(s, u, 36, &v), 0);
	CHECK_INT(uidset_put(s, u, 36, 3), 1);
	CHECK_INT(uidset_put(s, U, 36, 4), 0);
	CHECK_INT(uidset_get(s, u, 36, &v), 1);
	CHECK_INT(v, 4);
	CHECK_INT(uidset_get(s, u, 35, NULL), 0);
	CHECK_INT(uidset_put(s, "", 0, 9), 1);
	CHECK_INT(uidset_put(s, "not-a-uuid", 10, 1), 1);
	CHECK_INT(uidset_put(s, "5f0c1d2e-3a4b-4c5d-9e6f-7a8b9c0d1e2g", 36, 2),
	    1);
	CHECK_INT(uidset_count(s), 4);
	CHECK_INT(uidset_get(s, "", 0, &v), 1);
	CHECK_INT(v, 9);
	CHECK_INT(uidset_del(s, u, 36), 1);
	CHECK_INT(uidset_del(s, u, 36), 0);
	CHECK_INT(uidset_get(s, U, 36, NULL), 0);
	CHECK_INT(uidset_get(s, "not-a-uuid", 10, &v), 1);
	CHECK_INT(v, 1);
	CHECK_INT(uidset_count(s), 3);
	uidset_free(s);
	uidset_free(NULL);
}

TEST(uidset_millions_against_reference)
{
	enum { N = 2000000 };
	struct uidset *s = uidset_new();
	/* ref[i]: the value of key i plus one, 0 when absent. */
	uint32_t *ref = calloc(N, sizeof(*ref));
	char key[64];
	size_t len, count = 0, mem;
	uint32_t i, v;
	int bad = 0;

	/* Everything in, values checked, then every other key out. */
	for (i = 0; i < N; i++) {
		len = key_of(key, i, i % 5 == 0);
		bad += uidset_put(s, key, len, i ^ 0xabcd) != 1;
		ref[i] = (i ^ 0xabcd) + 1;
	}
	count = N;
	CHECK_INT(bad, 0);
	CHECK_INT(uidset_count(s), N);
	mem = uidset_memory(s);
	printf("  uidset: %d keys, %zu bytes, %.1f bytes per key\n", N, mem,
	    (double)mem / N);
	/* 2^22 slots of 24 bytes plus, for one key in seven, its text and
	 * a side-table entry (24 bytes, at most half unused). */
	CHECK(mem <= ((size_t)24 << 22) + (size_t)N / 7 * (24 + 48) + 65536);
	for (i = 0; i < N; i += 2) {
		len = key_of(key, i, 0);
		bad += uidset_del(s, key, len) != 1;
		ref[i] = 0;
		count--;
	}
	CHECK_INT(bad, 0);
	CHECK_INT(uidset_count(s), count);

	/* Random operations over the same keys, checked as they go. */
	for (i = 0; i < N; i++) {
		uint32_t k = harness_rand() % N, op = harness_rand() % 3;
		int r;

		len = key_of(key, k, (int)(op & 1));
		if (op == 0) {
			r = uidset_put(s, key, len, i);
			bad += r != (ref[k] == 0);
			count += ref[k] == 0;
			ref[k] = i + 1;
		} else if (op == 1) {
			r = uidset_del(s, key, len);
			bad += r != (ref[k] != 0);
			count -= ref[k] != 0;
			ref[k] = 0;
		} else {
			r = uidset_get(s, key, len, &v);
			bad += r != (ref[k] != 0) || (r && v != ref[k] - 1);
		}
	}
	CHECK_INT(bad, 0);
	CHECK_INT(uidset_count(s), count);
	for (i = 0; i < N; i++) {
		len = key_of(key, i, 0);
		if (uidset_get(s, key, len, &v) != (ref[i] != 0) ||
		    (ref[i] != 0 && v != ref[i] - 1)) {
			bad++;
		}
	}
	CHECK_INT(bad, 0);

	/* Emptied, the table shrinks back. */
	for (i = 0; i < N; i++) {
		len = key_of(key, i, 1);
		uidset_del(s, key, len);
	}
	CHECK_INT(uidset_count(s), 0);
	CHECK(uidset_memory(s) < 4096);
	uidset_free(s);
	free(ref);
}

TEST(uidset_memory_per_entry)
{
	/* At the design load (3/4), a UUID entry costs 24 / 0.75 = 32
	 * bytes; just after a doubling, 64. */
	struct uidset *s = uidset_new();
	size_t n = (size_t)3 << 19, i, len, mem;
	char key[64];

	for (i = 0; i < n; i++) {
		len = key_of(key, (uint32_t)(i * 7), 0);
		uidset_put(s, key, len, 1);
	}
	mem = uidset_memory(s);
	CHECK_INT(uidset_count(s), n);
	printf("  uidset: %zu UUID keys at load 3/4: %.2f bytes per key\n",
	    n, (double)mem / (double)n);
	CHECK(mem <= n * 32 + 1024);
	len = key_of(key, (uint32_t)(n * 7), 0);
	uidset_put(s, key, len, 1);
	mem = uidset_memory(s);
	CHECK(mem <= (n + 1) * 64 + 1024);
	CHECK(mem > n * 32 + 1024);
	uidset_free(s);
}

static uint64_t
constant_hash(const char *s, size_t len)
{
	return 42;
}

TEST(uidset_forced_collisions)
{
	struct uidset *s;
	char key[64];
	size_t len;
	uint32_t i, v;
	int bad = 0;

	/* Every non-UUID key gets one hash: only the full compare tells
	 * them apart, and deletions must keep the cluster reachable. */
	uidset_test_string_hash(constant_hash);
	s = uidset_new();
	for (i = 0; i < 300; i++) {
		len = (size_t)sprintf(key, "name-%u", i);
		bad += uidset_put(s, key, len, i) != 1;
	}
	for (i = 0; i < 300; i += 3) {
		len = (size_t)sprintf(key, "name-%u", i);
		bad += uidset_del(s, key, len) != 1;
	}
	for (i = 0; i < 300; i++) {
		len = (size_t)sprintf(key, "name-%u", i);
		if (i % 3 == 0) {
			bad += uidset_get(s, key, len, NULL) != 0;
		} else {
			bad += uidset_get(s, key, len, &v) != 1 || v != i;
		}
	}
	bad += uidset_get(s, "name-3000", 9, NULL) != 0;

	/* A UUID whose bits equal a text key's hash is still another key. */
	bad += uidset_put(s, "00000000-0000-002a-0000-000000000000", 36,
	    7) != 1;
	bad += uidset_get(s, "name-1", 6, &v) != 1 || v != 1;
	CHECK_INT(bad, 0);
	CHECK_INT(uidset_count(s), 201);
	uidset_free(s);
	uidset_test_string_hash(NULL);
}

TEST(uidset_mark_sweep)
{
	struct uidset *s = uidset_new();
	char key[64];
	size_t len, gone;
	uint32_t i;
	int bad = 0;

	for (i = 0; i < 30000; i++) {
		len = key_of(key, i, 0);
		uidset_put(s, key, len, i);
	}
	for (i = 0; i < 30000; i += 3) {
		len = key_of(key, i, 1);
		bad += uidset_mark(s, key, len) != 1;
	}
	CHECK_INT(uidset_mark(s, "absent", 6), 0);
	gone = uidset_sweep(s);
	CHECK_INT(gone, 20000);
	CHECK_INT(uidset_count(s), 10000);
	for (i = 0; i < 30000; i++) {
		len = key_of(key, i, 0);
		bad += uidset_get(s, key, len, NULL) != (i % 3 == 0);
	}
	CHECK_INT(bad, 0);

	/* The marks were cleared: a sweep with none empties the set. */
	CHECK_INT(uidset_sweep(s), 10000);
	CHECK_INT(uidset_count(s), 0);
	CHECK_INT(uidset_sweep(s), 0);
	uidset_free(s);
}
