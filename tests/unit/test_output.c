/* Tests for the printer: kubectl's ages, escaping, columns, sorting and
 * the JSON lines.
 * SPDX-License-Identifier: Apache-2.0 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "harness.h"
#include "output.h"

#define S(x) ((struct event_str){ (x), sizeof(x) - 1 })
#define SEC 1000000LL

static const char *
age(int64_t us)
{
	static char buf[32];

	output_age(buf, sizeof buf, us);
	return buf;
}

TEST(output_age_like_kubectl)
{
	CHECK_STR(age(0), "0s");
	CHECK_STR(age(-500000), "0s");
	CHECK_STR(age(-1 * SEC), "0s");
	CHECK_STR(age(-3 * SEC), "<invalid>");
	CHECK_STR(age(45 * SEC), "45s");
	CHECK_STR(age(119 * SEC), "119s");
	CHECK_STR(age(120 * SEC), "2m");
	CHECK_STR(age(182 * SEC), "3m2s");
	CHECK_STR(age(12 * 60 * SEC), "12m");
	CHECK_STR(age(179 * 60 * SEC), "179m");
	CHECK_STR(age((5 * 3600 + 3 * 60) * SEC), "5h3m");
	CHECK_STR(age(5 * 3600 * SEC), "5h");
	CHECK_STR(age(30 * 3600 * SEC), "30h");
	CHECK_STR(age((3 * 24 + 4) * 3600 * SEC), "3d4h");
	CHECK_STR(age(3 * 24 * 3600 * SEC), "3d");
	CHECK_STR(age(100LL * 24 * 3600 * SEC), "100d");
	CHECK_STR(age((3 * 365 + 10) * 24 * 3600LL * SEC), "3y10d");
	CHECK_STR(age(9 * 365 * 24 * 3600LL * SEC), "9y");
}

TEST(output_escape_controls)
{
	char out[64];
	size_t n;

	n = output_escape(out, "a\x1b[31mb", 7);
	CHECK_MEM(out, n, "a\\x1b[31mb", 10);
	n = output_escape(out, "l1\nl2\tx\r", 8);
	CHECK_MEM(out, n, "l1\\nl2\\tx\\r", 11);
	/* U+009B is CSI; U+00E9 is ordinary text. */
	n = output_escape(out, "\xc2\x9b" "2J \xc3\xa9 \xc2\xa0", 10);
	CHECK_MEM(out, n, "\\u009b2J \xc3\xa9 \xc2\xa0", 14);
	n = output_escape(out, "\x7f", 1);
	CHECK_MEM(out, n, "\\x7f", 4);
}

/* Runs a printer into a temporary file and returns what it wrote. */
static char *
capture(struct output *out, int fd)
{
	static char buf[65536];
	ssize_t n;

	CHECK_INT(output_flush(out), 0);
	lseek(fd, 0, SEEK_SET);
	n = read(fd, buf, sizeof buf - 1);
	buf[n < 0 ? 0 : n] = '\0';
	return buf;
}

static int
temp_fd(void)
{
	char path[] = "/tmp/kevents-output-XXXXXX";
	int fd = mkstemp(path);

	unlink(path);
	return fd;
}

static struct event_record
record(const char *reason, int64_t last, int64_t count)
{
	struct event_record ev;

	memset(&ev, 0, sizeof ev);
	ev.uid = S("0b7a1f0e-5c2e-4d7e-9a55-1c8f3e2d4b6a");
	ev.namespace_ = S("default");
	ev.name = S("web-1.17a3b");
	ev.type = S("Normal");
	ev.reason.ptr = reason;
	ev.reason.len = strlen(reason);
	ev.message = S("  Successfully assigned default/web-1 to node-a  ");
	ev.obj_kind = S("Pod");
	ev.obj_name = S("web-1");
	ev.source_component = S("kubelet");
	ev.source_host = S("node-a");
	ev.first_timestamp = last - 600 * SEC;
	ev.last_timestamp = last;
	ev.count = count;
	ev.raw = (const uint8_t *)"{\"metadata\":{}}";
	ev.raw_len = 15;
	return ev;
}

TEST(output_text_sorted_and_aligned)
{
	struct opts o;
	struct output *out;
	struct event_record a, b;
	int64_t now = 1700000000LL * SEC;
	int fd = temp_fd();
	const char *want =
	    "LAST SEEN           TYPE     REASON      OBJECT      MESSAGE\n"
	    "5m                  Normal   Scheduled   Pod/web-1   "
	    "Successfully assigned default/web-1 to node-a\n"
	    "45s (x3 over 10m)   Normal   BackOff     Pod/web-1   "
	    "Successfully assigned default/web-1 to node-a\n";

	memset(&o, 0, sizeof o);
	out = output_new(&o, fd);
	a = record("BackOff", now - 45 * SEC, 3);
	b = record("Scheduled", now - 300 * SEC, 1);
	b.first_timestamp = now - 300 * SEC;
	CHECK_INT(output_hold(out, &a, now), 1);
	CHECK_INT(output_hold(out, &b, now), 1);
	CHECK_INT(output_held(out), 2);
	output_release(out, now);
	CHECK_STR(capture(out, fd), want);
	CHECK_INT(output_rows(out), 2);
	output_free(out);
	close(fd);
}

