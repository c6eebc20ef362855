/* Unit tests for the YAML-subset reader: each accepted form, each
 * refused form with its message and line, and the bounds.
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "yaml.h"

static struct yaml_doc doc;
static char err[512];

static const struct yaml_node *
parse(const char *text)
{
	if (yaml_parse(&doc, text, strlen(text), "kc", err,
	    sizeof err) != 0) {
		return NULL;
	}
	return doc.root;
}

/* Follows a dotted path: names are keys, digits index sequences. */
static const struct yaml_node *
at(const struct yaml_node *n, const char *path)
{
	char part[64];
	const char *dot;
	size_t len;
	int i;

	while (n != NULL && *path != '\0') {
		dot = strchr(path, '.');
		len = dot ? (size_t)(dot - path) : strlen(path);
		snprintf(part, sizeof part, "%.*s", (int)len, path);
		path += len + (dot != NULL);
		if (n->kind == YAML_SEQ) {
			n = n->child;
			for (i = atoi(part); n != NULL && i > 0; i--) {
				n = n->next;
			}
		} else {
			n = yaml_get(n, part);
		}
	}
	return n;
}

static const char *
text(const struct yaml_node *n)
{
	return n == NULL ? "(missing)" : n->kind == YAML_NULL ? "(null)" :
	    n->text;
}

/* Parses text expecting failure with exactly want as the message. */
static void
refused(const char *input, const char *want)
{
	if (!CHECK(parse(input) == NULL)) {
		printf("  accepted: %s\n", input);
		yaml_free(&doc);
		return;
	}
	CHECK_STR(err, want);
}

static const char kind_config[] =
"apiVersion: v1\n"
"clusters:\n"
"- cluster:\n"
"    certificate-authority-data: TFMwdExTMUNSVWRKVGlCRFJWSlU=\n"
"    server: https://127.0.0.1:39247\n"
"  name: kind-kind\n"
"contexts:\n"
"- context:\n"
"    cluster: kind-kind\n"
"    user: kind-kind\n"
"  name: kind-kind\n"
"current-context: kind-kind\n"
"kind: Config\n"
"preferences: {}\n"
"users:\n"
"- name: kind-kind\n"
"  user:\n"
"    client-certificate-data: Y2VydA==\n"
"    client-key-data: a2V5\n";

TEST(yaml_kubectl_layout)
{
	const struct yaml_node *r = parse(kind_config);

	if (!CHECK(r != NULL)) {
		printf("  %s\n", err);
		return;
	}
	CHECK_INT(r->kind, YAML_MAP);
	CHECK_STR(text(at(r, "apiVersion")), "v1");
	CHECK_INT(at(r, "clusters")->kind, YAML_SEQ);
	CHECK_STR(text(at(r, "clusters.0.cluster.server")),
	    "https://127.0.0.1:39247");
	CHECK_STR(text(at(r, "clusters.0.name")), "kind-kind");
	CHECK_INT(at(r, "clusters.0.name")->line, 6);
	CHECK_STR(text(at(r, "contexts.0.context.user")), "kind-kind");
	CHECK_STR(text(at(r, "current-context")), "kind-kind");
	CHECK_INT(at(r, "preferences")->kind, YAML_MAP);
	CHECK(at(r, "preferences")->child == NULL);
	CHECK_STR(text(at(r, "users.0.user.client-key-data")), "a2V5");
	CHECK(at(r, "clusters.1") == NULL);
	CHECK(at(r, "nope") == NULL);
	yaml_free(&doc);
}

TEST(yaml_every_prefix)
{
	size_t n, len = strlen(kind_config);
	char *copy = malloc(len);
	int ok = 0;

	/* Every prefix either parses or fails with a message; none may
	 * read past its end (ASan sees the exact-size copy). */
	for (n = 0; n <= len; n++) {
		memcpy(copy, kind_config, n);
		err[0] = '\0';
		if (yaml_parse(&doc, copy, n, "kc", err, sizeof err) == 0) {
			ok++;
			yaml_free(&doc);
		} else {
			CHECK(err[0] != '\0');
		}
	}
	CHECK(ok > 10);
	free(copy);
}

