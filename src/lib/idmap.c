/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A user namespace carrying the mappings of an idmapped mount. A forked
 * helper unshares CLONE_NEWUSER and waits; we write its maps and open its
 * /proc/PID/ns/user; the fd keeps the namespace alive after it exits.
 * The helper reports its pid as /proc sees it (the init may be pid 1 of a
 * new pid namespace while /proc is still the host's). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mounts.h"
#include "util.h"

static char *format_map(const struct oci_id_mapping *m, size_t n)
{
    char *out = xstrdup("");

    for (size_t i = 0; i < n; i++) {
        char *next = xasprintf("%s%u %u %u\n", out, m[i].container_id, m[i].host_id, m[i].size);
        free(out);
        out = next;
    }
    return out;
}

static _Noreturn void helper_main(int report, int wait_fd)
{
    char self[32] = "";
    ssize_t n;

    if (unshare(CLONE_NEWUSER) < 0)
        _exit(1);
    n = readlink("/proc/self", self, sizeof(self) - 1);
    if (n <= 0)
        _exit(1);
    if (write_all(report, self, (size_t)n) < 0)
        _exit(1);
    close(report);
    char c;
    (void)!read(wait_fd, &c, 1); /* until the parent is done (EOF) */
    _exit(0);
}

/* One write(2) of the whole map, as the kernel requires; no O_CREAT/O_TRUNC. */
static int write_proc_map(const char *path, const char *map, struct ocirun_error *err)
{
    cleanup_close int fd = open(path, O_WRONLY | O_CLOEXEC);

    if (fd < 0)
        return error_make(err, errno, "open `%s`", path);
    if (write(fd, map, strlen(map)) != (ssize_t)strlen(map))
        return error_make(err, errno, "write `%s`", path);
    return 0;
}

static int write_maps(const char *pid, const struct oci_id_mapping *uids, size_t nuids,
                      const struct oci_id_mapping *gids, size_t ngids, struct ocirun_error *err)
{
    cleanup_free char *um = format_map(uids, nuids);
    cleanup_free char *gm = format_map(gids, ngids);
    cleanup_free char *upath = xasprintf("/proc/%s/uid_map", pid);
    cleanup_free char *gpath = xasprintf("/proc/%s/gid_map", pid);

    if (write_proc_map(upath, um, err) < 0 || write_proc_map(gpath, gm, err) < 0)
        return error_wrap(err, "idmapped mount");
    return 0;
}

int idmap_userns_fd(const struct oci_id_mapping *uids, size_t nuids,
                    const struct oci_id_mapping *gids, size_t ngids, struct ocirun_error *err)
{
    int report[2], hold[2];
    char pid[32] = "";
    cleanup_free char *nspath = NULL;
    int fd = -1;

    if (pipe2(report, O_CLOEXEC) < 0)
        return error_make(err, errno, "pipe");
    if (pipe2(hold, O_CLOEXEC) < 0) {
        close(report[0]), close(report[1]);
        return error_make(err, errno, "pipe");
    }
    pid_t child = fork();
    if (child < 0) {
        fd = error_make(err, errno, "fork the idmap helper");
        goto out;
    }
    if (child == 0) {
        close(report[0]);
        close(hold[1]);
        helper_main(report[1], hold[0]);
    }
    close(report[1]), report[1] = -1;
    ssize_t n = read_all(report[0], pid, sizeof(pid) - 1);
    if (n <= 0) {
        fd =
            error_make(err, n < 0 ? errno : EPERM, "create a user namespace for an idmapped mount");
        goto out;
    }
    pid[n] = '\0';
    if (write_maps(pid, uids, nuids, gids, ngids, err) < 0)
        goto out;
    nspath = xasprintf("/proc/%s/ns/user", pid);
    fd = open(nspath, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        fd = error_make(err, errno, "open `%s`", nspath);
out:
    close(report[0]);
    if (report[1] >= 0)
        close(report[1]);
    close(hold[0]);
    close(hold[1]);
    if (child > 0)
        while (waitpid(child, NULL, 0) < 0 && errno == EINTR)
            ;
    return fd;
}
