/* SPDX-License-Identifier: GPL-2.0-or-later */
/* container_kill and container_delete (container.h): signalling the init
 * (guarded against pid reuse with a pidfd and the recorded start time) or
 * every process of the cgroup, and tearing a container down: cgroup,
 * poststop hooks (a failure only warns, runtime.md), state directory. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "container.h"
#include "container_internal.h"
#include "fault.h"
#include "hooks.h"
#include "intelrdt.h"
#include "log.h"
#include "state.h"
#include "util.h"

/* How long delete waits for a SIGKILLed init to go away. */
#define KILL_WAIT_MS 10000

/* A pidfd of the container's init, or -1 (errno ESRCH) when the recorded
 * process is gone or the pid now belongs to someone else. */
int container_init_pidfd(struct container *c)
{
    struct oci_state *s = c->state;
    int fd;

    if (!s->pid_present || s->pid <= 0 || s->pid > INT32_MAX) {
        errno = ESRCH;
        return -1;
    }
    fd = (int)syscall(SYS_pidfd_open, (pid_t)s->pid, 0);
    if (fd < 0)
        return -1;
    /* Checked after opening: the pidfd now pins the process we verify. */
    if (!container_init_alive(c)) {
        close(fd);
        errno = ESRCH;
        return -1;
    }
    return fd;
}

static int open_cgroup(struct container *c, struct cgroup **cg, struct ocirun_error *err)
{
    struct ocirun_private_state *p = c->state->ocirun;
    const char *manager;

    *cg = NULL;
    if (p == NULL || p->cgroup_path == NULL)
        return 0;
    manager = p->cgroup_manager ? p->cgroup_manager : "cgroupfs";
    return cgroup_open(manager, p->cgroup_path, cg, err);
}

/* kill --all. As runc 1.1: a stopped container is no error (processes
 * may outlive the init when the pid namespace is shared, and those are
 * what --all is for), nor is a cgroup that is already gone. */
static int kill_all(struct container *c, int sig, bool stopped, struct ocirun_error *err)
{
    struct cgroup *cg = NULL;
    int r;

    if (open_cgroup(c, &cg, err) < 0)
        return -1;
    if (cg == NULL || cgroup_path(cg)[0] == '\0') {
        cgroup_free(cg);
        if (stopped)
            return 0;
        return error_plain(err, ENOENT, "kill --all `%s`: the container has no cgroup", c->id);
    }
    r = cgroup_signal_all(cg, sig, err);
    cgroup_free(cg);
    return r < 0 ? error_wrap(err, "kill --all `%s`", c->id) : 0;
}

int container_kill(const char *root, const char *id, int signal, bool all, struct ocirun_error *err)
{
    cleanup_container struct container *c = NULL;
    cleanup_close int pidfd = -1;
    bool stopped;

    if (container_load(root, id, true, &c, err) < 0)
        return -1;
    stopped = strcmp(container_status(c), "stopped") == 0;
    if (all)
        return kill_all(c, signal, stopped, err);
    if (stopped)
        return error_plain(err, ESRCH, "container not running");
    pidfd = container_init_pidfd(c);
    if (pidfd < 0) {
        if (errno == ESRCH)
            return error_plain(err, ESRCH, "container not running");
        return error_make(err, errno, "pidfd_open %lld", (long long)c->state->pid);
    }
    if (syscall(SYS_pidfd_send_signal, pidfd, signal, NULL, 0) < 0) {
        if (errno == ESRCH)
            return error_plain(err, ESRCH, "container not running");
        return error_make(err, errno, "send signal %d to the init of `%s`", signal, id);
    }
    return 0;
}

/* A frozen (v1) task does not die of SIGKILL until it is thawed; thawed
 * after the signal, so nothing of the container runs again. */
static void thaw_after_kill(struct container *c)
{
    struct cgroup *cg = NULL;

    if (open_cgroup(c, &cg, NULL) == 0 && cg != NULL)
        cgroup_thaw(cg, NULL);
    cgroup_free(cg);
}

/* SIGKILLs the init and waits (bounded) until it is gone. */
static int kill_init_and_wait(struct container *c, bool paused, struct ocirun_error *err)
{
    cleanup_close int pidfd = container_init_pidfd(c);
    struct pollfd p;
    int r;

    if (pidfd < 0)
        return errno == ESRCH ? 0 : error_make(err, errno, "pidfd_open of the init");
    if (syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0) < 0 && errno != ESRCH)
        return error_make(err, errno, "kill the init of `%s`", c->id);
    if (paused)
        thaw_after_kill(c);
    p = (struct pollfd){.fd = pidfd, .events = POLLIN};
    do
        r = poll(&p, 1, KILL_WAIT_MS);
    while (r < 0 && errno == EINTR);
    if (r < 0)
        return error_make(err, errno, "wait for the init of `%s`", c->id);
    if (r == 0)
        return error_plain(err, ETIMEDOUT, "the init of `%s` did not die within %d s after SIGKILL",
                           c->id, KILL_WAIT_MS / 1000);
    return 0;
}

