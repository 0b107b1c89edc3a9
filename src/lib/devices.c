/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Device nodes: mknod relative to a directory fd resolved inside the root,
 * or, in a user namespace where mknod is refused, a bind mount of the
 * host's node onto an empty file (runc's way). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "devices.h"
#include "safepath.h"
#include "util.h"

struct device_spec {
    const char *path;
    char type;
    unsigned major, minor;
    mode_t mode;
    uid_t uid;
    gid_t gid;
};

static const struct device_spec default_devices[] = {
    {"/dev/null", 'c', 1, 3, 0666, 0, 0},    {"/dev/zero", 'c', 1, 5, 0666, 0, 0},
    {"/dev/full", 'c', 1, 7, 0666, 0, 0},    {"/dev/random", 'c', 1, 8, 0666, 0, 0},
    {"/dev/urandom", 'c', 1, 9, 0666, 0, 0}, {"/dev/tty", 'c', 5, 0, 0666, 0, 0},
};

static const struct {
    const char *name, *target;
} dev_links[] = {
    {"fd", "/proc/self/fd"},       {"stdin", "/proc/self/fd/0"}, {"stdout", "/proc/self/fd/1"},
    {"stderr", "/proc/self/fd/2"}, {"ptmx", "pts/ptmx"},
};

bool devices_need_default_setup(const struct oci_config *config)
{
    for (size_t i = 0; i < config->mounts_len; i++) {
        const struct oci_mount *m = &config->mounts[i];
        cleanup_free char *dest = path_clean(m->destination ? m->destination : "");
        if (strcmp(dest, "/dev") != 0)
            continue;
        if (m->type && strcmp(m->type, "bind") == 0)
            return false;
        for (size_t k = 0; k < m->options_len; k++)
            if (strcmp(m->options[k], "bind") == 0 || strcmp(m->options[k], "rbind") == 0)
                return false;
    }
    return true;
}

static mode_t device_type_bits(char type)
{
    switch (type) {
    case 'c':
    case 'u':
        return S_IFCHR;
    case 'b':
        return S_IFBLK;
    case 'p':
        return S_IFIFO;
    default:
        return 0;
    }
}

static int bind_host_device(int dirfd, const char *base, const struct device_spec *d,
                            struct ocirun_error *err)
{
    int fd = openat(dirfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0);

