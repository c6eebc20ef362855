/* The command line: options as kubectl names them, parsed into struct
 * opts, and the usage text. Resolving the cluster from them belongs to
 * config.c; acting on them to follow.c.
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KEVENTS_CLI_H
#define KEVENTS_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"

enum output_format { OUTPUT_TEXT, OUTPUT_WIDE, OUTPUT_JSON };
enum follow_mode { MODE_AUTO, MODE_WATCH, MODE_POLL };

struct opts {
	struct config_flags cluster;
	int all_namespaces;
	const char *for_kind;		/* Kind name ("Pod"), or NULL */
	const char *for_name;
	int types;			/* TYPE_NORMAL | TYPE_WARNING, 0: all */
	const char *field_selector;
	int watch;
	int watch_only;
	enum follow_mode mode;
	int64_t poll_interval_ms;
	int64_t poll_max_interval_ms;
	int64_t watch_timeout_ms;	/* 0: random in 30..60 min */
	int64_t since_ms;		/* 0: no bound */
	long chunk_size;
	int64_t timeout_ms;		/* 0: none */
	int updates;
	enum output_format output;
	int no_headers;
	int64_t request_timeout_ms;
	int verbosity;
	int stats;
};

#define TYPE_NORMAL 1
#define TYPE_WARNING 2

enum { CLI_RUN, CLI_EXIT_OK, CLI_USAGE };

/* Parses argv. Returns CLI_RUN, CLI_EXIT_OK (help or version printed)
 * or CLI_USAGE (one line in err). */
int cli_parse(int argc, char **argv, struct opts *o, char *err,
    size_t errlen);

/* Parses "2s", "500ms", "1m30s", "1h", or bare seconds. Returns 0 and
 * *ms, or -1. */
int cli_parse_duration(const char *s, int64_t *ms);

/* Maps kubectl's short and plural kind names ("po", "deploy", "pods")
 * to the Kind ("Pod"); unknown names pass through with the first letter
 * upper-cased. Writes into buf. */
const char *cli_kind_name(const char *s, char *buf, size_t len);

void cli_usage(FILE *f);
void cli_version(FILE *f);

#endif
