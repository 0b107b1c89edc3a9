/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `events` (container_update.h): runc's event lines,
 *   {"type":"stats","id":ID,"data":{...}}   (cgroup-stats.c)
 *   {"type":"oom","id":ID}
 * one JSON object per line. The stream waits on a pidfd of the init and
 * the OOM source with poll(2), so it ends as soon as the container stops
 * and sees an OOM without waiting for the next tick. No lock is held: a
 * long-running events must not block delete or kill. */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "container_update.h"
#include "state.h"
#include "util.h"

static int open_cgroup(struct container *c, struct cgroup **cg, struct ocirun_error *err)
{
    struct ocirun_private_state *p = c->state->ocirun;

    *cg = NULL;
    if (p == NULL || p->cgroup_path == NULL || p->cgroup_path[0] == '\0')
        return error_plain(err, ENOTSUP, "events `%s`: the container has no cgroup", c->id);
    return cgroup_open(p->cgroup_manager ? p->cgroup_manager : "cgroupfs", p->cgroup_path, cg, err);
}

static int print_stats(struct cgroup *cg, const char *id, FILE *out, struct ocirun_error *err)
{
    cleanup_free char *data = NULL;

    if (cgroup_stats_json(cg, &data, err) < 0)
        return -1;
    /* the id passed runc's id rule: no character needs escaping */
    fprintf(out, "{\"type\":\"stats\",\"id\":\"%s\",\"data\":%s}\n", id, data);
    if (fflush(out) == EOF)
        return error_make(err, errno, "write the stats");
    return 0;
}

static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A pidfd of the init, checked against pid reuse; -1 when it is gone. */
static int init_pidfd(struct container *c)
{
    int fd;

    if (!c->state->pid_present || c->state->pid <= 0 || c->state->pid > INT32_MAX)
        return -1;
    fd = (int)syscall(SYS_pidfd_open, (pid_t)c->state->pid, 0);
    if (fd >= 0 && !container_init_alive(c)) {
        close(fd);
        return -1;
    }
    return fd;
}

static int stream(struct container *c, struct cgroup *cg, long interval_ms, FILE *out,
                  struct ocirun_error *err)
{
    struct cgroup_oom *oom = NULL;
    cleanup_close int pidfd = init_pidfd(c);
    long long next = now_ms() + interval_ms;
    int ret = 0;

    if (pidfd < 0)
        return error_plain(err, ESRCH, "container with id %s is not running", c->id);
    if (cgroup_oom_open(cg, &oom, err) < 0)
        return -1;
    for (;;) {
        struct pollfd fds[2] = {{.fd = pidfd, .events = POLLIN},
                                {.fd = cgroup_oom_fd(oom), .events = POLLIN}};
        long long wait = next - now_ms();
        int r = poll(fds, 2, wait < 0 ? 0 : (int)(wait > 60000 ? 60000 : wait));
        if (r < 0 && errno != EINTR) {
            ret = error_make(err, errno, "poll");
            break;
        }
        bool exited = r > 0 && fds[0].revents != 0;
        /* on exit, look once more: the kernel rate-limits memory.events
         * notifications, so the inotify event of the OOM that killed the
         * init may not have arrived yet (the counter is already updated) */
        for (unsigned n = (r > 0 && fds[1].revents) || exited ? cgroup_oom_count(oom) : 0; n > 0;
             n--)
            fprintf(out, "{\"type\":\"oom\",\"id\":\"%s\"}\n", c->id);
        fflush(out);
        if (exited)
            break; /* the init exited: the container stopped */
        if (now_ms() >= next) {
            if (print_stats(cg, c->id, out, err) < 0) {
                ret = -1;
                break;
            }
            next += interval_ms;
        }
    }
    cgroup_oom_free(oom);
    return ret;
}

int container_events(const char *root, const char *id, bool stats_only, long interval_ms, FILE *out,
                     struct ocirun_error *err)
{
    cleanup_container struct container *c = NULL;
    struct cgroup *cg = NULL;
    int ret;

    if (container_load(root, id, false, &c, err) < 0)
        return -1;
    if (strcmp(container_status(c), "stopped") == 0)
        return error_plain(err, ESRCH, "container with id %s is not running", id);
    if (open_cgroup(c, &cg, err) < 0)
        return -1;
    if (stats_only)
        ret = print_stats(cg, id, out, err);
    else
        ret = stream(c, cg, interval_ms, out, err);
    cgroup_free(cg);
    return ret;
}
