/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ocirun run: create + start, in the foreground unless --detach; the exit
 * code is the container's. */
#include "config.h"

#include "cli.h"
#include "container.h"
#include "lifecycle_flags.h"
#include "options.h"

static const struct cli_command command = {
    .name = "run",
    .args = "<container-id>",
    .summary = "create and run a container",
    .description = "Creates the container from the bundle and runs its process; without "
                   "--detach ocirun waits\nfor it, forwards signals to it, exits with its "
                   "exit code and deletes the container.",
    .flags = run_flags,
};

int cmd_run(struct global_options *g, int argc, char **argv, struct ocirun_error *err)
{
    struct create_request req;
    struct cli_parser p;
    int r;

    lifecycle_request_init(&req, g);
    cli_parser_init(&p, &command, argc, argv);
    r = lifecycle_parse_flags(&p, &req, err);
    if (r < 0 || p.help_shown)
        return r;
    if (cli_container_id(&p, &req.id, err) < 0)
        return -1;
    return container_run(&req, err);
}
