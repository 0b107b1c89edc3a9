/* SPDX-License-Identifier: GPL-2.0-or-later */
/* checkpoint and restore through CRIU (the `criu` binary, driven through its
 * command line; see docs/checkpoint.md for why not the RPC interface). */
#ifndef OCIRUN_CRIU_H
#define OCIRUN_CRIU_H

#include <stdbool.h>

#include "error.h"

/* The flags both commands share, as runc names them. */
struct criu_flags {
    const char *image_path;          /* default: ./checkpoint */
    const char *work_path;           /* default: the image path */
    const char *manage_cgroups_mode; /* soft (default), full, strict, ignore */
    const char *empty_ns;            /* only "network" */
    bool tcp_established;
    bool ext_unix_sk;
    bool shell_job;
    bool file_locks;
    bool lazy_pages; /* refused */
    bool auto_dedup;
};

struct checkpoint_request {
    const char *root;
    const char *id;
    struct criu_flags criu;
    const char *parent_path;
    const char *page_server; /* refused */
    int status_fd;           /* refused when >= 0 */
    bool leave_running;
    bool pre_dump;
};

struct restore_request {
    const char *root;
    const char *id;
    struct criu_flags criu;
    const char *bundle;
    const char *pid_file;
    const char *console_socket; /* refused: terminals are not supported */
    const char *cgroup_manager;
    int rootless;
    bool detach;
    bool no_subreaper;
    bool no_pivot;
};

/* The criu binary to run (global --criu PATH); NULL: `criu` on PATH. */
void criu_set_binary(const char *path);

int container_checkpoint(const struct checkpoint_request *req, struct ocirun_error *err);
/* Returns 0 detached, else the restored init's exit code, or < 0. */
int container_restore(const struct restore_request *req, struct ocirun_error *err);

#endif
