/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Which linux.resources fields ocirun can apply, checked before any cgroup
 * is made, and the value conversions shared by v1 and v2. A field that
 * cannot be applied is an error naming it, never silently dropped. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup-internal.h"
#include "util.h"

static bool word_in(const char *list, const char *word)
{
    size_t wl = strlen(word);

    for (const char *p = list; p && *p;) {
        size_t l = strcspn(p, " \n,");
        if (l == wl && memcmp(p, word, l) == 0)
            return true;
        p += l;
        p += strspn(p, " \n,");
    }
    return false;
}

bool cgroup_has_controller(const struct cgroup *cg, const char *controller)
{
    for (size_t i = 0; i < cg->n; i++) {
        const struct cgroup_hierarchy *h = &cg->h[i];
        /* hybrid: the controllers bound to cgroup2 (hugetlb here) count too */
        if (h->unified && cg->mode != CGROUP_MODE_LEGACY) {
            cleanup_free char *avail = NULL;
            if (cgroup_read(h->mountpoint, "cgroup.controllers", &avail, NULL) == 0 &&
                word_in(avail, controller))
                return true;
        } else if (!h->unified && word_in(h->controllers, controller)) {
            return true;
        }
    }
    return false;
}

/* cg NULL: the "disabled" manager, which applies nothing. */
static int need(const struct cgroup *cg, const char *field, const char *controller,
                struct ocirun_error *err)
{
    if (cg == NULL)
        return error_make(err, 0, "%s: cannot be applied with the cgroup manager `disabled`",
                          field);
    if (!cgroup_has_controller(cg, controller))
        return error_make(err, 0, "%s: the %s cgroup controller is not available on this host",
                          field, controller);
    return 0;
}

static int check_devices(const struct oci_resources *r, const struct cgroup *cg,
                         struct ocirun_error *err)
{
    for (size_t i = 0; i < r->devices_len; i++) {
        const struct oci_device_cgroup *d = &r->devices[i];
        if (d->type && strcmp(d->type, "a") != 0 && strcmp(d->type, "b") != 0 &&
            strcmp(d->type, "c") != 0)
            return error_make(err, 0, "linux.resources.devices[%zu].type: `%s` is not a, b or c", i,
                              d->type);
        if (d->access && (d->access[strspn(d->access, "rwm")] != '\0'))
            return error_make(err, 0,
                              "linux.resources.devices[%zu].access: `%s` is not made of r, w, m", i,
                              d->access);
        if ((d->major_present && d->major < -1) || (d->minor_present && d->minor < -1) ||
            (d->major_present && d->major > UINT32_MAX) ||
            (d->minor_present && d->minor > UINT32_MAX))
            return error_make(err, 0, "linux.resources.devices[%zu]: invalid major/minor", i);
    }
    /* disabled manager: the user chose no cgroup, so no device cgroup */
    if (cg == NULL || r->devices_len == 0)
        return 0;
    if (cg->mode != CGROUP_MODE_UNIFIED && !cgroup_has_controller(cg, "devices"))
        return error_make(err, 0,
                          "linux.resources.devices: the devices cgroup controller is "
                          "not mounted on this host");
    return 0;
}

static bool is_v2(const struct cgroup *cg)
{
    return cg != NULL && cg->mode == CGROUP_MODE_UNIFIED;
}

/* v1-only memory knobs: on v2 they are warned about and ignored when the
 * limits are written (cgroup-v2.c); on v1 they need the memory controller
 * (kernel/kernelTCP are written where the kmem files still exist, else
 * warned about in cgroup-v1.c). */
static int check_memory(const struct oci_memory *m, const struct cgroup *cg,
                        struct ocirun_error *err)
{
    if (!is_v2(cg)) {
        if (m->swappiness_present && m->swappiness > 100)
            return error_make(err, 0,
                              "linux.resources.memory.swappiness: %" PRIu64 " is not in 0..100",
                              m->swappiness);
        if ((m->swappiness_present || m->disable_oom_killer_present || m->use_hierarchy_present ||
             m->kernel_present || m->kernel_tcp_present) &&
            need(cg, "linux.resources.memory", "memory", err) < 0)
            return -1;
    }
    if (m->limit_present && need(cg, "linux.resources.memory.limit", "memory", err) < 0)
        return -1;
    if (m->reservation_present && need(cg, "linux.resources.memory.reservation", "memory", err) < 0)
        return -1;
    if (m->swap_present) {
        int64_t v;
        if (need(cg, "linux.resources.memory.swap", "memory", err) < 0 ||
            cgroup_swap_to_v2(m->swap, m->limit_present ? m->limit : 0, &v, err) < 0)
            return -1;
    }
    return 0;
}

