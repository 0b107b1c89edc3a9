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
#include "log.h"
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

static void add_controller(const char **out, size_t *n, const char *c)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp(out[i], c) == 0)
            return;
    out[(*n)++] = c;
}

static bool block_io_limits(const struct oci_block_io *b)
{
    return b && ((b->weight_present && b->weight != 0) || b->weight_device_len ||
                 b->throttle_read_bps_device_len || b->throttle_write_bps_device_len ||
                 b->throttle_read_iops_device_len || b->throttle_write_iops_device_len);
}

/* The controllers the resources need, NULL-terminated (at most the eight
 * v2 controllers: unified keys only name known ones). */
static size_t needed_controllers(const struct oci_resources *r, const char *out[10])
{
    size_t n = 0;

    if (r == NULL)
        return 0;
    if (r->memory &&
        (r->memory->limit_present || r->memory->reservation_present || r->memory->swap_present))
        add_controller(out, &n, "memory");
    if (r->cpu && (r->cpu->shares_present || r->cpu->quota_present || r->cpu->period_present ||
                   r->cpu->burst_present || r->cpu->idle_present))
        add_controller(out, &n, "cpu");
    if (r->cpu && ((r->cpu->cpus && r->cpu->cpus[0]) || (r->cpu->mems && r->cpu->mems[0])))
        add_controller(out, &n, "cpuset");
    if (r->pids && r->pids->limit_present && r->pids->limit != 0)
        add_controller(out, &n, "pids");
    if (block_io_limits(r->block_io))
        add_controller(out, &n, "io");
    if (r->hugepage_limits_len > 0)
        add_controller(out, &n, "hugetlb");
    if (r->rdma.len > 0)
        add_controller(out, &n, "rdma");
    for (size_t i = 0; i < r->unified.len; i++) {
        const char *c = cgroup_unified_controller(r->unified.keys[i]);
        if (c != NULL)
            add_controller(out, &n, c);
    }
    out[n] = NULL;
    return n;
}

