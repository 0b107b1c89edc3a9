/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The container's filesystem view (rootfs.h): the three steps around the
 * hooks, the console bind and the semantic checks of the mount config. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "devices.h"
#include "log.h"
#include "mounts.h"
#include "paths.h"
#include "rootfs.h"
#include "safepath.h"
#include "util.h"

/* mount(2) targets like /proc/self/fd/N are only safe on the real procfs. */
static int check_proc_is_procfs(struct ocirun_error *err)
{
    struct statfs sfs;

    if (statfs("/proc", &sfs) < 0)
        return error_make(err, errno, "statfs `/proc`");
    if (sfs.f_type != PROC_SUPER_MAGIC)
        return error_make(err, EPERM, "`/proc` is not procfs");
    return 0;
}

static unsigned long rootfs_propagation(const struct rootfs_context *ctx)
{
    const struct oci_linux *lx = ctx->config->linux_;

    if (lx == NULL || lx->rootfs_propagation == NULL)
        return 0;
    return mount_propagation_parse(lx->rootfs_propagation);
}

/* The host's tree is made private (or slave, so host mounts still arrive)
 * before anything is mounted, so nothing done here reaches the host. A
 * "shared" or "unbindable" rootfs is set after pivot_root (rootfs_finalize):
 * shared now would propagate to the host's peers, unbindable would forbid
 * the rootfs bind. */
static int prepare_propagation(const struct rootfs_context *ctx, struct ocirun_error *err)
{
    unsigned long prop = rootfs_propagation(ctx) & ~(unsigned long)MS_REC;
    unsigned long flags = MS_REC | MS_PRIVATE;

    if (prop == MS_SLAVE || prop == MS_SHARED)
        flags = MS_REC | MS_SLAVE;
    if (mount(NULL, "/", NULL, flags, NULL) < 0)
        return error_make(err, errno, "make the mount tree %s",
                          flags & MS_SLAVE ? "slave" : "private");
    return 0;
}

