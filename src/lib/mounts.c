/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Applying one entry of the config's mounts[] inside the container root.
 *
 * Destinations are resolved inside the root by safepath and mounts land on
 * that fd: bind mounts with the new mount API (open_tree clone, attributes
 * set on the detached tree, move_mount onto the destination fd), other
 * filesystems with mount(2) onto /proc/self/fd/N (exact mount(2) semantics
 * for every option of config.md; rootfs_prepare verified /proc is procfs).
 * The new mount is then re-opened and checked to be a new mount before
 * propagation and the recursive attributes are applied to it. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "lsm.h"
#include "mounts.h"
#include "safepath.h"
#include "util.h"

#ifndef ST_NOSYMFOLLOW
#define ST_NOSYMFOLLOW 0x2000
#endif

struct mount_job {
    const struct rootfs_context *ctx;
    const struct oci_mount *m;
    size_t index;
    int rootfd;
    char *dest;   /* cleaned destination */
    char *source; /* bind mounts: host path, bundle-relative ones made absolute */
    const char *type;
    struct mount_options opts;
};

static void mount_job_free(struct mount_job *j)
{
    free(j->dest);
    free(j->source);
    mount_options_free(&j->opts);
}

static uint64_t mount_id_of(int fd)
{
    struct statx stx;

    if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &stx) < 0)
        return 0;
    return stx.stx_mnt_id;
}

/* Submounts of /proc and /sys are where a symlink swap becomes a host
 * escape (CVE-2019-16884, CVE-2019-19921): no symlink may be crossed there,
 * and under /proc the destination must already be on procfs. */
static int check_special_dest(struct mount_job *j, int fd, int srcfd, struct ocirun_error *err)
{
    struct statfs sfs;

    if (path_is_under(j->dest, "/proc") && strcmp(j->dest, "/proc") != 0) {
        if (fstatfs(fd, &sfs) < 0)
            return error_make(err, errno, "statfs mount destination `%s`", j->dest);
        if (sfs.f_type != PROC_SUPER_MAGIC)
            return error_make(err, EPERM,
                              "mounts[%zu]: destination `%s` is under /proc but not on procfs",
                              j->index, j->dest);
    } else if (strcmp(j->dest, "/proc") == 0 && srcfd >= 0) {
        /* A bind onto /proc must bring a procfs, not arbitrary files. */
        if (fstatfs(srcfd, &sfs) < 0)
            return error_make(err, errno, "statfs mount source `%s`", j->source);
        if (sfs.f_type != PROC_SUPER_MAGIC)
            return error_make(err, EPERM, "mounts[%zu]: only procfs may be mounted on /proc",
                              j->index);
    }
    return 0;
}

/* Creates the destination inside root (a directory, or an empty file when
 * the source is not a directory) and opens it as O_PATH. */
static int open_dest(struct mount_job *j, bool is_dir, int srcfd, struct ocirun_error *err)
{
    bool special = path_is_under(j->dest, "/proc") || path_is_under(j->dest, "/sys");
    cleanup_close int fd = -1;

    /* Where no symlink may be crossed, a destination that is already there
     * is opened once, the strict way; only a missing one (or one behind a
     * symlink, which fails again below) goes through safepath_create. */
    if (special) {
        fd = safepath_open(j->rootfd, j->dest, O_PATH, SAFEPATH_NO_SYMLINKS, err);
        if (fd >= 0)
            return check_special_dest(j, fd, srcfd, err) < 0 ? -1 : steal_fd(&fd);
        error_clear(err);
    }
    fd = safepath_create(j->rootfd, j->dest, is_dir, 0755, err);
    if (fd < 0)
        return error_wrap(err, "mounts[%zu]: destination `%s`", j->index, j->m->destination);
    if (special) {
        close(fd);
        fd = safepath_open(j->rootfd, j->dest, O_PATH, SAFEPATH_NO_SYMLINKS, err);
        if (fd < 0)
            return error_wrap(err, "mounts[%zu]: destination `%s` may not go through a symlink",
                              j->index, j->dest);
        if (check_special_dest(j, fd, srcfd, err) < 0)
            return -1;
    }
    return steal_fd(&fd);
}

static int set_attr(int fd, unsigned flags, uint64_t set, uint64_t clr, uint64_t prop,
                    const char *what, struct mount_job *j, struct ocirun_error *err)
{
    struct mount_attr attr = {.attr_set = set, .attr_clr = clr, .propagation = prop};

    if (set == 0 && clr == 0 && prop == 0)
        return 0;
    if (mount_setattr(fd, "", AT_EMPTY_PATH | flags, &attr, sizeof(attr)) < 0)
        return error_make(err, errno, "mounts[%zu]: set %s on `%s`", j->index, what, j->dest);
    return 0;
}

