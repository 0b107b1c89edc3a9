/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The pure half of the cgroup v2 resource writers: value conversions, the
 * lines written to cpu.max, io.max, rdma.max and hugetlb.<size>.max, and
 * the validation of hugepage sizes, RDMA device names and `unified` keys.
 * No file is touched here (except the hugepage directory a caller names),
 * so tests/unit/test-cgroup.c can feed them anything. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup-internal.h"
#include "util.h"

/* ---- cpu.weight: the log-quadratic mapping ----
 * runc >= 1.3.2 (opencontainers/cgroups) and crun >= 1.23 map shares to
 * weight so that the v1 default (1024) lands on the v2 default (100):
 * l = log2(shares), weight = ceil(10^((l^2 + 125 l) / 612 - 7/34)).
 * The project does not link libm (configure.ac is not this file's), so
 * ln and exp are computed here with series that converge to full double
 * precision in the ranges used (shares 3..262143, exponents 0..4). */

#define LN2  0.69314718055994530942
#define LN10 2.30258509299404568402

static double ln_pos(double x)
{
    int e;
    double m = frexp(x, &e); /* x = m * 2^e, m in [0.5, 1) */
    double z = (m - 1) / (m + 1), z2 = z * z, term = z, sum = 0;

    for (int k = 1; k < 81; k += 2) {
        sum += term / k;
        term *= z2;
    }
    return 2 * sum + e * LN2;
}

static double exp_pos(double y)
{
    int n = (int)(y / LN2);
    double r = y - n * LN2, sum = 1, term = 1;

    for (int k = 1; k < 40; k++) {
        term *= r / k;
        sum += term;
    }
    return ldexp(sum, n);
}

uint64_t cgroup_shares_to_weight(uint64_t shares)
{
    double l, w;
    uint64_t fl;

    if (shares == 0)
        return 0;
    if (shares <= 2)
        return 1;
    if (shares >= 262144)
        return 10000;
    l = ln_pos((double)shares) / LN2;
    w = exp_pos(((l * l + 125 * l) / 612.0 - 7.0 / 34.0) * LN10);
    fl = (uint64_t)w;
    /* ceil, but a value a rounding error above an integer is that integer
     * (1024 shares is exactly 100) */
    return w - (double)fl < 1e-9 ? fl : fl + 1;
}

uint64_t cgroup_blkio_to_io_weight(uint64_t weight)
{
    if (weight == 0)
        return 0;
    if (weight < 10)
        weight = 10;
    if (weight > 1000)
        weight = 1000;
    return 1 + (weight - 10) * 9999 / 990;
}

/* ---- cpu.max ---- */

int cgroup_cpu_max_line(const struct oci_cpu *c, const char *current, char *buf, size_t len)
{
    char quota[32] = "max";
    size_t n;

    if (!c->quota_present && !c->period_present)
        return 0;
    if (c->quota_present) {
        if (c->quota > 0)
            snprintf(quota, sizeof(quota), "%" PRId64, c->quota);
    } else if (current != NULL) {
        /* period alone: keep the quota in force, not reset it to max */
        n = strspn(current, "0123456789");
        if (n > 0 && n < sizeof(quota) && (current[n] == ' ' || current[n] == '\n' || !current[n]))
            snprintf(quota, sizeof(quota), "%.*s", (int)n, current);
    }
    if (c->period_present && c->period != 0)
        snprintf(buf, len, "%s %" PRIu64, quota, c->period);
    else
        snprintf(buf, len, "%s", quota); /* the kernel keeps the period */
    return 1;
}

/* ---- io.max ---- */

static const char *const io_max_keys[4] = {"rbps", "wbps", "riops", "wiops"};
static const char *const io_max_fields[4] = {"throttleReadBpsDevice", "throttleWriteBpsDevice",
                                             "throttleReadIOPSDevice", "throttleWriteIOPSDevice"};

/* dev_t limits: 12-bit major, 20-bit minor (MKDEV) */
int cgroup_check_devnum(const char *field, int64_t major, int64_t minor, struct ocirun_error *err)
{
    if (major < 0 || major > 4095 || minor < 0 || minor > 1048575)
        return error_make(err, 0, "%s: invalid device number %" PRId64 ":%" PRId64, field, major,
                          minor);
    return 0;
}

