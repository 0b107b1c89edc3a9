/* SPDX-License-Identifier: GPL-2.0-or-later */
/* linux.resources -> systemd unit properties (pure, unit-tested). Only
 * what systemd has a property for; the values are those the v2 files get
 * (cgroup-v2.c), so `systemctl show` and the files agree, and systemd
 * never rewrites a file with something else later (on daemon-reload or a
 * sibling's start). The device rules stay with ocirun's own eBPF program:
 * they are written to the files like the fields systemd lacks. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup-internal.h"
#include "util.h"

#define INFINITY_U64 UINT64_MAX
/* AllowedCPUs / AllowedMemoryNodes: ids above this are refused */
#define MAX_CPU_ID 8191

static struct cgroup_systemd_prop *add(struct cgroup_systemd_props *p, const char *name, char type)
{
    struct cgroup_systemd_prop *e;

    p->v = xrealloc(p->v, sizeof(*p->v) * (p->n + 1));
    e = &p->v[p->n++];
    memset(e, 0, sizeof(*e));
    e->name = name;
    e->type = type;
    return e;
}

void cgroup_systemd_props_add_u64(struct cgroup_systemd_props *p, const char *name, uint64_t v)
{
    add(p, name, 't')->u = v;
}

void cgroup_systemd_props_add_bool(struct cgroup_systemd_props *p, const char *name, bool v)
{
    add(p, name, 'b')->u = v;
}

void cgroup_systemd_props_add_str(struct cgroup_systemd_props *p, const char *name, const char *v)
{
    add(p, name, 's')->s = xstrdup(v);
}

/* "0-3,7" -> systemd's CPUSet bytes: bit (id % 8) of byte (id / 8). */
int cgroup_systemd_cpuset_mask(const char *list, const char *field, uint8_t **out, size_t *n,
                               struct ocirun_error *err)
{
    uint8_t *mask = NULL;
    size_t len = 0;
    const char *p = list;

    while (*p) {
        char *end;
        unsigned long lo, hi;

        if (*p < '0' || *p > '9')
            goto bad;
        lo = hi = strtoul(p, &end, 10);
        if (*end == '-') {
            if (end[1] < '0' || end[1] > '9')
                goto bad;
            hi = strtoul(end + 1, &end, 10);
        }
        if (hi < lo || hi > MAX_CPU_ID || (*end != ',' && *end != '\0'))
            goto bad;
        if (hi / 8 + 1 > len) {
            mask = xrealloc(mask, hi / 8 + 1);
            memset(mask + len, 0, hi / 8 + 1 - len);
            len = hi / 8 + 1;
        }
        for (unsigned long i = lo; i <= hi; i++)
            mask[i / 8] |= (uint8_t)(1u << (i % 8));
        p = *end ? end + 1 : end;
    }
    *out = mask;
    *n = len;
    return 0;
bad:
    free(mask);
    return error_plain(err, EINVAL, "%s: `%s` is not a list of ids and ranges (0-%d)", field, list,
                       MAX_CPU_ID);
}

static int add_mask(struct cgroup_systemd_props *p, const char *name, const char *list,
                    const char *field, struct ocirun_error *err)
{
    struct cgroup_systemd_prop *e;
    uint8_t *mask;
    size_t n;

    if (list == NULL || list[0] == '\0')
        return 0;
    if (cgroup_systemd_cpuset_mask(list, field, &mask, &n, err) < 0)
        return -1;
    e = add(p, name, 'y');
    e->bytes = mask;
    e->nbytes = n;
    return 0;
}

static uint64_t limit_u64(int64_t v)
{
    return v < 0 ? INFINITY_U64 : (uint64_t)v;
}

static int memory_props(struct cgroup_systemd_props *p, const struct oci_memory *m,
                        struct ocirun_error *err)
{
    int64_t swap;

    if (m->limit_present)
        cgroup_systemd_props_add_u64(p, "MemoryMax", limit_u64(m->limit));
    if (m->reservation_present)
        cgroup_systemd_props_add_u64(p, "MemoryLow", limit_u64(m->reservation));
    if (cgroup_swap_to_v2(m->swap_present ? m->swap : 0, m->limit_present ? m->limit : 0, &swap,
                          err) < 0)
        return -1;
    /* the same condition as the memory.swap.max write in cgroup-v2.c */
    if (swap != 0 || (m->swap_present && m->swap > 0))
        cgroup_systemd_props_add_u64(p, "MemorySwapMax", limit_u64(swap));
    return 0;
}

static int cpu_props(struct cgroup_systemd_props *p, const struct oci_cpu *c,
                     struct ocirun_error *err)
{
    if (c->shares_present && c->shares != 0)
        cgroup_systemd_props_add_u64(p, "CPUWeight", cgroup_shares_to_weight(c->shares));
    if (c->quota_present) {
        uint64_t period = c->period_present && c->period > 0 ? c->period : 100000;
        uint64_t per_sec = INFINITY_U64;
        if (c->quota > 0) {
            if ((uint64_t)c->quota > UINT64_MAX / 1000000)
                return error_plain(err, ERANGE,
                                   "linux.resources.cpu.quota: %" PRId64 " is too large", c->quota);
            /* rounded up: systemd turns it back into quota * period / 1s */
            per_sec = ((uint64_t)c->quota * 1000000 + period - 1) / period;
        }
        cgroup_systemd_props_add_u64(p, "CPUQuotaPerSecUSec", per_sec);
    }
    if (c->period_present && c->period > 0)
        cgroup_systemd_props_add_u64(p, "CPUQuotaPeriodUSec", c->period);
    if (add_mask(p, "AllowedCPUs", c->cpus, "linux.resources.cpu.cpus", err) < 0 ||
        add_mask(p, "AllowedMemoryNodes", c->mems, "linux.resources.cpu.mems", err) < 0)
        return -1;
    return 0;
}

int cgroup_systemd_resource_props(const struct oci_resources *r, struct cgroup_systemd_props *p,
                                  struct ocirun_error *err)
{
    if (r == NULL)
        return 0;
    if (r->memory && memory_props(p, r->memory, err) < 0)
        return -1;
    if (r->cpu && cpu_props(p, r->cpu, err) < 0)
        return -1;
    /* 0 is "unset" for runc too */
    if (r->pids && r->pids->limit_present && r->pids->limit != 0)
        cgroup_systemd_props_add_u64(p, "TasksMax", limit_u64(r->pids->limit));
    if (r->block_io && r->block_io->weight_present && r->block_io->weight != 0)
        cgroup_systemd_props_add_u64(p, "IOWeight", cgroup_blkio_to_io_weight(r->block_io->weight));
    return 0;
}

void cgroup_systemd_props_free(struct cgroup_systemd_props *p)
{
    for (size_t i = 0; i < p->n; i++) {
        free(p->v[i].s);
        free(p->v[i].bytes);
    }
    free(p->v);
    p->v = NULL;
    p->n = 0;
}