/* After the mount is attached: recursive r* attributes, then propagation. */
static int apply_post_attrs(struct mount_job *j, int mntfd, struct ocirun_error *err)
{
    unsigned long prop = j->opts.propagation;

    if (set_attr(mntfd, AT_RECURSIVE, j->opts.rec_set, j->opts.rec_clr, 0, "recursive attributes",
                 j, err) < 0)
        return -1;
    if (prop == 0)
        return 0;
    return set_attr(mntfd, (prop & MS_REC) ? AT_RECURSIVE : 0, 0, 0, prop & ~(unsigned long)MS_REC,
                    "propagation", j, err);
}

/* In a user namespace the source's nosuid/nodev/noexec/ro/atime are locked:
 * a request to clear them would fail with EPERM, so they are kept (runc does
 * the same by adding them to its remount flags). */
static uint64_t locked_attrs(int fd)
{
    struct statfs sfs;
    uint64_t locked = 0;

    if (fstatfs(fd, &sfs) < 0)
        return 0;
    if (sfs.f_flags & ST_RDONLY)
        locked |= MOUNT_ATTR_RDONLY;
    if (sfs.f_flags & ST_NOSUID)
        locked |= MOUNT_ATTR_NOSUID;
    if (sfs.f_flags & ST_NODEV)
        locked |= MOUNT_ATTR_NODEV;
    if (sfs.f_flags & ST_NOEXEC)
        locked |= MOUNT_ATTR_NOEXEC;
    if (sfs.f_flags & ST_NOATIME)
        locked |= MOUNT_ATTR__ATIME;
    return locked;
}

static int apply_idmap(struct mount_job *j, int tree, struct ocirun_error *err)
{
    const struct oci_mount *m = j->m;
    const struct oci_linux *lx = j->ctx->config->linux_;
    const struct oci_id_mapping *u = m->uid_mappings, *g = m->gid_mappings;
    size_t nu = m->uid_mappings_len, ng = m->gid_mappings_len;

    if (u == NULL && g == NULL && lx != NULL) {
        /* No mappings on the mount: the container's own (config.md idmap). */
        u = lx->uid_mappings, nu = lx->uid_mappings_len;
        g = lx->gid_mappings, ng = lx->gid_mappings_len;
    }
    if (nu == 0 || ng == 0)
        return error_make(err, EINVAL, "mounts[%zu]: idmap needs uidMappings and gidMappings",
                          j->index);
    cleanup_close int userns = idmap_userns_fd(u, nu, g, ng, err);
    if (userns < 0)
        return error_wrap(err, "mounts[%zu]: idmapped mount of `%s`", j->index, j->source);
    struct mount_attr attr = {.attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t)userns};
    unsigned flags = AT_EMPTY_PATH | (j->opts.ridmap ? AT_RECURSIVE : 0);
    if (mount_setattr(tree, "", flags, &attr, sizeof(attr)) < 0)
        return error_make(err, errno, "mounts[%zu]: idmap the mount of `%s`", j->index, j->source);
    return 0;
}

/* Old-API bind for kernels without open_tree (< 5.2): bind onto the fd,
 * then remount with the flags, keeping the source's locked flags. */
static int bind_legacy(struct mount_job *j, struct ocirun_error *err)
{
    struct stat st;
    char buf[32];

    if (stat(j->source, &st) < 0)
        return error_make(err, errno, "mounts[%zu]: stat mount source `%s`", j->index, j->source);
    cleanup_close int dest = open_dest(j, S_ISDIR(st.st_mode), -1, err);
    if (dest < 0)
        return -1;
    unsigned long rec = j->opts.flags & MS_REC;
    if (mount(j->source, fd_magic_path(dest, buf), NULL, MS_BIND | rec, NULL) < 0)
        return error_make(err, errno, "mounts[%zu]: bind `%s` to `%s`", j->index, j->source,
                          j->dest);
    unsigned long fl = j->opts.flags & ~(unsigned long)(MS_BIND | MS_REC | MS_REMOUNT);
    if (fl == 0)
        return 0;
    struct statfs sfs;
    if (statfs(j->source, &sfs) == 0 && j->ctx->in_userns)
        fl |= sfs.f_flags & (ST_NOSUID | ST_NODEV | ST_NOEXEC | ST_RDONLY);
    cleanup_close int top = safepath_open(j->rootfd, j->dest, O_PATH, 0, err);
    if (top < 0)
        return -1;
    if (mount(NULL, fd_magic_path(top, buf), NULL, MS_BIND | MS_REMOUNT | fl, NULL) < 0)
        return error_make(err, errno, "mounts[%zu]: remount `%s` with its options", j->index,
                          j->dest);
    return 0;
}