int rootfs_prepare(const struct rootfs_context *ctx, struct ocirun_error *err)
{
    const struct oci_config *config = ctx->config;

    if (check_proc_is_procfs(err) < 0 || prepare_propagation(ctx, err) < 0)
        return -1;
    /* pivot_root needs the new root to be a mount point. */
    if (mount(ctx->rootfs, ctx->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
        return error_make(err, errno, "bind the rootfs `%s` onto itself", ctx->rootfs);
    cleanup_close int rootfd = open(ctx->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0)
        return error_make(err, errno, "open the rootfs `%s`", ctx->rootfs);
    for (size_t i = 0; i < config->mounts_len; i++)
        if (mount_apply(ctx, rootfd, i, err) < 0)
            return -1;
    if (devices_setup(ctx, rootfd, err) < 0)
        return -1;
    return 0;
}

static int pivot_root_here(struct ocirun_error *err)
{
    struct mount_attr slave = {.propagation = MS_SLAVE};
    cleanup_close int oldroot = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);

    if (oldroot < 0)
        return error_make(err, errno, "open the old root");
    if (syscall(SYS_pivot_root, ".", ".") < 0)
        return error_make(err, errno, "pivot_root");
    /* The old root now sits on top of "."; make its tree slave first so that
     * its detach cannot propagate to the host. Through the fd: "." itself
     * would name the new root, whose mounts keep their propagation. */
    if (mount_setattr(oldroot, "", AT_EMPTY_PATH | AT_RECURSIVE, &slave, sizeof(slave)) < 0)
        return error_make(err, errno, "make the old root slave");
    if (umount2(".", MNT_DETACH) < 0)
        return error_make(err, errno, "detach the old root");
    return 0;
}

int rootfs_pivot(const struct rootfs_context *ctx, struct ocirun_error *err)
{
    cleanup_close int rootfd = open(ctx->rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (rootfd < 0)
        return error_make(err, errno, "open the rootfs `%s`", ctx->rootfs);
    if (fchdir(rootfd) < 0)
        return error_make(err, errno, "chdir to the rootfs `%s`", ctx->rootfs);
    if (ctx->no_pivot) {
        if (mount(".", "/", NULL, MS_MOVE, NULL) < 0)
            return error_make(err, errno, "move the rootfs `%s` onto /", ctx->rootfs);
        if (chroot(".") < 0)
            return error_make(err, errno, "chroot to the rootfs `%s`", ctx->rootfs);
    } else if (pivot_root_here(err) < 0) {
        return error_wrap(err, "rootfs `%s`", ctx->rootfs);
    }
    if (chdir("/") < 0)
        return error_make(err, errno, "chdir `/` in the container");
    return 0;
}

int rootfs_bind_console(int slave_fd, struct ocirun_error *err)
{
    struct statfs sfs;
    struct stat st;

    if (fstatfs(slave_fd, &sfs) < 0 || fstat(slave_fd, &st) < 0)
        return error_make(err, errno, "stat the console pty");
    if (sfs.f_type != DEVPTS_SUPER_MAGIC || !S_ISCHR(st.st_mode))
        return error_make(err, EINVAL, "the console is not a devpts pty");
    cleanup_close int rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0)
        return error_make(err, errno, "open `/`");
    cleanup_close int dest = safepath_create(rootfd, "/dev/console", false, 0600, err);
    if (dest < 0)
        return error_wrap(err, "console");
    if (fstat(dest, &st) < 0)
        return error_make(err, errno, "stat `/dev/console`");
    if (S_ISDIR(st.st_mode))
        return error_make(err, EISDIR, "`/dev/console` is a directory");
    cleanup_close int tree =
        open_tree(slave_fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
    if (tree < 0)
        return error_make(err, errno, "clone the console pty");
    if (move_mount(tree, "", dest, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
        return error_make(err, errno, "bind the console pty to `/dev/console`");
    return 0;
}

static int finalize_root(const struct rootfs_context *ctx, int rootfd, struct ocirun_error *err)
{
    const struct oci_root *root = ctx->config->root;
    unsigned long prop = rootfs_propagation(ctx);

    if (root && root->readonly) {
        struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY};
        if (mount_setattr(rootfd, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0)
            return error_make(err, errno, "make the root read-only");
    }
    if (prop != 0) {
        struct mount_attr attr = {.propagation = prop & ~(unsigned long)MS_REC};
        unsigned flags = AT_EMPTY_PATH | ((prop & MS_REC) ? AT_RECURSIVE : 0);
        if (mount_setattr(rootfd, "", flags, &attr, sizeof(attr)) < 0)
            return error_make(err, errno, "set linux.rootfsPropagation `%s`",
                              ctx->config->linux_->rootfs_propagation);
    }
    return 0;
}

static bool has_cgroupns(const struct oci_config *config)
{
    const struct oci_linux *lx = config->linux_;

    for (size_t i = 0; lx && i < lx->namespaces_len; i++)
        if (lx->namespaces[i].type && strcmp(lx->namespaces[i].type, "cgroup") == 0)
            return true;
    return false;
}

static uint64_t mnt_id_at(int dirfd, const char *path)
{
    struct statx stx;

    if (statx(dirfd, path, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &stx) < 0)
        return 0;
    return stx.stx_mnt_id;
}

/* CVE-2023-25809: a container with a user namespace of its own but no
 * cgroup namespace sees the host's cgroup tree (a cgroup mount, or the
 * host's /sys bound with `rbind,ro`, where `ro` does not reach the
 * submounts). In a rootless setup that tree includes cgroups the user owns
 * on the host: whatever the config says, it is read-only inside,
 * recursively, as runc's fix for the CVE makes it. Nothing to do when
 * /sys/fs/cgroup is not a mount point. */
static int cgroup_tree_readonly(const struct rootfs_context *ctx, int rootfd,
                                struct ocirun_error *err)
{
    struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY};
    cleanup_close int fd = -1;
    uint64_t id;

    if (!ctx->in_userns || has_cgroupns(ctx->config))
        return 0;
    fd = safepath_open(rootfd, "/sys/fs/cgroup", O_PATH | O_DIRECTORY, 0, NULL);
    if (fd < 0)
        return 0; /* no /sys/fs/cgroup at all */
    id = mnt_id_at(fd, "");
    if (id == 0 || id == mnt_id_at(fd, ".."))
        return 0;
    if (mount_setattr(fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) < 0)
        return error_make(err, errno, "make `/sys/fs/cgroup` read-only (no cgroup namespace)");
    return 0;
}

int rootfs_finalize(const struct rootfs_context *ctx, struct ocirun_error *err)
{
    const struct oci_linux *lx = ctx->config->linux_;
    cleanup_close int rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);

    if (rootfd < 0)
        return error_make(err, errno, "open `/`");
    if (lx && paths_make_readonly(rootfd, lx->readonly_paths, lx->readonly_paths_len, err) < 0)
        return -1;
    if (lx && paths_mask(rootfd, lx->masked_paths, lx->masked_paths_len, err) < 0)
        return -1;
    if (cgroup_tree_readonly(ctx, rootfd, err) < 0)
        return -1;
    return finalize_root(ctx, rootfd, err);
}

int rootfs_open_mount_sources(struct rootfs_context *ctx, struct ocirun_error *err)
{
    const struct oci_config *config = ctx->config;
    bool any = false;

    if (!ctx->in_userns)
        return 0;
    for (size_t i = 0; i < config->mounts_len; i++)
        any = any || mount_is_idmapped(config, i);
    if (!any)
        return 0;
    ctx->mount_fds = xmalloc(config->mounts_len * sizeof(int));
    for (size_t i = 0; i < config->mounts_len; i++)
        ctx->mount_fds[i] = -1;
    for (size_t i = 0; i < config->mounts_len; i++) {
        if (!mount_is_idmapped(config, i))
            continue;
        ctx->mount_fds[i] = mount_open_source_tree(ctx, i, err);
        if (ctx->mount_fds[i] < 0) {
            rootfs_close_mount_sources(ctx);
            return -1;
        }
    }
    return 0;
}

void rootfs_close_mount_sources(struct rootfs_context *ctx)
{
    if (ctx->mount_fds == NULL)
        return;
    for (size_t i = 0; i < ctx->config->mounts_len; i++)
        if (ctx->mount_fds[i] >= 0)
            close(ctx->mount_fds[i]);
    free(ctx->mount_fds);
    ctx->mount_fds = NULL;
}
