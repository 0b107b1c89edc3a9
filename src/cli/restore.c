/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `ocirun restore`: not implemented yet. The flags are runc's, so --help
 * already shows the interface the real implementation will keep. */
#include "config.h"

#include "cli.h"
#include "options.h"

static const struct cli_flag flags[] = {
    {"console-socket", CLI_LONG_ONLY(1), "PATH",
     "path to an AF_UNIX socket which will receive the pty master"},
    {"image-path", CLI_LONG_ONLY(2), "DIR", "path to criu image files for restoring"},
    {"work-path", CLI_LONG_ONLY(3), "DIR", "path for saving work files and logs"},
    {"tcp-established", CLI_LONG_ONLY(4), NULL, "allow open tcp connections"},
    {"ext-unix-sk", CLI_LONG_ONLY(5), NULL, "allow external unix sockets"},
    {"shell-job", CLI_LONG_ONLY(6), NULL, "allow shell jobs"},
    {"file-locks", CLI_LONG_ONLY(7), NULL, "handle file locks, for safety"},
    {"manage-cgroups-mode", CLI_LONG_ONLY(8), "MODE",
     "cgroups mode: soft|full|strict|ignore (default: soft)"},
    {"bundle", 'b', "DIR", "path to the root of the bundle directory"},
    {"detach", 'd', NULL, "detach from the container's process"},
    {"pid-file", CLI_LONG_ONLY(9), "FILE", "specify the file to write the process id to"},
    {"no-subreaper", CLI_LONG_ONLY(10), NULL,
     "disable the use of the subreaper used to reap reparented processes"},
    {"no-pivot", CLI_LONG_ONLY(11), NULL, "do not use pivot root to jail process inside rootfs"},
    {"empty-ns", CLI_LONG_ONLY(12), "NS", "create a namespace, but don't restore its properties"},
    {"auto-dedup", CLI_LONG_ONLY(13), NULL, "enable auto deduplication of memory images"},
    {"lazy-pages", CLI_LONG_ONLY(14), NULL, "use userfaultfd to lazily restore memory pages"},
    {"lsm-profile", CLI_LONG_ONLY(15), "PROFILE",
     "specify an LSM profile to be used during restore"},
    {"lsm-mount-context", CLI_LONG_ONLY(16), "CONTEXT",
     "specify an LSM mount context to be used during restore"},
    {NULL, 0, NULL, NULL},
};

static const struct cli_command command = {
    .name = "restore",
    .args = "<container-id>",
    .summary = "restore a container from a previous checkpoint",
    .flags = flags,
};

int cmd_restore(struct global_options *g, int argc, char **argv, struct ocirun_error *err)
{
    (void)g;
    return cli_not_implemented(&command, argc, argv, err);
}