/* parsed: the config `run` already holds (NULL: read the bundle's again). */
static void run_poststop_hooks(struct container *c, const struct oci_config *parsed)
{
    struct ocirun_private_state *p = c->state->ocirun;
    struct oci_config *owned = NULL;
    const struct oci_config *cfg = parsed;
    struct ocirun_error err = {0};
    cleanup_free char *json = NULL;
    char *perr = NULL;

    if (p == NULL || p->config_path == NULL)
        return;
    if (cfg == NULL && oci_config_parse_file(p->config_path, &owned, &perr) < 0) {
        log_warn("poststop hooks of `%s`: cannot read `%s`: %s", c->id, p->config_path,
                 perr ? perr : "error");
        free(perr);
        return;
    }
    if (cfg == NULL)
        cfg = owned;
    /* the resctrl group ocirun made (best effort; nothing without resctrl) */
    intelrdt_remove(cfg->linux_ ? cfg->linux_->intel_rdt : NULL, c->id);
    if (cfg->hooks && cfg->hooks->poststop_len > 0) {
        json = container_state_json(c, "stopped", &err);
        if (json == NULL ||
            hooks_run(cfg->hooks->poststop, cfg->hooks->poststop_len, "poststop", json, &err) < 0)
            log_warn("%s", err.msg ? err.msg : "poststop hook failed");
    }
    error_clear(&err);
    oci_config_free(owned);
}

/* Tears down a stopped container. When the cgroup cannot be removed the
 * state is kept, so that a later delete can retry instead of the cgroup
 * being forgotten. */
static int destroy(struct container *c, const struct oci_config *parsed, struct ocirun_error *err)
{
    struct cgroup *cg = NULL;
    int r;

    if (open_cgroup(c, &cg, err) < 0)
        return -1;
    r = cg ? cgroup_destroy(cg, err) : 0;
    cgroup_free(cg);
    if (r < 0)
        return error_wrap(err, "delete `%s`", c->id);
    fault_point("delete.after-cgroup");
    run_poststop_hooks(c, parsed);
    fault_point("delete.before-state-removal");
    return container_state_remove(c, err);
}

/* A directory without a readable state (a create that crashed before
 * saving it): --force removes it; nothing else can run against it.
 * missing: there was no state.json when we looked, unlocked; a create that
 * took the lock in between may have saved one since, with a live init:
 * then 1 is returned and the caller deletes it the normal way. */
static int delete_broken(const char *root, const char *id, bool missing, struct ocirun_error *err)
{
    cleanup_container struct container *c = NULL;

    if (container_open_locked(root, id, &c, err) < 0)
        return err->errnum == ENOENT ? (error_clear(err), 0) : -1;
    if (missing && faccessat(c->dirfd, "state.json", F_OK, AT_SYMLINK_NOFOLLOW) == 0)
        return 1;
    if (container_state_remove(c, err) < 0)
        return -1;
    error_clear(err);
    return 0;
}

int container_delete_parsed(const char *root, const char *id, bool force,
                            const struct oci_config *parsed, struct ocirun_error *err)
{
    cleanup_container struct container *c = NULL;
    const char *status;

    if (container_load(root, id, true, &c, err) < 0) {
        if (force && err->errnum == ENOENT && strcmp(err->msg, "container does not exist") == 0) {
            error_clear(err);
            int r = delete_broken(root, id, true, err);
            return r == 1 ? container_delete_parsed(root, id, force, parsed, err) : r;
        }
        if (force && err->errnum == EINVAL && container_id_valid(id))
            return delete_broken(root, id, false, err);
        return -1;
    }
    if (container_companion(c, err) < 0)
        return -1;
    status = container_status(c);
    if (strcmp(status, "created") == 0 || (force && strcmp(status, "stopped") != 0)) {
        if (kill_init_and_wait(c, strcmp(status, "paused") == 0, err) < 0)
            return -1;
        fault_point("delete.after-kill");
    } else if (strcmp(status, "stopped") != 0) {
        return error_plain(err, EBUSY, "cannot delete container %s that is not stopped: %s", id,
                           status);
    }
    return destroy(c, parsed, err);
}

int container_delete(const char *root, const char *id, bool force, struct ocirun_error *err)
{
    return container_delete_parsed(root, id, force, NULL, err);
}
