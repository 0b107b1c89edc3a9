/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `ocirun restore`: runc's flags, one call to container_restore
 * (src/lib/criu-restore.c). Exits with the container's exit code unless
 * --detach, like run. */
#include "config.h"

#include <errno.h>

#include "cli.h"
#include "criu.h"
#include "options.h"
#include "util.h"

enum {
    F_CONSOLE = CLI_LONG_ONLY(1),
    F_IMAGE,
    F_WORK,
    F_TCP,
    F_EXT_UNIX,
    F_SHELL_JOB,
    F_FILE_LOCKS,
    F_CGROUPS_MODE,
    F_PID_FILE,
    F_NO_SUBREAPER,
    F_NO_PIVOT,
    F_EMPTY_NS,
    F_AUTO_DEDUP,
    F_LAZY,
    F_LSM_PROFILE,
    F_LSM_MOUNT,
};

static const struct cli_flag flags[] = {
    {"console-socket", F_CONSOLE, "PATH",
     "path to an AF_UNIX socket which will receive the pty master (unsupported)"},
    {"image-path", F_IMAGE, "DIR",
     "path to criu image files for restoring (default: ./checkpoint)"},
    {"work-path", F_WORK, "DIR", "path for saving work files and logs (default: the image path)"},
    {"tcp-established", F_TCP, NULL, "allow open tcp connections"},
    {"ext-unix-sk", F_EXT_UNIX, NULL, "allow external unix sockets"},
    {"shell-job", F_SHELL_JOB, NULL, "allow shell jobs"},
    {"file-locks", F_FILE_LOCKS, NULL, "handle file locks, for safety"},
    {"manage-cgroups-mode", F_CGROUPS_MODE, "MODE",
     "cgroups mode: soft|full|strict|ignore (default: soft)"},
    {"bundle", 'b', "DIR", "path to the root of the bundle directory"},
    {"detach", 'd', NULL, "detach from the container's process"},
    {"pid-file", F_PID_FILE, "FILE", "specify the file to write the process id to"},
    {"no-subreaper", F_NO_SUBREAPER, NULL,
     "disable the use of the subreaper used to reap reparented processes"},
    {"no-pivot", F_NO_PIVOT, NULL,
     "do not use pivot root to jail process inside rootfs (criu decides; accepted for runc)"},
    {"empty-ns", F_EMPTY_NS, "NS",
     "create a namespace, but don't restore its properties (only: network)"},
    {"auto-dedup", F_AUTO_DEDUP, NULL, "enable auto deduplication of memory images"},
    {"lazy-pages", F_LAZY, NULL, "use userfaultfd to lazily restore memory pages (unsupported)"},
    {"lsm-profile", F_LSM_PROFILE, "PROFILE",
     "specify an LSM profile to be used during restore (unsupported)"},
    {"lsm-mount-context", F_LSM_MOUNT, "CONTEXT",
     "specify an LSM mount context to be used during restore (unsupported)"},
    {NULL, 0, NULL, NULL},
};

static const struct cli_command command = {
    .name = "restore",
    .args = "<container-id>",
    .summary = "restore a container from a previous checkpoint",
    .description = "Brings a checkpointed container back with criu as a running container "
                   "from the bundle's\nconfig.json; without --detach waits for it and exits "
                   "with its exit code.",
    .flags = flags,
};

static void set_bool(struct restore_request *req, int id, bool v)
{
    switch (id) {
    case F_TCP:
        req->criu.tcp_established = v;
        break;
    case F_EXT_UNIX:
        req->criu.ext_unix_sk = v;
        break;
    case F_SHELL_JOB:
        req->criu.shell_job = v;
        break;
    case F_FILE_LOCKS:
        req->criu.file_locks = v;
        break;
    case 'd':
        req->detach = v;
        break;
    case F_NO_SUBREAPER:
        req->no_subreaper = v;
        break;
    case F_NO_PIVOT:
        req->no_pivot = v;
        break;
    case F_AUTO_DEDUP:
        req->criu.auto_dedup = v;
        break;
    case F_LAZY:
        req->criu.lazy_pages = v;
        break;
    }
}

static int parse_flags(struct cli_parser *p, struct restore_request *req, struct ocirun_error *err)
{
    const char *value;
    int id, r;

    while ((r = cli_next(p, &id, &value, err)) > 0) {
        switch (id) {
        case F_CONSOLE:
            req->console_socket = value;
            break;
        case F_IMAGE:
            req->criu.image_path = value;
            break;
        case F_WORK:
            req->criu.work_path = value;
            break;
        case F_CGROUPS_MODE:
            req->criu.manage_cgroups_mode = value;
            break;
        case 'b':
            req->bundle = value;
            break;
        case F_PID_FILE:
            req->pid_file = value;
            break;
        case F_EMPTY_NS:
            req->criu.empty_ns = value;
            break;
        case F_LSM_PROFILE:
        case F_LSM_MOUNT:
            return error_plain(err, ENOTSUP, "--%s is not supported by ocirun",
                               id == F_LSM_PROFILE ? "lsm-profile" : "lsm-mount-context");
        default:
            set_bool(req, id, cli_is_true(value));
        }
    }
    return r;
}

int cmd_restore(struct global_options *g, int argc, char **argv, struct ocirun_error *err)
{
    struct restore_request req = {
        .root = g->root,
        .cgroup_manager = g->cgroup_manager,
        .rootless = g->rootless,
    };
    struct cli_parser p;
    int r;

    cli_parser_init(&p, &command, argc, argv);
    r = parse_flags(&p, &req, err);
    if (r < 0 || p.help_shown)
        return r;
    if (cli_container_id(&p, &req.id, err) < 0)
        return -1;
    return container_restore(&req, err);
}
