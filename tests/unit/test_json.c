/* Tests of the JSON tokenizer: token streams across every split, each
 * class of malformed input with its offset, escapes, capture and skip.
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "json.h"

/* The tokens seen, as text: "{0 K1:a S1:b }0". */
struct trace {
	char text[8192];
	size_t len;
	const char *skip_key;	/* JSON_SKIP after this key */
	const char *capture_key; /* capture the container after this key */
	int capture_next, capture_depth;
	uint8_t capture[1024];
	size_t capture_len;
	size_t capture_size;
	struct json_parser *parser;
};

static void
trace_add(struct trace *t, const char *fmt, int depth, const char *s,
    size_t len)
{
	char shown[4096];
	size_t i;
	int n;

	/* A NUL from \u0000 shows as '@' so that the trace stays text. */
	for (i = 0; i < len && i < sizeof(shown); i++) {
		shown[i] = s[i] == '\0' ? '@' : s[i];
	}
	n = snprintf(t->text + t->len, sizeof(t->text) - t->len, fmt, depth,
	    (int)i, shown);

	if (n > 0 && t->len + (size_t)n < sizeof(t->text)) {
		t->len += (size_t)n;
	}
}

static int
on_token(void *arg, enum json_token tok, int depth, const char *s,
    size_t len)
{
	struct trace *t = arg;
	struct json_parser *p = t->parser;

	switch (tok) {
	case JSON_OBJECT_START:
	case JSON_ARRAY_START:
		trace_add(t, tok == JSON_OBJECT_START ? "{%d%.*s " :
		    "[%d%.*s ", depth, NULL, 0);
		if (t->capture_next) {
			t->capture_next = 0;
			t->capture_depth = depth;
			json_capture_start(p, t->capture, t->capture_size);
		}
		return JSON_CONTINUE;
	case JSON_OBJECT_END:
	case JSON_ARRAY_END:
		trace_add(t, tok == JSON_OBJECT_END ? "}%d%.*s " :
		    "]%d%.*s ", depth, NULL, 0);
		if (t->capture_depth == depth) {
			t->capture_depth = -1;
			t->capture_len = json_capture_stop(p);
		}
		return JSON_CONTINUE;
	case JSON_KEY:
		trace_add(t, "K%d:%.*s ", depth, s, len);
		if (t->capture_key != NULL && len == strlen(t->capture_key) &&
		    memcmp(s, t->capture_key, len) == 0) {
			t->capture_next = 1;
		}
		if (t->skip_key != NULL && len == strlen(t->skip_key) &&
		    memcmp(s, t->skip_key, len) == 0) {
			return JSON_SKIP;
		}
		return JSON_CONTINUE;
	case JSON_STRING:
		trace_add(t, "S%d:%.*s ", depth, s, len);
		return JSON_CONTINUE;
	case JSON_NUMBER:
		trace_add(t, "N%d:%.*s ", depth, s, len);
		return JSON_CONTINUE;
	case JSON_TRUE:
		trace_add(t, "T%d%.*s ", depth, NULL, 0);
		return JSON_CONTINUE;
	case JSON_FALSE:
		trace_add(t, "F%d%.*s ", depth, NULL, 0);
		return JSON_CONTINUE;
	default:
		trace_add(t, "Z%d%.*s ", depth, NULL, 0);
		return JSON_CONTINUE;
	}
}

/* A trace followed by its parser, so that the callback finds both. */
struct run {
	struct trace t;
	struct json_parser p;
	int err;
	uint64_t offset;
};

struct options {
	int single;
	const char *skip_key, *capture_key;
	size_t scratch;
	size_t capture_size;
};

static char scratch_buf[1 << 16];

/* Tokenizes in pieces: step 0 whole, 1 byte by byte, -1 random. */
static void
run_split(struct run *r, const struct options *o, const char *in,
    size_t len, int step)
{
	size_t pos = 0, n;

	memset(r, 0, sizeof(*r));
	r->t.skip_key = o->skip_key;
	r->t.capture_key = o->capture_key;
	r->t.capture_depth = -1;
	r->t.capture_size = o->capture_size ? o->capture_size :
	    sizeof(r->t.capture);
	r->t.parser = &r->p;
	r->p.on_token = on_token;
	r->p.arg = &r->t;
	r->p.single = o->single;
	if (o->scratch) {
		json_set_scratch(&r->p, scratch_buf, o->scratch);
	}
	while (pos < len && r->err == 0) {
		n = step == 0 ? len - pos : step > 0 ? (size_t)step :
		    1 + harness_rand() % 17;
		if (n > len - pos) {
			n = len - pos;
		}

		/* A private copy per piece lets ASan catch reads past it. */
		{
			uint8_t *piece = malloc(n);

			memcpy(piece, in + pos, n);
			r->err = json_feed(&r->p, piece, n);
			free(piece);
		}
		pos += n;
	}
	if (r->err == 0) {
		r->err = json_finish(&r->p);
	}
	r->offset = json_error_offset(&r->p);
}

