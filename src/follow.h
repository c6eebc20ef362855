/* The follow engine: the initial list, the watch, the polling fallback
 * and every recovery between them (410, 403, 429, 5xx, 401, dead
 * connections). It decides each request; client.c carries it out,
 * event.c decodes the answer and output.c prints what is new.
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KEVENTS_FOLLOW_H
#define KEVENTS_FOLLOW_H

#include "cli.h"

/* Runs the whole command; returns the exit status. */
int follow_main(const struct opts *o);

#endif
