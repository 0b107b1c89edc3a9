/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The unified (v2) hierarchy: controllers enabled top-down through
 * cgroup.subtree_control, limits in the v2 files, devices through an eBPF
 * program (ebpf-devices.c), cgroup.kill for teardown. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cgroup-internal.h"
#include "util.h"

const char *cgroup_v2_dir(const struct cgroup *cg)
{
    for (size_t i = 0; i < cg->n; i++)
        if (cg->h[i].unified && cg->h[i].dir != NULL)
            return cg->h[i].dir;
    return NULL;
}

static bool listed(const char *list, const char *word)
{
    size_t wl = strlen(word);

    for (const char *p = list; p && *p;) {
        size_t l = strcspn(p, " \n");
        if (l == wl && memcmp(p, word, l) == 0)
            return true;
        p += l;
        p += strspn(p, " \n");
    }
    return false;
}

/* The controllers the resources need, NULL-terminated. */
static size_t needed_controllers(const struct oci_resources *r, const char *out[5])
{
    size_t n = 0;

    if (r == NULL)
        return 0;
    if (r->memory &&
        (r->memory->limit_present || r->memory->reservation_present || r->memory->swap_present))
        out[n++] = "memory";
    if (r->cpu && (r->cpu->shares_present || r->cpu->quota_present || r->cpu->period_present))
        out[n++] = "cpu";
    if (r->cpu && ((r->cpu->cpus && r->cpu->cpus[0]) || (r->cpu->mems && r->cpu->mems[0])))
        out[n++] = "cpuset";
    if (r->pids && r->pids->limit_present && r->pids->limit != 0)
        out[n++] = "pids";
    out[n] = NULL;
    return n;
}

/* Enables the controllers in every ancestor of the leaf, root first. */
int cgroup_v2_enable_controllers(const struct cgroup_hierarchy *h, const struct oci_resources *r,
                                 struct ocirun_error *err)
{
    const char *need[5];
    size_t base = strlen(h->mountpoint);
    cleanup_free char *dir = xstrdup(h->dir);

    if (needed_controllers(r, need) == 0)
        return 0;
    for (char *p = dir + base;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        if (*p == '\0')
            break; /* the leaf itself keeps its controllers to itself */
        *p = '\0';
        cleanup_free char *enabled = NULL;
        if (cgroup_read(dir, "cgroup.subtree_control", &enabled, err) < 0)
            return -1;
        for (size_t i = 0; need[i]; i++) {
            if (listed(enabled, need[i]))
                continue;
            cleanup_free char *plus = xasprintf("+%s", need[i]);
            if (cgroup_write(dir, "cgroup.subtree_control", plus, err) < 0)
                return error_wrap(err, "enable the %s controller", need[i]);
        }
        *p = '/';
    }
    return 0;
}

static int apply_memory(const char *dir, const struct oci_memory *m, struct ocirun_error *err)
{
    char buf[32];
    int64_t swap;

    if (m->reservation_present) {
        cgroup_format_limit(m->reservation, buf, sizeof(buf));
        if (cgroup_write(dir, "memory.low", buf, err) < 0)
            return -1;
    }
    if (m->limit_present) {
        cgroup_format_limit(m->limit, buf, sizeof(buf));
        if (cgroup_write(dir, "memory.max", buf, err) < 0)
            return -1;
    }
    if (cgroup_swap_to_v2(m->swap_present ? m->swap : 0, m->limit_present ? m->limit : 0, &swap,
                          err) < 0)
        return -1;
    if (swap != 0) {
        cgroup_format_limit(swap, buf, sizeof(buf));
        if (cgroup_write(dir, "memory.swap.max", buf, err) < 0)
            return error_wrap(err, "swap");
    }
    return 0;
}