static bool job_is_idmapped(const struct mount_job *j)
{
    return j->opts.idmap || j->opts.ridmap || j->m->uid_mappings || j->m->gid_mappings;
}

/* The source as a detached tree (a clone, recursive for rbind), idmapped
 * when the mount asks for it. */
static int open_source_tree(struct mount_job *j, struct ocirun_error *err)
{
    unsigned otflags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC;

    if (j->opts.flags & MS_REC)
        otflags |= AT_RECURSIVE;
    cleanup_close int tree = open_tree(AT_FDCWD, j->source, otflags);
    if (tree < 0)
        return error_make(err, errno, "mounts[%zu]: open mount source `%s`", j->index, j->source);
    if (job_is_idmapped(j) && apply_idmap(j, tree, err) < 0)
        return -1;
    return steal_fd(&tree);
}

static int prepared_tree(struct mount_job *j, struct ocirun_error *err)
{
    int fd;

    if (j->ctx->mount_fds == NULL || j->ctx->mount_fds[j->index] < 0) {
        /* The host ids of the mappings mean nothing inside the container's
         * user namespace, and the source filesystem belongs to the host. */
        if (j->ctx->in_userns && job_is_idmapped(j))
            return error_make(err, EPERM,
                              "mounts[%zu]: the idmapped mount of `%s` in a user namespace was "
                              "not prepared by the parent (rootfs_open_mount_sources)",
                              j->index, j->source);
        return open_source_tree(j, err);
    }
    fd = fcntl(j->ctx->mount_fds[j->index], F_DUPFD_CLOEXEC, 3);
    if (fd < 0)
        return error_make(err, errno, "mounts[%zu]: prepared mount of `%s`", j->index, j->source);
    return fd;
}

