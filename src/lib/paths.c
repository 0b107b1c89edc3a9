/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Masked and read-only paths, with the new mount API so that every mount
 * lands on an fd resolved inside the root (no /proc needed after pivot). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "paths.h"
#include "safepath.h"
#include "util.h"

static int attach(int tree, int dest, const char *what, const char *path, struct ocirun_error *err)
{
    if (move_mount(tree, "", dest, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
        return error_make(err, errno, "%s `%s`", what, path);
    return 0;
}

/* The /dev/null used for masking must really be the null device: a rootfs
 * could make it a regular file full of secrets or a symlink elsewhere. */
static int open_dev_null(int rootfd, struct ocirun_error *err)
{
    cleanup_close int fd = safepath_open(rootfd, "/dev/null", O_PATH | O_NOFOLLOW, 0, err);
    struct stat st;

    if (fd < 0)
        return error_wrap(err, "masked paths need /dev/null");
    if (fstat(fd, &st) < 0)
        return error_make(err, errno, "stat /dev/null");
    if (!S_ISCHR(st.st_mode) || major(st.st_rdev) != 1 || minor(st.st_rdev) != 3)
        return error_make(err, EPERM, "/dev/null in the container is not the null device (1:3)");
    return steal_fd(&fd);
}

static int empty_readonly_tmpfs(const char *path, struct ocirun_error *err)
{
    cleanup_close int fs = fsopen("tmpfs", FSOPEN_CLOEXEC);

    if (fs < 0)
        return error_make(err, errno, "fsopen tmpfs to mask `%s`", path);
    if (fsconfig(fs, FSCONFIG_SET_STRING, "size", "0", 0) < 0 ||
        fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
        return error_make(err, errno, "create the tmpfs masking `%s`", path);
    int mnt = fsmount(fs, FSMOUNT_CLOEXEC,
                      MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
    if (mnt < 0)
        return error_make(err, errno, "fsmount the tmpfs masking `%s`", path);
    return mnt;
}

static int mask_one(int rootfd, const char *path, int *nullfd, struct ocirun_error *err)
{
    cleanup_close int fd = safepath_open(rootfd, path, O_PATH, 0, err);
    struct stat st;

    if (fd < 0 && err->errnum == ENOENT) {
        error_clear(err);
        return 0; /* a path that does not exist needs no mask */
    }
    if (fd < 0)
        return error_wrap(err, "mask");
    if (fstat(fd, &st) < 0)
        return error_make(err, errno, "stat masked path `%s`", path);
    if (S_ISDIR(st.st_mode)) {
        cleanup_close int mnt = empty_readonly_tmpfs(path, err);
        if (mnt < 0)
            return -1;
        return attach(mnt, fd, "mask directory", path, err);
    }
    if (*nullfd < 0) {
        *nullfd = open_dev_null(rootfd, err);
        if (*nullfd < 0)
            return -1;
    }
    cleanup_close int tree =
        open_tree(*nullfd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
    if (tree < 0)
        return error_make(err, errno, "clone /dev/null to mask `%s`", path);
    return attach(tree, fd, "mask file", path, err);
}

int paths_mask(int rootfd, char *const *paths, size_t n, struct ocirun_error *err)
{
    cleanup_close int nullfd = -1;

    for (size_t i = 0; i < n; i++)
        if (mask_one(rootfd, paths[i], &nullfd, err) < 0)
            return error_wrap(err, "linux.maskedPaths[%zu]", i);
    return 0;
}

static int readonly_one(int rootfd, const char *path, struct ocirun_error *err)
{
    cleanup_close int fd = safepath_open(rootfd, path, O_PATH, 0, err);
    struct mount_attr attr = {
        .attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC,
    };

    if (fd < 0 && err->errnum == ENOENT) {
        error_clear(err);
        return 0;
    }
    if (fd < 0)
        return error_wrap(err, "readonly path");
    cleanup_close int tree =
        open_tree(fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | AT_RECURSIVE);
    if (tree < 0)
        return error_make(err, errno, "bind `%s` onto itself", path);
    if (mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) < 0)
        return error_make(err, errno, "make `%s` read-only", path);
    return attach(tree, fd, "remount read-only", path, err);
}

int paths_make_readonly(int rootfd, char *const *paths, size_t n, struct ocirun_error *err)
{
    for (size_t i = 0; i < n; i++)
        if (readonly_one(rootfd, paths[i], err) < 0)
            return error_wrap(err, "linux.readonlyPaths[%zu]", i);
    return 0;
}
