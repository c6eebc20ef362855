/* Command-line parsing with getopt_long, durations, kind names and the
 * usage text.
 * SPDX-License-Identifier: Apache-2.0 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bearssl.h>

#include "cli.h"

#ifndef KEVENTS_VERSION
#define KEVENTS_VERSION "0.0.0"
#endif
#ifndef KEVENTS_BEARSSL
#define KEVENTS_BEARSSL "0.6"
#endif
#ifndef KEVENTS_BUILD
#define KEVENTS_BUILD "unknown"
#endif
#ifndef KEVENTS_ARCH
#define KEVENTS_ARCH "unknown"
#endif

static const char usage_text[] =
"usage: kevents [options] [KIND/NAME]\n"
"\n"
"Lists the Kubernetes Events of one object, a namespace or the whole\n"
"cluster, and with -w keeps following them: one consistent list, then a\n"
"watch from its resourceVersion, polling only where watch is forbidden.\n"
"\n"
"Selection:\n"
"  -n, --namespace NS          namespace (default: from the context)\n"
"  -A, --all-namespaces        events of every namespace\n"
"      --for KIND/NAME         events of one object (same as KIND/NAME);\n"
"                              po, deploy, rs, sts, ds, job, cj, no, svc,\n"
"                              pvc, pv, ns are understood\n"
"      --types LIST            Normal, Warning or Normal,Warning\n"
"      --field-selector SEL    ANDed with the above, sent to the server\n"
"      --since DUR             skip initial events last seen before DUR ago\n"
"\n"
"Following:\n"
"  -w, --watch                 keep following after the initial list\n"
"      --watch-only            only events that appear after the start\n"
"      --mode auto|watch|poll  auto: watch, poll when watch is forbidden\n"
"      --poll-interval DUR     first poll interval (default 2s); it grows\n"
"                              while polls bring nothing, up to\n"
"      --poll-max-interval DUR (default 30s), and drops back on news\n"
"      --watch-timeout DUR     watch timeoutSeconds and inactivity bound\n"
"                              (default: random in 30m..60m)\n"
"      --chunk-size N          list page size (default 500, 0: no paging)\n"
"      --timeout DUR           stop after DUR and exit 0\n"
"      --updates               print an event again when its count grows\n"
"\n"
"Output:\n"
"  -o, --output FORMAT         text (default), wide or json\n"
"      --no-headers            no column headers in text and wide output\n"
"\n"
"Cluster (flags override kubeconfig, which overrides in-cluster):\n"
"      --kubeconfig FILE       kubeconfig file (default: $KUBECONFIG,\n"
"                              then ~/.kube/config, then in-cluster)\n"
"      --context NAME          kubeconfig context\n"
"      --server URL            API server URL\n"
"      --token TOKEN           bearer token (visible to other users in\n"
"                              /proc: prefer a kubeconfig tokenFile)\n"
"      --certificate-authority FILE   CA bundle to trust\n"
"      --client-certificate FILE      client certificate (PEM)\n"
"      --client-key FILE       client key (PEM; may be the certificate file)\n"
"      --insecure-skip-tls-verify     accept any server certificate\n"
"      --tls-server-name NAME  name to check the certificate against\n"
"      --request-timeout DUR   bound on each non-watch request (default 30s)\n"
"\n"
"Diagnostics:\n"
"  -v N                        1: one stderr line per request; 2: decisions\n"
"      --stats                 one JSON line of counters on stderr at exit\n"
"  -h, --help                  this text\n"
"      --version               version, TLS library and build\n"
"\n"
"DUR is a number with a unit (500ms, 2s, 5m, 1h, 1m30s) or bare seconds.\n"
"Exit status: 0 done (list printed, --timeout reached, SIGINT, SIGTERM);\n"
"1 runtime failure; 2 usage error.\n";

void
cli_usage(FILE *f)
{
	fputs(usage_text, f);
}

void
cli_version(FILE *f)
{
	fprintf(f, "kevents %s\n", KEVENTS_VERSION);
	fprintf(f, "TLS: BearSSL %s (TLS 1.2)\n", KEVENTS_BEARSSL);
	fprintf(f, "build: %s, linux/%s\n", KEVENTS_BUILD, KEVENTS_ARCH);
}

enum {
	OPT_FOR = 256, OPT_TYPES, OPT_FIELD_SELECTOR, OPT_WATCH_ONLY, OPT_MODE,
	OPT_POLL_INTERVAL, OPT_POLL_MAX, OPT_WATCH_TIMEOUT, OPT_SINCE,
	OPT_CHUNK_SIZE, OPT_TIMEOUT, OPT_UPDATES, OPT_NO_HEADERS,
	OPT_KUBECONFIG, OPT_CONTEXT, OPT_SERVER, OPT_TOKEN, OPT_CA,
	OPT_CLIENT_CERT, OPT_CLIENT_KEY, OPT_INSECURE, OPT_TLS_SERVER_NAME,
	OPT_REQUEST_TIMEOUT, OPT_STATS, OPT_VERSION
};

static const struct option long_opts[] = {
	{ "namespace", required_argument, NULL, 'n' },
	{ "all-namespaces", no_argument, NULL, 'A' },
	{ "for", required_argument, NULL, OPT_FOR },
	{ "types", required_argument, NULL, OPT_TYPES },
	{ "field-selector", required_argument, NULL, OPT_FIELD_SELECTOR },
	{ "watch", no_argument, NULL, 'w' },
	{ "watch-only", no_argument, NULL, OPT_WATCH_ONLY },
	{ "mode", required_argument, NULL, OPT_MODE },
	{ "poll-interval", required_argument, NULL, OPT_POLL_INTERVAL },
	{ "poll-max-interval", required_argument, NULL, OPT_POLL_MAX },
	{ "watch-timeout", required_argument, NULL, OPT_WATCH_TIMEOUT },
	{ "since", required_argument, NULL, OPT_SINCE },
	{ "chunk-size", required_argument, NULL, OPT_CHUNK_SIZE },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "updates", no_argument, NULL, OPT_UPDATES },
	{ "output", required_argument, NULL, 'o' },
	{ "no-headers", no_argument, NULL, OPT_NO_HEADERS },
	{ "kubeconfig", required_argument, NULL, OPT_KUBECONFIG },
	{ "context", required_argument, NULL, OPT_CONTEXT },
	{ "server", required_argument, NULL, OPT_SERVER },
	{ "token", required_argument, NULL, OPT_TOKEN },
	{ "certificate-authority", required_argument, NULL, OPT_CA },
	{ "client-certificate", required_argument, NULL, OPT_CLIENT_CERT },
	{ "client-key", required_argument, NULL, OPT_CLIENT_KEY },
	{ "insecure-skip-tls-verify", no_argument, NULL, OPT_INSECURE },
	{ "tls-server-name", required_argument, NULL, OPT_TLS_SERVER_NAME },
	{ "request-timeout", required_argument, NULL, OPT_REQUEST_TIMEOUT },
	{ "stats", no_argument, NULL, OPT_STATS },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 }
};

int
cli_parse_duration(const char *s, int64_t *ms)
{
	int64_t total = 0;
	const char *p = s;

	if (*p == '\0') {
		return -1;
	}

	/* Bare digits are seconds, as in kubectl's --request-timeout. */
	if (strspn(p, "0123456789") == strlen(p)) {
		if (strlen(p) > 9) {
			return -1;
		}
		*ms = strtoll(p, NULL, 10) * 1000;
		return 0;
	}
	while (*p != '\0') {
		int64_t n = 0, unit;
		int digits = 0;

		while (isdigit((unsigned char)*p)) {
			if (++digits > 9) {
				return -1;
			}
			n = n * 10 + (*p++ - '0');
		}
		if (digits == 0) {
			return -1;
		}
		if (strncmp(p, "ms", 2) == 0) {
			unit = 1;
			p += 2;
		} else if (*p == 's') {
			unit = 1000;
			p++;
		} else if (*p == 'm') {
			unit = 60000;
			p++;
		} else if (*p == 'h') {
			unit = 3600000;
			p++;
		} else {
			return -1;
		}
		total += n * unit;
	}
	*ms = total;
	return 0;
}