static struct run whole_run, part_run;

/* Runs whole, byte by byte, at random splits and (for short inputs) at
 * every single split point; all must agree. Leaves the whole run in
 * whole_run. */
static int
run_all(const struct options *o, const char *in)
{
	size_t len = strlen(in), cut;
	int ok = 1, i;

	run_split(&whole_run, o, in, len, 0);
	for (i = 0; i < 12; i++) {
		run_split(&part_run, o, in, len, i == 0 ? 1 : -1);
		ok &= CHECK_INT(part_run.err, whole_run.err);
		ok &= CHECK_INT(part_run.offset, whole_run.offset);
		ok &= CHECK_MEM(part_run.t.text, part_run.t.len,
		    whole_run.t.text, whole_run.t.len);
		ok &= CHECK_MEM(part_run.t.capture, part_run.t.capture_len,
		    whole_run.t.capture, whole_run.t.capture_len);
	}
	for (cut = 1; len < 300 && cut < len; cut++) {
		memset(&part_run, 0, sizeof(part_run));
		part_run.t.parser = &part_run.p;
		part_run.p.on_token = on_token;
		part_run.p.arg = &part_run.t;
		part_run.p.single = o->single;
		part_run.t.capture_key = o->capture_key;
		part_run.t.skip_key = o->skip_key;
		part_run.t.capture_depth = -1;
		part_run.t.capture_size = whole_run.t.capture_size;
		if (o->scratch) {
			json_set_scratch(&part_run.p, scratch_buf, o->scratch);
		}
		part_run.err = json_feed(&part_run.p, (const uint8_t *)in,
		    cut);
		if (part_run.err == 0) {
			part_run.err = json_feed(&part_run.p,
			    (const uint8_t *)in + cut, len - cut);
		}
		if (part_run.err == 0) {
			part_run.err = json_finish(&part_run.p);
		}
		part_run.offset = json_error_offset(&part_run.p);
		if (part_run.err != whole_run.err ||
		    part_run.offset != whole_run.offset ||
		    part_run.t.len != whole_run.t.len ||
		    memcmp(part_run.t.text, whole_run.t.text,
		    whole_run.t.len) != 0) {
			CHECK(!"split at one point disagrees");
			printf("  input %s cut %zu\n", in, cut);
			return 0;
		}
	}
	return ok;
}

static void
expect_tokens(const struct options *o, const char *in, const char *want)
{
	if (!run_all(o, in)) {
		printf("  input: %s\n", in);
	}
	CHECK_INT(whole_run.err, JSON_OK);
	if (!CHECK_MEM(whole_run.t.text, whole_run.t.len, want,
	    strlen(want))) {
		printf("  input: %s\n", in);
	}
}

static void
expect_error(const struct options *o, const char *in, int err,
    uint64_t offset)
{
	run_all(o, in);
	if (!CHECK_INT(whole_run.err, err) ||
	    !CHECK_INT(whole_run.offset, offset)) {
		printf("  input: %s (%s)\n", in, json_strerror(whole_run.err));
	}
}

static const struct options watch_opts = {0, NULL, NULL, 0, 0};
static const struct options single_opts = {1, NULL, NULL, 0, 0};

TEST(json_tokens_basic)
{
	expect_tokens(&single_opts,
	    "{\"a\":1,\"b\":[true,false,null],\"c\":{\"d\":\"e\"}}",
	    "{0 K1:a N1:1 K1:b [1 T2 F2 Z2 ]1 K1:c {1 K2:d S2:e }1 }0 ");
	expect_tokens(&single_opts, " [ ] ", "[0 ]0 ");
	expect_tokens(&single_opts, "{}", "{0 }0 ");
	expect_tokens(&single_opts, "\"x\"", "S0:x ");
	expect_tokens(&single_opts, "-0.5e+10", "N0:-0.5e+10 ");
	expect_tokens(&single_opts, "0", "N0:0 ");
	expect_tokens(&single_opts, "[-0,1E5,2.25,3e-2,10]",
	    "[0 N1:-0 N1:1E5 N1:2.25 N1:3e-2 N1:10 ]0 ");
	expect_tokens(&single_opts, "\t\r\n{ \"k\" :\n\"v v\" }\n",
	    "{0 K1:k S1:v v }0 ");
}

