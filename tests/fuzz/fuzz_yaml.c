/* libFuzzer target for the YAML-subset reader: any input either parses
 * into a well-formed tree or fails with a message.
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include "yaml.h"

static void
walk(const struct yaml_node *n, int depth)
{
	/* Every text is a C string of its stated length, every key too,
	 * and the tree is no deeper than the bound. */
	for (; n != NULL; n = n->next) {
		if (strlen(n->text) != n->len || depth > YAML_MAX_DEPTH + 1) {
			abort();
		}
		if (n->key != NULL && strlen(n->key) != n->key_len) {
			abort();
		}
		if (n->kind != YAML_MAP && n->kind != YAML_SEQ &&
		    n->child != NULL) {
			abort();
		}
		walk(n->child, depth + 1);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct yaml_doc doc;
	char err[256];

	if (yaml_parse(&doc, (const char *)data, size, "fuzz", err,
	    sizeof err) == 0) {
		walk(doc.root, 0);
		yaml_free(&doc);
	} else if (err[0] == '\0') {
		abort();
	}
	return 0;
}
