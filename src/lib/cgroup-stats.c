/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `events --stats`: the "data" object of runc 1.1.5's stats event, with
 * its field names (checked by running `runc events --stats` on a hybrid
 * host): cpu.usage{total,percpu,percpu_kernel,percpu_user,kernel,user}
 * and cpu.throttling, memory.{usage,swap,kernel,kernelTCP} each with
 * {limit,usage,max,failcnt} plus memory.raw (memory.stat), pids{current,
 * limit}, blkio and hugetlb (v1 and hybrid hosts; empty on v2 for now),
 * and the empty intel_rdt and network_interfaces.
 * v1 reads each controller's own hierarchy, v2 the unified files; a value
 * the host does not offer is 0, as in runc. This is not an OCI document,
 * so it is written here as plain text: every value is a number, and the
 * memory.stat keys are copied only when made of [a-z0-9_]. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup-internal.h"
#include "util.h"

/* The value of a file that holds one number; "max" is runc's unlimited. */
static uint64_t read_u64(const char *dir, const char *file, uint64_t max_value)
{
    cleanup_free char *text = NULL;

    if (dir == NULL || cgroup_read(dir, file, &text, NULL) < 0)
        return 0;
    if (strncmp(text, "max", 3) == 0)
        return max_value;
    return strtoull(text, NULL, 10);
}

/* The value of `key` in a "key value" per line file (cpu.stat, memory.stat). */
static uint64_t read_key(const char *dir, const char *file, const char *key)
{
    cleanup_free char *text = NULL;
    size_t kl = strlen(key);

    if (dir == NULL || cgroup_read(dir, file, &text, NULL) < 0)
        return 0;
    for (char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
        if (strncmp(p, key, kl) == 0 && p[kl] == ' ')
            return strtoull(p + kl + 1, NULL, 10);
    }
    return 0;
}

/* A space-separated list of numbers as a JSON array. */
static void put_list(FILE *f, const char *name, const char *dir, const char *file)
{
    cleanup_free char *text = NULL;
    const char *sep = "";

    fprintf(f, "\"%s\":[", name);
    if (dir != NULL && cgroup_read(dir, file, &text, NULL) == 0) {
        for (char *p = text, *end; *p; p = end) {
            uint64_t v = strtoull(p, &end, 10);
            if (end == p)
                break;
            fprintf(f, "%s%" PRIu64, sep, v);
            sep = ",";
        }
    }
    fputs("],", f);
}

static void put_raw(FILE *f, const char *dir, const char *file)
{
    cleanup_free char *text = NULL;
    const char *sep = "";

    fputs("\"raw\":{", f);
    if (dir != NULL && cgroup_read(dir, file, &text, NULL) == 0) {
        for (char *save = NULL, *l = strtok_r(text, "\n", &save); l;
             l = strtok_r(NULL, "\n", &save)) {
            size_t kl = strspn(l, "abcdefghijklmnopqrstuvwxyz0123456789_");
            if (kl == 0 || l[kl] != ' ')
                continue;
            fprintf(f, "%s\"%.*s\":%" PRIu64, sep, (int)kl, l,
                    (uint64_t)strtoull(l + kl + 1, NULL, 10));
            sep = ",";
        }
    }
    fputs("}", f);
}

static void put_usage(FILE *f, const char *name, uint64_t limit, uint64_t usage, uint64_t max,
                      uint64_t failcnt)
{
    fprintf(f,
            "\"%s\":{\"limit\":%" PRIu64 ",\"usage\":%" PRIu64 ",\"max\":%" PRIu64
            ",\"failcnt\":%" PRIu64 "},",
            name, limit, usage, max, failcnt);
}

/* cpuacct.stat counts USER_HZ ticks; runc reports nanoseconds. */
#define TICK_NS ((uint64_t)1000000000 / 100)

static void v1_cpu(FILE *f, const struct cgroup *cg)
{
    const char *acct = cgroup_v1_dir(cg, "cpuacct"), *cpu = cgroup_v1_dir(cg, "cpu");
    uint64_t periods = read_key(cpu, "cpu.stat", "nr_periods");

    fprintf(f, "\"cpu\":{\"usage\":{\"total\":%" PRIu64 ",", read_u64(acct, "cpuacct.usage", 0));
    put_list(f, "percpu", acct, "cpuacct.usage_percpu");
    put_list(f, "percpu_kernel", acct, "cpuacct.usage_percpu_sys");
    put_list(f, "percpu_user", acct, "cpuacct.usage_percpu_user");
    fprintf(f, "\"kernel\":%" PRIu64 ",\"user\":%" PRIu64 "},",
            read_key(acct, "cpuacct.stat", "system") * TICK_NS,
            read_key(acct, "cpuacct.stat", "user") * TICK_NS);
    /* runc leaves out zero throttling counters */
    if (periods == 0)
        fputs("\"throttling\":{}},", f);
    else
        fprintf(f,
                "\"throttling\":{\"periods\":%" PRIu64 ",\"throttled_periods\":%" PRIu64
                ",\"throttled_time\":%" PRIu64 "}},",
                periods, read_key(cpu, "cpu.stat", "nr_throttled"),
                read_key(cpu, "cpu.stat", "throttled_time"));
}

