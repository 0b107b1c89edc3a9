/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `ocirun events`: not implemented yet. The flags are runc's, so --help
 * already shows the interface the real implementation will keep. */
#include "config.h"

#include "cli.h"
#include "options.h"

static const struct cli_flag flags[] = {
    {"interval", CLI_LONG_ONLY(1), "DURATION", "set the stats collection interval (default: 5s)"},
    {"stats", CLI_LONG_ONLY(2), NULL, "display the container's stats then exit"},
    {NULL, 0, NULL, NULL},
};

static const struct cli_command command = {
    .name = "events",
    .args = "<container-id>",
    .summary =
        "display container events such as OOM notifications, cpu, memory, and IO usage statistics",
    .flags = flags,
};

int cmd_events(struct global_options *g, int argc, char **argv, struct ocirun_error *err)
{
    (void)g;
    return cli_not_implemented(&command, argc, argv, err);
}
