/* kevents: list and follow Kubernetes Events. main() parses the command
 * line, installs the signal handlers and hands over to follow.c.
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "follow.h"
#include "io.h"
#include "log.h"

int
main(int argc, char **argv)
{
	struct opts o;
	char err[512];

	switch (cli_parse(argc, argv, &o, err, sizeof err)) {
	case CLI_EXIT_OK:
		return fflush(stdout) == 0 ? 0 : 1;
	case CLI_USAGE:
		fprintf(stderr, "kevents: %s (see kevents --help)\n", err);
		return 2;
	default:
		break;
	}
	log_set_verbosity(o.verbosity);
	if (io_signals_install() != 0) {
		log_error("cannot set up signal handling");
		return 1;
	}
	return follow_main(&o);
}
