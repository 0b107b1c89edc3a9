/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `ocirun resume ID`: thaws the container's cgroup (container_update.c). */
#include "config.h"

#include "cli.h"
#include "container_update.h"
#include "options.h"

static const struct cli_command command = {
    .name = "resume",
    .args = "<container-id>",
    .summary = "resumes all processes that have been previously paused",
    .description = "Thaws the container's cgroup and waits until the kernel reports it\n"
                   "   thawed. A container that is not paused fails with \"container not paused\".",
};

int cmd_resume(struct global_options *g, int argc, char **argv, struct ocirun_error *err)
{
    struct cli_parser p;
    const char *id;
    int r = cli_parse_id_only(&p, &command, argc, argv, &id, err);

    if (r <= 0)
        return r;
    if (container_resume(g->root, id, err) < 0)
        return -1;
    return 0;
}
