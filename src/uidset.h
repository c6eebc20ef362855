/* A set of event UIDs with a small value each (the last count seen),
 * used to print each event once. Open addressing on the 128-bit value of
 * a canonical UUID; other strings are hashed into the same key space and
 * kept in full beside it to compare on a collision.
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KEVENTS_UIDSET_H
#define KEVENTS_UIDSET_H

#include <stddef.h>
#include <stdint.h>

struct uidset;

struct uidset *uidset_new(void);
void uidset_free(struct uidset *s);

/* Inserts uid or updates its value. Returns 1 if it was new, 0 if it was
 * there (value replaced), -1 when out of memory (set unchanged). */
int uidset_put(struct uidset *s, const char *uid, size_t len,
    uint32_t value);

/* 1 and *value set if present, else 0. value may be NULL. */
int uidset_get(const struct uidset *s, const char *uid, size_t len,
    uint32_t *value);

/* 1 if it was there and is now gone, else 0. */
int uidset_del(struct uidset *s, const char *uid, size_t len);

size_t uidset_count(const struct uidset *s);

/* Bytes the set holds on the heap (table plus any full-string keys). */
size_t uidset_memory(const struct uidset *s);

/* Pruning to a full list (polling): uidset_mark() flags an entry seen
 * in this list (returns 1 if present); uidset_sweep() deletes every
 * unflagged entry, clears the flags and returns how many went. */
int uidset_mark(struct uidset *s, const char *uid, size_t len);
size_t uidset_sweep(struct uidset *s);

/* For tests: replaces the hash of non-UUID keys (NULL restores the
 * built-in one) so that collisions can be forced. Call only while no
 * set holds a non-UUID key. */
void uidset_test_string_hash(uint64_t (*hash)(const char *, size_t));

#endif
