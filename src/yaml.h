/* A reader for the YAML subset kubeconfigs are written in: block mappings
 * and sequences, plain and quoted scalars, comments, flow collections
 * (so JSON too). It builds a read-only tree; what the keys mean is left
 * to config.c. A kubeconfig is read whole before parsing, so unlike the
 * wire parsers this one takes a complete buffer, not pushed pieces.
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KEVENTS_YAML_H
#define KEVENTS_YAML_H

#include <stddef.h>
#include <stdint.h>

/* A kubeconfig nests four levels deep; 32 leaves room for anything
 * sensible and bounds the parser's recursion. */
#define YAML_MAX_DEPTH 32
/* The largest real kubeconfigs, full of embedded certificates, stay far
 * below this; it bounds the memory a hostile file can claim. */
#define YAML_MAX_FILE (4u << 20)
/* One scalar: an embedded CA bundle of hundreds of certificates fits. */
#define YAML_MAX_SCALAR (1u << 20)
/* Nodes: a kubeconfig with a thousand contexts has some ten thousand;
 * the bound keeps a file of tiny nodes from claiming ~100 bytes each
 * for every two bytes of input. */
#define YAML_MAX_NODES (1u << 18)

enum yaml_kind {
	YAML_NULL,	/* empty value, ~, null */
	YAML_SCALAR,
	YAML_MAP,
	YAML_SEQ
};

struct yaml_node {
	enum yaml_kind kind;
	int line;			/* 1-based, where the node starts */
	int quoted;			/* a scalar written in quotes */
	const char *text;		/* scalar text, NUL-terminated */
	size_t len;			/* bytes in text (no NUL inside) */
	const char *key;		/* key of a mapping value, or NULL */
	size_t key_len;
	const struct yaml_node *child;	/* first entry of a map or sequence */
	const struct yaml_node *next;	/* next entry of the parent */

	/* Private: positions inside the arenas while the tree grows. */
	size_t text_off_, key_off_;
	uint32_t child_ix_, next_ix_, last_ix_;
};

/* The tree of one document. Zeroed is a valid empty document; the nodes
 * and their text live in two arenas that yaml_free() releases. */
struct yaml_doc {
	const struct yaml_node *root;	/* never NULL after a success */
	struct yaml_node *nodes_;
	size_t n_nodes_, cap_nodes_;
	char *text_;
	size_t n_text_, cap_text_;
};

/* Parses src (len bytes, need not be NUL-terminated) as one document.
 * file names the source in messages. Returns 0, or -1 with one line in
 * err ending in "at FILE:LINE"; anything outside the subset (anchors,
 * aliases, tags, block scalars, complex keys, several documents) reads
 * "unsupported YAML: WHAT at FILE:LINE". Messages never quote values.
 * Within one mapping a repeated key is kept; yaml_get() finds the first. */
int yaml_parse(struct yaml_doc *doc, const char *src, size_t len,
    const char *file, char *err, size_t errlen);

void yaml_free(struct yaml_doc *doc);

/* The value of key in map, or NULL if map is not a mapping (NULL
 * included) or has no such key. */
const struct yaml_node *yaml_get(const struct yaml_node *map,
    const char *key);

/* "a mapping", "a sequence", "a string", "empty": for messages. */
const char *yaml_kind_name(enum yaml_kind kind);

#endif