static const struct {
	const char *names;	/* space-separated, each framed by spaces */
	const char *kind;
} kinds[] = {
	{ " po pod pods ", "Pod" },
	{ " deploy deployment deployments ", "Deployment" },
	{ " rs replicaset replicasets ", "ReplicaSet" },
	{ " sts statefulset statefulsets ", "StatefulSet" },
	{ " ds daemonset daemonsets ", "DaemonSet" },
	{ " job jobs ", "Job" },
	{ " cj cronjob cronjobs ", "CronJob" },
	{ " no node nodes ", "Node" },
	{ " svc service services ", "Service" },
	{ " pvc persistentvolumeclaim persistentvolumeclaims ",
	    "PersistentVolumeClaim" },
	{ " pv persistentvolume persistentvolumes ", "PersistentVolume" },
	{ " ns namespace namespaces ", "Namespace" },
	{ " rc replicationcontroller replicationcontrollers ",
	    "ReplicationController" },
	{ " ing ingress ingresses ", "Ingress" },
	{ " hpa horizontalpodautoscaler horizontalpodautoscalers ",
	    "HorizontalPodAutoscaler" },
	{ " cm configmap configmaps ", "ConfigMap" },
	{ " sa serviceaccount serviceaccounts ", "ServiceAccount" },
};

