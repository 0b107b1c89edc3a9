/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `ocirun checkpoint`: not implemented yet. The flags are runc's, so --help
 * already shows the interface the real implementation will keep. */
#include "config.h"

#include "cli.h"
#include "options.h"

static const struct cli_flag flags[] = {
    {"image-path", CLI_LONG_ONLY(1), "DIR", "path for saving criu image files"},
    {"work-path", CLI_LONG_ONLY(2), "DIR", "path for saving work files and logs"},
    {"parent-path", CLI_LONG_ONLY(3), "DIR", "path for previous criu image files in pre-dump"},
    {"leave-running", CLI_LONG_ONLY(4), NULL, "leave the process running after checkpointing"},
    {"tcp-established", CLI_LONG_ONLY(5), NULL, "allow open tcp connections"},
    {"ext-unix-sk", CLI_LONG_ONLY(6), NULL, "allow external unix sockets"},
    {"shell-job", CLI_LONG_ONLY(7), NULL, "allow shell jobs"},
    {"lazy-pages", CLI_LONG_ONLY(8), NULL, "use userfaultfd to lazily restore memory pages"},
    {"status-fd", CLI_LONG_ONLY(9), "FD", "criu writes \\0 to this FD once lazy-pages is ready"},
    {"page-server", CLI_LONG_ONLY(10), "ADDR", "ADDRESS:PORT of the page server"},
    {"file-locks", CLI_LONG_ONLY(11), NULL, "handle file locks, for safety"},
    {"pre-dump", CLI_LONG_ONLY(12), NULL,
     "dump container's memory information only, leave the container running after this"},
    {"manage-cgroups-mode", CLI_LONG_ONLY(13), "MODE",
     "cgroups mode: soft|full|strict|ignore (default: soft)"},
    {"empty-ns", CLI_LONG_ONLY(14), "NS", "create a namespace, but don't restore its properties"},
    {"auto-dedup", CLI_LONG_ONLY(15), NULL, "enable auto deduplication of memory images"},
    {NULL, 0, NULL, NULL},
};

static const struct cli_command command = {
    .name = "checkpoint",
    .args = "<container-id>",
    .summary = "checkpoint a running container",
    .flags = flags,
};

int cmd_checkpoint(struct global_options *g, int argc, char **argv, struct ocirun_error *err)
{
    (void)g;
    return cli_not_implemented(&command, argc, argv, err);
}
