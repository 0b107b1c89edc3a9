/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cgroup v1 hierarchies (hybrid and legacy hosts): one directory per
 * hierarchy, limits written to the controller's own files. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup-internal.h"
#include "util.h"

const char *cgroup_v1_dir(const struct cgroup *cg, const char *controller)
{
    for (size_t i = 0; i < cg->n; i++) {
        const struct cgroup_hierarchy *h = &cg->h[i];
        if (h->unified || h->dir == NULL)
            continue;
        for (const char *p = h->controllers; *p;) {
            size_t l = strcspn(p, ",");
            if (l == strlen(controller) && memcmp(p, controller, l) == 0)
                return h->dir;
            p += l + (p[l] == ',');
        }
    }
    return NULL;
}

/* Fills an empty cpuset file from the nearest ancestor that has a value,
 * filling the empty ancestors on the way (a child's set must be a subset of
 * its parent's). The hierarchy root always has one. */
static int copy_from_parent(const char *mountpoint, const char *dir, const char *file,
                            struct ocirun_error *err)
{
    cleanup_free char *value = NULL, *parent = xstrdup(dir);
    char *slash = strrchr(parent, '/');

    if (cgroup_read(dir, file, &value, err) < 0)
        return -1;
    if (value[strspn(value, " \n")] != '\0' || slash == NULL || strlen(dir) <= strlen(mountpoint))
        return 0;
    *slash = '\0';
    if (copy_from_parent(mountpoint, parent, file, err) < 0)
        return -1;
    free(value);
    value = NULL;
    if (cgroup_read(parent, file, &value, err) < 0)
        return -1;
    return cgroup_write(dir, file, value, err);
}

int cgroup_v1_prepare_dir(const struct cgroup_hierarchy *h, const char *dir,
                          struct ocirun_error *err)
{
    /* a new cpuset cgroup starts with no cpus and no mems, and refuses
     * tasks until both are set: inherit the parent's, as runc does */
    if (strstr(h->controllers, "cpuset") == NULL)
        return 0;
    if (copy_from_parent(h->mountpoint, dir, "cpuset.cpus", err) < 0 ||
        copy_from_parent(h->mountpoint, dir, "cpuset.mems", err) < 0)
        return -1;
    return 0;
}

static void device_rule(const struct oci_device_cgroup *d, char *buf, size_t len)
{
    char major[24] = "*", minor[24] = "*";

    if (d->major_present && d->major >= 0)
        snprintf(major, sizeof(major), "%" PRId64, d->major);
    if (d->minor_present && d->minor >= 0)
        snprintf(minor, sizeof(minor), "%" PRId64, d->minor);
    snprintf(buf, len, "%s %s:%s %s", d->type ? d->type : "a", major, minor,
             d->access && d->access[0] ? d->access : "rwm");
}

static int write_devices(const char *dir, const struct oci_device_cgroup *rules, size_t n,
                         struct ocirun_error *err)
{
    for (size_t i = 0; i < n; i++) {
        char rule[96];
        device_rule(&rules[i], rule, sizeof(rule));
        if (cgroup_write(dir, rules[i].allow ? "devices.allow" : "devices.deny", rule, err) < 0)
            return -1;
    }
    return 0;
}

/* The config's rules in order, then runc's default allowed devices. */
static int apply_devices(const struct cgroup *cg, const struct oci_resources *r,
                         struct ocirun_error *err)
{
    const char *dir = cgroup_v1_dir(cg, "devices");

    if (r->devices_len == 0)
        return 0;
    if (dir == NULL)
        return error_make(err, 0, "linux.resources.devices: no devices cgroup for the container");
    if (write_devices(dir, r->devices, r->devices_len, err) < 0 ||
        write_devices(dir, cgroup_default_devices, cgroup_default_devices_len, err) < 0)
        return error_wrap(err, "linux.resources.devices");
    return 0;
}

static int write_i64(const char *dir, const char *file, int64_t v, struct ocirun_error *err)
{
    char buf[32];

    snprintf(buf, sizeof(buf), "%" PRId64, v);
    return cgroup_write(dir, file, buf, err);
}

/* memory.limit_in_bytes now; "unlimited" (a huge number) when unreadable. */
static uint64_t current_limit(const char *dir)
{
    cleanup_free char *text = NULL;

    if (cgroup_read(dir, "memory.limit_in_bytes", &text, NULL) < 0)
        return UINT64_MAX;
    return strtoull(text, NULL, 10);
}

