/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Path resolution confined to the container's root (see safepath.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "safepath.h"
#include "util.h"

#define MAX_SYMLINKS 40

bool safepath_force_fallback = false;

char *path_clean(const char *path)
{
    size_t n = strlen(path);
    char *out = xmalloc(n + 2);
    size_t len = 0;
    const char *p = path;

    out[len++] = '/';
    while (*p) {
        while (*p == '/')
            p++;
        const char *end = strchrnul(p, '/');
        size_t clen = (size_t)(end - p);
        if (clen == 0 || (clen == 1 && p[0] == '.')) {
            /* skip */
        } else if (clen == 2 && p[0] == '.' && p[1] == '.') {
            /* Drop the last component; ".." at "/" stays at "/". */
            while (len > 1 && out[len - 1] != '/')
                len--;
            if (len > 1)
                len--;
        } else {
            if (len > 1)
                out[len++] = '/';
            memcpy(out + len, p, clen);
            len += clen;
        }
        p = end;
    }
    out[len] = '\0';
    return out;
}

void path_split(const char *clean, char **parent, char **base)
{
    const char *slash = strrchr(clean, '/');

    if (slash == NULL) {
        *parent = xstrdup("/");
        *base = xstrdup(clean);
        return;
    }
    *base = xstrdup(slash + 1);
    if (slash == clean)
        *parent = xstrdup("/");
    else
        *parent = strndup(clean, (size_t)(slash - clean));
    if (*parent == NULL)
        *parent = xstrdup("/"); /* strndup ENOMEM: xstrdup aborts cleanly */
}

bool path_is_under(const char *clean, const char *dir)
{
    size_t n = strlen(dir);

    if (strncmp(clean, dir, n) != 0)
        return false;
    return clean[n] == '\0' || clean[n] == '/';
}

const char *fd_magic_path(int fd, char buf[static 32])
{
    snprintf(buf, 32, "/proc/self/fd/%d", fd);
    return buf;
}

/* ---- component-wise fallback ------------------------------------------- */

struct fdstack {
    int *fds;
    size_t len, cap;
};

static void fdstack_push(struct fdstack *s, int fd)
{
    if (s->len == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 16;
        s->fds = xrealloc(s->fds, s->cap * sizeof(int));
    }
    s->fds[s->len++] = fd;
}

static void fdstack_pop(struct fdstack *s)
{
    if (s->len > 1)
        close(s->fds[--s->len]);
}

static void fdstack_free(struct fdstack *s)
{
    for (size_t i = 0; i < s->len; i++)
        close(s->fds[i]);
    free(s->fds);
}

/* Replaces `rest` with "<target>/<rest after the current component>". */
static char *splice_link(const char *target, const char *after)
{
    return xasprintf("%s/%s", target, after);
}

/* Opens the last component with the caller's flags once it is known not to
 * be a symlink (O_NOFOLLOW makes a swapped-in symlink fail, not escape). */
static int open_last(int dirfd, const char *name, int flags)
{
    int fd = openat(dirfd, name, flags | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == ELOOP && (flags & O_PATH))
        fd = openat(dirfd, name, flags | O_CLOEXEC);
    return fd;
}

/* Continues the walk at the target of the symlink `fd` (closed here):
 * an absolute target restarts from the root, a relative one from the
 * directory holding the link. */
static int follow_link(struct fdstack *st, int fd, char **rest, unsigned constraints, int *links)
{
    char target[PATH_MAX];
    ssize_t n = readlinkat(fd, "", target, sizeof(target) - 1);

    close(fd);
    if (constraints & SAFEPATH_NO_SYMLINKS)
        return -ELOOP;
    if (n < 0)
        return -errno;
    if (++*links > MAX_SYMLINKS)
        return -ELOOP;
    target[n] = '\0';
    if (target[0] == '/')
        while (st->len > 1)
            fdstack_pop(st);
    char *next = splice_link(target, *rest);
    free(*rest);
    *rest = next;
    return 0;
}

