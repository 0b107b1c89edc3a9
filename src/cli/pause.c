/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `ocirun pause ID`: freezes the container's cgroup (container_update.c). */
#include "config.h"

#include "cli.h"
#include "container_update.h"
#include "options.h"

static const struct cli_command command = {
    .name = "pause",
    .args = "<container-id>",
    .summary = "pause suspends all processes inside the container",
    .description = "Freezes every process of the container's cgroup (v1 freezer or cgroup2\n"
                   "   cgroup.freeze) and waits until the kernel reports it frozen; `state`\n"
                   "   then shows \"paused\". A container that is not created or running fails\n"
                   "   with \"container not running\".",
};

int cmd_pause(struct global_options *g, int argc, char **argv, struct ocirun_error *err)
{
    struct cli_parser p;
    const char *id;
    int r = cli_parse_id_only(&p, &command, argc, argv, &id, err);

    if (r <= 0)
        return r;
    if (container_pause(g->root, id, err) < 0)
        return -1;
    return 0;
}
