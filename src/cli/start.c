/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ocirun start ID: releases the init blocked on exec.fifo. */
#include "config.h"

#include "cli.h"
#include "container.h"
#include "options.h"

static const struct cli_command command = {
    .name = "start",
    .args = "<container-id>",
    .summary = "executes the user defined process in a created container",
};

int cmd_start(struct global_options *g, int argc, char **argv, struct ocirun_error *err)
{
    struct cli_parser p;
    const char *id;
    int r = cli_parse_id_only(&p, &command, argc, argv, &id, err);

    if (r <= 0)
        return r;
    if (container_start(g->root, id, err) < 0)
        return -1;
    return 0;
}