static int walk_step(struct fdstack *st, char **rest, int flags, unsigned constraints, int *links,
                     int *result)
{
    char *p = *rest;
    while (*p == '/')
        p++;
    char *end = strchrnul(p, '/');
    bool last = strspn(end, "/") == strlen(end);
    cleanup_free char *name = strndup(p, (size_t)(end - p));
    cleanup_free char *after = xstrdup(end);
    int top = st->fds[st->len - 1];
    struct stat sb;

    if (name == NULL)
        return -ENOMEM;
    free(*rest);
    *rest = steal_ptr(&after);
    if (name[0] == '\0' || strcmp(name, ".") == 0)
        goto maybe_last;
    if (strcmp(name, "..") == 0) {
        fdstack_pop(st);
        goto maybe_last;
    }
    int fd = openat(top, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    if (fstat(fd, &sb) < 0) {
        close(fd);
        return -errno;
    }
    if (S_ISLNK(sb.st_mode) && !(last && (flags & O_NOFOLLOW)))
        return follow_link(st, fd, rest, constraints, links);
    if ((constraints & SAFEPATH_NO_XDEV) && !S_ISLNK(sb.st_mode)) {
        struct stat parent;
        if (fstat(top, &parent) == 0 && parent.st_dev != sb.st_dev && S_ISDIR(sb.st_mode)) {
            close(fd);
            return -EXDEV;
        }
    }
    if (last) {
        close(fd);
        fd = open_last(top, name, flags);
        if (fd < 0)
            return -errno;
        *result = fd;
        return 1;
    }
    if (!S_ISDIR(sb.st_mode)) {
        close(fd);
        return -ENOTDIR;
    }
    fdstack_push(st, fd);
    return 0;

maybe_last:
    if (strspn(*rest, "/") == strlen(*rest)) {
        int r = openat(st->fds[st->len - 1], ".", flags | O_CLOEXEC);
        if (r < 0)
            return -errno;
        *result = r;
        return 1;
    }
    return 0;
}

static int walk_open(int rootfd, const char *path, int flags, unsigned constraints)
{
    struct fdstack st = {0};
    char *rest = xstrdup(path);
    int links = 0, result = -1, r;
    int root = openat(rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);

    if (root < 0) {
        free(rest);
        return -errno;
    }
    fdstack_push(&st, root);
    if (strspn(rest, "/") == strlen(rest)) {
        r = openat(root, ".", flags | O_CLOEXEC);
        result = r < 0 ? -errno : r;
        goto out;
    }
    do {
        r = walk_step(&st, &rest, flags, constraints, &links, &result);
    } while (r == 0);
    if (r < 0)
        result = r;
out:
    free(rest);
    fdstack_free(&st);
    return result;
}

/* ---- openat2 ------------------------------------------------------------ */

static int openat2_in_root(int rootfd, const char *path, int flags, unsigned constraints)
{
    struct open_how how = {
        .flags = (unsigned long long)(flags | O_CLOEXEC),
        .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
    };

    if (constraints & SAFEPATH_NO_SYMLINKS)
        how.resolve |= RESOLVE_NO_SYMLINKS;
    if (constraints & SAFEPATH_NO_XDEV)
        how.resolve |= RESOLVE_NO_XDEV;
    if (*path == '\0')
        path = ".";
    for (int tries = 0; tries < 16; tries++) {
        long fd = syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
        if (fd >= 0)
            return (int)fd;
        /* EAGAIN: a concurrent rename/mount raced the lookup; retry. */
        if (errno != EAGAIN)
            return -errno;
    }
    return -EAGAIN;
}

static int open_in_root(int rootfd, const char *path, int flags, unsigned constraints)
{
    static bool no_openat2;

    if (!safepath_force_fallback && !no_openat2) {
        int fd = openat2_in_root(rootfd, path, flags, constraints);
        if (fd != -ENOSYS && fd != -EPERM)
            return fd;
        /* ENOSYS: old kernel; EPERM: a seccomp filter refusing openat2. */
        no_openat2 = true;
    }
    return walk_open(rootfd, path, flags, constraints);
}

int safepath_open(int rootfd, const char *path, int flags, unsigned constraints,
                  struct ocirun_error *err)
{
    int fd = open_in_root(rootfd, path, flags, constraints);

    if (fd < 0)
        return error_make(err, -fd, "resolve `%s` inside the container root", path);
    return fd;
}

/* ---- creation ------------------------------------------------------------ */

static int mkdir_all_depth(int rootfd, const char *path, mode_t mode, int depth,
                           struct ocirun_error *err);

/* `name` in `dirfd` is a symlink whose target does not exist: create the
 * target (interpreted inside root) instead, as a kernel lookup would land there. */
static int mkdir_dangling(int rootfd, int dirfd, const char *parent, const char *name,
                          const char *rest, mode_t mode, int depth, struct ocirun_error *err)
{
    char target[PATH_MAX];
    ssize_t n = readlinkat(dirfd, name, target, sizeof(target) - 1);

    if (n < 0)
        return error_make(err, errno, "create `%s/%s` inside the container root", parent, name);
    target[n] = '\0';
    if (depth >= MAX_SYMLINKS)
        return error_make(err, ELOOP, "create `%s/%s` inside the container root", parent, name);
    cleanup_free char *next = target[0] == '/' ? xasprintf("%s/%s", target, rest)
                                               : xasprintf("%s/%s/%s", parent, target, rest);
    return mkdir_all_depth(rootfd, next, mode, depth + 1, err);
}

static int mkdir_all_depth(int rootfd, const char *path, mode_t mode, int depth,
                           struct ocirun_error *err)
{
    cleanup_free char *clean = path_clean(path);
    cleanup_close int cur = open_in_root(rootfd, "/", O_PATH | O_DIRECTORY, 0);
    size_t pos = 1;

    if (cur < 0)
        return error_make(err, -cur, "open the container root");
    while (clean[pos] != '\0') {
        char *end = strchrnul(clean + pos, '/');
        cleanup_free char *prefix = strndup(clean, (size_t)(end - clean));
        cleanup_free char *name = strndup(clean + pos, (size_t)(end - clean - pos));
        if (prefix == NULL || name == NULL)
            return error_make(err, ENOMEM, "create `%s`", clean);
        int fd = open_in_root(rootfd, prefix, O_PATH | O_DIRECTORY, 0);
        if (fd == -ENOENT) {
            if (mkdirat(cur, name, mode) < 0 && errno != EEXIST)
                return error_make(err, errno, "mkdir `%s` inside the container root", prefix);
            fd = open_in_root(rootfd, prefix, O_PATH | O_DIRECTORY, 0);
            if (fd == -ENOENT) {
                cleanup_free char *parent = strndup(clean, (size_t)(clean + pos - 1 - clean));
                return mkdir_dangling(rootfd, cur, parent && *parent ? parent : "/", name,
                                      *end ? end + 1 : "", mode, depth, err);
            }
        }
        if (fd < 0)
            return error_make(err, -fd, "mkdir `%s` inside the container root", prefix);
        close(cur);
        cur = fd;
        pos = (size_t)(end - clean) + (*end ? 1 : 0);
    }
    return steal_fd(&cur);
}

int safepath_mkdir_all(int rootfd, const char *path, mode_t mode, struct ocirun_error *err)
{
    return mkdir_all_depth(rootfd, path, mode, 0, err);
}

static int create_file(int rootfd, const char *clean, mode_t mode, int depth,
                       struct ocirun_error *err)
{
    cleanup_free char *parent = NULL, *base = NULL;
    int fd = open_in_root(rootfd, clean, O_PATH, 0);

    if (fd >= 0 || fd != -ENOENT) {
        if (fd < 0)
            return error_make(err, -fd, "resolve `%s` inside the container root", clean);
        return fd;
    }
    path_split(clean, &parent, &base);
    cleanup_close int dirfd = safepath_mkdir_all(rootfd, parent, 0755, err);
    if (dirfd < 0)
        return dirfd;
    fd = openat(dirfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd >= 0) {
        close(fd);
    } else if (errno == EEXIST) {
        /* A dangling symlink: create its in-root target instead. */
        char target[PATH_MAX];
        ssize_t n = readlinkat(dirfd, base, target, sizeof(target) - 1);
        if (n >= 0 && depth < MAX_SYMLINKS) {
            target[n] = '\0';
            cleanup_free char *next = target[0] == '/' ? path_clean(target) : NULL;
            if (next == NULL) {
                cleanup_free char *joined = xasprintf("%s/%s", parent, target);
                next = path_clean(joined);
            }
            return create_file(rootfd, next, mode, depth + 1, err);
        }
    } else {
        return error_make(err, errno, "create `%s` inside the container root", clean);
    }
    fd = open_in_root(rootfd, clean, O_PATH, 0);
    if (fd < 0)
        return error_make(err, -fd, "resolve `%s` inside the container root", clean);
    return fd;
}

int safepath_create(int rootfd, const char *path, bool is_dir, mode_t mode,
                    struct ocirun_error *err)
{
    cleanup_free char *clean = path_clean(path);

    if (is_dir) {
        int fd = open_in_root(rootfd, clean, O_PATH, 0);
        if (fd >= 0)
            return fd;
        return safepath_mkdir_all(rootfd, clean, mode, err);
    }
    return create_file(rootfd, clean, mode, 0, err);
}
