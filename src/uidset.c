/* The UID set: linear probing over 24-byte slots with backward-shift
 * deletion (no tombstones), doubling on growth and halving when sparse.
 * Non-UUID keys keep their full text in a side table.
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include "uidset.h"

/* The table grows past 3/4 full and shrinks below 1/8: between the two
 * a live entry costs 24 bytes / load, 32 to 64 bytes right after a
 * doubling. */
#define MIN_SLOTS 16

#define META_USED 1u
#define META_MARK 2u
#define META_STRING 4u		/* hi: the text's hash, lo: its index */

struct slot {
	uint64_t hi, lo;
	uint32_t value;
	uint32_t meta;
};

/* A full-text key; a free entry has text NULL and next the following
 * free index. */
struct text_key {
	char *text;
	size_t len;
	size_t next;
};

struct uidset {
	struct slot *slots;
	size_t mask;		/* slots - 1, a power of two minus one */
	size_t count;
	struct text_key *texts;
	size_t ntexts, texts_cap, free_text;
	size_t text_live, text_bytes;
};

struct key {
	uint64_t hi, lo;
	int text;		/* not a UUID: hi is the hash */
	const char *uid;
	size_t len;
};

static uint64_t default_text_hash(const char *s, size_t len);
static uint64_t (*text_hash)(const char *, size_t) = default_text_hash;

void
uidset_test_string_hash(uint64_t (*hash)(const char *, size_t))
{
	text_hash = hash != NULL ? hash : default_text_hash;
}

/* A multiply-xorshift finaliser: every input bit reaches every output
 * bit, so the low bits that pick a slot are well spread. */
static uint64_t
mix(uint64_t x)
{
	x ^= x >> 32;
	x *= 0xd6e8feb86659fd93ull;
	x ^= x >> 32;
	x *= 0xd6e8feb86659fd93ull;
	x ^= x >> 32;
	return x;
}

static uint64_t
default_text_hash(const char *s, size_t len)
{
	uint64_t h = 0x9e3779b97f4a7c15ull ^ (uint64_t)len, w;

	while (len >= 8) {
		memcpy(&w, s, 8);
		h = (h ^ mix(w)) * 0xff51afd7ed558ccdull;
		s += 8;
		len -= 8;
	}
	w = 0;
	memcpy(&w, s, len);
	h = (h ^ mix(w ^ 0x5555)) * 0xff51afd7ed558ccdull;
	return mix(h);
}

/* Hex digit values plus one; 0 for anything else. */
static const uint8_t hex_digit[256] = {
	['0'] = 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
	['A'] = 11, 12, 13, 14, 15, 16,
	['a'] = 11, 12, 13, 14, 15, 16,
};

/* Up to 16 hex digits of s into v; -1 on a non-digit. */
static int
hex_run(const char *s, int n, uint64_t *v)
{
	uint8_t d;
	int i;

	for (i = 0; i < n; i++) {
		d = hex_digit[(uint8_t)s[i]];
		if (d == 0) {
			return -1;
		}
		*v = *v << 4 | (uint64_t)(d - 1);
	}
	return 0;
}

/* 8-4-4-4-12 hex digits, either case, into 128 bits. */
static int
parse_uuid(const char *s, size_t len, uint64_t *hi, uint64_t *lo)
{
	*hi = 0;
	*lo = 0;
	if (len != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' ||
	    s[23] != '-') {
		return -1;
	}
	return hex_run(s, 8, hi) | hex_run(s + 9, 4, hi) |
	    hex_run(s + 14, 4, hi) | hex_run(s + 19, 4, lo) |
	    hex_run(s + 24, 12, lo);
}

static void
make_key(struct key *k, const char *uid, size_t len)
{
	k->uid = uid;
	k->len = len;
	k->text = parse_uuid(uid, len, &k->hi, &k->lo) != 0;
	if (k->text) {
		k->hi = text_hash(uid, len);
		k->lo = 0;
	}
}

static size_t
home_of(const struct slot *sl)
{
	if (sl->meta & META_STRING) {
		return (size_t)mix(sl->hi ^ 0x7465787400000000ull);
	}
	return (size_t)mix(sl->hi ^ mix(sl->lo));
}

