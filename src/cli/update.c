/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `ocirun update`: not implemented yet. The flags are runc's, so --help
 * already shows the interface the real implementation will keep. */
#include "config.h"

#include "cli.h"
#include "options.h"

static const struct cli_flag flags[] = {
    {"resources", 'r', "FILE",
     "path to the file containing the resources to update or '-' to read from stdin"},
    {"blkio-weight", CLI_LONG_ONLY(1), "N",
     "specifies per cgroup weight, range is from 10 to 1000"},
    {"cpu-period", CLI_LONG_ONLY(2), "N", "CPU CFS period to be used for hardcapping (in usecs)"},
    {"cpu-quota", CLI_LONG_ONLY(3), "N",
     "CPU CFS hardcap limit (in usecs). Allowed cpu time in a given period"},
    {"cpu-rt-period", CLI_LONG_ONLY(4), "N",
     "CPU realtime period to be used for hardcapping (in usecs)"},
    {"cpu-rt-runtime", CLI_LONG_ONLY(5), "N", "CPU realtime hardcap limit (in usecs)"},
    {"cpu-share", CLI_LONG_ONLY(6), "N", "CPU shares (relative weight vs. other containers)"},
    {"cpuset-cpus", CLI_LONG_ONLY(7), "LIST", "CPU(s) to use"},
    {"cpuset-mems", CLI_LONG_ONLY(8), "LIST", "memory node(s) to use"},
    {"kernel-memory", CLI_LONG_ONLY(9), "N", "kernel memory limit (in bytes), ignored"},
    {"kernel-memory-tcp", CLI_LONG_ONLY(10), "N",
     "kernel memory limit (in bytes) for tcp buffer, ignored"},
    {"memory", CLI_LONG_ONLY(11), "N", "memory limit (in bytes)"},
    {"cpu-idle", CLI_LONG_ONLY(12), "N",
     "set cgroup SCHED_IDLE or not, 0: default behavior, 1: SCHED_IDLE"},
    {"memory-reservation", CLI_LONG_ONLY(13), "N", "memory reservation or soft_limit (in bytes)"},
    {"memory-swap", CLI_LONG_ONLY(14), "N",
     "total memory usage (memory + swap); set '-1' to enable unlimited swap"},
    {"pids-limit", CLI_LONG_ONLY(15), "N", "maximum number of pids allowed in the container"},
    {"l3-cache-schema", CLI_LONG_ONLY(16), "SCHEMA", "the string of Intel RDT/CAT L3 cache schema"},
    {"mem-bw-schema", CLI_LONG_ONLY(17), "SCHEMA",
     "the string of Intel RDT/MBA memory bandwidth schema"},
    {NULL, 0, NULL, NULL},
};

static const struct cli_command command = {
    .name = "update",
    .args = "<container-id>",
    .summary = "update container resource constraints",
    .flags = flags,
};

int cmd_update(struct global_options *g, int argc, char **argv, struct ocirun_error *err)
{
    (void)g;
    return cli_not_implemented(&command, argc, argv, err);
}