TEST(json_watch_framing)
{
	expect_tokens(&watch_opts, "{\"a\":1}\n{\"b\":2}\n",
	    "{0 K1:a N1:1 }0 {0 K1:b N1:2 }0 ");
	expect_tokens(&watch_opts, "{}{}[]", "{0 }0 {0 }0 [0 ]0 ");
	expect_tokens(&watch_opts, "1 2\n3", "N0:1 N0:2 N0:3 ");
	expect_tokens(&watch_opts, "", "");
	expect_tokens(&watch_opts, "  \n", "");
	expect_error(&watch_opts, "truefalse", JSON_ERR_SYNTAX, 4);
	expect_error(&watch_opts, "{\"a\":1}\n{\"b\":", JSON_ERR_TRUNCATED,
	    13);
	expect_error(&single_opts, "{} {}", JSON_ERR_TRAILING, 3);
	expect_error(&single_opts, "", JSON_ERR_TRUNCATED, 0);
	expect_error(&single_opts, "  ", JSON_ERR_TRUNCATED, 2);
	expect_error(&single_opts, "1 x", JSON_ERR_TRAILING, 2);
}

TEST(json_escapes)
{
	expect_tokens(&single_opts,
	    "[\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\"]",
	    "[0 S1:a\"b\\c/d\b\f\n\r\t ]0 ");
	expect_tokens(&single_opts, "[\"\\u0041\\u00e9\\u20AC\"]",
	    "[0 S1:A\xc3\xa9\xe2\x82\xac ]0 ");
	/* U+1F600 as a surrogate pair, and U+10FFFF. */
	expect_tokens(&single_opts, "[\"\\ud83d\\ude00\",\"\\uDBFF\\uDFFF\"]",
	    "[0 S1:\xf0\x9f\x98\x80 S1:\xf4\x8f\xbf\xbf ]0 ");
	expect_tokens(&single_opts,
	    "[\"\xc3\x9cn\xc3\xaf\x63\xc3\xb6\x64\xc3\xa9 \xe2\x9c\x93 "
	    "\xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80\"]",
	    "[0 S1:\xc3\x9cn\xc3\xaf\x63\xc3\xb6\x64\xc3\xa9 \xe2\x9c\x93 "
	    "\xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80 ]0 ");
	expect_tokens(&single_opts, "{\"k\\u0000\":\"\\u0000\"}",
	    "{0 K1:k@ S1:@ }0 ");
}

