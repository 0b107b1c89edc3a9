/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A mount of type "cgroup": the host's cgroup hierarchies as the container
 * sees them. On a pure cgroup v2 host, one cgroup2 mount. On a hybrid or
 * legacy host (like runc): a tmpfs at the destination, one directory per
 * hierarchy ("cpu,cpuacct", "systemd", "unified"), links for co-mounted
 * controllers ("cpu" -> "cpu,cpuacct"). With a cgroup namespace each
 * hierarchy is mounted fresh (its root is the container's cgroup);
 * without one, the container's own cgroup directory is bind-mounted from
 * the host so the host's tree stays hidden. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <linux/magic.h>

#include "mounts.h"
#include "safepath.h"
#include "util.h"

struct hierarchy {
    char *controllers; /* "cpu,cpuacct", "name=systemd", "" for cgroup2 */
    char *path;        /* the container's cgroup in that hierarchy */
};

static void hierarchies_free(struct hierarchy *h, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(h[i].controllers);
        free(h[i].path);
    }
    free(h);
}

static int read_hierarchies(struct hierarchy **out, size_t *n, struct ocirun_error *err)
{
    cleanup_free char *data = NULL;
    struct hierarchy *h = NULL;
    size_t len = 0;
    char *save = NULL;

    if (read_file_at(AT_FDCWD, "/proc/self/cgroup", &data, NULL, err) < 0)
        return -1;
    for (char *line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *c1 = strchr(line, ':');
        char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (c2 == NULL)
            continue;
        h = xrealloc(h, (len + 1) * sizeof(*h));
        h[len].controllers = strndup(c1 + 1, (size_t)(c2 - c1 - 1));
        h[len].path = xstrdup(c2 + 1);
        if (h[len].controllers == NULL)
            h[len].controllers = xstrdup("");
        len++;
    }
    *out = h;
    *n = len;
    return 0;
}

/* A cgroup2 file system on /sys/fs/cgroup means a unified host, whatever
 * v1 hierarchies /proc/self/cgroup still lists: they can exist in the
 * kernel while shadowed by that mount (as in the bench's and crun's
 * `unshare -m` + `mount -t cgroup2` setup), and their mountpoints are then
 * unreachable. The same test the cgroup manager makes. */
