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
#include "log.h"
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

#define MEM "linux.resources.memory"

/* Whether the kernel kept a kmem limit (rounded down to pages). */
static bool kmem_took(const char *dir, const char *file, int64_t v)
{
    cleanup_free char *text = NULL;
    long page = sysconf(_SC_PAGESIZE);

    if (v < 0 || cgroup_read(dir, file, &text, NULL) < 0)
        return true;
    return strtoull(text, NULL, 10) == (unsigned long long)(v - v % (page > 0 ? page : 4096));
}

/* kernel/kernelTCP: the kmem files where this kernel still has them
 * (gone in 6.x builds without them); else ignored with runc's warning. */
static int apply_kmem(const char *dir, const struct oci_memory *m, struct ocirun_error *err)
{
    const int64_t *v[2] = {m->kernel_present ? &m->kernel : NULL,
                           m->kernel_tcp_present ? &m->kernel_tcp : NULL};
    const char *files[2] = {"memory.kmem.limit_in_bytes", "memory.kmem.tcp.limit_in_bytes"};
    const char *fields[2] = {MEM ".kernel", MEM ".kernelTCP"};

    for (int i = 0; i < 2; i++) {
        if (v[i] == NULL)
            continue;
        cleanup_free char *path = xasprintf("%s/%s", dir, files[i]);
        if (access(path, F_OK) < 0) {
            log_warn("Kernel memory settings are ignored and will be removed");
            continue;
        }
        if (write_i64(dir, files[i], *v[i], err) < 0) {
            /* some kernels keep the file but refuse every write */
            if (err->errnum != EOPNOTSUPP && err->errnum != ENOTSUP)
                return error_wrap(err, "%s", fields[i]);
            error_clear(err);
            log_warn("Kernel memory settings are ignored and will be removed");
        } else if (!kmem_took(dir, files[i], *v[i])) {
            /* others (5.16+) take the write and drop it */
            log_warn("Kernel memory settings are ignored and will be removed");
        }
    }
    return 0;
}

/* checkBeforeUpdate: a limit below what is in use now is refused rather
 * than letting the kernel reclaim or OOM-kill to reach it. */
static int check_usage(const char *dir, int64_t limit, struct ocirun_error *err)
{
    cleanup_free char *text = NULL;
    unsigned long long usage;

    if (limit <= 0)
        return 0;
    if (cgroup_read(dir, "memory.usage_in_bytes", &text, err) < 0)
        return error_wrap(err, MEM ".checkBeforeUpdate");
    usage = strtoull(text, NULL, 10);
    if ((unsigned long long)limit < usage)
        return error_make(err, EBUSY,
                          MEM ".limit: rejecting memory limit %" PRId64
                              " below the current usage %llu (checkBeforeUpdate)",
                          limit, usage);
    return 0;
}

/* The knobs only v1 has: swappiness, the OOM killer switch, hierarchy. */
static int apply_memory_knobs(const char *dir, const struct oci_memory *m, struct ocirun_error *err)
{
    if (m->swappiness_present &&
        write_i64(dir, "memory.swappiness", (int64_t)m->swappiness, err) < 0)
        return error_wrap(err, MEM ".swappiness");
    /* runc writes the switch only to turn the killer off */
    if (m->disable_oom_killer_present && m->disable_oom_killer &&
        cgroup_write(dir, "memory.oom_control", "1", err) < 0)
        return error_wrap(err, MEM ".disableOOMKiller");
    if (m->use_hierarchy_present) {
        /* since 5.11 memcg is always hierarchical and refuses 0 */
        if (!m->use_hierarchy)
            log_warn(MEM ".useHierarchy: this kernel is always hierarchical; ignored");
        else if (cgroup_write(dir, "memory.use_hierarchy", "1", err) < 0)
            return error_wrap(err, MEM ".useHierarchy");
    }
    return apply_kmem(dir, m, err);
}

