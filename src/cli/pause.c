/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `ocirun pause`: not implemented yet. The flags are runc's, so --help
 * already shows the interface the real implementation will keep. */
#include "config.h"

#include "cli.h"
#include "options.h"

static const struct cli_command command = {
    .name = "pause",
    .args = "<container-id>",
    .summary = "pause suspends all processes inside the container",
};

int cmd_pause(struct global_options *g, int argc, char **argv, struct ocirun_error *err)
{
    (void)g;
    return cli_not_implemented(&command, argc, argv, err);
}