static int apply_cpu(const char *dir, const struct oci_cpu *c, struct ocirun_error *err)
{
    char buf[64];

    if (c->shares_present && c->shares != 0) {
        snprintf(buf, sizeof(buf), "%" PRIu64, cgroup_shares_to_weight(c->shares));
        if (cgroup_write(dir, "cpu.weight", buf, err) < 0)
            return -1;
    }
    if (c->quota_present || c->period_present) {
        uint64_t period = c->period_present && c->period ? c->period : 100000;
        if (c->quota_present && c->quota > 0)
            snprintf(buf, sizeof(buf), "%" PRId64 " %" PRIu64, c->quota, period);
        else
            snprintf(buf, sizeof(buf), "max %" PRIu64, period);
        if (cgroup_write(dir, "cpu.max", buf, err) < 0)
            return -1;
    }
    if (c->cpus && c->cpus[0] && cgroup_write(dir, "cpuset.cpus", c->cpus, err) < 0)
        return -1;
    if (c->mems && c->mems[0] && cgroup_write(dir, "cpuset.mems", c->mems, err) < 0)
        return -1;
    return 0;
}

static int apply_devices(const char *dir, const struct oci_resources *r, struct ocirun_error *err)
{
    size_t n = r->devices_len + cgroup_default_devices_len;
    cleanup_free struct oci_device_cgroup *all = xmalloc(sizeof(*all) * n);
    cleanup_close int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (fd < 0)
        return error_make(err, errno, "open `%s`", dir);
    memcpy(all, r->devices, sizeof(*all) * r->devices_len);
    memcpy(all + r->devices_len, cgroup_default_devices, sizeof(*all) * cgroup_default_devices_len);
    if (ebpf_devices_attach(fd, all, n, err) < 0)
        return error_wrap(err, "linux.resources.devices");
    return 0;
}

int cgroup_v2_apply(struct cgroup *cg, const struct cgroup_hierarchy *h,
                    const struct oci_resources *r, struct ocirun_error *err)
{
    (void)cg;
    if (r == NULL)
        return 0;
    if (r->devices_len > 0 && apply_devices(h->dir, r, err) < 0)
        return -1;
    if (r->memory && apply_memory(h->dir, r->memory, err) < 0)
        return error_wrap(err, "linux.resources.memory");
    if (r->cpu && apply_cpu(h->dir, r->cpu, err) < 0)
        return error_wrap(err, "linux.resources.cpu");
    if (r->pids && r->pids->limit_present && r->pids->limit != 0) {
        char buf[32];
        cgroup_format_limit(r->pids->limit, buf, sizeof(buf));
        if (cgroup_write(h->dir, "pids.max", buf, err) < 0)
            return error_wrap(err, "linux.resources.pids.limit");
    }
    return 0;
}

static bool populated(const char *dir)
{
    cleanup_free char *events = NULL;

    if (cgroup_read(dir, "cgroup.events", &events, NULL) < 0)
        return false;
    return strstr(events, "populated 1") != NULL;
}

int cgroup_v2_kill_all(const char *dir, struct ocirun_error *err)
{
    struct timespec pause = {0, 2 * 1000000L};
    cleanup_free char *kill_file = xasprintf("%s/cgroup.kill", dir);

    /* cgroup.kill (5.14+) kills the whole subtree in one go, forks included */
    if (access(kill_file, F_OK) < 0)
        return cgroup_kill_listed(dir, err);
    if (cgroup_write(dir, "cgroup.kill", "1", err) < 0)
        return -1;
    for (int i = 0; i < 1000; i++) {
        if (!populated(dir))
            return 0;
        nanosleep(&pause, NULL);
    }
    return error_make(err, EBUSY, "kill the processes of cgroup `%s`", dir);
}

bool cgroup_v2_is_frozen(const char *dir)
{
    cleanup_free char *v = NULL;

    return cgroup_read(dir, "cgroup.freeze", &v, NULL) == 0 && v[0] == '1';
}

int cgroup_v2_thaw(const char *dir)
{
    if (!cgroup_v2_is_frozen(dir))
        return 0;
    return cgroup_write(dir, "cgroup.freeze", "0", NULL);
}
