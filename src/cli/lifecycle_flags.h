/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The flags create and run share (runc's names and aliases). */
#ifndef OCIRUN_CLI_LIFECYCLE_FLAGS_H
#define OCIRUN_CLI_LIFECYCLE_FLAGS_H

#include <stdbool.h>

#include "cli.h"
#include "container.h"
#include "options.h"

/* create's flags; run_flags adds --detach and --keep. */
extern const struct cli_flag lifecycle_flags[];
extern const struct cli_flag run_flags[];

void lifecycle_request_init(struct create_request *req, const struct global_options *g);

/* Parses every flag into req; the parser's flag table decides which
 * flags are accepted (run_flags for run). */
int lifecycle_parse_flags(struct cli_parser *p, struct create_request *req,
                          struct ocirun_error *err);

#endif
