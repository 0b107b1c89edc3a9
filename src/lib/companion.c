/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The static ocirun and its companion. A statically linked ocirun starts
 * 1.5-2 ms faster than a dynamic one on the bench's machine (no ld.so,
 * no libc.so relocations, about 45 fewer page faults per `run`: see
 * docs/performance.md), but it cannot dlopen() libsystemd. So a static
 * build also installs `ocirun-systemd`: the same program linked
 * dynamically. What needs systemd's bus, i.e. --systemd-cgroup (or
 * --cgroup-manager systemd) on any command, and update, delete, exec and
 * checkpoint of a container created with it, is handed to the companion
 * by execv() with the same arguments, before the command does anything.
 *
 * The companion is looked up next to this binary first (a build tree, or
 * both in one bin directory), then in the package's libexec directory. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "companion.h"
#include "log.h"
#include "util.h"

#define COMPANION "ocirun-systemd"

#ifndef OCIRUN_PKGLIBEXECDIR
#define OCIRUN_PKGLIBEXECDIR "/usr/libexec/ocirun"
#endif

static char **saved_argv;

void companion_set_argv(char **argv)
{
    saved_argv = argv;
}

/* The directory of this binary, or NULL. */
static char *self_dir(void)
{
    char buf[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
    char *slash;

    if (n <= 0)
        return NULL;
    buf[n] = '\0';
    slash = strrchr(buf, '/');
    if (slash == NULL)
        return NULL;
    *slash = '\0';
    return xstrdup(buf[0] ? buf : "/");
}

int companion_exec_for(const char *manager, struct ocirun_error *err)
{
    cleanup_free char *dir = NULL;
    const char *dirs[2];

    if (!ocirun_is_static() || manager == NULL || strcmp(manager, "systemd") != 0)
        return 0;
    if (saved_argv == NULL)
        return error_plain(err, EINVAL, "the systemd cgroup manager: no arguments to give %s",
                           COMPANION);
    dir = self_dir();
    dirs[0] = dir;
    dirs[1] = OCIRUN_PKGLIBEXECDIR;
    for (size_t i = 0; i < 2; i++) {
        if (dirs[i] == NULL)
            continue;
        cleanup_free char *path = xasprintf("%s/%s", dirs[i], COMPANION);
        log_debug("the systemd cgroup manager: exec %s", path);
        execv(path, saved_argv);
        /* a missing one is the next place's turn; any other failure is
         * the answer (a companion that is there but cannot run) */
        if (errno != ENOENT)
            return error_make(err, errno, "the systemd cgroup manager: run `%s`", path);
    }
    return error_make(err, ENOENT,
                      "the systemd cgroup manager: run `%s` (this ocirun is static; its "
                      "companion is not in `%s` either)",
                      OCIRUN_PKGLIBEXECDIR "/" COMPANION, dir ? dir : "?");
}
