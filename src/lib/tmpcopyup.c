/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tmpcopyup: the directory a tmpfs is mounted over keeps its contents
 * visible by copying them into the new tmpfs. Everything is done relative
 * to directory fds with O_NOFOLLOW, so symlinks are copied as symlinks and
 * never followed. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mounts.h"
#include "util.h"

#define MAX_COPY_DEPTH 128

static int copy_tree(int from, int to, int depth, struct ocirun_error *err);

static int copy_regular(int from, int to, const char *name, const struct stat *st,
                        struct ocirun_error *err)
{
    cleanup_close int in = openat(from, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (in < 0)
        return error_make(err, errno, "open `%s`", name);
    cleanup_close int out =
        openat(to, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, st->st_mode & 07777);
    if (out < 0)
        return error_make(err, errno, "create `%s`", name);
    char buf[65536];
    for (;;) {
        ssize_t n = read(in, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return error_make(err, errno, "read `%s`", name);
        if (n == 0)
            break;
        if (write_all(out, buf, (size_t)n) < 0)
            return error_make(err, errno, "write `%s`", name);
    }
    return 0;
}

static int copy_entry(int from, int to, const char *name, int depth, struct ocirun_error *err)
{
    struct stat st;

    if (fstatat(from, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return error_make(err, errno, "stat `%s`", name);
    if (S_ISDIR(st.st_mode)) {
        if (mkdirat(to, name, 0700) < 0)
            return error_make(err, errno, "mkdir `%s`", name);
        cleanup_close int sub_from =
            openat(from, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        cleanup_close int sub_to =
            openat(to, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sub_from < 0 || sub_to < 0)
            return error_make(err, errno, "open directory `%s`", name);
        if (copy_tree(sub_from, sub_to, depth + 1, err) < 0)
            return error_wrap(err, "%s", name);
    } else if (S_ISREG(st.st_mode)) {
        if (copy_regular(from, to, name, &st, err) < 0)
            return -1;
    } else if (S_ISLNK(st.st_mode)) {
        char target[PATH_MAX];
        ssize_t n = readlinkat(from, name, target, sizeof(target) - 1);
        if (n < 0)
            return error_make(err, errno, "readlink `%s`", name);
        target[n] = '\0';
        if (symlinkat(target, to, name) < 0)
            return error_make(err, errno, "symlink `%s`", name);
    } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) || S_ISFIFO(st.st_mode)) {
        if (mknodat(to, name, st.st_mode, st.st_rdev) < 0)
            return error_make(err, errno, "mknod `%s`", name);
    } else {
        return 0; /* sockets: meaningless once copied */
    }
    if (fchownat(to, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0)
        return error_make(err, errno, "chown `%s`", name);
    if (!S_ISLNK(st.st_mode) && fchmodat(to, name, st.st_mode & 07777, 0) < 0)
        return error_make(err, errno, "chmod `%s`", name);
    struct timespec times[2] = {st.st_atim, st.st_mtim};
    (void)utimensat(to, name, times, AT_SYMLINK_NOFOLLOW);
    return 0;
}

static int copy_tree(int from, int to, int depth, struct ocirun_error *err)
{
    if (depth > MAX_COPY_DEPTH)
        return error_make(err, ELOOP, "tmpcopyup: directory tree too deep");
    int dfd = fcntl(from, F_DUPFD_CLOEXEC, 3);
    if (dfd < 0)
        return error_make(err, errno, "dup");
    DIR *dir = fdopendir(dfd);
    if (dir == NULL) {
        close(dfd);
        return error_make(err, errno, "opendir");
    }
    int r = 0;
    struct dirent *de;
    while ((de = readdir(dir)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        r = copy_entry(from, to, de->d_name, depth, err);
        if (r < 0)
            break;
    }
    closedir(dir);
    return r;
}

int tmpcopyup_copy(int from, int to, struct ocirun_error *err)
{
    struct stat st;

    if (copy_tree(from, to, 0, err) < 0)
        return -1;
    /* The tmpfs root takes the covered directory's owner and mode. */
    if (fstat(from, &st) < 0)
        return error_make(err, errno, "stat tmpcopyup source");
    if (fchown(to, st.st_uid, st.st_gid) < 0 || fchmod(to, st.st_mode & 07777) < 0)
        return error_make(err, errno, "set owner and mode of the tmpfs root");
    return 0;
}
