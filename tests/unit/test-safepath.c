/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of safepath.c: lexical cleaning and resolution confined to a
 * root, with openat2 and with the component-walk fallback. A hostile tree
 * is built in a temporary directory: absolute and relative symlinks
 * pointing out of the root, dangling links, loops. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "safepath.h"
#include "util.h"
#include "unit.h"

static char base[] = "/tmp/test-safepath-XXXXXX";
static char rootdir[256];

static void check_clean(const char *in, const char *want)
{
    char *got = path_clean(in);
    UNIT_CHECK(strcmp(got, want) == 0, "path_clean(\"%s\") = \"%s\" (want \"%s\")", in, got, want);
    free(got);
}

static void test_lexical(void)
{
    check_clean("", "/");
    check_clean("/", "/");
    check_clean("a//b/./c/../d/", "/a/b/d");
    check_clean("/../../x", "/x");
    check_clean("/..", "/");
    check_clean("a/..", "/");
    check_clean("/a/b/..", "/a");
    check_clean("relative/dir", "/relative/dir");
    check_clean("/a/.../b", "/a/.../b");
    check_clean("..a/b..", "/..a/b..");

    char *p, *b;
    path_split("/a/b", &p, &b);
    UNIT_CHECK(strcmp(p, "/a") == 0 && strcmp(b, "b") == 0, "split /a/b");
    free(p), free(b);
    path_split("/a", &p, &b);
    UNIT_CHECK(strcmp(p, "/") == 0 && strcmp(b, "a") == 0, "split /a");
    free(p), free(b);
    path_split("/", &p, &b);
    UNIT_CHECK(strcmp(p, "/") == 0 && strcmp(b, "") == 0, "split /");
    free(p), free(b);

    UNIT_CHECK(path_is_under("/proc", "/proc"), "/proc is under /proc");
    UNIT_CHECK(path_is_under("/proc/sys", "/proc"), "/proc/sys is under /proc");
    UNIT_CHECK(!path_is_under("/procx", "/proc"), "/procx is not under /proc");
    UNIT_CHECK(!path_is_under("/", "/proc"), "/ is not under /proc");
    char buf[32];
    UNIT_CHECK(strcmp(fd_magic_path(7, buf), "/proc/self/fd/7") == 0, "fd_magic_path");
}

static void at(const char *rel, char *out)
{
    if (snprintf(out, 4096, "%s/%s", rootdir, rel) >= 4096)
        abort();
}

