/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ocirun create: runc's flags, one call to container_create. */
#include "config.h"

#include <stdlib.h>

#include "cli.h"
#include "container.h"
#include "lifecycle_flags.h"
#include "options.h"

static const struct cli_command command = {
    .name = "create",
    .args = "<container-id>",
    .summary = "create a container",
    .description = "Creates the container from the bundle (config.json and its root "
                   "filesystem) and leaves its\ninit process waiting; `ocirun start` runs "
                   "the user process.",
    .flags = lifecycle_flags,
};

int cmd_create(struct global_options *g, int argc, char **argv, struct ocirun_error *err)
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
    if (container_create(&req, err) < 0)
        return -1;
    return 0;
}
