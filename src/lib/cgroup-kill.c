/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `kill --all` (cgroup.h, cgroup_signal_all): a signal to every process of
 * the container's cgroup and of the sub-cgroups it made.
 *
 * SIGKILL on a unified hierarchy is one write to cgroup.kill: the kernel
 * kills the whole subtree, processes being forked included, frozen ones
 * too. Any other signal (and SIGKILL without cgroup.kill) goes to the pids
 * listed in cgroup.procs, with the cgroup frozen meanwhile so that no
 * process forks a child the list missed; it is thawed afterwards unless it
 * was paused before. A signal to a paused container stays pending until
 * resume, except SIGKILL: the cgroup is then thawed, since a v1-frozen task
 * cannot die, and a dead container must not look paused. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "cgroup-internal.h"
#include "log.h"
#include "util.h"

/* The unified directory when the kernel has cgroup.kill, else NULL. */
static const char *kill_file_dir(const struct cgroup *cg)
{
    const char *dir = cgroup_v2_dir(cg);
    cleanup_free char *file = dir ? xasprintf("%s/cgroup.kill", dir) : NULL;

    return file != NULL && access(file, W_OK) == 0 ? dir : NULL;
}

static int send_to_listed(struct cgroup *cg, int sig, struct ocirun_error *err)
{
    cleanup_free pid_t *pids = NULL;
    size_t n = 0;
    int first_errno = 0;
    pid_t first_pid = 0;

    if (cgroup_pids(cg, &pids, &n, err) < 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        /* keep going: one process we may not signal must not shield the rest */
        if (kill(pids[i], sig) < 0 && errno != ESRCH && first_errno == 0) {
            first_errno = errno;
            first_pid = pids[i];
        }
    }
    if (first_errno != 0)
        return error_make(err, first_errno, "send signal %d to pid %d", sig, (int)first_pid);
    return 0;
}

/* Freezes (when it is not already), signals the listed pids, thaws again
 * what this call froze, and also a paused cgroup after SIGKILL. */
static int signal_frozen(struct cgroup *cg, int sig, struct ocirun_error *err)
{
    struct ocirun_error ferr = {0};
    bool was_frozen = cgroup_is_frozen(cg), froze = false;
    int r;

    if (!was_frozen) {
        froze = cgroup_freeze(cg, &ferr) == 0;
        /* no freezer: signal anyway, a fork may escape (as runc) */
        if (!froze)
            log_debug("kill --all without freezing: %s", ferr.msg ? ferr.msg : "");
        error_clear(&ferr);
    }
    r = send_to_listed(cg, sig, err);
    if (froze || (was_frozen && sig == SIGKILL)) {
        if (cgroup_resume(cg, &ferr) < 0) {
            if (r == 0)
                r = error_take(err, ferr.errnum, steal_ptr(&ferr.msg));
            else
                log_warn("%s", ferr.msg);
        }
        error_clear(&ferr);
    }
    return r;
}

int cgroup_signal_all(struct cgroup *cg, int sig, struct ocirun_error *err)
{
    const struct cgroup_hierarchy *h;
    const char *dir;

    if (cg == NULL || cg->disabled)
        return error_plain(err, ENOENT, "the container has no cgroup");
    h = cgroup_main_hierarchy(cg, "pids");
    if (h == NULL)
        return error_plain(err, ENOENT, "the container has no cgroup");
    if (access(h->dir, F_OK) < 0)
        return errno == ENOENT ? 0 : error_make(err, errno, "access `%s`", h->dir);
    if (sig != SIGKILL || (dir = kill_file_dir(cg)) == NULL)
        return signal_frozen(cg, sig, err);
    if (cgroup_write(dir, "cgroup.kill", "1", err) < 0)
        return -1;
    /* hybrid host: a v1 freezer may hold them; SIGKILL is pending, so thaw */
    if (cgroup_is_frozen(cg))
        return cgroup_thaw(cg, err);
    return 0;
}
