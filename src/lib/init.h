/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The container init: everything the cloned child does between clone and
 * execve (the sequence of GUIDE.md §3). */
#ifndef OCIRUN_INIT_H
#define OCIRUN_INIT_H

#include <stdbool.h>

#include "container.h"
#include "namespaces.h"
#include "ocispec.h"
#include "rootfs.h"
#include "seccomp_filter.h"
#include "state.h"

struct init_ctx {
    const struct oci_config *config;
    const struct create_request *req;
    struct container *container; /* the child's copy: for the hooks' state JSON */
    const struct ns_plan *ns;
    struct rootfs_context rootfs;
    int sock;    /* the child's end of the channel */
    int fifo_fd; /* O_PATH of <root>/<id>/exec.fifo */
    int fd_dir;  /* O_PATH of our /proc/self/fd, opened before pivot_root */
    const struct seccomp_program *seccomp; /* installed last, or NULL */
};

/* Runs in the child; never returns. Errors before READY go to the parent as
 * ERROR messages; later ones (after start) go to the parent when it still
 * listens (run), else to stderr and the --log file. */
__attribute__((noreturn)) void init_main(struct init_ctx *ctx);

#endif
