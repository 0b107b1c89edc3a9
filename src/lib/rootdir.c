/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rootdir.h"
#include "util.h"

/* Another user's XDG_RUNTIME_DIR (a stale variable after su, say) would
 * put our state where they can read or replace it: refuse it. */
static int check_xdg_dir(const char *xdg, struct ocirun_error *err)
{
    struct stat st;

    if (stat(xdg, &st) < 0)
        return error_make(err, errno, "XDG_RUNTIME_DIR `%s`", xdg);
    if (!S_ISDIR(st.st_mode))
        return error_make(err, ENOTDIR, "XDG_RUNTIME_DIR `%s`", xdg);
    if (st.st_uid != geteuid())
        return error_plain(err, EPERM,
                           "XDG_RUNTIME_DIR `%s` is owned by uid %u, not by you (uid %u): "
                           "set it to your own runtime directory or pass --root",
                           xdg, (unsigned)st.st_uid, (unsigned)geteuid());
    if (access(xdg, W_OK | X_OK) < 0)
        return error_make(err, errno, "XDG_RUNTIME_DIR `%s` is not writable", xdg);
    return 0;
}

/* runc's rule for root inside a user namespace (rootless podman runs the
 * runtime as uid 0 there): keep the state in $XDG_RUNTIME_DIR when it is set,
 * unless USER says root.  conmon passes only XDG_RUNTIME_DIR, so an unset
 * USER counts as not root. */
static bool root_honors_xdg(const char *xdg)
{
    const char *user = getenv("USER");

    return xdg != NULL && xdg[0] != '\0' && (user == NULL || strcmp(user, "root") != 0) &&
           running_in_user_namespace();
}

int rootdir_default(char **out, struct ocirun_error *err)
{
    const char *xdg = getenv("XDG_RUNTIME_DIR");

    if (geteuid() == 0 && !root_honors_xdg(xdg)) {
        *out = xstrdup("/run/ocirun");
        return 0;
    }
    if (xdg == NULL || xdg[0] == '\0')
        return error_plain(err, 0,
                           "XDG_RUNTIME_DIR is not set: a rootless ocirun keeps its state in "
                           "$XDG_RUNTIME_DIR/ocirun; set it (e.g. to /run/user/%u) or pass --root",
                           (unsigned)geteuid());
    /* A relative XDG_RUNTIME_DIR is invalid per the XDG spec; refusing it
     * avoids state landing wherever the caller's cwd happens to be. */
    if (xdg[0] != '/')
        return error_make(err, 0, "XDG_RUNTIME_DIR `%s` is not an absolute path", xdg);
    if (check_xdg_dir(xdg, err) < 0)
        return -1;
    *out = xasprintf("%s/ocirun", xdg);
    return 0;
}

int rootdir_absolute(const char *root, char **out, struct ocirun_error *err)
{
    char cwd[PATH_MAX];

    if (root[0] == '\0')
        return error_make(err, 0, "invalid --root: empty path");
    if (root[0] == '/') {
        *out = xstrdup(root);
        return 0;
    }
    if (getcwd(cwd, sizeof(cwd)) == NULL)
        return error_make(err, errno, "resolve --root `%s`: getcwd", root);
    *out = xasprintf("%s/%s", strcmp(cwd, "/") == 0 ? "" : cwd, root);
    return 0;
}

int rootdir_ensure(const char *root, struct ocirun_error *err)
{
    struct stat st;

    if (mkdir_p(root, 0700, err) < 0)
        return error_wrap(err, "create state directory `%s`", root);
    if (stat(root, &st) < 0)
        return error_make(err, errno, "stat state directory `%s`", root);
    if (!S_ISDIR(st.st_mode))
        return error_make(err, ENOTDIR, "state directory `%s`", root);
    return 0;
}