static struct cgroup_io_max *io_max_entry(struct cgroup_io_max **all, size_t *n, int64_t major,
                                          int64_t minor, const char *field)
{
    for (size_t i = 0; i < *n; i++)
        if ((*all)[i].major == major && (*all)[i].minor == minor)
            return &(*all)[i];
    *all = xrealloc(*all, sizeof(**all) * (*n + 1));
    memset(&(*all)[*n], 0, sizeof(**all));
    (*all)[*n].major = major;
    (*all)[*n].minor = minor;
    snprintf((*all)[*n].field, sizeof((*all)[*n].field), "%s", field);
    return &(*all)[(*n)++];
}

int cgroup_io_max_build(const struct oci_block_io *b, struct cgroup_io_max **out, size_t *n,
                        struct ocirun_error *err)
{
    const struct oci_block_io_throttle_device *lists[4] = {
        b->throttle_read_bps_device, b->throttle_write_bps_device, b->throttle_read_iops_device,
        b->throttle_write_iops_device};
    const size_t lens[4] = {b->throttle_read_bps_device_len, b->throttle_write_bps_device_len,
                            b->throttle_read_iops_device_len, b->throttle_write_iops_device_len};
    struct cgroup_io_max *all = NULL;
    size_t count = 0;

    for (int k = 0; k < 4; k++) {
        for (size_t i = 0; i < lens[k]; i++) {
            const struct oci_block_io_throttle_device *d = &lists[k][i];
            char field[96];
            snprintf(field, sizeof(field), "linux.resources.blockIO.%s[%zu]", io_max_fields[k], i);
            if (cgroup_check_devnum(field, d->major, d->minor, err) < 0) {
                free(all);
                return -1;
            }
            struct cgroup_io_max *e = io_max_entry(&all, &count, d->major, d->minor, field);
            e->set[k] = true;
            e->value[k] = d->rate; /* the last entry for a device wins */
        }
    }
    *out = all;
    *n = count;
    return 0;
}

void cgroup_io_max_line(const struct cgroup_io_max *e, char *buf, size_t len)
{
    size_t used = (size_t)snprintf(buf, len, "%" PRId64 ":%" PRId64, e->major, e->minor);

    for (int k = 0; k < 4 && used < len; k++) {
        if (!e->set[k])
            continue;
        /* 0 is v1's "no limit" (blkio.throttle.*), v2 spells it max */
        if (e->value[k] == 0 || e->value[k] == UINT64_MAX)
            used += (size_t)snprintf(buf + used, len - used, " %s=max", io_max_keys[k]);
        else
            used += (size_t)snprintf(buf + used, len - used, " %s=%" PRIu64, io_max_keys[k],
                                     e->value[k]);
    }
}

/* ---- hugetlb ---- */

int cgroup_hugetlb_name(const char *page_size, char *name, size_t len, uint64_t *kib,
                        struct ocirun_error *err)
{
    static const char units[] = "KMG";
    const char *u;
    char *end;
    uint64_t v, bytes;

    if (page_size == NULL || !isdigit((unsigned char)page_size[0]))
        goto bad;
    errno = 0;
    v = strtoull(page_size, &end, 10);
    if (errno != 0 || v == 0 || *end == '\0' || (u = strchr(units, *end)) == NULL ||
        strcmp(end + 1, "B") != 0 || v > (UINT64_C(1) << 40))
        goto bad;
    bytes = v << (10 * (u - units + 1));
    if ((bytes & (bytes - 1)) != 0)
        goto bad;
    /* the kernel's own spelling of the size (mm/hugetlb_cgroup.c) */
    if (bytes >= (UINT64_C(1) << 30))
        snprintf(name, len, "%" PRIu64 "GB", bytes >> 30);
    else if (bytes >= (UINT64_C(1) << 20))
        snprintf(name, len, "%" PRIu64 "MB", bytes >> 20);
    else
        snprintf(name, len, "%" PRIu64 "KB", bytes >> 10);
    *kib = bytes >> 10;
    return 0;
bad:
    return error_make(err, 0, "invalid page size `%s` (want e.g. 64KB, 2MB, 1GB)",
                      page_size ? page_size : "");
}

int cgroup_hugetlb_check(const char *sysdir, const struct oci_hugepage_limit *l, size_t i,
                         struct ocirun_error *err)
{
    char name[32], dir[64];
    uint64_t kib;