TEST(yaml_indented_sequences_and_nesting)
{
	const struct yaml_node *r = parse(
	    "a:\n"
	    "  - x\n"
	    "  -   y   \n"
	    "  -\n"
	    "  - - n1\n"
	    "    - n2\n"
	    "  - k: v\n"
	    "    k2: v2\n"
	    "b:\n"
	    "- 1\n"
	    "c: end\n");

	if (!CHECK(r != NULL)) {
		printf("  %s\n", err);
		return;
	}
	CHECK_STR(text(at(r, "a.0")), "x");
	CHECK_STR(text(at(r, "a.1")), "y");
	CHECK_INT(at(r, "a.2")->kind, YAML_NULL);
	CHECK_STR(text(at(r, "a.3.1")), "n2");
	CHECK_STR(text(at(r, "a.4.k2")), "v2");
	CHECK_STR(text(at(r, "b.0")), "1");
	CHECK_STR(text(at(r, "c")), "end");
	CHECK_INT(at(r, "c")->line, 11);
	yaml_free(&doc);
}

TEST(yaml_scalars)
{
	const struct yaml_node *r = parse(
	    "plain: some words here  # and a comment\n"
	    "hash: a#b\n"
	    "colon: http://h:1/x\n"
	    "single: 'it''s # not a comment'\n"
	    "double: \"tab\\there \\\"q\\\" \\\\ \\n \\/ "
	    "\\x41\\u00e9\\U0001F600\"\n"
	    "pair: \"\\ud83d\\ude00\"\n"
	    "empty:\n"
	    "tilde: ~\n"
	    "null_word: null\n"
	    "quoted_null: 'null'\n"
	    "emptyq: \"\"\n"
	    "\"quoted key\": 1\n"
	    "'single key': 2\n"
	    "dash: -1\n");

	if (!CHECK(r != NULL)) {
		printf("  %s\n", err);
		return;
	}
	CHECK_STR(text(at(r, "plain")), "some words here");
	CHECK_STR(text(at(r, "hash")), "a#b");
	CHECK_STR(text(at(r, "colon")), "http://h:1/x");
	CHECK_STR(text(at(r, "single")), "it's # not a comment");
	CHECK_INT(at(r, "single")->quoted, 1);
	CHECK_STR(text(at(r, "double")),
	    "tab\there \"q\" \\ \n / A\xc3\xa9\xf0\x9f\x98\x80");
	CHECK_STR(text(at(r, "pair")), "\xf0\x9f\x98\x80");
	CHECK_INT(at(r, "empty")->kind, YAML_NULL);
	CHECK_INT(at(r, "tilde")->kind, YAML_NULL);
	CHECK_INT(at(r, "null_word")->kind, YAML_NULL);
	CHECK_INT(at(r, "quoted_null")->kind, YAML_SCALAR);
	CHECK_INT(at(r, "emptyq")->kind, YAML_SCALAR);
	CHECK_INT(at(r, "emptyq")->len, 0);
	CHECK_STR(text(at(r, "quoted key")), "1");
	CHECK_STR(text(at(r, "single key")), "2");
	CHECK_STR(text(at(r, "dash")), "-1");
	yaml_free(&doc);
}

TEST(yaml_multiline_scalars)
{
	const struct yaml_node *r = parse(
	    "plain: first\n"
	    "  second\n"
	    "\n"
	    "  third\n"
	    "dq: \"a  \n"
	    "   b\\\n"
	    "   c\n"
	    "\n"
	    "   d\"\n"
	    "sq: 'x\n"
	    "  y'\n"
	    "next: 1\n");

	if (!CHECK(r != NULL)) {
		printf("  %s\n", err);
		return;
	}
	CHECK_STR(text(at(r, "plain")), "first second\nthird");
	CHECK_STR(text(at(r, "dq")), "a bc\nd");
	CHECK_STR(text(at(r, "sq")), "x y");
	CHECK_STR(text(at(r, "next")), "1");
	CHECK_INT(at(r, "next")->line, 12);
	yaml_free(&doc);
}

TEST(yaml_flow_forms)
{
	const struct yaml_node *r = parse(
	    "m: {a: 1, 'b': \"2\", c: , d}\n"
	    "s: [x, 'y', [z], {k: v}, ]\n"
	    "e: []\n"
	    "f: {\n"
	    "  g: h,   # comment\n"
	    "  i: [1,\n"
	    "      2]\n"
	    "}\n"
	    "url: {u: http://h:6443}\n");

	if (!CHECK(r != NULL)) {
		printf("  %s\n", err);
		return;
	}
	CHECK_STR(text(at(r, "m.a")), "1");
	CHECK_STR(text(at(r, "m.b")), "2");
	CHECK_INT(at(r, "m.c")->kind, YAML_NULL);
	CHECK_INT(at(r, "m.d")->kind, YAML_NULL);
	CHECK_STR(text(at(r, "s.1")), "y");
	CHECK_STR(text(at(r, "s.2.0")), "z");
	CHECK_STR(text(at(r, "s.3.k")), "v");
	CHECK(at(r, "s.4") == NULL);
	CHECK_INT(at(r, "e")->kind, YAML_SEQ);
	CHECK(at(r, "e")->child == NULL);
	CHECK_STR(text(at(r, "f.i.1")), "2");
	CHECK_INT(at(r, "f.i.1")->line, 7);
	CHECK_STR(text(at(r, "url.u")), "http://h:6443");
	yaml_free(&doc);
}