const char *
cli_kind_name(const char *s, char *buf, size_t len)
{
	char key[72];
	size_t i, n = strlen(s);

	/* Match case-insensitively against the framed name lists. */
	if (n + 3 <= sizeof key) {
		key[0] = ' ';
		for (i = 0; i < n; i++) {
			key[i + 1] = (char)tolower((unsigned char)s[i]);
		}
		key[n + 1] = ' ';
		key[n + 2] = '\0';
		for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
			if (strstr(kinds[i].names, key) != NULL) {
				snprintf(buf, len, "%s", kinds[i].kind);
				return buf;
			}
		}
	}
	snprintf(buf, len, "%s", s);
	if (buf[0] != '\0') {
		buf[0] = (char)toupper((unsigned char)buf[0]);
	}
	return buf;
}

static char kind_buf[128];

static int
set_for(struct opts *o, const char *arg, char *err, size_t errlen)
{
	const char *slash = strchr(arg, '/');

	if (slash == NULL || slash == arg || slash[1] == '\0' ||
	    strchr(slash + 1, '/') != NULL) {
		snprintf(err, errlen, "object \"%s\" is not KIND/NAME", arg);
		return -1;
	}
	if (o->for_kind != NULL) {
		snprintf(err, errlen, "only one object may be given");
		return -1;
	}
	{
		char kind[64];
		size_t n = (size_t)(slash - arg);

		if (n >= sizeof kind) {
			snprintf(err, errlen, "kind in \"%s\" is too long",
			    arg);
			return -1;
		}
		memcpy(kind, arg, n);
		kind[n] = '\0';
		o->for_kind = cli_kind_name(kind, kind_buf, sizeof kind_buf);
	}
	o->for_name = slash + 1;
	return 0;
}

static int
set_types(struct opts *o, const char *arg, char *err, size_t errlen)
{
	const char *p = arg;

	o->types = 0;
	while (*p != '\0') {
		size_t n = strcspn(p, ",");

		if (n == 6 && strncasecmp(p, "Normal", 6) == 0) {
			o->types |= TYPE_NORMAL;
		} else if (n == 7 && strncasecmp(p, "Warning", 7) == 0) {
			o->types |= TYPE_WARNING;
		} else {
			snprintf(err, errlen, "--types: \"%.*s\" is not Normal "
			    "or Warning", (int)n, p);
			return -1;
		}
		p += n;
		if (*p == ',') {
			p++;
		}
	}
	if (o->types == 0) {
		snprintf(err, errlen, "--types: empty list");
		return -1;
	}
	return 0;
}

