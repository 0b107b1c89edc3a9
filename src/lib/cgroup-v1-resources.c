/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cgroup v1 writers for what hybrid and legacy hosts keep in controllers
 * of their own: blkio (weights through CFQ's blkio.weight or BFQ's
 * blkio.bfq.weight, throttling through blkio.throttle.*), hugetlb (a v1
 * hugetlb hierarchy, or cgroup2 where the host bound hugetlb there, as
 * this project's hybrid machines do), net_cls/net_prio, rdma, and the
 * `unified` map, written into the cgroup2 hierarchy of a hybrid host (as
 * runc does). Every write names the config field and the file. */
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

#define BIO "linux.resources.blockIO"

static int open_dir(const char *dir, struct ocirun_error *err)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (fd < 0)
        return error_make(err, errno, "open `%s`", dir);
    return fd;
}

static bool has_file(int dirfd, const char *file)
{
    return faccessat(dirfd, file, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

/* CFQ (before 5.0) had blkio.weight and blkio.weight_device; BFQ has
 * blkio.bfq.weight (which also takes "MAJ:MIN W" lines) and
 * blkio.bfq.weight_device. Both take the spec's 10..1000 as is. */
static int write_weights(int dirfd, const struct oci_block_io *b, struct ocirun_error *err)
{
    bool cfq = has_file(dirfd, "blkio.weight");
    const char *file = cfq ? "blkio.weight" : "blkio.bfq.weight";
    const char *dev_file = cfq ? "blkio.weight_device" : "blkio.bfq.weight_device";
    char buf[64], field[96];

    if (b->weight_present && b->weight != 0) {
        if (!cfq && !has_file(dirfd, file))
            return error_make(err, ENOENT,
                              BIO ".weight: neither blkio.weight (CFQ) nor blkio.bfq.weight "
                                  "(BFQ) exists: no proportional I/O scheduler is loaded");
        snprintf(buf, sizeof(buf), "%u", b->weight);
        if (cgroup_v2_write_field(dirfd, BIO ".weight", file, buf, err) < 0)
            return -1;
    }
    if (b->leaf_weight_present && b->leaf_weight != 0) {
        if (!has_file(dirfd, "blkio.leaf_weight"))
            return error_make(err, ENOENT,
                              BIO ".leafWeight: this kernel has no blkio.leaf_weight (CFQ, "
                                  "removed in Linux 5.0)");
        snprintf(buf, sizeof(buf), "%u", b->leaf_weight);
        if (cgroup_v2_write_field(dirfd, BIO ".leafWeight", "blkio.leaf_weight", buf, err) < 0)
            return -1;
    }
    for (size_t i = 0; i < b->weight_device_len; i++) {
        const struct oci_block_io_weight_device *d = &b->weight_device[i];
        snprintf(field, sizeof(field), BIO ".weightDevice[%zu]", i);
        if (d->weight_present) {
            snprintf(buf, sizeof(buf), "%" PRId64 ":%" PRId64 " %u", d->major, d->minor, d->weight);
            if (cgroup_v2_write_field(dirfd, field, dev_file, buf, err) < 0)
                return -1;
        }
        if (d->leaf_weight_present) {
            snprintf(buf, sizeof(buf), "%" PRId64 ":%" PRId64 " %u", d->major, d->minor,
                     d->leaf_weight);
            if (cgroup_v2_write_field(dirfd, field, "blkio.leaf_weight_device", buf, err) < 0)
                return error_wrap(err, "leafWeight needs CFQ (removed in Linux 5.0)");
        }
    }
    return 0;
}

/* One "MAJ:MIN RATE" line per entry; 0 removes the device's limit. */
static int write_throttle(int dirfd, const char *name, const char *file,
                          const struct oci_block_io_throttle_device *t, size_t n,
                          struct ocirun_error *err)
{
    for (size_t i = 0; i < n; i++) {
        char field[96], buf[96];
        snprintf(field, sizeof(field), BIO ".%s[%zu]", name, i);
        snprintf(buf, sizeof(buf), "%" PRId64 ":%" PRId64 " %" PRIu64, t[i].major, t[i].minor,
                 t[i].rate);
        if (cgroup_v2_write_field(dirfd, field, file, buf, err) < 0)
            return -1;
    }
    return 0;
}

static int apply_block_io(const struct cgroup *cg, const struct oci_block_io *b,
                          struct ocirun_error *err)
{
    const char *dir = cgroup_v1_dir(cg, "blkio");
    cleanup_close int dirfd = -1;

    if (dir == NULL)
        return error_make(err, 0, BIO ": no blkio cgroup for the container");
    if ((dirfd = open_dir(dir, err)) < 0)
        return -1;
    if (write_weights(dirfd, b, err) < 0 ||
        write_throttle(dirfd, "throttleReadBpsDevice", "blkio.throttle.read_bps_device",
                       b->throttle_read_bps_device, b->throttle_read_bps_device_len, err) < 0 ||
        write_throttle(dirfd, "throttleWriteBpsDevice", "blkio.throttle.write_bps_device",
                       b->throttle_write_bps_device, b->throttle_write_bps_device_len, err) < 0 ||
        write_throttle(dirfd, "throttleReadIOPSDevice", "blkio.throttle.read_iops_device",
                       b->throttle_read_iops_device, b->throttle_read_iops_device_len, err) < 0 ||
        write_throttle(dirfd, "throttleWriteIOPSDevice", "blkio.throttle.write_iops_device",
                       b->throttle_write_iops_device, b->throttle_write_iops_device_len, err) < 0)
        return -1;
    return 0;
}

/* The unified leaf of a hybrid host, its ancestors given the controllers
 * that `only` needs (the cgroup2 rules: a controller is usable in a cgroup
 * only when every ancestor enables it in cgroup.subtree_control). */
static int open_unified(const struct cgroup *cg, const struct oci_resources *only,
                        struct ocirun_error *err)
{
    for (size_t i = 0; i < cg->n; i++) {
        if (!cg->h[i].unified || cg->h[i].dir == NULL)
            continue;
        if (cgroup_v2_enable_controllers(&cg->h[i], only, err) < 0)
            return -1;
        return open_dir(cg->h[i].dir, err);
    }
    return error_make(err, 0, "no cgroup2 cgroup for the container");
}

static int v1_hugetlb(const char *dir, const struct oci_resources *r, struct ocirun_error *err)
{
    cleanup_close int dirfd = open_dir(dir, err);

    if (dirfd < 0)
        return -1;
    for (size_t i = 0; i < r->hugepage_limits_len; i++) {
        const struct oci_hugepage_limit *l = &r->hugepage_limits[i];
        char name[32], file[80], field[64], value[32];
        uint64_t kib;

        snprintf(field, sizeof(field), "linux.resources.hugepageLimits[%zu]", i);
        if (cgroup_hugetlb_name(l->page_size, name, sizeof(name), &kib, err) < 0)
            return error_wrap(err, "%s.pageSize", field);
        snprintf(value, sizeof(value), "%" PRIu64, l->limit);
        snprintf(file, sizeof(file), "hugetlb.%s.limit_in_bytes", name);
        if (cgroup_v2_write_field(dirfd, field, file, value, err) < 0)
            return -1;
        snprintf(file, sizeof(file), "hugetlb.%s.rsvd.limit_in_bytes", name);
        if (has_file(dirfd, file) && cgroup_v2_write_field(dirfd, field, file, value, err) < 0)
            return -1;
    }
    return 0;
}

static int apply_hugetlb(const struct cgroup *cg, const struct oci_resources *r,
                         struct ocirun_error *err)
{
    const char *dir = cgroup_v1_dir(cg, "hugetlb");
    struct oci_resources only = {.hugepage_limits = r->hugepage_limits,
                                 .hugepage_limits_len = r->hugepage_limits_len};
    cleanup_close int dirfd = -1;

    if (dir != NULL)
        return v1_hugetlb(dir, r, err);
    if ((dirfd = open_unified(cg, &only, err)) < 0)
        return error_wrap(err, "linux.resources.hugepageLimits");
    return cgroup_v2_apply_hugetlb(dirfd, r, err);
}

static int apply_network(const struct cgroup *cg, const struct oci_network *net,
                         struct ocirun_error *err)
{
    const char *cls = cgroup_v1_dir(cg, "net_cls"), *prio = cgroup_v1_dir(cg, "net_prio");
    char buf[64];

    if (net->class_id_present) {
        if (cls == NULL)
            return error_make(err, 0, "linux.resources.network.classID: no net_cls cgroup");
        snprintf(buf, sizeof(buf), "%" PRIu32, net->class_id);
        if (cgroup_write(cls, "net_cls.classid", buf, err) < 0)
            return error_wrap(err, "linux.resources.network.classID");
    }
    for (size_t i = 0; i < net->priorities_len; i++) {
        if (prio == NULL)
            return error_make(err, 0, "linux.resources.network.priorities: no net_prio cgroup");
        snprintf(buf, sizeof(buf), "%s %" PRIu32, net->priorities[i].name,
                 net->priorities[i].priority);
        if (cgroup_write(prio, "net_prio.ifpriomap", buf, err) < 0)
            return error_wrap(err, "linux.resources.network.priorities[%zu]", i);
    }
    return 0;
}

static int apply_rdma(const struct cgroup *cg, const struct oci_rdma_map *m,
                      struct ocirun_error *err)
{
    const char *dir = cgroup_v1_dir(cg, "rdma");
    struct oci_resources only = {.rdma = *m};
    cleanup_close int dirfd = -1;

    dirfd = dir != NULL ? open_dir(dir, err) : open_unified(cg, &only, err);
    if (dirfd < 0)
        return error_wrap(err, "linux.resources.rdma");
    return cgroup_v2_apply_rdma(dirfd, m, err);
}

static int apply_unified(const struct cgroup *cg, const struct oci_string_map *m,
                         struct ocirun_error *err)
{
    struct oci_resources only = {.unified = *m};
    cleanup_close int dirfd = open_unified(cg, &only, err);

    if (dirfd < 0)
        return error_wrap(err, "linux.resources.unified");
    return cgroup_v2_apply_unified(dirfd, m, err);
}

static bool block_io_any(const struct oci_block_io *b)
{
    return b && ((b->weight_present && b->weight != 0) ||
                 (b->leaf_weight_present && b->leaf_weight != 0) || b->weight_device_len ||
                 b->throttle_read_bps_device_len || b->throttle_write_bps_device_len ||
                 b->throttle_read_iops_device_len || b->throttle_write_iops_device_len);
}

int cgroup_v1_apply_more(const struct cgroup *cg, const struct oci_resources *r,
                         struct ocirun_error *err)
{
    if (block_io_any(r->block_io) && apply_block_io(cg, r->block_io, err) < 0)
        return -1;
    if (r->hugepage_limits_len > 0 && apply_hugetlb(cg, r, err) < 0)
        return -1;
    if (r->network && apply_network(cg, r->network, err) < 0)
        return -1;
    if (r->rdma.len > 0 && apply_rdma(cg, &r->rdma, err) < 0)
        return -1;
    /* last, so a key naming the same file as a typed field wins */
    if (r->unified.len > 0 && apply_unified(cg, &r->unified, err) < 0)
        return -1;
    return 0;
}
