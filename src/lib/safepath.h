/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Resolving paths inside the container's root without ever leaving it.
 *
 * The rootfs is hostile: any component may be a symlink pointing to `/`,
 * `../../..` or a magic link. Every function here takes an O_PATH fd of the
 * root and resolves the path as if that fd were `/` (openat2 with
 * RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS; on kernels without openat2 a
 * component-wise O_NOFOLLOW walk with the same semantics). Paths are always
 * interpreted relative to the root, whether or not they start with `/`. */
#ifndef OCIRUN_SAFEPATH_H
#define OCIRUN_SAFEPATH_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"

/* Extra resolution constraints for safepath_open. */
enum {
    SAFEPATH_NO_SYMLINKS = 1 << 0, /* refuse any symlink component (ELOOP) */
    SAFEPATH_NO_XDEV = 1 << 1,     /* refuse crossing a mount point (EXDEV) */
};

/* Opens `path` inside root. `flags` are open flags (O_PATH, O_DIRECTORY,
 * O_NOFOLLOW for the last component ...); O_CLOEXEC is always added.
 * Returns the fd, or < 0 with err->errnum set (ENOENT when missing). */
int safepath_open(int rootfd, const char *path, int flags, unsigned constraints,
                  struct ocirun_error *err);

/* mkdir -p inside root. Components that exist are followed (symlinks stay
 * inside root, dangling ones are created at their in-root target); missing
 * ones are made with `mode`. Returns an O_PATH fd of the directory. */
int safepath_mkdir_all(int rootfd, const char *path, mode_t mode, struct ocirun_error *err);

/* Makes sure `path` exists inside root as a directory (is_dir) or as a
 * file (created empty with `mode` when missing), creating the parents, and
 * returns an O_PATH fd of it. An existing object of any type is accepted. */
int safepath_create(int rootfd, const char *path, bool is_dir, mode_t mode,
                    struct ocirun_error *err);

/* Lexical cleaning: "a//b/./c/../d/" -> "/a/b/d"; ".." never climbs above
 * "/". The result is absolute and malloc'd. */
char *path_clean(const char *path);

/* Splits a cleaned absolute path into parent ("/a/b") and base ("c").
 * Both malloc'd; the base of "/" is "". */
void path_split(const char *clean, char **parent, char **base);

/* True when the cleaned path equals `dir` or is below it ("/proc", "/proc/x"). */
bool path_is_under(const char *clean, const char *dir);

/* "/proc/self/fd/N": a target for the old mount(2) API that names exactly
 * the object behind fd. Written into buf (at least 32 bytes). */
const char *fd_magic_path(int fd, char buf[static 32]);

/* For tests: force the component-walk fallback instead of openat2. */
extern bool safepath_force_fallback;

#endif