TEST(output_columns_never_shrink)
{
	struct opts o;
	struct output *out;
	struct event_record a;
	int64_t now = 1700000000LL * SEC;
	int fd = temp_fd();
	char *text;

	memset(&o, 0, sizeof o);
	o.all_namespaces = 1;
	o.no_headers = 1;
	out = output_new(&o, fd);
	a = record("FailedScheduling", now, 1);
	output_event(out, &a, now);
	a = record("Pulled", now, 1);
	output_event(out, &a, now);
	text = capture(out, fd);
	CHECK_STR(text,
	    "default       10m         Normal    FailedScheduling    "
	    "Pod/web-1                   "
	    "Successfully assigned default/web-1 to node-a\n"
	    "default       10m         Normal    Pulled              "
	    "Pod/web-1                   "
	    "Successfully assigned default/web-1 to node-a\n");
	a = record("ContainerGCFailedSomehow", now, 1);
	output_event(out, &a, now);
	a = record("Pulled", now, 1);
	output_event(out, &a, now);
	text = capture(out, fd);
	CHECK(strstr(text, "ContainerGCFailedSomehow   Pod/web-1") != NULL);
	CHECK(strstr(text, "Pulled                     Pod/web-1") != NULL);
	output_free(out);
	close(fd);
}

TEST(output_unknown_and_invalid_times)
{
	struct opts o;
	struct output *out;
	struct event_record a;
	int64_t now = 1700000000LL * SEC;
	int fd = temp_fd();

	memset(&o, 0, sizeof o);
	o.no_headers = 1;
	out = output_new(&o, fd);
	a = record("Created", 0, 1);
	a.first_timestamp = 0;
	output_event(out, &a, now);
	a = record("Started", now + 3600 * SEC, 1);
	a.first_timestamp = now + 3600 * SEC;
	output_event(out, &a, now);
	CHECK(strstr(capture(out, fd), "<unknown>") != NULL);
	CHECK(strstr(capture(out, fd), "<invalid>") != NULL);
	output_free(out);
	close(fd);
}

TEST(output_wide_columns)
{
	struct opts o;
	struct output *out;
	struct event_record a;
	int64_t now = 1700000000LL * SEC;
	int fd = temp_fd();
	char *text;

	memset(&o, 0, sizeof o);
	o.output = OUTPUT_WIDE;
	out = output_new(&o, fd);
	a = record("Pulled", now - 10 * SEC, 2);
	output_event(out, &a, now);
	text = capture(out, fd);
	CHECK(strncmp(text, "LAST SEEN ", 10) == 0);
	CHECK(strstr(text, "SOURCE") != NULL);
	CHECK(strstr(text, "FIRST SEEN") != NULL);
	CHECK(strstr(text, "kubelet, node-a") != NULL);
	CHECK(strstr(text, "web-1.17a3b") != NULL);
	CHECK(strstr(text, "10m ") != NULL);
	output_free(out);
	close(fd);
}

TEST(output_json_adds_kind)
{
	struct opts o;
	struct output *out;
	struct event_record a;
	int fd = temp_fd();

	memset(&o, 0, sizeof o);
	o.output = OUTPUT_JSON;
	out = output_new(&o, fd);
	a = record("Pulled", 0, 1);
	output_event(out, &a, 0);
	a.raw = (const uint8_t *)"{}";
	a.raw_len = 2;
	output_event(out, &a, 0);
	a.raw = (const uint8_t *)"{\"kind\":\"Event\",\"apiVersion\":\"v1\"}";
	a.raw_len = strlen((const char *)a.raw);
	a.has_kind = a.has_api_version = 1;
	output_event(out, &a, 0);
	CHECK_STR(capture(out, fd),
	    "{\"kind\":\"Event\",\"apiVersion\":\"v1\",\"metadata\":{}}\n"
	    "{\"kind\":\"Event\",\"apiVersion\":\"v1\"}\n"
	    "{\"kind\":\"Event\",\"apiVersion\":\"v1\"}\n");
	output_free(out);
	close(fd);
}

TEST(output_escapes_message_in_text)
{
	struct opts o;
	struct output *out;
	struct event_record a;
	int fd = temp_fd();

	memset(&o, 0, sizeof o);
	o.no_headers = 1;
	out = output_new(&o, fd);
	a = record("Evil", 0, 1);
	a.message = S("\x1b]0;owned\x07 \x1b[2J");
	output_event(out, &a, 0);
	CHECK(strchr(capture(out, fd), '\x1b') == NULL);
	CHECK(strstr(capture(out, fd), "\\x1b]0;owned\\x07 \\x1b[2J") != NULL);
	output_free(out);
	close(fd);
}