/* A v1 cpu file the kernel may lack (CONFIG_RT_GROUP_SCHED, CFS burst,
 * SCHED_IDLE groups), looked up in the hierarchy's root. */
static int need_v1_cpu_file(const struct cgroup *cg, const char *field, const char *file,
                            const char *why, struct ocirun_error *err)
{
    if (need(cg, field, "cpu", err) < 0)
        return -1;
    for (size_t i = 0; i < cg->n; i++) {
        const struct cgroup_hierarchy *h = &cg->h[i];
        if (h->unified || !word_in(h->controllers, "cpu"))
            continue;
        cleanup_free char *path = xasprintf("%s/%s", h->mountpoint, file);
        if (access(path, F_OK) == 0)
            return 0;
        return error_make(err, 0, "%s: this kernel has no %s (%s)", field, file, why);
    }
    return 0;
}

static int check_cpu_v1(const struct oci_cpu *c, const struct cgroup *cg, struct ocirun_error *err)
{
    const char *rt = "no CONFIG_RT_GROUP_SCHED";

    if (c->realtime_runtime_present && need_v1_cpu_file(cg, "linux.resources.cpu.realtimeRuntime",
                                                        "cpu.rt_runtime_us", rt, err) < 0)
        return -1;
    if (c->realtime_period_present &&
        need_v1_cpu_file(cg, "linux.resources.cpu.realtimePeriod", "cpu.rt_period_us", rt, err) < 0)
        return -1;
    if (c->burst_present && need_v1_cpu_file(cg, "linux.resources.cpu.burst", "cpu.cfs_burst_us",
                                             "CFS bandwidth burst needs Linux 5.14", err) < 0)
        return -1;
    if (c->idle_present && need_v1_cpu_file(cg, "linux.resources.cpu.idle", "cpu.idle",
                                            "SCHED_IDLE groups need Linux 5.15", err) < 0)
        return -1;
    return 0;
}

static int check_cpu(const struct oci_cpu *c, const struct cgroup *cg, struct ocirun_error *err)
{
    bool v2 = is_v2(cg);

    if (!v2 && cg != NULL && check_cpu_v1(c, cg, err) < 0)
        return -1;
    if (v2 && (c->realtime_runtime_present || c->realtime_period_present)) {
        const char *f = c->realtime_runtime_present ? "linux.resources.cpu.realtimeRuntime"
                                                    : "linux.resources.cpu.realtimePeriod";
        return error_make(err, 0,
                          "%s: cgroup v2 has no realtime CPU limits (cpu.rt_*); remove the "
                          "field",
                          f);
    }
    if (c->burst_present && need(cg, "linux.resources.cpu.burst", "cpu", err) < 0)
        return -1;
    if (c->idle_present && need(cg, "linux.resources.cpu.idle", "cpu", err) < 0)
        return -1;
    if (c->shares_present && need(cg, "linux.resources.cpu.shares", "cpu", err) < 0)
        return -1;
    if (c->quota_present && need(cg, "linux.resources.cpu.quota", "cpu", err) < 0)
        return -1;
    if (c->period_present && need(cg, "linux.resources.cpu.period", "cpu", err) < 0)
        return -1;
    if (c->cpus && c->cpus[0] && need(cg, "linux.resources.cpu.cpus", "cpuset", err) < 0)
        return -1;
    if (c->mems && c->mems[0] && need(cg, "linux.resources.cpu.mems", "cpuset", err) < 0)
        return -1;
    return 0;
}

static bool block_io_set(const struct oci_block_io *b)
{
    return b->weight_present || b->leaf_weight_present || b->weight_device_len ||
           b->throttle_read_bps_device_len || b->throttle_write_bps_device_len ||
           b->throttle_read_iops_device_len || b->throttle_write_iops_device_len;
}

#define BIO "linux.resources.blockIO"

static int check_block_io(const struct oci_block_io *b, const struct cgroup *cg,
                          struct ocirun_error *err)
{
    cleanup_free struct cgroup_io_max *lines = NULL;
    bool v2 = is_v2(cg);
    size_t n;

