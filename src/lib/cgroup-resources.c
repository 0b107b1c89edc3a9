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

#include "cgroup-internal.h"
#include "util.h"

#define NOT_YET "not supported yet on this host"

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
        if (cg->mode == CGROUP_MODE_UNIFIED && h->unified) {
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

static int unsupported(const char *field, struct ocirun_error *err)
{
    return error_make(err, 0, "%s: " NOT_YET, field);
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

static int check_memory(const struct oci_memory *m, const struct cgroup *cg,
                        struct ocirun_error *err)
{
    if (m->kernel_present)
        return unsupported("linux.resources.memory.kernel", err);
    if (m->kernel_tcp_present)
        return unsupported("linux.resources.memory.kernelTCP", err);
    if (m->swappiness_present)
        return unsupported("linux.resources.memory.swappiness", err);
    if (m->disable_oom_killer_present)
        return unsupported("linux.resources.memory.disableOOMKiller", err);
    if (m->use_hierarchy_present)
        return unsupported("linux.resources.memory.useHierarchy", err);
    if (m->check_before_update_present)
        return unsupported("linux.resources.memory.checkBeforeUpdate", err);
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

static int check_cpu(const struct oci_cpu *c, const struct cgroup *cg, struct ocirun_error *err)
{
    if (c->realtime_runtime_present)
        return unsupported("linux.resources.cpu.realtimeRuntime", err);
    if (c->realtime_period_present)
        return unsupported("linux.resources.cpu.realtimePeriod", err);
    if (c->burst_present)
        return unsupported("linux.resources.cpu.burst", err);
    if (c->idle_present)
        return unsupported("linux.resources.cpu.idle", err);
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

int cgroup_resources_check(const struct oci_resources *r, const struct cgroup *cg,
                           struct ocirun_error *err)
{
    if (r == NULL)
        return 0;
    if (r->block_io && block_io_set(r->block_io))
        return unsupported("linux.resources.blockIO", err);
    if (r->hugepage_limits_len > 0)
        return unsupported("linux.resources.hugepageLimits", err);
    if (r->network && (r->network->class_id_present || r->network->priorities_len > 0))
        return unsupported("linux.resources.network", err);
    if (r->rdma.len > 0)
        return unsupported("linux.resources.rdma", err);
    if (r->unified.len > 0)
        return unsupported("linux.resources.unified", err);
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
    return NULL;
}

uint64_t cgroup_shares_to_weight(uint64_t shares)
{
    if (shares == 0)
        return 0;
    if (shares < 2)
        shares = 2;
    if (shares > 262144)
        shares = 262144;
    return 1 + ((shares - 2) * 9999) / 262142;
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
