/* SPDX-License-Identifier: GPL-2.0-or-later */
/* pause and resume: the freezer. v1 writes freezer.state and waits for
 * FROZEN (the kernel passes through FREEZING while tasks are still being
 * stopped); v2 writes cgroup.freeze and waits for "frozen 1" in
 * cgroup.events. The hierarchy is the one cgroup_is_frozen reads (the v1
 * freezer where it is mounted, else the unified one), so `state` shows
 * what pause did. Every wait is bounded; a freeze that does not complete
 * is undone, so a failed pause never leaves a half-frozen container. */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cgroup-internal.h"
#include "util.h"

/* How long the kernel gets to reach the new state. */
#define FREEZE_WAIT_MS 5000

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static bool v2_reports_frozen(const char *dir)
{
    cleanup_free char *events = NULL;

    return cgroup_read(dir, "cgroup.events", &events, NULL) == 0 &&
           strstr(events, "frozen 1") != NULL;
}

/* Whether the kernel has reached the wanted state (not just been asked). */
static bool reached(const struct cgroup_hierarchy *h, bool frozen)
{
    cleanup_free char *state = NULL;

    if (h->unified)
        return v2_reports_frozen(h->dir) == frozen;
    if (cgroup_read(h->dir, "freezer.state", &state, NULL) < 0)
        return false;
    return strncmp(state, frozen ? "FROZEN" : "THAWED", 6) == 0;
}

static int request(const struct cgroup_hierarchy *h, bool frozen, struct ocirun_error *err)
{
    if (h->unified)
        return cgroup_write(h->dir, "cgroup.freeze", frozen ? "1" : "0", err);
    return cgroup_write(h->dir, "freezer.state", frozen ? "FROZEN" : "THAWED", err);
}

static int wait_for(const struct cgroup_hierarchy *h, bool frozen, struct ocirun_error *err)
{
    long waited = 0, step = 1;

    while (!reached(h, frozen)) {
        if (waited >= FREEZE_WAIT_MS)
            return error_make(err, ETIMEDOUT, "%s cgroup `%s`: not %s after %d ms",
                              frozen ? "freeze" : "thaw", h->dir, frozen ? "frozen" : "thawed",
                              FREEZE_WAIT_MS);
        /* v1 can stay FREEZING when a task raced the first request: ask again */
        if (frozen && !h->unified && waited > 0 && waited % 100 < step)
            request(h, true, NULL);
        sleep_ms(step);
        waited += step;
        if (step < 16)
            step *= 2;
    }
    return 0;
}

static int freezer_hierarchy(struct cgroup *cg, const struct cgroup_hierarchy **out,
                             struct ocirun_error *err)
{
    if (cg == NULL || cg->disabled)
        return error_plain(err, ENOTSUP,
                           "the container has no cgroup to freeze (manager `disabled`)");
    *out = cgroup_main_hierarchy(cg, "freezer");
    if (*out == NULL || (!(*out)->unified && strcmp((*out)->controllers, "freezer") != 0))
        return error_plain(err, ENOTSUP,
                           "no freezer for the container: neither the v1 freezer nor cgroup2 "
                           "is mounted");
    if (access((*out)->dir, F_OK) < 0)
        return error_make(err, errno, "cgroup `%s`", (*out)->dir);
    return 0;
}

int cgroup_freeze(struct cgroup *cg, struct ocirun_error *err)
{
    const struct cgroup_hierarchy *h;

    if (freezer_hierarchy(cg, &h, err) < 0)
        return -1;
    if (request(h, true, err) < 0)
        return error_wrap(err, "freeze");
    if (wait_for(h, true, err) < 0) {
        /* never leave it half frozen */
        request(h, false, NULL);
        return -1;
    }
    return 0;
}

int cgroup_resume(struct cgroup *cg, struct ocirun_error *err)
{
    const struct cgroup_hierarchy *h;

    if (freezer_hierarchy(cg, &h, err) < 0)
        return -1;
    /* every hierarchy, in case something froze the other one too */
    if (cgroup_thaw(cg, err) < 0 || request(h, false, err) < 0)
        return -1;
    return wait_for(h, false, err);
}
