/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `ocirun checkpoint`: runc's flags, one call to container_checkpoint
 * (src/lib/criu-checkpoint.c). */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "criu.h"
#include "options.h"
#include "util.h"

enum {
    F_IMAGE = CLI_LONG_ONLY(1),
    F_WORK,
    F_PARENT,
    F_LEAVE_RUNNING,
    F_TCP,
    F_EXT_UNIX,
    F_SHELL_JOB,
    F_LAZY,
    F_STATUS_FD,
    F_PAGE_SERVER,
    F_FILE_LOCKS,
    F_PRE_DUMP,
    F_CGROUPS_MODE,
    F_EMPTY_NS,
    F_AUTO_DEDUP,
};

static const struct cli_flag flags[] = {
    {"image-path", F_IMAGE, "DIR", "path for saving criu image files (default: ./checkpoint)"},
    {"work-path", F_WORK, "DIR", "path for saving work files and logs (default: the image path)"},
    {"parent-path", F_PARENT, "DIR",
     "path for previous criu image files in pre-dump, relative to the image path"},
    {"leave-running", F_LEAVE_RUNNING, NULL, "leave the process running after checkpointing"},
    {"tcp-established", F_TCP, NULL, "allow open tcp connections"},
    {"ext-unix-sk", F_EXT_UNIX, NULL, "allow external unix sockets"},
    {"shell-job", F_SHELL_JOB, NULL, "allow shell jobs"},
    {"lazy-pages", F_LAZY, NULL, "use userfaultfd to lazily restore memory pages (unsupported)"},
    {"status-fd", F_STATUS_FD, "FD",
     "criu writes \\0 to this FD once lazy-pages is ready "
     "(unsupported)"},
    {"page-server", F_PAGE_SERVER, "ADDR", "ADDRESS:PORT of the page server (unsupported)"},
    {"file-locks", F_FILE_LOCKS, NULL, "handle file locks, for safety"},
    {"pre-dump", F_PRE_DUMP, NULL,
     "dump container's memory information only, leave the container running after this"},
    {"manage-cgroups-mode", F_CGROUPS_MODE, "MODE",
     "cgroups mode: soft|full|strict|ignore (default: soft)"},
    {"empty-ns", F_EMPTY_NS, "NS",
     "create a namespace, but don't restore its properties (only: network)"},
    {"auto-dedup", F_AUTO_DEDUP, NULL, "enable auto deduplication of memory images"},
    {NULL, 0, NULL, NULL},
};

static const struct cli_command command = {
    .name = "checkpoint",
    .args = "<container-id>",
    .summary = "checkpoint a running container",
    .description = "Saves the container's processes with criu into the image path. Without "
                   "--leave-running\nor --pre-dump the container is stopped and deleted "
                   "afterwards, as runc does.",
    .flags = flags,
};

static int parse_fd(const char *value, int *out, struct ocirun_error *err)
{
    char *end;
    long n;

    errno = 0;
    n = strtol(value, &end, 10);
    if (errno || end == value || *end || n < 0 || n > INT_MAX)
        return error_plain(err, EINVAL, "invalid value \"%s\" for flag -status-fd", value);
    *out = (int)n;
    return 0;
}

static void set_bool(struct checkpoint_request *req, int id, bool v)
{
    switch (id) {
    case F_LEAVE_RUNNING:
        req->leave_running = v;
        break;
    case F_TCP:
        req->criu.tcp_established = v;
        break;
    case F_EXT_UNIX:
        req->criu.ext_unix_sk = v;
        break;
    case F_SHELL_JOB:
        req->criu.shell_job = v;
        break;
    case F_LAZY:
        req->criu.lazy_pages = v;
        break;
    case F_FILE_LOCKS:
        req->criu.file_locks = v;
        break;
    case F_PRE_DUMP:
        req->pre_dump = v;
        break;
    case F_AUTO_DEDUP:
        req->criu.auto_dedup = v;
        break;
    }
}

static int parse_flags(struct cli_parser *p, struct checkpoint_request *req,
                       struct ocirun_error *err)
{
    const char *value;
    int id, r;

    while ((r = cli_next(p, &id, &value, err)) > 0) {
        switch (id) {
        case F_IMAGE:
            req->criu.image_path = value;
            break;
        case F_WORK:
            req->criu.work_path = value;
            break;
        case F_PARENT:
            req->parent_path = value;
            break;
        case F_PAGE_SERVER:
            req->page_server = value;
            break;
        case F_CGROUPS_MODE:
            req->criu.manage_cgroups_mode = value;
            break;
        case F_EMPTY_NS:
            req->criu.empty_ns = value;
            break;
        case F_STATUS_FD:
            if (parse_fd(value, &req->status_fd, err) < 0)
                return -1;
            break;
        default:
            set_bool(req, id, cli_is_true(value));
        }
    }
    return r;
}

int cmd_checkpoint(struct global_options *g, int argc, char **argv, struct ocirun_error *err)
{
    struct checkpoint_request req = {.root = g->root, .status_fd = -1};
    struct cli_parser p;
    int r;

    cli_parser_init(&p, &command, argc, argv);
    r = parse_flags(&p, &req, err);
    if (r < 0 || p.help_shown)
        return r;
    if (cli_container_id(&p, &req.id, err) < 0)
        return -1;
    return container_checkpoint(&req, err);
}