TEST(yaml_json_document)
{
	const struct yaml_node *r = parse(
	    "{\n"
	    "  \"kind\": \"Config\",\n"
	    "  \"clusters\": [{\"name\":\"c\",\"cluster\":{\"server\":"
	    "\"https://[::1]:6443\",\"insecure-skip-tls-verify\":true}}],\n"
	    "  \"users\": [],\n"
	    "  \"n\": null, \"x\": -1.5e3, \"esc\": \"a\\/b\\u0041\"\n"
	    "}\n");

	if (!CHECK(r != NULL)) {
		printf("  %s\n", err);
		return;
	}
	CHECK_STR(text(at(r, "kind")), "Config");
	CHECK_STR(text(at(r, "clusters.0.cluster.server")),
	    "https://[::1]:6443");
	CHECK_STR(text(at(r, "clusters.0.cluster.insecure-skip-tls-verify")),
	    "true");
	CHECK_INT(at(r, "n")->kind, YAML_NULL);
	CHECK_STR(text(at(r, "x")), "-1.5e3");
	CHECK_STR(text(at(r, "esc")), "a/bA");
	yaml_free(&doc);
}

TEST(yaml_crlf_bom_markers_comments)
{
	const struct yaml_node *r = parse(
	    "\xef\xbb\xbf# leading comment\r\n"
	    "---\r\n"
	    "a: 1\r\n"
	    "\t\r\n"
	    "# comment\r\n"
	    "  # indented comment\r\n"
	    "b:\r\n"
	    "- 'x'\r\n"
	    "c: \"y\"\r\n"
	    "...\r\n"
	    "# trailing\r\n");

	if (!CHECK(r != NULL)) {
		printf("  %s\n", err);
		return;
	}
	CHECK_STR(text(at(r, "a")), "1");
	CHECK_STR(text(at(r, "b.0")), "x");
	CHECK_STR(text(at(r, "c")), "y");
	CHECK_INT(at(r, "c")->line, 9);
	yaml_free(&doc);

	r = parse("");
	CHECK(r != NULL && r->kind == YAML_NULL);
	yaml_free(&doc);
	r = parse("# nothing\n\n---\n");
	CHECK(r != NULL && r->kind == YAML_NULL);
	yaml_free(&doc);
	r = parse("just a scalar");
	CHECK_STR(text(r), "just a scalar");
	yaml_free(&doc);
}

TEST(yaml_refused_forms)
{
	refused("a: 1\n\tb: 2\n",
	    "tabs are not allowed for indentation at kc:2");
	refused("a:\n  b: &x 1\n", "unsupported YAML: anchors (&) at kc:2");
	refused("a: *x\n", "unsupported YAML: aliases (*) at kc:1");
	refused("a: !!str 1\n", "unsupported YAML: tags (!) at kc:1");
	refused("a: |\n  text\n",
	    "unsupported YAML: block scalars (|) at kc:1");
	refused("a: >-\n  text\n",
	    "unsupported YAML: block scalars (>) at kc:1");
	refused("? a\n: b\n", "unsupported YAML: complex keys (?) at kc:1");
	refused("a: 1\n---\nb: 2\n",
	    "unsupported YAML: several documents (---) at kc:2");
	refused("a: 1\n...\nb: 2\n",
	    "invalid YAML: unexpected content (bad indentation?) at kc:3");
	refused("%YAML 1.2\n---\na: 1\n",
	    "unsupported YAML: directives (%) at kc:1");
	refused("a: 1\n[x]: 2\n",
	    "unsupported YAML: a flow collection as a key at kc:2");
	refused("{a: 1}: 2\n",
	    "unsupported YAML: a flow collection as a key at kc:1");
	refused("a: [b: c]\n",
	    "unsupported YAML: a \"key: value\" inside a flow sequence "
	    "at kc:1");
	refused("--- a\n", "unsupported YAML: a node on the --- line at kc:1");
	refused("a: \"\\0\"\n",
	    "unsupported YAML: a NUL character (\\0) in a string at kc:1");
}

