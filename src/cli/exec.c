/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `ocirun exec`: not implemented yet. The flags are runc's, so --help
 * already shows the interface the real implementation will keep. */
#include "config.h"

#include "cli.h"
#include "options.h"

static const struct cli_flag flags[] = {
    {"console-socket", CLI_LONG_ONLY(1), "PATH",
     "path to an AF_UNIX socket which will receive the pty master"},
    {"cwd", CLI_LONG_ONLY(2), "DIR", "current working directory in the container"},
    {"env", 'e', "VAR", "set environment variables"},
    {"tty", 't', NULL, "allocate a pseudo-TTY"},
    {"user", 'u', "UID[:GID]", "UID (format: <uid>[:<gid>])"},
    {"additional-gids", 'g', "GID", "additional gids"},
    {"process", 'p', "FILE", "path to the process.json"},
    {"detach", 'd', NULL, "detach from the container's process"},
    {"pid-file", CLI_LONG_ONLY(3), "FILE", "specify the file to write the process id to"},
    {"process-label", CLI_LONG_ONLY(4), "LABEL",
     "set the asm process label for the process commonly used with selinux"},
    {"apparmor", CLI_LONG_ONLY(5), "PROFILE", "set the apparmor profile for the process"},
    {"no-new-privs", CLI_LONG_ONLY(6), NULL, "set the no new privileges value for the process"},
    {"cap", 'c', "CAP", "add a capability to the bounding set for the process"},
    {"preserve-fds", CLI_LONG_ONLY(7), "N", "pass N additional file descriptors to the container"},
    {"cgroup", CLI_LONG_ONLY(8), "PATH", "run the process in an (existing) sub-cgroup(s)"},
    {"ignore-paused", CLI_LONG_ONLY(9), NULL, "allow exec in a paused container"},
    {NULL, 0, NULL, NULL},
};

static const struct cli_command command = {
    .name = "exec",
    .args = "<container-id> <command> [command options]",
    .summary = "execute new process inside the container",
    .flags = flags,
};

int cmd_exec(struct global_options *g, int argc, char **argv, struct ocirun_error *err)
{
    (void)g;
    return cli_not_implemented(&command, argc, argv, err);
}