static int mount_bind(struct mount_job *j, struct ocirun_error *err)
{
    uint64_t set, clr;
    struct stat st;

    cleanup_close int tree = prepared_tree(j, err);
    if (tree < 0 && err->errnum == ENOSYS && !job_is_idmapped(j)) {
        error_clear(err); /* a kernel without the new mount API (< 5.2) */
        return bind_legacy(j, err);
    }
    if (tree < 0)
        return -1;
    if (fstat(tree, &st) < 0)
        return error_make(err, errno, "mounts[%zu]: stat mount source `%s`", j->index, j->source);
    mount_flags_to_attr(j->opts.flags, j->opts.clear, &set, &clr);
    if (j->ctx->in_userns)
        clr &= ~locked_attrs(tree);
    if (set_attr(tree, 0, set, clr, 0, "bind mount options", j, err) < 0)
        return -1;
    cleanup_close int dest = open_dest(j, S_ISDIR(st.st_mode), tree, err);
    if (dest < 0)
        return -1;
    if (move_mount(tree, "", dest, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
        return error_make(err, errno, "mounts[%zu]: bind `%s` to `%s`", j->index, j->source,
                          j->dest);
    return apply_post_attrs(j, tree, err);
}

/* Opens the root of the mount just made on `dest` and checks it is new. */
static int reopen_new_mount(struct mount_job *j, uint64_t old_id, struct ocirun_error *err)
{
    int fd = safepath_open(j->rootfd, j->dest, O_PATH | O_DIRECTORY, 0, err);

    if (fd < 0)
        return error_wrap(err, "mounts[%zu]: reopen `%s` after mounting", j->index, j->dest);
    if (old_id != 0 && mount_id_of(fd) == old_id) {
        close(fd);
        return error_make(err, EXDEV, "mounts[%zu]: `%s` changed while mounting", j->index,
                          j->dest);
    }
    return fd;
}

static int mount_filesystem(struct mount_job *j, struct ocirun_error *err)
{
    unsigned long flags = j->opts.flags & ~(unsigned long)MS_REC;
    bool late_ro = j->opts.tmpcopyup && (flags & MS_RDONLY);
    cleanup_close int olddir = -1;
    char buf[32];

    cleanup_close int dest = open_dest(j, true, -1, err);
    if (dest < 0)
        return -1;
    if (j->opts.tmpcopyup) {
        /* Keeps the covered directory reachable for the copy. */
        olddir = openat(dest, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (olddir < 0)
            return error_make(err, errno, "mounts[%zu]: open `%s` for tmpcopyup", j->index,
                              j->dest);
    }
    if (late_ro)
        flags &= ~(unsigned long)MS_RDONLY; /* the copy needs it writable */
    uint64_t old_id = mount_id_of(dest);
    const char *src = j->m->source ? j->m->source : j->type;
    const struct oci_linux *lx = j->ctx->config->linux_;
    const char *label = lx ? lx->mount_label : NULL;
    cleanup_free char *labeled =
        lsm_mount_data(j->opts.data, label, j->type, label && label[0] ? lsm_host() : 0);
    const char *data = labeled ? labeled : j->opts.data;
    if (mount(src, fd_magic_path(dest, buf), j->type, flags, data) < 0)
        return error_make(err, errno, "mounts[%zu]: mount %s `%s` to `%s` (data `%s`)", j->index,
                          j->type, src, j->dest, data ? data : "");
    cleanup_close int mnt = reopen_new_mount(j, old_id, err);
    if (mnt < 0)
        return -1;
    if (j->opts.tmpcopyup) {
        cleanup_close int newdir = openat(mnt, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (newdir < 0 || tmpcopyup_copy(olddir, newdir, err) < 0)
            return newdir < 0 ? error_make(err, errno, "open `%s`", j->dest)
                              : error_wrap(err, "mounts[%zu]: tmpcopyup `%s`", j->index, j->dest);
        if (late_ro && set_attr(mnt, 0, MOUNT_ATTR_RDONLY, 0, 0, "ro", j, err) < 0)
            return -1;
    }
    return apply_post_attrs(j, mnt, err);
}

/* "remount": change the flags of what is already mounted on destination. */
static int mount_remount(struct mount_job *j, struct ocirun_error *err)
{
    char buf[32];
    cleanup_close int dest = safepath_open(j->rootfd, j->dest, O_PATH, 0, err);

    if (dest < 0)
        return error_wrap(err, "mounts[%zu]: remount", j->index);
    if (mount(j->m->source, fd_magic_path(dest, buf), j->type, j->opts.flags, j->opts.data) < 0)
        return error_make(err, errno, "mounts[%zu]: remount `%s`", j->index, j->dest);
    return apply_post_attrs(j, dest, err);
}

static void job_init(struct mount_job *j, const struct rootfs_context *ctx, int rootfd,
                     size_t index)
{
    const struct oci_mount *m = &ctx->config->mounts[index];

    memset(j, 0, sizeof(*j));
    j->ctx = ctx;
    j->m = m;
    j->index = index;
    j->rootfd = rootfd;
    j->dest = path_clean(m->destination);
    j->type = m->type;
    mount_options_parse(m->options, m->options_len, &j->opts);
    if (j->type != NULL && strcmp(j->type, "bind") == 0)
        j->opts.flags |= MS_BIND;
    if (j->type == NULL && (j->opts.flags & MS_BIND) == 0)
        j->type = "none";
    /* Without their own namespace, a fresh sysfs (new netns) or procfs in a
     * user namespace (new pidns) cannot be mounted: bind the host's. */
    if (j->type && strcmp(j->type, "sysfs") == 0 && !ctx->has_new_netns) {
        j->opts.flags |= MS_BIND | MS_REC;
        j->source = xstrdup("/sys");
    } else if (j->type && strcmp(j->type, "proc") == 0 && !ctx->has_new_pidns && ctx->in_userns) {
        j->opts.flags |= MS_BIND | MS_REC;
        j->source = xstrdup("/proc");
    } else if (m->source != NULL && m->source[0] != '/' && (j->opts.flags & MS_BIND)) {
        j->source = xasprintf("%s/%s", ctx->bundle, m->source);
    } else {
        j->source = xstrdup(m->source);
    }
}

int mount_apply(const struct rootfs_context *ctx, int rootfd, size_t index,
                struct ocirun_error *err)
{
    struct mount_job j;
    int r;

    job_init(&j, ctx, rootfd, index);
    if (j.opts.flags & MS_REMOUNT)
        r = mount_remount(&j, err);
    else if (j.opts.flags & MS_BIND) {
        if (j.source == NULL)
            r = error_make(err, EINVAL, "mounts[%zu]: a bind mount needs a source", index);
        else
            r = mount_bind(&j, err);
    } else if (strcmp(j.type, "cgroup") == 0)
        r = mount_cgroup_tree(ctx, rootfd, j.dest, &j.opts, err);
    else
        r = mount_filesystem(&j, err);
    mount_job_free(&j);
    return r < 0 ? -1 : 0;
}

bool mount_is_idmapped(const struct oci_config *config, size_t index)
{
    const struct oci_mount *m = &config->mounts[index];
    struct mount_options o;
    bool r;

    mount_options_parse(m->options, m->options_len, &o);
    r = o.idmap || o.ridmap || m->uid_mappings || m->gid_mappings;
    mount_options_free(&o);
    return r;
}

int mount_open_source_tree(const struct rootfs_context *ctx, size_t index, struct ocirun_error *err)
{
    struct mount_job j;
    int fd;

    job_init(&j, ctx, -1, index);
    fd = open_source_tree(&j, err);
    mount_job_free(&j);
    return fd;
}