static void build_tree(void)
{
    char p[4096];

    if (mkdtemp(base) == NULL)
        abort();
    if (snprintf(rootdir, sizeof(rootdir), "%s/root", base) >= (int)sizeof(rootdir) ||
        snprintf(p, sizeof(p), "%s/outside", base) >= (int)sizeof(p))
        abort();
    if (mkdir(rootdir, 0755) < 0 || mkdir(p, 0755) < 0)
        abort();
    at("a", p), mkdir(p, 0755);
    at("a/b", p), mkdir(p, 0755);
    at("file", p), close(open(p, O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
    at("link_abs", p), (void)!symlink("/", p);
    at("link_up", p), (void)!symlink("../../../../..", p);
    at("link_a", p), (void)!symlink("/a", p);
    at("a/rel_b", p), (void)!symlink("../a/b", p);
    at("dangling", p), (void)!symlink("/newdir/sub", p);
    at("dangling_file", p), (void)!symlink("../made/by/link", p);
    at("loop1", p), (void)!symlink("loop2", p);
    at("loop2", p), (void)!symlink("loop1", p);
    char out[4096];
    snprintf(out, sizeof(out), "%s/outside", base);
    at("to_host", p), (void)!symlink(out, p);
    /* never created through, unlike to_host (test_creation makes its target) */
    snprintf(out, sizeof(out), "%s/outside2", base);
    at("to_host2", p), (void)!symlink(out, p);
}

static bool same_inode(int fd, const char *rel)
{
    struct stat a, b;
    char p[4096];

    at(rel, p);
    return fd >= 0 && fstat(fd, &a) == 0 && lstat(p, &b) == 0 && a.st_ino == b.st_ino &&
           a.st_dev == b.st_dev;
}

static bool exists_rel(const char *rel)
{
    char p[4096];
    struct stat st;
    at(rel, p);
    return lstat(p, &st) == 0;
}

static void test_resolution(int rootfd, const char *mode)
{
    struct ocirun_error err = {0};
    int fd;

    fd = safepath_open(rootfd, "/link_abs/a/b", O_PATH | O_DIRECTORY, 0, &err);
    UNIT_CHECK(same_inode(fd, "a/b"), "%s: an absolute link to / stays in root", mode);
    close(fd);
    fd = safepath_open(rootfd, "link_up/a/rel_b", O_PATH, 0, &err);
    UNIT_CHECK(same_inode(fd, "a/b"), "%s: .. links clamp at root, relative links work", mode);
    close(fd);
    fd = safepath_open(rootfd, "/../../outside", O_PATH, 0, &err);
    UNIT_CHECK(fd < 0 && err.errnum == ENOENT, "%s: ../../outside is not the host's", mode);
    error_clear(&err);
    fd = safepath_open(rootfd, "/link_up/outside", O_PATH, 0, &err);
    UNIT_CHECK(fd < 0 && err.errnum == ENOENT, "%s: link_up/outside is not the host's", mode);
    error_clear(&err);
    fd = safepath_open(rootfd, "/to_host2", O_PATH | O_DIRECTORY, 0, &err);
    UNIT_CHECK(fd < 0 && err.errnum == ENOENT, "%s: a link to a host path is re-rooted", mode);
    error_clear(&err);
    fd = safepath_open(rootfd, "/link_a/b", O_PATH, SAFEPATH_NO_SYMLINKS, &err);
    UNIT_CHECK(fd < 0 && err.errnum == ELOOP, "%s: NO_SYMLINKS refuses a link", mode);
    error_clear(&err);
    fd = safepath_open(rootfd, "/a/b", O_PATH, SAFEPATH_NO_SYMLINKS, &err);
    UNIT_CHECK(same_inode(fd, "a/b"), "%s: NO_SYMLINKS accepts a plain path", mode);
    close(fd);
    fd = safepath_open(rootfd, "/loop1", O_PATH, 0, &err);
    UNIT_CHECK(fd < 0 && err.errnum == ELOOP, "%s: a symlink loop is ELOOP", mode);
    error_clear(&err);
    fd = safepath_open(rootfd, "/file/x", O_PATH, 0, &err);
    UNIT_CHECK(fd < 0 && err.errnum == ENOTDIR, "%s: a file is not a directory", mode);
    UNIT_CHECK_CONTAINS(err.msg, "/file/x", "the error names the path");
    error_clear(&err);
    fd = safepath_open(rootfd, "/loop1", O_PATH | O_NOFOLLOW, 0, &err);
    UNIT_CHECK(same_inode(fd, "loop1"), "%s: O_NOFOLLOW opens the link itself", mode);
    close(fd);
    fd = safepath_open(rootfd, "/", O_PATH, 0, &err);
    UNIT_CHECK(same_inode(fd, "."), "%s: / is the root", mode);
    close(fd);
    fd = safepath_open(rootfd, "/file", O_RDONLY, 0, &err);
    UNIT_CHECK(fd >= 0 && fcntl(fd, F_GETFL) >= 0 && (fcntl(fd, F_GETFD) & FD_CLOEXEC),
               "%s: a real fd, O_CLOEXEC", mode);
    close(fd);
}

static void test_creation(int rootfd, const char *mode, const char *tag)
{
    struct ocirun_error err = {0};
    char rel[256], outside[4096];
    int fd;

    snprintf(rel, sizeof(rel), "/link_abs/new-%s/deep", tag);
    fd = safepath_mkdir_all(rootfd, rel, 0755, &err);
    snprintf(rel, sizeof(rel), "new-%s/deep", tag);
    UNIT_CHECK(same_inode(fd, rel), "%s: mkdir_all through a link to / stays in root", mode);
    close(fd);
    snprintf(outside, sizeof(outside), "%s/outside/made-%s", base, tag);
    snprintf(rel, sizeof(rel), "/to_host/made-%s", tag);
    fd = safepath_mkdir_all(rootfd, rel, 0755, &err);
    UNIT_CHECK(fd >= 0 && access(outside, F_OK) < 0, "%s: nothing made on the host", mode);
    close(fd);
    snprintf(rel, sizeof(rel), "/dangling/x-%s", tag);
    fd = safepath_mkdir_all(rootfd, rel, 0755, &err);
    snprintf(rel, sizeof(rel), "newdir/sub/x-%s", tag);
    UNIT_CHECK(same_inode(fd, rel), "%s: a dangling link is created at its in-root target", mode);
    close(fd);
    snprintf(rel, sizeof(rel), "/link_up/f-%s", tag);
    fd = safepath_create(rootfd, rel, false, 0600, &err);
    snprintf(rel, sizeof(rel), "f-%s", tag);
    struct stat st;
    UNIT_CHECK(same_inode(fd, rel) && fstat(fd, &st) == 0 && S_ISREG(st.st_mode),
               "%s: create makes an empty file in root", mode);
    close(fd);
    fd = safepath_create(rootfd, "/file", true, 0755, &err);
    UNIT_CHECK(same_inode(fd, "file"), "%s: an existing file is returned as it is", mode);
    close(fd);
    fd = safepath_mkdir_all(rootfd, "/file/sub", 0755, &err);
    UNIT_CHECK(fd < 0 && err.errnum == ENOTDIR, "%s: mkdir_all under a file fails", mode);
    error_clear(&err);
}

static void test_dangling_file(int rootfd)
{
    struct ocirun_error err = {0};
    int fd = safepath_create(rootfd, "/dangling_file", false, 0644, &err);
    UNIT_CHECK(same_inode(fd, "made/by/link") && exists_rel("made/by/link"),
               "a file through a dangling relative link is made at its in-root target");
    close(fd);
}

int main(void)
{
    test_lexical();
    build_tree();
    int rootfd = open(rootdir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0)
        return 99;
    test_resolution(rootfd, "openat2");
    test_creation(rootfd, "openat2", "o2");
    safepath_force_fallback = true;
    test_resolution(rootfd, "fallback");
    test_creation(rootfd, "fallback", "fb");
    test_dangling_file(rootfd);
    safepath_force_fallback = false;
    close(rootfd);
    char cmd[4200];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", base);
    return unit_finish();
}