static size_t
key_home(const struct key *k)
{
	struct slot sl;

	sl.hi = k->hi;
	sl.lo = k->lo;
	sl.meta = k->text ? META_STRING : 0;
	return home_of(&sl);
}

static int
matches(const struct uidset *s, const struct slot *sl, const struct key *k)
{
	const struct text_key *t;

	if (sl->hi != k->hi || !(sl->meta & META_STRING) != !k->text) {
		return 0;
	}
	if (!k->text) {
		return sl->lo == k->lo;
	}
	t = &s->texts[sl->lo];
	return t->len == k->len && memcmp(t->text, k->uid, k->len) == 0;
}

/* The slot holding k, or SIZE_MAX. */
static size_t
find(const struct uidset *s, const struct key *k)
{
	size_t i = key_home(k) & s->mask;

	while (s->slots[i].meta & META_USED) {
		if (matches(s, &s->slots[i], k)) {
			return i;
		}
		i = (i + 1) & s->mask;
	}
	return SIZE_MAX;
}

static void
place(struct slot *slots, size_t mask, const struct slot *sl)
{
	size_t i = home_of(sl) & mask;

	while (slots[i].meta & META_USED) {
		i = (i + 1) & mask;
	}
	slots[i] = *sl;
}

static int
resize(struct uidset *s, size_t nslots)
{
	struct slot *slots = calloc(nslots, sizeof(*slots));
	size_t i;

	if (slots == NULL) {
		return -1;
	}
	for (i = 0; i <= s->mask; i++) {
		if (s->slots[i].meta & META_USED) {
			place(slots, nslots - 1, &s->slots[i]);
		}
	}
	free(s->slots);
	s->slots = slots;
	s->mask = nslots - 1;
	return 0;
}

struct uidset *
uidset_new(void)
{
	struct uidset *s = calloc(1, sizeof(*s));

	if (s == NULL) {
		return NULL;
	}
	s->slots = calloc(MIN_SLOTS, sizeof(*s->slots));
	if (s->slots == NULL) {
		free(s);
		return NULL;
	}
	s->mask = MIN_SLOTS - 1;
	s->free_text = SIZE_MAX;
	return s;
}

void
uidset_free(struct uidset *s)
{
	size_t i;

	if (s == NULL) {
		return;
	}
	for (i = 0; i < s->ntexts; i++) {
		free(s->texts[i].text);
	}
	free(s->texts);
	free(s->slots);
	free(s);
}

/* Stores a copy of a non-UUID key; returns its index or SIZE_MAX. */
static size_t
text_add(struct uidset *s, const char *uid, size_t len)
{
	struct text_key *grown;
	char *copy = malloc(len > 0 ? len : 1);
	size_t i, cap;

	if (copy == NULL) {
		return SIZE_MAX;
	}
	memcpy(copy, uid, len);
	if (s->free_text != SIZE_MAX) {
		i = s->free_text;
		s->free_text = s->texts[i].next;
	} else {
		if (s->ntexts == s->texts_cap) {
			cap = s->texts_cap ? s->texts_cap * 2 : 16;
			grown = realloc(s->texts, cap * sizeof(*grown));
			if (grown == NULL) {
				free(copy);
				return SIZE_MAX;
			}
			s->texts = grown;
			s->texts_cap = cap;
		}
		i = s->ntexts++;
	}
	s->texts[i].text = copy;
	s->texts[i].len = len;
	s->text_bytes += len;
	s->text_live++;
	return i;
}

static void
text_drop(struct uidset *s, size_t i)
{
	s->text_bytes -= s->texts[i].len;
	free(s->texts[i].text);
	s->texts[i].text = NULL;
	s->texts[i].len = 0;
	s->texts[i].next = s->free_text;
	s->free_text = i;

	/* With no text key left the side table goes too, so that a set
	 * emptied by DELETED events is small again. */
	if (--s->text_live == 0) {
		free(s->texts);
		s->texts = NULL;
		s->ntexts = 0;
		s->texts_cap = 0;
		s->free_text = SIZE_MAX;
	}
}