    if (need(cg, BIO, v2 ? "io" : "blkio", err) < 0)
        return -1;
    /* leafWeight is CFQ's (v1, removed in 5.0): nothing on v2 to map it
     * to; on v1 it is written where blkio.leaf_weight still exists */
    if (v2 && b->leaf_weight_present)
        return error_make(err, 0, BIO ".leafWeight: not supported on cgroup v2");
    if (b->weight_present && b->weight != 0 && (b->weight < 10 || b->weight > 1000))
        return error_make(err, 0, BIO ".weight: %u is not in 10..1000", b->weight);
    if (b->leaf_weight_present && b->leaf_weight != 0 &&
        (b->leaf_weight < 10 || b->leaf_weight > 1000))
        return error_make(err, 0, BIO ".leafWeight: %u is not in 10..1000", b->leaf_weight);
    for (size_t i = 0; i < b->weight_device_len; i++) {
        const struct oci_block_io_weight_device *d = &b->weight_device[i];
        char field[64];
        snprintf(field, sizeof(field), BIO ".weightDevice[%zu]", i);
        if (cgroup_check_devnum(field, d->major, d->minor, err) < 0)
            return -1;
        if (v2 && d->leaf_weight_present)
            return error_make(err, 0, "%s.leafWeight: not supported on cgroup v2", field);
        if (d->weight_present && (d->weight < 10 || d->weight > 1000))
            return error_make(err, 0, "%s.weight: %u is not in 10..1000", field, d->weight);
    }
    return cgroup_io_max_build(b, &lines, &n, err);
}

static int check_hugetlb_rdma(const struct oci_resources *r, const struct cgroup *cg,
                              struct ocirun_error *err)
{
    if (r->hugepage_limits_len > 0 &&
        need(cg, "linux.resources.hugepageLimits", "hugetlb", err) < 0)
        return -1;
    for (size_t i = 0; i < r->hugepage_limits_len; i++)
        if (cgroup_hugetlb_check("/sys/kernel/mm/hugepages", &r->hugepage_limits[i], i, err) < 0)
            return -1;
    if (r->rdma.len > 0 && need(cg, "linux.resources.rdma", "rdma", err) < 0)
        return -1;
    for (size_t i = 0; i < r->rdma.len; i++) {
        char line[160];
        if (cgroup_rdma_line(r->rdma.keys[i], &r->rdma.values[i], line, sizeof(line), err) < 0)
            return -1;
    }
    return 0;
}

/* The controllers cgroup2 itself offers (on a hybrid host: only those no
 * v1 hierarchy holds, e.g. hugetlb). */
static bool unified_offers(const struct cgroup *cg, const char *controller)
{
    for (size_t i = 0; cg && i < cg->n; i++) {
        cleanup_free char *avail = NULL;
        if (cg->h[i].unified &&
            cgroup_read(cg->h[i].mountpoint, "cgroup.controllers", &avail, NULL) == 0 &&
            word_in(avail, controller))
            return true;
    }
    return false;
}

static bool has_unified(const struct cgroup *cg)
{
    for (size_t i = 0; cg && i < cg->n; i++)
        if (cg->h[i].unified)
            return true;
    return false;
}

/* `unified` keys: checked as file names; on a hybrid host each one must
 * name a controller bound to cgroup2 (or a cgroup.* file), as runc. */
static int check_unified(const struct oci_resources *r, const struct cgroup *cg,
                         struct ocirun_error *err)
{
    if (r->unified.len > 0 && cg == NULL)
        return need(cg, "linux.resources.unified", "", err);
    if (r->unified.len > 0 && !has_unified(cg))
        return error_make(err, 0,
                          "linux.resources.unified: this host has no cgroup2 hierarchy (legacy "
                          "cgroup v1 only)");
    for (size_t i = 0; i < r->unified.len; i++) {
        const char *c;
        if (cgroup_unified_check(r->unified.keys[i], r->unified.values[i], err) < 0)
            return -1;
        c = cgroup_unified_controller(r->unified.keys[i]);
        if (c != NULL && !(is_v2(cg) ? cgroup_has_controller(cg, c) : unified_offers(cg, c)))
            return error_make(err, 0,
                              "linux.resources.unified[\"%s\"]: the %s cgroup controller is not "
                              "available %s",
                              r->unified.keys[i], c,
                              is_v2(cg) ? "on this host"
                                        : "in the cgroup2 hierarchy of this "
                                          "hybrid host (it is bound to v1)");
    }
    return 0;
}