    if (cgroup_hugetlb_name(l->page_size, name, sizeof(name), &kib, err) < 0)
        return error_wrap(err, "linux.resources.hugepageLimits[%zu].pageSize", i);
    snprintf(dir, sizeof(dir), "hugepages-%" PRIu64 "kB", kib);
    cleanup_free char *path = xasprintf("%s/%s", sysdir, dir);
    if (access(path, F_OK) < 0)
        return error_make(err, 0,
                          "linux.resources.hugepageLimits[%zu].pageSize: this host has no %s "
                          "huge pages (no `%s`)",
                          i, l->page_size, path);
    return 0;
}

/* ---- rdma ---- */

int cgroup_rdma_line(const char *dev, const struct oci_rdma *r, char *buf, size_t len,
                     struct ocirun_error *err)
{
    size_t used;

    /* IB_DEVICE_NAME_MAX is 64; the kernel splits the line on blanks */
    if (dev == NULL || dev[0] == '\0')
        return error_make(err, 0, "linux.resources.rdma: invalid device name (empty)");
    if (strlen(dev) >= 64)
        return error_make(err, 0, "linux.resources.rdma: invalid device name (64 bytes or more)");
    for (const char *p = dev; *p; p++)
        if (!isgraph((unsigned char)*p) || *p == '/' || *p == '=')
            return error_make(err, 0, "linux.resources.rdma: invalid device name (character %#x)",
                              (unsigned char)*p);
    if (!r->hca_handles_present && !r->hca_objects_present)
        return error_make(
            err, 0, "linux.resources.rdma[\"%s\"]: sets neither hcaHandles nor hcaObjects", dev);
    used = (size_t)snprintf(buf, len, "%s", dev);
    if (r->hca_handles_present && used < len)
        used += (size_t)snprintf(buf + used, len - used, " hca_handle=%" PRIu32, r->hca_handles);
    if (r->hca_objects_present && used < len)
        snprintf(buf + used, len - used, " hca_object=%" PRIu32, r->hca_objects);
    return 0;
}

/* ---- unified ---- */

/* Core files the container may set: limits on its own sub-tree. Every
 * other cgroup.* file moves processes (procs, threads), changes the tree
 * (subtree_control, type), or acts at once (kill, freeze), which belong to
 * the runtime, not to the config. */
static const char *const safe_core_files[] = {"cgroup.max.descendants", "cgroup.max.depth", NULL};

static const char *const v2_controllers[] = {"cpuset", "cpu",  "io",   "memory", "hugetlb",
                                             "pids",   "rdma", "misc", NULL};

const char *cgroup_unified_controller(const char *key)
{
    size_t l = strcspn(key, ".");

    for (size_t i = 0; v2_controllers[i]; i++)
        if (strlen(v2_controllers[i]) == l && strncmp(key, v2_controllers[i], l) == 0)
            return v2_controllers[i];
    return NULL;
}

int cgroup_unified_check(const char *key, const char *value, struct ocirun_error *err)
{
    const char *dot;

    for (const char *p = key; *p; p++)
        if (!(isalnum((unsigned char)*p) || *p == '.' || *p == '_' || *p == '-'))
            return error_make(err, 0,
                              "linux.resources.unified: key `%.*s...` is not a plain cgroup "
                              "file name (character %#x)",
                              (int)(p - key > 64 ? 64 : p - key), key, (unsigned char)*p);
    dot = strchr(key, '.');
    if (key[0] == '\0' || strlen(key) > 255 || dot == NULL || dot == key || dot[1] == '\0' ||
        strstr(key, "..") != NULL)
        return error_make(err, 0,
                          "linux.resources.unified: key `%s` is not a cgroup file name "
                          "(CONTROLLER.FILE)",
                          key);
    if (strncmp(key, "cgroup.", 7) == 0) {
        bool safe = false;
        for (size_t i = 0; safe_core_files[i]; i++)
            safe = safe || strcmp(key, safe_core_files[i]) == 0;
        if (!safe)
            return error_make(err, 0,
                              "linux.resources.unified[\"%s\"]: a cgroup core file the runtime "
                              "manages; only cgroup.max.descendants and cgroup.max.depth may be "
                              "set",
                              key);
    }
    if (value == NULL)
        return error_make(err, 0, "linux.resources.unified[\"%s\"]: no value", key);
    for (const char *p = value; *p; p++)
        if (iscntrl((unsigned char)*p) && *p != '\n' && *p != '\t')
            return error_make(err, 0,
                              "linux.resources.unified[\"%s\"]: the value has a control "
                              "character (%#x)",
                              key, (unsigned char)*p);
    return 0;
}