TEST(yaml_errors_name_the_line)
{
	refused("a: b: c\n",
	    "invalid YAML: a \"key: value\" is not allowed here at kc:1");
	refused("a: - b\n",
	    "invalid YAML: a sequence cannot start on its key's line at kc:1");
	refused("a:\n  b: 1\n   c: 2\n",
	    "invalid YAML: a \"key: value\" is not allowed here at kc:3");
	refused("a:\n  b:\n    c: 1\n   d: 2\n",
	    "invalid YAML: bad indentation (a key at column 4, expected 3) "
	    "at kc:4");
	refused("a: 1\n  b: 2\n",
	    "invalid YAML: a \"key: value\" is not allowed here at kc:2");
	refused("a:\n  - 1\n - 2\n",
	    "invalid YAML: bad indentation (a key at column 2, "
	    "expected 1) at kc:3");
	refused("- [a]\n  - b\n",
	    "invalid YAML: bad indentation (an entry at column 3, "
	    "expected 1) at kc:2");
	refused("x: 'open\n\nb: 1\n",
	    "invalid YAML: a quoted string has no end at kc:1");
	refused("x: {a: 1\n", "invalid YAML: a flow collection ({) has no end "
	    "at kc:1");
	refused("x: [a b c\n", "invalid YAML: a flow collection ([) has no "
	    "end at kc:1");
	refused("x: {a: 1} y\n",
	    "invalid YAML: unexpected text after a flow collection at kc:1");
	refused("x: \"a\" y\n",
	    "invalid YAML: unexpected text after a quoted string at kc:1");
	refused("x: \"\\q\"\n",
	    "invalid YAML: an unknown escape in a double-quoted string "
	    "at kc:1");
	refused("x: \"\\u12\"\n", "invalid YAML: a \\x, \\u or \\U escape "
	    "needs 4 hex digits at kc:1");
	refused("x: \"\\ud800\"\n",
	    "invalid YAML: an escape names no Unicode character at kc:1");
	refused("a: 1\nb: 2\x01\n",
	    "invalid YAML: a control character (0x01) at kc:2");
	refused("a: 1\njust words\n",
	    "invalid YAML: expected \"key: value\" at kc:2");
	refused("- a\nb: 1\n",
	    "invalid YAML: unexpected content (bad indentation?) at kc:2");
	refused("a: 1\n- b\n",
	    "invalid YAML: a sequence entry where a key was expected at kc:2");
	refused("a: @x\n", "invalid YAML: a reserved character (@) starts a "
	    "scalar at kc:1");
	refused("a: ]\n", "invalid YAML: an unexpected ']' at kc:1");
}

TEST(yaml_bounds)
{
	char *big, *p;
	size_t i, n;

	/* Nesting: 32 levels parse, 33 do not. */
	big = malloc(YAML_MAX_FILE + 16);
	for (n = 31; n <= 33; n += 2) {
		p = big;
		for (i = 0; i < n; i++) {
			*p++ = '[';
		}
		for (i = 0; i < n; i++) {
			*p++ = ']';
		}
		*p = '\0';
		if (n == 31) {
			CHECK(parse(big) != NULL);
			yaml_free(&doc);
		} else {
			refused(big, "invalid YAML: nested deeper than 32 "
			    "levels at kc:1");
		}
	}

	/* A scalar over the bound. */
	memcpy(big, "a: ", 3);
	memset(big + 3, 'x', YAML_MAX_SCALAR + 1);
	big[YAML_MAX_SCALAR + 4] = '\0';
	refused(big, "invalid YAML: a scalar longer than 1048576 bytes at "
	    "kc:1");

	/* Too many nodes. */
	big[0] = '[';
	for (i = 0; i <= YAML_MAX_NODES; i++) {
		memcpy(big + 1 + i * 2, "a,", 2);
	}
	big[1 + i * 2] = '\0';
	refused(big, "invalid YAML: more than 262144 nodes at kc:1");

	/* A file over the bound. */
	memset(big, '#', YAML_MAX_FILE + 1);
	CHECK_INT(yaml_parse(&doc, big, YAML_MAX_FILE + 1, "kc", err,
	    sizeof err), -1);
	CHECK_STR(err, "invalid YAML: the file is larger than 4194304 bytes "
	    "at kc:1");
	free(big);
}

TEST(yaml_get_and_names)
{
	const struct yaml_node *r = parse("a: 1\na: 2\n");

	CHECK(r != NULL);
	CHECK_STR(text(yaml_get(r, "a")), "1");
	CHECK(yaml_get(NULL, "a") == NULL);
	CHECK(yaml_get(yaml_get(r, "a"), "a") == NULL);
	CHECK_STR(yaml_kind_name(YAML_SEQ), "a sequence");
	yaml_free(&doc);
	yaml_free(&doc);
}