static int
duration_arg(const char *name, const char *arg, int64_t *ms, int allow_zero,
    char *err, size_t errlen)
{
	if (cli_parse_duration(arg, ms) != 0 || (!allow_zero && *ms <= 0)) {
		snprintf(err, errlen, "%s: \"%s\" is not a duration such as "
		    "2s, 500ms or 5m", name, arg);
		return -1;
	}
	return 0;
}

/* The name of an option by its getopt value, for error messages. */
static const char *
option_name(int val)
{
	static char name[40];
	size_t i;

	for (i = 0; long_opts[i].name != NULL; i++) {
		if (long_opts[i].val == val && val >= 256) {
			snprintf(name, sizeof name, "--%s", long_opts[i].name);
			return name;
		}
	}
	snprintf(name, sizeof name, "-%c", val);
	return name;
}

int
cli_parse(int argc, char **argv, struct opts *o, char *err, size_t errlen)
{
	int c;
	char *end;

	memset(o, 0, sizeof *o);
	o->mode = MODE_AUTO;
	o->poll_interval_ms = 2000;
	o->poll_max_interval_ms = 30000;
	o->chunk_size = 500;
	o->request_timeout_ms = 30000;
	o->output = OUTPUT_TEXT;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":n:Awo:v:h", long_opts,
	    NULL)) != -1) {
		switch (c) {
		case 'n':
			o->cluster.namespace_ = optarg;
			break;
		case 'A':
			o->all_namespaces = 1;
			break;
		case OPT_FOR:
			if (set_for(o, optarg, err, errlen) != 0) {
				return CLI_USAGE;
			}
			break;
		case OPT_TYPES:
			if (set_types(o, optarg, err, errlen) != 0) {
				return CLI_USAGE;
			}
			break;
		case OPT_FIELD_SELECTOR:
			o->field_selector = optarg;
			break;
		case 'w':
			o->watch = 1;
			break;
		case OPT_WATCH_ONLY:
			o->watch_only = 1;
			o->watch = 1;
			break;
		case OPT_MODE:
			if (strcmp(optarg, "auto") == 0) {
				o->mode = MODE_AUTO;
			} else if (strcmp(optarg, "watch") == 0) {
				o->mode = MODE_WATCH;
			} else if (strcmp(optarg, "poll") == 0) {
				o->mode = MODE_POLL;
			} else {
				snprintf(err, errlen, "--mode: \"%s\" is not "
				    "auto, watch or poll", optarg);
				return CLI_USAGE;
			}
			break;
		case OPT_POLL_INTERVAL:
			if (duration_arg("--poll-interval", optarg,
			    &o->poll_interval_ms, 0, err, errlen)) {
				return CLI_USAGE;
			}
			break;
		case OPT_POLL_MAX:
			if (duration_arg("--poll-max-interval", optarg,
			    &o->poll_max_interval_ms, 0, err, errlen)) {
				return CLI_USAGE;
			}
			break;
		case OPT_WATCH_TIMEOUT:
			if (duration_arg("--watch-timeout", optarg,
			    &o->watch_timeout_ms, 0, err, errlen)) {
				return CLI_USAGE;
			}
			if (o->watch_timeout_ms < 1000) {
				snprintf(err, errlen, "--watch-timeout: at "
				    "least 1s (timeoutSeconds is whole "
				    "seconds)");
				return CLI_USAGE;
			}
			break;
		case OPT_SINCE:
			if (duration_arg("--since", optarg, &o->since_ms, 0,
			    err, errlen)) {
				return CLI_USAGE;
			}
			break;
		case OPT_CHUNK_SIZE:
			errno = 0;
			o->chunk_size = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg ||
			    o->chunk_size < 0 || o->chunk_size > 100000) {
				snprintf(err, errlen, "--chunk-size: \"%s\" is "
				    "not a number from 0 to 100000", optarg);
				return CLI_USAGE;
			}
			break;
		case OPT_TIMEOUT:
			if (duration_arg("--timeout", optarg, &o->timeout_ms,
			    0, err, errlen)) {
				return CLI_USAGE;
			}
			break;
		case OPT_UPDATES:
			o->updates = 1;
			break;
		case 'o':
			if (strcmp(optarg, "text") == 0) {
				o->output = OUTPUT_TEXT;
			} else if (strcmp(optarg, "wide") == 0) {
				o->output = OUTPUT_WIDE;
			} else if (strcmp(optarg, "json") == 0) {
				o->output = OUTPUT_JSON;
			} else {
				snprintf(err, errlen, "--output: \"%s\" is not "
				    "text, wide or json", optarg);
				return CLI_USAGE;
			}
			break;
		case OPT_NO_HEADERS:
			o->no_headers = 1;
			break;
		case OPT_KUBECONFIG:
			o->cluster.kubeconfig = optarg;
			break;
		case OPT_CONTEXT:
			o->cluster.context = optarg;
			break;
		case OPT_SERVER:
			o->cluster.server = optarg;
			break;
		case OPT_TOKEN:
			o->cluster.token = optarg;
			break;
		case OPT_CA:
			o->cluster.certificate_authority = optarg;
			break;
		case OPT_CLIENT_CERT:
			o->cluster.client_certificate = optarg;
			break;
		case OPT_CLIENT_KEY:
			o->cluster.client_key = optarg;
			break;
		case OPT_INSECURE:
			o->cluster.insecure_skip_tls_verify = 1;
			break;
		case OPT_TLS_SERVER_NAME:
			o->cluster.tls_server_name = optarg;
			break;
		case OPT_REQUEST_TIMEOUT:
			if (duration_arg("--request-timeout", optarg,
			    &o->request_timeout_ms, 0, err, errlen)) {
				return CLI_USAGE;
			}
			break;
		case 'v':
			errno = 0;
			o->verbosity = (int)strtol(optarg, &end, 10);
			if (errno || *end || end == optarg ||
			    o->verbosity < 0 || o->verbosity > 9) {
				snprintf(err, errlen, "-v: \"%s\" is not a "
				    "level from 0 to 9", optarg);
				return CLI_USAGE;
			}
			break;
		case OPT_STATS:
			o->stats = 1;
			break;
		case 'h':
			cli_usage(stdout);
			return CLI_EXIT_OK;
		case OPT_VERSION:
			cli_version(stdout);
			return CLI_EXIT_OK;
		case ':':
			snprintf(err, errlen, "option %s needs a value",
			    option_name(optopt));
			return CLI_USAGE;
		default:
			if (optopt > 0 && optopt < 256) {
				snprintf(err, errlen, "unknown option -%c",
				    optopt);
			} else {
				snprintf(err, errlen, "unknown option %s",
				    argv[optind - 1]);
			}
			return CLI_USAGE;
		}
	}

	/* The one positional argument is the object, as with --for. */
	if (optind < argc) {
		if (optind + 1 < argc) {
			snprintf(err, errlen, "unexpected argument \"%s\"",
			    argv[optind + 1]);
			return CLI_USAGE;
		}
		if (set_for(o, argv[optind], err, errlen) != 0) {
			return CLI_USAGE;
		}
	}
	if (o->all_namespaces && o->for_kind != NULL &&
	    strcmp(o->for_kind, "Node") != 0 &&
	    strcmp(o->for_kind, "Namespace") != 0 &&
	    strcmp(o->for_kind, "PersistentVolume") != 0) {
		snprintf(err, errlen, "-A cannot be combined with a "
		    "namespaced object; use -n");
		return CLI_USAGE;
	}
	if (o->poll_max_interval_ms < o->poll_interval_ms) {
		o->poll_max_interval_ms = o->poll_interval_ms;
	}
	return CLI_RUN;
}