TEST(json_rejects_malformed)
{
	/* Trailing commas and other structure. */
	expect_error(&single_opts, "[1,]", JSON_ERR_SYNTAX, 3);
	expect_error(&single_opts, "{\"a\":1,}", JSON_ERR_SYNTAX, 7);
	expect_error(&single_opts, "{\"a\" 1}", JSON_ERR_SYNTAX, 5);
	expect_error(&single_opts, "{1:2}", JSON_ERR_SYNTAX, 1);
	expect_error(&single_opts, "[1}", JSON_ERR_SYNTAX, 2);
	expect_error(&single_opts, "{\"a\":1]", JSON_ERR_SYNTAX, 6);
	expect_error(&single_opts, "[,1]", JSON_ERR_SYNTAX, 1);
	expect_error(&single_opts, "[tru]", JSON_ERR_SYNTAX, 4);
	expect_error(&single_opts, "[nul", JSON_ERR_TRUNCATED, 4);
	expect_error(&single_opts, "'a'", JSON_ERR_SYNTAX, 0);
	expect_error(&single_opts, "]", JSON_ERR_SYNTAX, 0);

	/* Numbers. */
	expect_error(&single_opts, "[01]", JSON_ERR_NUMBER, 2);
	expect_error(&single_opts, "[-01]", JSON_ERR_NUMBER, 3);
	expect_error(&single_opts, "[-]", JSON_ERR_NUMBER, 2);
	expect_error(&single_opts, "[1.]", JSON_ERR_NUMBER, 3);
	expect_error(&single_opts, "[.5]", JSON_ERR_SYNTAX, 1);
	expect_error(&single_opts, "[1e]", JSON_ERR_NUMBER, 3);
	expect_error(&single_opts, "[1e+]", JSON_ERR_NUMBER, 4);
	expect_error(&single_opts, "[+1]", JSON_ERR_SYNTAX, 1);
	expect_error(&single_opts, "[1.5.5]", JSON_ERR_NUMBER, 4);
	expect_error(&single_opts, "-", JSON_ERR_TRUNCATED, 1);

	/* Strings: control bytes, escapes, surrogates. */
	expect_error(&single_opts, "[\"a\tb\"]", JSON_ERR_CONTROL, 3);
	expect_error(&single_opts, "[\"a\nb\"]", JSON_ERR_CONTROL, 3);
	expect_error(&single_opts, "[\"\x01\"]", JSON_ERR_CONTROL, 2);
	expect_error(&single_opts, "[\"\\x41\"]", JSON_ERR_ESCAPE, 3);
	expect_error(&single_opts, "[\"\\u12G4\"]", JSON_ERR_ESCAPE, 6);
	expect_error(&single_opts, "[\"\\ud800\"]", JSON_ERR_SURROGATE, 8);
	expect_error(&single_opts, "[\"\\ud800x\"]", JSON_ERR_SURROGATE, 8);
	expect_error(&single_opts, "[\"\\ud800\\n\"]", JSON_ERR_SURROGATE,
	    9);
	expect_error(&single_opts, "[\"\\ud800\\u0041\"]",
	    JSON_ERR_SURROGATE, 13);
	expect_error(&single_opts, "[\"\\ud800\\ud800\"]",
	    JSON_ERR_SURROGATE, 13);
	expect_error(&single_opts, "[\"\\udc00\"]", JSON_ERR_SURROGATE, 7);
	expect_error(&single_opts, "[\"abc", JSON_ERR_TRUNCATED, 5);

	/* UTF-8: stray continuation, overlongs, encoded surrogates, past
	 * U+10FFFF, cut sequences, bytes never valid. */
	expect_error(&single_opts, "[\"a\x80\"]", JSON_ERR_UTF8, 3);
	expect_error(&single_opts, "[\"\xc0\xaf\"]", JSON_ERR_UTF8, 2);
	expect_error(&single_opts, "[\"\xc1\xbf\"]", JSON_ERR_UTF8, 2);
	expect_error(&single_opts, "[\"\xe0\x80\xaf\"]", JSON_ERR_UTF8, 3);
	expect_error(&single_opts, "[\"\xf0\x80\x80\xaf\"]", JSON_ERR_UTF8,
	    3);
	expect_error(&single_opts, "[\"\xed\xa0\x80\"]", JSON_ERR_UTF8, 3);
	expect_error(&single_opts, "[\"\xed\xbf\xbf\"]", JSON_ERR_UTF8, 3);
	expect_error(&single_opts, "[\"\xf4\x90\x80\x80\"]", JSON_ERR_UTF8,
	    3);
	expect_error(&single_opts, "[\"\xf5\x80\x80\x80\"]", JSON_ERR_UTF8,
	    2);
	expect_error(&single_opts, "[\"\xe6\x97\"]", JSON_ERR_UTF8, 4);
	expect_error(&single_opts, "[\"\xc3\"]", JSON_ERR_UTF8, 3);
	expect_error(&single_opts, "[\"\xf0\x9f\x98\"]", JSON_ERR_UTF8, 5);
	expect_error(&single_opts, "[\"\xff\"]", JSON_ERR_UTF8, 2);
	expect_error(&single_opts, "[\"\xe6\x97\xa5\xe6\"]", JSON_ERR_UTF8,
	    6);
}

TEST(json_depth_bound)
{
	char in[200];
	int i;

	for (i = 0; i < JSON_MAX_DEPTH; i++) {
		in[i] = '[';
	}
	for (i = 0; i < JSON_MAX_DEPTH; i++) {
		in[JSON_MAX_DEPTH + i] = ']';
	}
	in[2 * JSON_MAX_DEPTH] = '\0';
	run_all(&single_opts, in);
	CHECK_INT(whole_run.err, JSON_OK);
	in[0] = '\0';
	for (i = 0; i <= JSON_MAX_DEPTH; i++) {
		in[i] = '[';
	}
	in[JSON_MAX_DEPTH + 1] = '\0';
	expect_error(&single_opts, in, JSON_ERR_DEPTH, JSON_MAX_DEPTH);
}