static void v1_memory(FILE *f, const struct cgroup *cg)
{
    const char *m = cgroup_v1_dir(cg, "memory");

    fputs("\"memory\":{", f);
    put_usage(f, "usage", read_u64(m, "memory.limit_in_bytes", 0),
              read_u64(m, "memory.usage_in_bytes", 0), read_u64(m, "memory.max_usage_in_bytes", 0),
              read_u64(m, "memory.failcnt", 0));
    put_usage(f, "swap", read_u64(m, "memory.memsw.limit_in_bytes", 0),
              read_u64(m, "memory.memsw.usage_in_bytes", 0),
              read_u64(m, "memory.memsw.max_usage_in_bytes", 0),
              read_u64(m, "memory.memsw.failcnt", 0));
    put_usage(f, "kernel", read_u64(m, "memory.kmem.limit_in_bytes", 0),
              read_u64(m, "memory.kmem.usage_in_bytes", 0),
              read_u64(m, "memory.kmem.max_usage_in_bytes", 0),
              read_u64(m, "memory.kmem.failcnt", 0));
    put_usage(f, "kernelTCP", read_u64(m, "memory.kmem.tcp.limit_in_bytes", 0),
              read_u64(m, "memory.kmem.tcp.usage_in_bytes", 0),
              read_u64(m, "memory.kmem.tcp.max_usage_in_bytes", 0),
              read_u64(m, "memory.kmem.tcp.failcnt", 0));
    put_raw(f, m, "memory.stat");
    fputs("},", f);
}

static void v2_cpu(FILE *f, const char *dir)
{
    uint64_t periods = read_key(dir, "cpu.stat", "nr_periods");

    fprintf(f,
            "\"cpu\":{\"usage\":{\"total\":%" PRIu64 ",\"percpu\":[],\"percpu_kernel\":[],"
            "\"percpu_user\":[],\"kernel\":%" PRIu64 ",\"user\":%" PRIu64 "},",
            read_key(dir, "cpu.stat", "usage_usec") * 1000,
            read_key(dir, "cpu.stat", "system_usec") * 1000,
            read_key(dir, "cpu.stat", "user_usec") * 1000);
    if (periods == 0)
        fputs("\"throttling\":{}},", f);
    else
        fprintf(f,
                "\"throttling\":{\"periods\":%" PRIu64 ",\"throttled_periods\":%" PRIu64
                ",\"throttled_time\":%" PRIu64 "}},",
                periods, read_key(dir, "cpu.stat", "nr_throttled"),
                read_key(dir, "cpu.stat", "throttled_usec") * 1000);
}

static void v2_memory(FILE *f, const char *dir)
{
    uint64_t usage = read_u64(dir, "memory.current", 0);
    uint64_t swap = read_u64(dir, "memory.swap.current", 0);
    uint64_t limit = read_u64(dir, "memory.max", UINT64_MAX);
    uint64_t swap_limit = read_u64(dir, "memory.swap.max", UINT64_MAX);

    /* runc on v2: swap is reported as memory+swap, v1's meaning, for the
     * limit too (unlimited when either part is) */
    if (limit == UINT64_MAX || swap_limit > UINT64_MAX - limit)
        swap_limit = UINT64_MAX;
    else
        swap_limit += limit;
    fputs("\"memory\":{", f);
    put_usage(f, "usage", limit, usage, read_u64(dir, "memory.peak", 0),
              read_key(dir, "memory.events", "max"));
    put_usage(f, "swap", swap_limit, usage + swap, 0, 0);
    put_usage(f, "kernel", 0, 0, 0, 0);
    put_usage(f, "kernelTCP", 0, 0, 0, 0);
    put_raw(f, dir, "memory.stat");
    fputs("},", f);
}

/* pids.current, or the number of listed processes where the controller is
 * not there (cgroup2 on a hybrid host). */
static void put_pids(FILE *f, struct cgroup *cg, const char *dir)
{
    uint64_t current = 0;
    cleanup_free char *text = NULL;

    if (dir != NULL && cgroup_read(dir, "pids.current", &text, NULL) == 0) {
        current = strtoull(text, NULL, 10);
    } else {
        cleanup_free pid_t *pids = NULL;
        size_t n = 0;
        if (cgroup_pids(cg, &pids, &n, NULL) == 0)
            current = n;
    }
    /* runc: 0 for "max" */
    fprintf(f, "\"pids\":{\"current\":%" PRIu64 ",\"limit\":%" PRIu64 "},", current,
            read_u64(dir, "pids.max", 0));
}

/* One blkio stats file ("MAJ:MIN Op VALUE" lines, "Total N" skipped) as
 * runc's list of {major,minor,op,value}; the number of entries. */
