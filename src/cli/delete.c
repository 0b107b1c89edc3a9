/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `ocirun delete [--force] ID`: remove a stopped (or created) container;
 * --force kills a running one first and makes an unknown id a success. */
#include "config.h"

#include "cli.h"
#include "container.h"
#include "options.h"

static const struct cli_flag flags[] = {
    {"force", 'f', NULL, "forcibly deletes the container if it is still running (uses SIGKILL)"},
    {NULL, 0, NULL, NULL},
};

static const struct cli_command command = {
    .name = "delete",
    .args = "<container-id>",
    .summary = "delete any resources held by the container often used with detached container",
    .description = "A stopped or created container is deleted: its processes are killed, its\n"
                   "   cgroup removed, the poststop hooks run (a failure only warns) and its\n"
                   "   state removed. A running container needs --force.",
    .flags = flags,
};

int cmd_delete(struct global_options *g, int argc, char **argv, struct ocirun_error *err)
{
    struct cli_parser p;
    const char *value, *id;
    bool force = false;
    int opt, r;

    cli_parser_init(&p, &command, argc, argv);
    while ((r = cli_next(&p, &opt, &value, err)) > 0) {
        if (opt == 'f')
            force = cli_is_true(value);
    }
    if (r < 0)
        return r;
    if (p.help_shown)
        return 0;
    if (cli_container_id(&p, &id, err) < 0)
        return -1;
    if (container_delete(g->root, id, force, err) < 0)
        return -1;
    return 0;
}