TEST(json_string_bound_and_skip)
{
	static char in[4096];
	struct options o = {1, NULL, NULL, 16, 0};
	struct options skip = {1, "long", NULL, 16, 0};

	expect_tokens(&o, "{\"k\":\"0123456789abcdef\"}",
	    "{0 K1:k S1:0123456789abcdef }0 ");
	expect_error(&o, "{\"k\":\"0123456789abcdefg\"}", JSON_ERR_TOO_LONG,
	    5);
	expect_error(&o, "{\"k\":\"0123456789abcdef\\n\"}",
	    JSON_ERR_TOO_LONG, 5);
	expect_error(&o, "[12345678901234567]", JSON_ERR_TOO_LONG, 1);

	/* A skipped value may be any size and is still validated. */
	snprintf(in, sizeof(in), "{\"long\":{\"x\":[\"%0600d\",{\"y\":"
	    "\"%0300d\"}]},\"k\":\"v\",\"long\":\"%0900d\"}", 0, 0, 0);
	expect_tokens(&skip, in, "{0 K1:long K1:k S1:v K1:long }0 ");
	expect_error(&skip, "{\"long\":[\"\\q\"],\"k\":1}", JSON_ERR_ESCAPE,
	    11);
	expect_error(&skip, "{\"long\":[1,]}", JSON_ERR_SYNTAX, 11);
}

TEST(json_capture_compacts)
{
	struct options o = {0, NULL, "obj", 0, 0};
	struct options small = {0, NULL, "obj", 0, 10};
	const char *want = "{\"a\":[1,2.5,\"x y\\n\\u00e9\"],\"b\":{},"
	    "\"c\":true}";

	expect_tokens(&o, "{\"type\":\"T\",\"obj\": { \"a\" : [ 1 , 2.5 ,"
	    "\n\"x y\\n\\u00e9\" ] ,\r\n\t\"b\":{ },\"c\":true } }\n",
	    "{0 K1:type S1:T K1:obj {1 K2:a [2 N3:1 N3:2.5 S3:x y\n\xc3\xa9 "
	    "]2 K2:b {2 }2 K2:c T2 }1 }0 ");
	CHECK_MEM(whole_run.t.capture, whole_run.t.capture_len, want,
	    strlen(want));

	/* Exactly at the bound, and one byte over it. */
	expect_tokens(&small, "{\"obj\": { \"a\" : 123 } }",
	    "{0 K1:obj {1 K2:a N2:123 }1 }0 ");
	CHECK_MEM(whole_run.t.capture, whole_run.t.capture_len, "{\"a\":123}",
	    9);
	expect_error(&small, "{\"obj\": { \"a\" : 12345 } }",
	    JSON_ERR_CAPTURE, 22);
	expect_error(&small, "{\"obj\":{\"abcdefghijk\":1}}", JSON_ERR_CAPTURE,
	    17);
}

TEST(json_random_documents_agree)
{
	/* Random nests of every token kind, checked for split agreement. */
	static char in[2048];
	static const char *const atoms[] = {
		"1", "-0.25e3", "true", "false", "null", "\"\"",
		"\"\\u00e9\\ud83d\\ude00\"", "\"\xe6\x97\xa5 x\"", "{}", "[]"
	};
	int round;

	for (round = 0; round < 200; round++) {
		size_t len = 0;
		int depth = 0, first = 1, k;

		for (k = 0; k < 40 && len < sizeof(in) - 64; k++) {
			uint32_t r = harness_rand() % 10;

			if (!first && depth > 0) {
				in[len++] = ',';
			}
			first = 0;
			if (depth > 0 && (r == 0)) {
				len += (size_t)snprintf(in + len,
				    sizeof(in) - len, "[");
				depth++;
				first = 1;
				continue;
			}
			len += (size_t)snprintf(in + len, sizeof(in) - len,
			    "%s%s", depth == 0 ? "[" : "",
			    atoms[harness_rand() % 10]);
			if (depth == 0) {
				depth = 1;
			}
		}
		while (depth-- > 0) {
			in[len++] = ']';
		}
		in[len] = '\0';
		if (!run_all(&single_opts, in) ||
		    !CHECK_INT(whole_run.err, JSON_OK)) {
			printf("  input: %s\n", in);
			return;
		}
	}
}