static size_t put_blkio_list(FILE *f, const char *name, const char *dir, const char *file,
                             const char **sep)
{
    cleanup_free char *text = NULL;
    const char *inner = "";
    size_t n = 0;

    if (dir == NULL || cgroup_read(dir, file, &text, NULL) < 0)
        return 0;
    for (char *save = NULL, *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        unsigned major, minor;
        char op[16];
        uint64_t v;
        if (sscanf(l, "%u:%u %15[A-Za-z] %" SCNu64, &major, &minor, op, &v) != 4)
            continue;
        if (n++ == 0)
            fprintf(f, "%s\"%s\":[", *sep, name);
        fprintf(f, "%s{\"major\":%u,\"minor\":%u,\"op\":\"%s\",\"value\":%" PRIu64 "}", inner,
                major, minor, op, v);
        inner = ",";
    }
    if (n > 0) {
        fputc(']', f);
        *sep = ",";
    }
    return n;
}

/* runc's choice on v1: BFQ's counters where they saw I/O, else the
 * throttling layer's (which sees every bio, whatever the scheduler). */
static void v1_blkio(FILE *f, const struct cgroup *cg)
{
    const char *dir = cgroup_v1_dir(cg, "blkio");
    char *buf = NULL;
    size_t len = 0;
    const char *sep = "";
    FILE *bfq = open_memstream(&buf, &len);

    fputs("\"blkio\":{", f);
    if (bfq != NULL) {
        size_t n = put_blkio_list(bfq, "ioServiceBytesRecursive", dir,
                                  "blkio.bfq.io_service_bytes_recursive", &sep);
        n += put_blkio_list(bfq, "ioServicedRecursive", dir, "blkio.bfq.io_serviced_recursive",
                            &sep);
        fclose(bfq);
        if (n > 0)
            fputs(buf, f);
        free(buf);
        if (n > 0) {
            fputs("},", f);
            return;
        }
    }
    sep = "";
    put_blkio_list(f, "ioServiceBytesRecursive", dir, "blkio.throttle.io_service_bytes_recursive",
                   &sep);
    put_blkio_list(f, "ioServicedRecursive", dir, "blkio.throttle.io_serviced_recursive", &sep);
    fputs("},", f);
}

/* One entry per page size the kernel has: v1 hugetlb.<size>.usage_in_bytes
 * and friends, or the cgroup2 files (hugetlb bound to the unified
 * hierarchy of a hybrid host). */
static void put_hugetlb(FILE *f, const char *v1, const char *v2)
{
    static const char *sizes[] = {"64KB", "2MB", "32MB", "512MB", "1GB", "16GB"};
    const char *sep = "";

    fputs("\"hugetlb\":{", f);
    for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
        char file[64];
        uint64_t usage, max = 0, failcnt;
        snprintf(file, sizeof(file), "hugetlb.%s.%s", sizes[i], v1 ? "usage_in_bytes" : "current");
        cleanup_free char *path = xasprintf("%s/%s", v1 ? v1 : v2 ? v2 : "", file);
        if ((v1 == NULL && v2 == NULL) || access(path, F_OK) < 0)
            continue;
        usage = read_u64(v1 ? v1 : v2, file, 0);
        if (v1 != NULL) {
            snprintf(file, sizeof(file), "hugetlb.%s.max_usage_in_bytes", sizes[i]);
            max = read_u64(v1, file, 0);
            snprintf(file, sizeof(file), "hugetlb.%s.failcnt", sizes[i]);
            failcnt = read_u64(v1, file, 0);
        } else {
            snprintf(file, sizeof(file), "hugetlb.%s.events", sizes[i]);
            failcnt = read_key(v2, file, "max");
        }
        fprintf(f, "%s\"%s\":{\"usage\":%" PRIu64 ",\"max\":%" PRIu64 ",\"failcnt\":%" PRIu64 "}",
                sep, sizes[i], usage, max, failcnt);
        sep = ",";
    }
    fputs("},", f);
}

int cgroup_stats_json(struct cgroup *cg, char **json, struct ocirun_error *err)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f;

    if (cg == NULL || cg->disabled)
        return error_plain(err, ENOTSUP, "no stats: the container has no cgroup");
    f = open_memstream(&buf, &len);
    if (f == NULL)
        return error_make(err, errno, "open_memstream");
    fputc('{', f);
    if (cg->mode == CGROUP_MODE_UNIFIED) {
        const char *dir = cgroup_v2_dir(cg);
        v2_cpu(f, dir);
        v2_memory(f, dir);
        put_pids(f, cg, dir);
    } else {
        v1_cpu(f, cg);
        v1_memory(f, cg);
        put_pids(f, cg, cgroup_v1_dir(cg, "pids"));
        v1_blkio(f, cg);
        put_hugetlb(f, cgroup_v1_dir(cg, "hugetlb"), cgroup_v2_dir(cg));
    }
    if (cg->mode == CGROUP_MODE_UNIFIED)
        fputs("\"blkio\":{},\"hugetlb\":{},", f);
    fputs("\"intel_rdt\":{},\"network_interfaces\":null}", f);
    if (fclose(f) != 0) {
        free(buf);
        return error_make(err, errno, "write the stats");
    }
    *json = buf;
    return 0;
}