static int apply_memory(const struct cgroup *cg, const struct oci_memory *m,
                        struct ocirun_error *err)
{
    const char *dir = cgroup_v1_dir(cg, "memory");
    int64_t swap = m->swap_present ? m->swap : 0;

    if (dir == NULL)
        return error_make(err, 0, "no memory cgroup for the container");
    if (m->limit_present && m->limit == -1 && !m->swap_present)
        swap = -1;
    if (swap != 0) {
        cleanup_free char *path = xasprintf("%s/memory.memsw.limit_in_bytes", dir);
        if (access(path, F_OK) < 0)
            return error_make(err, 0,
                              "linux.resources.memory.swap: swap accounting is not "
                              "enabled on this kernel");
    }
    /* memsw must stay >= limit at every step: raise memsw first when it
     * goes up past the current limit (an update), else lower the limit
     * first (as runc orders the two writes) */
    if (swap == -1 || (swap > 0 && m->limit_present && current_limit(dir) < (uint64_t)swap)) {
        if (write_i64(dir, "memory.memsw.limit_in_bytes", swap, err) < 0)
            return -1;
        swap = 0;
    }
    if (m->limit_present && write_i64(dir, "memory.limit_in_bytes", m->limit, err) < 0)
        return -1;
    if (swap > 0 && write_i64(dir, "memory.memsw.limit_in_bytes", swap, err) < 0)
        return -1;
    if (m->reservation_present &&
        write_i64(dir, "memory.soft_limit_in_bytes", m->reservation, err) < 0)
        return -1;
    return 0;
}

static int apply_cpu(const struct cgroup *cg, const struct oci_cpu *c, struct ocirun_error *err)
{
    const char *cpu = cgroup_v1_dir(cg, "cpu"), *cpuset = cgroup_v1_dir(cg, "cpuset");

    if ((c->shares_present || c->period_present || c->quota_present) && cpu == NULL)
        return error_make(err, 0, "no cpu cgroup for the container");
    if (c->shares_present && write_i64(cpu, "cpu.shares", (int64_t)c->shares, err) < 0)
        return -1;
    if (c->period_present && write_i64(cpu, "cpu.cfs_period_us", (int64_t)c->period, err) < 0)
        return -1;
    if (c->quota_present && write_i64(cpu, "cpu.cfs_quota_us", c->quota, err) < 0)
        return -1;
    if (((c->cpus && c->cpus[0]) || (c->mems && c->mems[0])) && cpuset == NULL)
        return error_make(err, 0, "no cpuset cgroup for the container");
    if (c->cpus && c->cpus[0] && cgroup_write(cpuset, "cpuset.cpus", c->cpus, err) < 0)
        return -1;
    if (c->mems && c->mems[0] && cgroup_write(cpuset, "cpuset.mems", c->mems, err) < 0)
        return -1;
    return 0;
}

int cgroup_v1_apply(struct cgroup *cg, const struct oci_resources *r, struct ocirun_error *err)
{
    if (r == NULL)
        return 0;
    if (apply_devices(cg, r, err) < 0)
        return -1;
    if (r->memory && apply_memory(cg, r->memory, err) < 0)
        return error_wrap(err, "linux.resources.memory");
    if (r->cpu && apply_cpu(cg, r->cpu, err) < 0)
        return error_wrap(err, "linux.resources.cpu");
    if (r->pids && r->pids->limit_present && r->pids->limit != 0) {
        const char *dir = cgroup_v1_dir(cg, "pids");
        char buf[32];
        if (dir == NULL)
            return error_make(err, 0, "linux.resources.pids: no pids cgroup for the container");
        cgroup_format_limit(r->pids->limit, buf, sizeof(buf));
        if (cgroup_write(dir, "pids.max", buf, err) < 0)
            return error_wrap(err, "linux.resources.pids.limit");
    }
    return 0;
}

bool cgroup_v1_is_frozen(const char *dir)
{
    cleanup_free char *state = NULL;

    return cgroup_read(dir, "freezer.state", &state, NULL) == 0 && strncmp(state, "FROZEN", 6) == 0;
}

int cgroup_v1_thaw(const char *dir)
{
    if (!cgroup_v1_is_frozen(dir))
        return 0;
    return cgroup_write(dir, "freezer.state", "THAWED", NULL);
}
