/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The container's filesystem view, done inside the container's new mount
 * namespace by the init process, in three steps around the hooks:
 *   rootfs_prepare   rootfs bind, every config mount, devices, /dev links
 *   (createContainer hooks run here, before pivot_root)
 *   rootfs_pivot     pivot_root (or MS_MOVE + chroot with --no-pivot)
 *   (console bind, hostname, sysctl ...)
 *   rootfs_finalize  maskedPaths, readonlyPaths, root.readonly, propagation */
#ifndef OCIRUN_ROOTFS_H
#define OCIRUN_ROOTFS_H

#include <stdbool.h>

#include "error.h"
#include "ocispec.h"

struct rootfs_context {
    const struct oci_config *config;
    const char *bundle; /* absolute bundle dir: relative mount sources and root.path are under it */
    const char *rootfs; /* absolute path of root.path */
    bool no_pivot;      /* --no-pivot */
    bool in_userns;     /* a new user namespace: devices are bind-mounted, not mknod'ed */
    bool has_new_pidns; /* fresh /proc is allowed */
    bool has_new_netns; /* fresh /sys is allowed */
    /* Optional, indexed like config->mounts: a detached mount tree prepared
     * on the host side by rootfs_open_mount_sources (idmapped binds need
     * CAP_SYS_ADMIN over the source filesystem, which a container in a new
     * user namespace lacks), or -1. NULL when none were prepared. */
    int *mount_fds;
};

int rootfs_prepare(const struct rootfs_context *ctx, struct ocirun_error *err);
int rootfs_pivot(const struct rootfs_context *ctx, struct ocirun_error *err);
/* Bind-mounts the pty slave (given as an fd) over /dev/console, after pivot. */
int rootfs_bind_console(int slave_fd, struct ocirun_error *err);
int rootfs_finalize(const struct rootfs_context *ctx, struct ocirun_error *err);

/* In the parent, before cloning the init (which inherits the fds): prepares
 * the mounts that need host privileges as detached trees in ctx->mount_fds.
 * Only does work when ctx->in_userns and a mount is idmapped. */
int rootfs_open_mount_sources(struct rootfs_context *ctx, struct ocirun_error *err);
/* Closes and frees ctx->mount_fds (the parent, once the child has them). */
void rootfs_close_mount_sources(struct rootfs_context *ctx);

/* Semantic checks of the mount part of the config, run before anything is
 * cloned (destinations absolute, known options, types...). */
int rootfs_validate(const struct oci_config *config, struct ocirun_error *err);

#endif
