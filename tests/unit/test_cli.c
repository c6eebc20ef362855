/* Tests for command-line parsing, durations and kind names.
 * SPDX-License-Identifier: Apache-2.0 */
#include "cli.h"
#include "harness.h"

static int
parse(struct opts *o, char *err, int argc, char **argv)
{
	return cli_parse(argc, argv, o, err, 256);
}

#define ARGV(...) (char *[]){ "kevents", __VA_ARGS__, NULL }
#define ARGC(...) ((int)(sizeof((char *[]){ "kevents", __VA_ARGS__ }) / \
	sizeof(char *)))
#define PARSE(o, err, ...) parse((o), (err), ARGC(__VA_ARGS__), \
	ARGV(__VA_ARGS__))

TEST(cli_durations)
{
	int64_t ms;

	CHECK(cli_parse_duration("2s", &ms) == 0 && ms == 2000);
	CHECK(cli_parse_duration("500ms", &ms) == 0 && ms == 500);
	CHECK(cli_parse_duration("1m30s", &ms) == 0 && ms == 90000);
	CHECK(cli_parse_duration("1h", &ms) == 0 && ms == 3600000);
	CHECK(cli_parse_duration("30", &ms) == 0 && ms == 30000);
	CHECK(cli_parse_duration("", &ms) == -1);
	CHECK(cli_parse_duration("s", &ms) == -1);
	CHECK(cli_parse_duration("5x", &ms) == -1);
	CHECK(cli_parse_duration("-5s", &ms) == -1);
	CHECK(cli_parse_duration("99999999999s", &ms) == -1);
}

TEST(cli_kinds)
{
	char buf[64];

	CHECK_STR(cli_kind_name("po", buf, sizeof buf), "Pod");
	CHECK_STR(cli_kind_name("pods", buf, sizeof buf), "Pod");
	CHECK_STR(cli_kind_name("deploy", buf, sizeof buf), "Deployment");
	CHECK_STR(cli_kind_name("CJ", buf, sizeof buf), "CronJob");
	CHECK_STR(cli_kind_name("pvc", buf, sizeof buf),
	    "PersistentVolumeClaim");
	CHECK_STR(cli_kind_name("widget", buf, sizeof buf), "Widget");
	CHECK_STR(cli_kind_name("o", buf, sizeof buf), "O");
}

TEST(cli_options)
{
	struct opts o;
	char err[256];

	CHECK_INT(PARSE(&o, err, "-n", "kube-system", "po/web-1", "-w"),
	    CLI_RUN);
	CHECK_STR(o.cluster.namespace_, "kube-system");
	CHECK_STR(o.for_kind, "Pod");
	CHECK_STR(o.for_name, "web-1");
	CHECK(o.watch);
	CHECK_INT(o.chunk_size, 500);
	CHECK_INT(o.poll_interval_ms, 2000);

	CHECK_INT(PARSE(&o, err, "--for", "deploy/api", "--types",
	    "Warning", "-o", "json", "--mode", "poll", "--poll-interval",
	    "1s", "--chunk-size", "0", "--timeout", "1m"), CLI_RUN);
	CHECK_STR(o.for_kind, "Deployment");
	CHECK_INT(o.types, TYPE_WARNING);
	CHECK_INT(o.output, OUTPUT_JSON);
	CHECK_INT(o.mode, MODE_POLL);
	CHECK_INT(o.poll_interval_ms, 1000);
	CHECK_INT(o.chunk_size, 0);
	CHECK_INT(o.timeout_ms, 60000);

	CHECK_INT(PARSE(&o, err, "--watch-only"), CLI_RUN);
	CHECK(o.watch && o.watch_only);
}

TEST(cli_usage_errors)
{
	struct opts o;
	char err[256];

	CHECK_INT(PARSE(&o, err, "--bogus"), CLI_USAGE);
	CHECK_STR(err, "unknown option --bogus");
	CHECK_INT(PARSE(&o, err, "-x"), CLI_USAGE);
	CHECK_STR(err, "unknown option -x");
	CHECK_INT(PARSE(&o, err, "-n"), CLI_USAGE);
	CHECK_STR(err, "option -n needs a value");
	CHECK_INT(PARSE(&o, err, "--for"), CLI_USAGE);
	CHECK_STR(err, "option --for needs a value");
	CHECK_INT(PARSE(&o, err, "web-1"), CLI_USAGE);
	CHECK_INT(PARSE(&o, err, "pod/a", "pod/b"), CLI_USAGE);
	CHECK_INT(PARSE(&o, err, "--types", "Error"), CLI_USAGE);
	CHECK_INT(PARSE(&o, err, "--mode", "stream"), CLI_USAGE);
	CHECK_INT(PARSE(&o, err, "-o", "yaml"), CLI_USAGE);
	CHECK_INT(PARSE(&o, err, "--chunk-size", "-1"), CLI_USAGE);
	CHECK_INT(PARSE(&o, err, "--poll-interval", "0s"), CLI_USAGE);
	CHECK_INT(PARSE(&o, err, "--watch-timeout", "500ms"), CLI_USAGE);
	CHECK_INT(PARSE(&o, err, "-v", "x"), CLI_USAGE);
	CHECK_INT(PARSE(&o, err, "-A", "pod/x"), CLI_USAGE);
}