static bool unified_host(void)
{
    struct statfs sfs;

    return statfs("/sys/fs/cgroup", &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC;
}

/* Keeps only the cgroup2 line ("0::/path"). */
static void keep_unified(struct hierarchy *h, size_t *n)
{
    size_t kept = 0;

    for (size_t i = 0; i < *n; i++) {
        if (h[i].controllers[0] == '\0' && kept == 0) {
            struct hierarchy t = h[0];
            h[0] = h[i];
            h[i] = t;
            kept = 1;
        }
    }
    for (size_t i = kept; i < *n; i++) {
        free(h[i].controllers);
        free(h[i].path);
    }
    *n = kept;
}

static bool has_cgroup_ns(const struct oci_config *config)
{
    const struct oci_linux *lx = config->linux_;

    for (size_t i = 0; lx && i < lx->namespaces_len; i++)
        if (lx->namespaces[i].type && strcmp(lx->namespaces[i].type, "cgroup") == 0)
            return true;
    return false;
}

/* The mountpoint of a hierarchy in the current mount table: on a unified
 * host /sys/fs/cgroup itself (a cgroup2 mounted elsewhere earlier, e.g. the
 * hybrid layout's /sys/fs/cgroup/unified now shadowed, is unreachable);
 * otherwise the first matching entry (the host's, listed before any copy
 * bound into a rootfs). */
static char *host_mountpoint(const struct hierarchy *h)
{
    bool v2 = h->controllers[0] == '\0';
    if (v2 && unified_host())
        return xstrdup("/sys/fs/cgroup");

    cleanup_fclose FILE *f = fopen("/proc/self/mountinfo", "re");
    char line[4096];

    while (f && fgets(line, sizeof(line), f)) {
        char mp[1024], fstype[64], super[1024];
        char *dash = strstr(line, " - ");
        if (dash == NULL || sscanf(line, "%*s %*s %*s %*s %1023s", mp) != 1 ||
            sscanf(dash + 3, "%63s %*s %1023s", fstype, super) != 2)
            continue;
        if (v2 ? strcmp(fstype, "cgroup2") != 0 : strcmp(fstype, "cgroup") != 0)
            continue;
        if (!v2) {
            cleanup_free char *wanted = xasprintf(",%s,", h->controllers);
            cleanup_free char *have = xasprintf(",%s,", super);
            if (strstr(have, wanted) == NULL)
                continue;
        }
        return xstrdup(mp); /* cgroup mountpoints have no escaped characters here */
    }
    return NULL;
}

static int mount_hierarchy(const struct rootfs_context *ctx, int dirfd, const struct hierarchy *h,
                           const char *name, unsigned long flags, struct ocirun_error *err)
{
    bool v2 = h->controllers[0] == '\0';
    char buf[32];

    if (mkdirat(dirfd, name, 0755) < 0 && errno != EEXIST)
        return error_make(err, errno, "mkdir cgroup directory `%s`", name);
    cleanup_close int sub = openat(dirfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (sub < 0)
        return error_make(err, errno, "open cgroup directory `%s`", name);
    if (has_cgroup_ns(ctx->config)) {
        if (mount("cgroup", fd_magic_path(sub, buf), v2 ? "cgroup2" : "cgroup", flags,
                  v2 ? NULL : h->controllers) < 0)
            return error_make(err, errno, "mount cgroup hierarchy `%s`", name);
        return 0;
    }
    cleanup_free char *mp = host_mountpoint(h);
    if (mp == NULL)
        return 0; /* the hierarchy is not mounted on the host: nothing to show */
    cleanup_free char *src = xasprintf("%s%s", mp, h->path);
    cleanup_close int tree = open_tree(AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
    if (tree < 0)
        return error_make(err, errno, "open cgroup `%s`", src);
    uint64_t set, clr;
    mount_flags_to_attr(flags, 0, &set, &clr);
    struct mount_attr attr = {.attr_set = set, .attr_clr = clr};
    if ((set || clr) && mount_setattr(tree, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0)
        return error_make(err, errno, "set the options of cgroup `%s`", src);
    if (move_mount(tree, "", sub, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
        return error_make(err, errno, "bind cgroup `%s`", src);
    return 0;
}

static int link_comounted(int dirfd, const char *name)
{
    if (strchr(name, ',') == NULL)
        return 0;
    cleanup_free char *copy = xstrdup(name);
    char *save = NULL;
    for (char *c = strtok_r(copy, ",", &save); c; c = strtok_r(NULL, ",", &save))
        if (symlinkat(name, dirfd, c) < 0 && errno != EEXIST)
            return -1;
    return 0;
}

static int mount_tmpfs_root(const struct rootfs_context *ctx, int rootfd, const char *dest,
                            unsigned long flags, struct ocirun_error *err)
{
    char buf[32];
    cleanup_close int fd = safepath_create(rootfd, dest, true, 0755, err);

    if (fd < 0)
        return error_wrap(err, "cgroup mount");
    unsigned long tflags = (flags & (MS_NOSUID | MS_NODEV | MS_NOEXEC)) | MS_NOSUID | MS_NODEV;
    if (mount("tmpfs", fd_magic_path(fd, buf), "tmpfs", tflags, "mode=755") < 0)
        return error_make(err, errno, "mount tmpfs on `%s`", dest);
    return safepath_open(rootfd, dest, O_PATH | O_DIRECTORY, 0, err);
}

int mount_cgroup_tree(const struct rootfs_context *ctx, int rootfd, const char *dest,
                      const struct mount_options *opts, struct ocirun_error *err)
{
    struct hierarchy *h = NULL;
    size_t n = 0;
    unsigned long flags = opts->flags & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME |
                                         MS_RELATIME | MS_STRICTATIME);
    int r = -1;
    cleanup_close int top = -1;

    if (read_hierarchies(&h, &n, err) < 0)
        return -1;
    if (unified_host())
        keep_unified(h, &n);
    if (n == 1 && h[0].controllers[0] == '\0') {
        /* pure cgroup v2: the hierarchy itself at the destination */
        cleanup_free char *parent = NULL, *base = NULL;
        path_split(dest, &parent, &base);
        cleanup_close int pfd = safepath_mkdir_all(rootfd, parent, 0755, err);
        if (pfd >= 0)
            r = mount_hierarchy(ctx, pfd, &h[0], base, flags, err);
        goto out;
    }
    top = mount_tmpfs_root(ctx, rootfd, dest, flags, err);
    if (top < 0)
        goto out;
    for (size_t i = 0; i < n; i++) {
        const char *c = h[i].controllers;
        const char *name = c[0] == '\0' ? "unified" : (str_has_prefix(c, "name=") ? c + 5 : c);
        if (mount_hierarchy(ctx, top, &h[i], name, flags, err) < 0)
            goto out;
        if (link_comounted(top, name) < 0) {
            error_make(err, errno, "link co-mounted cgroup controllers of `%s`", name);
            goto out;
        }
    }
    if (flags & MS_RDONLY) {
        struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY};
        if (mount_setattr(top, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0) {
            error_make(err, errno, "make `%s` read-only", dest);
            goto out;
        }
    }
    r = 0;
out:
    hierarchies_free(h, n);
    return r < 0 ? error_wrap(err, "cgroup mount on `%s`", dest) : 0;
}