int
uidset_put(struct uidset *s, const char *uid, size_t len, uint32_t value)
{
	struct key k;
	struct slot sl;
	size_t i, text, nslots = s->mask + 1;

	make_key(&k, uid, len);
	i = find(s, &k);
	if (i != SIZE_MAX) {
		s->slots[i].value = value;
		return 0;
	}

	/* Grow before adding so that a failure leaves the set as it was;
	 * a text key is copied last for the same reason. */
	if ((s->count + 1) * 4 > nslots * 3 && resize(s, nslots * 2) < 0) {
		return -1;
	}
	sl.hi = k.hi;
	sl.lo = k.lo;
	sl.value = value;
	sl.meta = META_USED;
	if (k.text) {
		text = text_add(s, uid, len);
		if (text == SIZE_MAX) {
			return -1;
		}
		sl.lo = text;
		sl.meta |= META_STRING;
	}
	place(s->slots, s->mask, &sl);
	s->count++;
	return 1;
}

int
uidset_get(const struct uidset *s, const char *uid, size_t len,
    uint32_t *value)
{
	struct key k;
	size_t i;

	make_key(&k, uid, len);
	i = find(s, &k);
	if (i == SIZE_MAX) {
		return 0;
	}
	if (value != NULL) {
		*value = s->slots[i].value;
	}
	return 1;
}

/* Empties slot i and pulls later members of its cluster back over the
 * hole, so that every probe still reaches its key without tombstones. */
static void
remove_at(struct uidset *s, size_t i)
{
	size_t j = i, home;

	if (s->slots[i].meta & META_STRING) {
		text_drop(s, (size_t)s->slots[i].lo);
	}
	for (;;) {
		j = (j + 1) & s->mask;
		if (!(s->slots[j].meta & META_USED)) {
			break;
		}

		/* A member may move back to i only if i lies between its
		 * home and where it sits now. */
		home = home_of(&s->slots[j]) & s->mask;
		if (((j - home) & s->mask) >= ((j - i) & s->mask)) {
			s->slots[i] = s->slots[j];
			i = j;
		}
	}
	memset(&s->slots[i], 0, sizeof(s->slots[i]));
	s->count--;
}

static void
maybe_shrink(struct uidset *s)
{
	size_t nslots = s->mask + 1;

	/* Failing to shrink only costs memory, so its error is ignored. */
	while (nslots > MIN_SLOTS && s->count * 8 < nslots) {
		nslots /= 2;
	}
	if (nslots != s->mask + 1) {
		(void)resize(s, nslots);
	}
}

int
uidset_del(struct uidset *s, const char *uid, size_t len)
{
	struct key k;
	size_t i;

	make_key(&k, uid, len);
	i = find(s, &k);
	if (i == SIZE_MAX) {
		return 0;
	}
	remove_at(s, i);
	maybe_shrink(s);
	return 1;
}

size_t
uidset_count(const struct uidset *s)
{
	return s->count;
}

size_t
uidset_memory(const struct uidset *s)
{
	return sizeof(*s) + (s->mask + 1) * sizeof(struct slot) +
	    s->texts_cap * sizeof(struct text_key) + s->text_bytes;
}

int
uidset_mark(struct uidset *s, const char *uid, size_t len)
{
	struct key k;
	size_t i;

	make_key(&k, uid, len);
	i = find(s, &k);
	if (i == SIZE_MAX) {
		return 0;
	}
	s->slots[i].meta |= META_MARK;
	return 1;
}

size_t
uidset_sweep(struct uidset *s)
{
	size_t start, n, i, gone = 0;

	/* Start just after an empty slot: no cluster then wraps past the
	 * start, and removal only pulls members back onto the slot being
	 * looked at, which is then looked at again. The table is never
	 * full, so there is an empty slot. */
	for (start = 0; s->slots[start].meta & META_USED; start++) {
	}
	for (n = 0; n <= s->mask; ) {
		i = (start + 1 + n) & s->mask;
		if (!(s->slots[i].meta & META_USED)) {
			n++;
		} else if (s->slots[i].meta & META_MARK) {
			s->slots[i].meta &= ~META_MARK;
			n++;
		} else {
			remove_at(s, i);
			gone++;
		}
	}
	maybe_shrink(s);
	return gone;
}