/* Enables the controllers in every ancestor of the leaf, root first. */
int cgroup_v2_enable_controllers(const struct cgroup_hierarchy *h, const struct oci_resources *r,
                                 struct ocirun_error *err)
{
    const char *need[10];
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

#define MEM "linux.resources.memory"

/* What v2 has no file for: warned about and ignored, as runc does (crun
 * refuses swappiness; a config written for v1 should still run here). */
static void warn_memory_v1_only(const struct oci_memory *m)
{
    if (m->swappiness_present)
        log_warn(MEM ".swappiness: cgroup v2 has no per-cgroup swappiness; ignored");
    if (m->disable_oom_killer_present && m->disable_oom_killer)
        log_warn(MEM ".disableOOMKiller: cgroup v2 cannot disable the OOM killer; ignored");
    if (m->kernel_present || m->kernel_tcp_present)
        log_warn("Kernel memory settings are ignored and will be removed");
    if (m->use_hierarchy_present && !m->use_hierarchy)
        log_warn(MEM ".useHierarchy: cgroup v2 is always hierarchical; ignored");
}

/* checkBeforeUpdate: a limit below what is in use now is refused rather
 * than letting the kernel reclaim or OOM-kill to reach it. */
static int check_usage(int dirfd, int64_t limit, struct ocirun_error *err)
{
    cleanup_free char *text = NULL;
    unsigned long long usage;

    if (limit <= 0)
        return 0;
    if (read_file_at(dirfd, "memory.current", &text, NULL, err) < 0)
        return error_wrap(err, MEM ".checkBeforeUpdate");
    usage = strtoull(text, NULL, 10);
    if ((unsigned long long)limit < usage)
        return error_make(err, EBUSY,
                          MEM ".limit: rejecting memory limit %" PRId64
                              " below the current usage %llu (checkBeforeUpdate)",
                          limit, usage);
    return 0;
}

static int apply_memory(int dirfd, const struct oci_memory *m, struct ocirun_error *err)
{
    char buf[32];
    int64_t swap;

    warn_memory_v1_only(m);
    if (m->limit_present && m->check_before_update_present && m->check_before_update &&
        check_usage(dirfd, m->limit, err) < 0)
        return -1;
    if (m->reservation_present) {
        cgroup_format_limit(m->reservation, buf, sizeof(buf));
        if (cgroup_v2_write_field(dirfd, MEM ".reservation", "memory.low", buf, err) < 0)
            return -1;
    }
    if (m->limit_present) {
        cgroup_format_limit(m->limit, buf, sizeof(buf));
        if (cgroup_v2_write_field(dirfd, MEM ".limit", "memory.max", buf, err) < 0)
            return -1;
    }
    if (cgroup_swap_to_v2(m->swap_present ? m->swap : 0, m->limit_present ? m->limit : 0, &swap,
                          err) < 0)
        return -1;
    /* swap == limit means "no swap": memory.swap.max 0, as runc writes */
    if (swap != 0 || (m->swap_present && m->swap > 0)) {
        cgroup_format_limit(swap, buf, sizeof(buf));
        if (cgroup_v2_write_field(dirfd, MEM ".swap", "memory.swap.max", buf, err) < 0)
            return -1;
    }
    return 0;
}

#define CPU "linux.resources.cpu"

static int apply_cpu(int dirfd, const struct oci_cpu *c, struct ocirun_error *err)
{
    cleanup_free char *current = NULL;
    char buf[64];

    if (c->shares_present && c->shares != 0) {
        snprintf(buf, sizeof(buf), "%" PRIu64, cgroup_shares_to_weight(c->shares));
        if (cgroup_v2_write_field(dirfd, CPU ".shares", "cpu.weight", buf, err) < 0)
            return -1;
    }
    if (c->period_present && !c->quota_present)
        (void)read_file_at(dirfd, "cpu.max", &current, NULL, NULL);
    if (cgroup_cpu_max_line(c, current, buf, sizeof(buf)) > 0 &&
        cgroup_v2_write_field(dirfd, c->quota_present ? CPU ".quota" : CPU ".period", "cpu.max",
                              buf, err) < 0)
        return -1;
    /* after cpu.max: the kernel wants burst <= quota */
    if (c->burst_present) {
        snprintf(buf, sizeof(buf), "%" PRIu64, c->burst);
        if (cgroup_v2_write_field(dirfd, CPU ".burst", "cpu.max.burst", buf, err) < 0)
            return -1;
    }
    if (c->idle_present) {
        snprintf(buf, sizeof(buf), "%" PRId64, c->idle);
        if (cgroup_v2_write_field(dirfd, CPU ".idle", "cpu.idle", buf, err) < 0)
            return -1;
    }
    if (c->cpus && c->cpus[0] &&
        cgroup_v2_write_field(dirfd, CPU ".cpus", "cpuset.cpus", c->cpus, err) < 0)
        return -1;
    if (c->mems && c->mems[0] &&
        cgroup_v2_write_field(dirfd, CPU ".mems", "cpuset.mems", c->mems, err) < 0)
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

/* The typed fields first, then `unified`, so a unified key that names the
 * same file as a typed field wins (as in runc). */
int cgroup_v2_apply(struct cgroup *cg, const struct cgroup_hierarchy *h,
                    const struct oci_resources *r, struct ocirun_error *err)
{
    cleanup_close int dirfd = -1;
    char buf[32];

    (void)cg;
    if (r == NULL)
        return 0;
    if (r->devices_len > 0 && apply_devices(h->dir, r, err) < 0)
        return -1;
    dirfd = open(h->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0)
        return error_make(err, errno, "open `%s`", h->dir);
    if (r->memory && apply_memory(dirfd, r->memory, err) < 0)
        return -1;
    if (r->cpu && apply_cpu(dirfd, r->cpu, err) < 0)
        return -1;
    if (r->pids && r->pids->limit_present && r->pids->limit != 0) {
        cgroup_format_limit(r->pids->limit, buf, sizeof(buf));
        if (cgroup_v2_write_field(dirfd, "linux.resources.pids.limit", "pids.max", buf, err) < 0)
            return -1;
    }
    if (r->block_io && cgroup_v2_apply_block_io(dirfd, r->block_io, err) < 0)
        return -1;
    if (cgroup_v2_apply_hugetlb(dirfd, r, err) < 0 ||
        cgroup_v2_apply_rdma(dirfd, &r->rdma, err) < 0)
        return -1;
    return cgroup_v2_apply_unified(dirfd, &r->unified, err);
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
