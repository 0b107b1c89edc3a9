/* SPDX-License-Identifier: GPL-2.0-or-later */
/* OOM notifications for `events`. v1: an eventfd registered through
 * cgroup.event_control on memory.oom_control (the kernel signals it once
 * per OOM in the cgroup, the killer enabled or not). v2: inotify on
 * memory.events, whose "oom" and "oom_kill" counters are compared with
 * the last values seen. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "cgroup-internal.h"
#include "util.h"

struct cgroup_oom {
    int fd; /* eventfd (v1) or inotify (v2); -1: no source */
    bool v2;
    char *dir;     /* v2: the unified directory */
    uint64_t last; /* v2: oom + oom_kill at the last look */
};

static uint64_t v2_oom_total(const char *dir)
{
    cleanup_free char *text = NULL;
    uint64_t total = 0;

    if (cgroup_read(dir, "memory.events", &text, NULL) < 0)
        return 0;
    for (char *save = NULL, *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        /* one event each: an OOM that killed counts once, not twice */
        if (strncmp(l, "oom_kill ", 9) == 0 || strncmp(l, "oom_group_kill ", 15) == 0)
            continue;
        if (strncmp(l, "oom ", 4) == 0)
            total += strtoull(l + 4, NULL, 10);
    }
    return total;
}

static int open_v1(struct cgroup_oom *w, const char *dir, struct ocirun_error *err)
{
    cleanup_free char *path = xasprintf("%s/memory.oom_control", dir);
    cleanup_close int ctl = open(path, O_RDONLY | O_CLOEXEC);
    char line[64];

    if (ctl < 0)
        return error_make(err, errno, "open `%s`", path);
    w->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (w->fd < 0)
        return error_make(err, errno, "eventfd");
    snprintf(line, sizeof(line), "%d %d", w->fd, ctl);
    if (cgroup_write(dir, "cgroup.event_control", line, err) < 0)
        return error_wrap(err, "watch for OOM");
    return 0;
}

static int open_v2(struct cgroup_oom *w, const char *dir, struct ocirun_error *err)
{
    cleanup_free char *path = xasprintf("%s/memory.events", dir);

    /* no memory controller in this cgroup2: no OOM to report */
    if (access(path, F_OK) < 0)
        return 0;
    w->v2 = true;
    w->dir = xstrdup(dir);
    w->last = v2_oom_total(dir);
    w->fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (w->fd < 0)
        return error_make(err, errno, "inotify_init1");
    if (inotify_add_watch(w->fd, path, IN_MODIFY) < 0)
        return error_make(err, errno, "watch `%s`", path);
    return 0;
}

int cgroup_oom_open(struct cgroup *cg, struct cgroup_oom **out, struct ocirun_error *err)
{
    struct cgroup_oom *w = xzalloc(sizeof(*w));
    const char *dir;
    int r = 0;

    w->fd = -1;
    if (cg != NULL && !cg->disabled) {
        dir = cg->mode == CGROUP_MODE_UNIFIED ? NULL : cgroup_v1_dir(cg, "memory");
        if (dir != NULL)
            r = open_v1(w, dir, err);
        else if ((dir = cgroup_v2_dir(cg)) != NULL)
            r = open_v2(w, dir, err);
    }
    if (r < 0) {
        cgroup_oom_free(w);
        return -1;
    }
    *out = w;
    return 0;
}

int cgroup_oom_fd(const struct cgroup_oom *w)
{
    return w == NULL ? -1 : w->fd;
}

unsigned cgroup_oom_count(struct cgroup_oom *w)
{
    uint64_t v = 0, now;
    char buf[4096];

    if (w == NULL || w->fd < 0)
        return 0;
    if (!w->v2)
        return read(w->fd, &v, sizeof(v)) == (ssize_t)sizeof(v) ? (unsigned)v : 0;
    while (read(w->fd, buf, sizeof(buf)) > 0)
        ;
    now = v2_oom_total(w->dir);
    v = now > w->last ? now - w->last : 0;
    w->last = now;
    return (unsigned)v;
}

void cgroup_oom_free(struct cgroup_oom *w)
{
    if (w == NULL)
        return;
    if (w->fd >= 0)
        close(w->fd);
    free(w->dir);
    free(w);
}