    if (fd < 0 && errno != EEXIST)
        return error_make(err, errno, "create `%s` to bind the device on", d->path);
    if (fd >= 0)
        close(fd);
    cleanup_close int dest = openat(dirfd, base, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (dest < 0 || fstat(dest, &st) < 0)
        return error_make(err, errno, "open `%s`", d->path);
    if (S_ISLNK(st.st_mode) || S_ISDIR(st.st_mode))
        return error_make(err, EEXIST, "bind device `%s`: the path exists and is not a file",
                          d->path);
    cleanup_close int tree = open_tree(AT_FDCWD, d->path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
    if (tree < 0)
        return error_make(err, errno, "open host device `%s` to bind it", d->path);
    if (move_mount(tree, "", dest, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
        return error_make(err, errno, "bind host device `%s`", d->path);
    return 0;
}

/* The caller has set the umask to 0 (devices_setup, once for all nodes). */
static int make_node(int dirfd, const char *base, const struct device_spec *d,
                     struct ocirun_error *err)
{
    int r = mknodat(dirfd, base, device_type_bits(d->type) | (d->mode & 07777),
                    makedev(d->major, d->minor));
    int saved = errno;

    if (r < 0 && saved == EEXIST)
        return 0; /* already there (an on-disk /dev): left as it is, like runc */
    if (r < 0)
        return error_make(err, saved, "mknod `%s` (%c %u:%u)", d->path, d->type, d->major,
                          d->minor);
    if (fchownat(dirfd, base, d->uid, d->gid, AT_SYMLINK_NOFOLLOW) < 0)
        return error_make(err, errno, "chown `%s` to %u:%u", d->path, d->uid, d->gid);
    return 0;
}

/* The last parent directory opened: most devices live in /dev, which is
 * then resolved once instead of once per node. */
struct dir_cache {
    char *path;
    int fd;
};

static void dir_cache_clear(struct dir_cache *dc)
{
    free(dc->path);
    dc->path = NULL;
    if (dc->fd >= 0)
        close(dc->fd);
    dc->fd = -1;
}

static int dir_cache_open(struct dir_cache *dc, int rootfd, const char *path,
                          struct ocirun_error *err)
{
    if (dc->path != NULL && strcmp(dc->path, path) == 0)
        return dc->fd;
    dir_cache_clear(dc);
    dc->fd = safepath_mkdir_all(rootfd, path, 0755, err);
    if (dc->fd >= 0)
        dc->path = xstrdup(path);
    return dc->fd;
}

static int create_device(const struct rootfs_context *ctx, struct dir_cache *dc, int rootfd,
                         const struct device_spec *d, struct ocirun_error *err)
{
    cleanup_free char *clean = path_clean(d->path);
    cleanup_free char *parent = NULL, *base = NULL;

    path_split(clean, &parent, &base);
    if (base[0] == '\0')
        return error_make(err, EINVAL, "device path `%s` names the root", d->path);
    int dirfd = dir_cache_open(dc, rootfd, parent, err);
    if (dirfd < 0)
        return error_wrap(err, "device `%s`", d->path);
    if (ctx->in_userns)
        return bind_host_device(dirfd, base, d, err);
    return make_node(dirfd, base, d, err);
}

static bool config_has_device(const struct oci_config *config, const char *path)
{
    const struct oci_linux *lx = config->linux_;

    for (size_t i = 0; lx && i < lx->devices_len; i++) {
        cleanup_free char *clean = path_clean(lx->devices[i].path ? lx->devices[i].path : "");
        if (strcmp(clean, path) == 0)
            return true;
    }
    return false;
}

static int create_links(struct dir_cache *dc, int rootfd, struct ocirun_error *err)
{
    int dev = dir_cache_open(dc, rootfd, "/dev", err);
    struct stat st;

    if (dev < 0)
        return -1;
    for (size_t i = 0; i < ARRAY_SIZE(dev_links); i++)
        if (symlinkat(dev_links[i].target, dev, dev_links[i].name) < 0 && errno != EEXIST)
            return error_make(err, errno, "symlink `/dev/%s` -> `%s`", dev_links[i].name,
                              dev_links[i].target);
    /* runc adds /dev/core only where the kernel has /proc/kcore. */
    if (stat("/proc/kcore", &st) == 0 && symlinkat("/proc/kcore", dev, "core") < 0 &&
        errno != EEXIST)
        return error_make(err, errno, "symlink `/dev/core` -> `/proc/kcore`");
    return 0;
}

static int create_all(const struct rootfs_context *ctx, struct dir_cache *dc, int rootfd,
                      struct ocirun_error *err)
{
    const struct oci_config *config = ctx->config;
    const struct oci_linux *lx = config->linux_;

    if (devices_need_default_setup(config)) {
        for (size_t i = 0; i < ARRAY_SIZE(default_devices); i++)
            if (!config_has_device(config, default_devices[i].path) &&
                create_device(ctx, dc, rootfd, &default_devices[i], err) < 0)
                return -1;
        if (create_links(dc, rootfd, err) < 0)
            return -1;
    }
    for (size_t i = 0; lx && i < lx->devices_len; i++) {
        const struct oci_device *od = &lx->devices[i];
        struct device_spec d = {
            .path = od->path,
            .type = od->type[0],
            .major = (unsigned)od->major,
            .minor = (unsigned)od->minor,
            .mode = od->file_mode_present ? od->file_mode : 0666,
            .uid = od->uid_present ? od->uid : 0,
            .gid = od->gid_present ? od->gid : 0,
        };
        if (create_device(ctx, dc, rootfd, &d, err) < 0)
            return error_wrap(err, "linux.devices[%zu]", i);
    }
    return 0;
}

int devices_setup(const struct rootfs_context *ctx, int rootfd, struct ocirun_error *err)
{
    struct dir_cache dc = {.path = NULL, .fd = -1};
    /* The modes are the config's, whatever the umask: 0 for all the nodes
     * at once (the init sets the process's own umask later). */
    mode_t old = umask(0);
    int r = create_all(ctx, &dc, rootfd, err);

    umask(old);
    dir_cache_clear(&dc);
    return r;
}

int devices_validate(const struct oci_config *config, struct ocirun_error *err)
{
    const struct oci_linux *lx = config->linux_;

    for (size_t i = 0; lx && i < lx->devices_len; i++) {
        const struct oci_device *d = &lx->devices[i];
        if (d->path == NULL || d->path[0] != '/')
            return error_make(err, EINVAL, "linux.devices[%zu].path: must be an absolute path", i);
        cleanup_free char *clean = path_clean(d->path);
        if (strcmp(clean, "/") == 0)
            return error_make(err, EINVAL, "linux.devices[%zu].path: must name a file", i);
        if (d->type == NULL || strlen(d->type) != 1 || device_type_bits(d->type[0]) == 0)
            return error_make(err, EINVAL, "linux.devices[%zu].type: must be one of c, b, u, p", i);
        bool needs_numbers = d->type[0] != 'p';
        if (needs_numbers && (!d->major_present || !d->minor_present))
            return error_make(err, EINVAL, "linux.devices[%zu]: major and minor are required", i);
        if (d->major < 0 || d->major > 0xfff || d->minor < 0 || d->minor > 0xfffff)
            return error_make(err, EINVAL, "linux.devices[%zu]: major/minor out of range", i);
        if (d->file_mode_present && (d->file_mode & ~07777u) != 0 &&
            (d->file_mode & S_IFMT) != device_type_bits(d->type[0]))
            return error_make(err, EINVAL, "linux.devices[%zu].fileMode: invalid mode %o", i,
                              d->file_mode);
    }
    return 0;
}