static int check_network(const struct oci_network *net, const struct cgroup *cg,
                         struct ocirun_error *err)
{
    if (net->class_id_present && need(cg, "linux.resources.network.classID", "net_cls", err) < 0)
        return -1;
    if (net->priorities_len > 0 &&
        need(cg, "linux.resources.network.priorities", "net_prio", err) < 0)
        return -1;
    for (size_t i = 0; i < net->priorities_len; i++) {
        const char *name = net->priorities[i].name;
        if (name == NULL || name[0] == '\0' || strlen(name) >= 16 ||
            name[strcspn(name, " /\t\n")] != '\0')
            return error_make(err, 0,
                              "linux.resources.network.priorities[%zu].name: `%s` is not an "
                              "interface name",
                              i, name ? name : "");
    }
    return 0;
}

int cgroup_resources_check(const struct oci_resources *r, const struct cgroup *cg,
                           struct ocirun_error *err)
{
    bool net;

    if (r == NULL)
        return 0;
    net = r->network && (r->network->class_id_present || r->network->priorities_len > 0);
    if (net && is_v2(cg))
        return error_make(err, 0,
                          "linux.resources.network: classID and priorities need the v1 "
                          "net_cls/net_prio controllers; cgroup v2 has none");
    if (net && check_network(r->network, cg, err) < 0)
        return -1;
    if (r->block_io && block_io_set(r->block_io) && check_block_io(r->block_io, cg, err) < 0)
        return -1;
    if (check_hugetlb_rdma(r, cg, err) < 0 || check_unified(r, cg, err) < 0)
        return -1;
    if (check_devices(r, cg, err) < 0)
        return -1;
    if (r->memory && check_memory(r->memory, cg, err) < 0)
        return -1;
    if (r->cpu && check_cpu(r->cpu, cg, err) < 0)
        return -1;
    if (r->pids && r->pids->limit_present && r->pids->limit != 0 &&
        need(cg, "linux.resources.pids.limit", "pids", err) < 0)
        return -1;
    return 0;
}

const char *cgroup_resources_limit_field(const struct oci_resources *r)
{
    if (r == NULL)
        return NULL;
    if (r->memory && r->memory->limit_present)
        return "linux.resources.memory.limit";
    if (r->memory && r->memory->reservation_present)
        return "linux.resources.memory.reservation";
    if (r->memory && r->memory->swap_present)
        return "linux.resources.memory.swap";
    if (r->cpu && (r->cpu->shares_present || r->cpu->quota_present || r->cpu->period_present))
        return "linux.resources.cpu";
    if (r->cpu && ((r->cpu->cpus && r->cpu->cpus[0]) || (r->cpu->mems && r->cpu->mems[0])))
        return "linux.resources.cpu";
    if (r->pids && r->pids->limit_present && r->pids->limit != 0)
        return "linux.resources.pids.limit";
    if (r->cpu && r->cpu->burst_present)
        return "linux.resources.cpu.burst";
    if (r->cpu && r->cpu->idle_present)
        return "linux.resources.cpu.idle";
    if (r->block_io && block_io_set(r->block_io))
        return "linux.resources.blockIO";
    if (r->hugepage_limits_len > 0)
        return "linux.resources.hugepageLimits";
    if (r->rdma.len > 0)
        return "linux.resources.rdma";
    if (r->unified.len > 0)
        return "linux.resources.unified";
    return NULL;
}

int cgroup_swap_to_v2(int64_t swap, int64_t limit, int64_t *out, struct ocirun_error *err)
{
    /* v1's memory+swap semantics; an unlimited memory with swap unset
     * means both unlimited, as runc */
    if (limit == -1 && swap == 0) {
        *out = -1;
        return 0;
    }
    if (swap == -1 || swap == 0) {
        *out = swap;
        return 0;
    }
    if (swap < -1)
        return error_make(err, 0, "linux.resources.memory.swap: invalid value %" PRId64, swap);
    if (limit <= 0)
        return error_make(err, 0, "linux.resources.memory.swap: needs memory.limit to be set");
    if (swap < limit)
        return error_make(err, 0,
                          "linux.resources.memory.swap: %" PRId64 " is below memory.limit %" PRId64
                          " (swap counts memory+swap)",
                          swap, limit);
    *out = swap - limit;
    return 0;
}

void cgroup_format_limit(int64_t v, char *buf, size_t len)
{
    if (v < 0)
        snprintf(buf, len, "max");
    else
        snprintf(buf, len, "%" PRId64, v);
}