static int apply_memory(const struct cgroup *cg, const struct oci_memory *m,
                        struct ocirun_error *err)
{
    const char *dir = cgroup_v1_dir(cg, "memory");
    int64_t swap = m->swap_present ? m->swap : 0;

    if (dir == NULL)
        return error_make(err, 0, "no memory cgroup for the container");
    if (m->limit_present && m->check_before_update_present && m->check_before_update &&
        check_usage(dir, m->limit, err) < 0)
        return -1;
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
    return apply_memory_knobs(dir, m, err);
}

#define CPU "linux.resources.cpu"

/* Realtime bandwidth: a child's runtime must fit in its parent's, and a
 * parent made by ocirun starts at 0, so those parents get the same values
 * first (top down); the period goes before the runtime, as runc. */
static int apply_rt(const struct cgroup *cg, const char *dir, const struct oci_cpu *c,
                    struct ocirun_error *err)
{
    int made = 0;

    for (size_t i = 0; i < cg->n; i++)
        if (cg->h[i].dir != NULL && strcmp(cg->h[i].dir, dir) == 0)
            made = cg->h[i].parents_made;
    for (int up = made; up >= 0; up--) {
        cleanup_free char *d = xstrdup(dir);
        for (int k = 0; k < up; k++) {
            char *slash = strrchr(d, '/');
            if (slash != NULL)
                *slash = '\0';
        }
        if (c->realtime_period_present &&
            write_i64(d, "cpu.rt_period_us", (int64_t)c->realtime_period, err) < 0)
            return error_wrap(err, CPU ".realtimePeriod");
        if (c->realtime_runtime_present &&
            write_i64(d, "cpu.rt_runtime_us", c->realtime_runtime, err) < 0)
            return error_wrap(err, CPU ".realtimeRuntime");
    }
    return 0;
}

static int apply_cpu_bandwidth(const struct cgroup *cg, const char *cpu, const struct oci_cpu *c,
                               struct ocirun_error *err)
{
    if (c->shares_present && write_i64(cpu, "cpu.shares", (int64_t)c->shares, err) < 0)
        return -1;
    if (c->period_present && write_i64(cpu, "cpu.cfs_period_us", (int64_t)c->period, err) < 0)
        return -1;
    if (c->quota_present && write_i64(cpu, "cpu.cfs_quota_us", c->quota, err) < 0)
        return -1;
    /* after the quota: the kernel wants burst <= quota */
    if (c->burst_present && write_i64(cpu, "cpu.cfs_burst_us", (int64_t)c->burst, err) < 0)
        return error_wrap(err, CPU ".burst");
    if (c->idle_present && write_i64(cpu, "cpu.idle", c->idle, err) < 0)
        return error_wrap(err, CPU ".idle");
    if ((c->realtime_period_present || c->realtime_runtime_present) &&
        apply_rt(cg, cpu, c, err) < 0)
        return -1;
    return 0;
}

static int apply_cpu(const struct cgroup *cg, const struct oci_cpu *c, struct ocirun_error *err)
{
    const char *cpu = cgroup_v1_dir(cg, "cpu"), *cpuset = cgroup_v1_dir(cg, "cpuset");

    if ((c->shares_present || c->period_present || c->quota_present || c->burst_present ||
         c->idle_present || c->realtime_period_present || c->realtime_runtime_present)) {
        if (cpu == NULL)
            return error_make(err, 0, "no cpu cgroup for the container");
        if (apply_cpu_bandwidth(cg, cpu, c, err) < 0)
            return -1;
    }
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
    /* once per command, and only with --debug: users of these hosts
     * usually cannot change them, so their logs must not fill with it */
    log_debug("cgroup v1 (%s host) is deprecated by the kernel and by the OCI runtimes; "
              "cgroup v2 is recommended",
              cg->mode == CGROUP_MODE_HYBRID ? "hybrid" : "legacy");
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
    return cgroup_v1_apply_more(cg, r, err);
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
