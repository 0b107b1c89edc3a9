/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cgroup v2 writers for blockIO (io.weight / io.bfq.weight, io.max),
 * hugepageLimits (hugetlb.<size>.max and .rsvd.max), rdma (rdma.max) and
 * the `unified` map. Every write goes through the container's directory
 * fd (openat, O_NOFOLLOW), and every error names the config field and the
 * file. The lines themselves come from cgroup-v2-format.c. */
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

int cgroup_v2_write_field(int dirfd, const char *field, const char *file, const char *value,
                          struct ocirun_error *err)
{
    cleanup_close int fd = openat(dirfd, file, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
    size_t len = strlen(value);

    if (fd < 0)
        return error_make(err, errno, "%s: open `%s`", field, file);
    /* one write: the kernel parses each write as a whole */
    ssize_t n = write(fd, value, len);
    if (n < 0)
        return error_make(err, errno, "%s: write `%s` (`%s`)", field, file, value);
    if ((size_t)n != len)
        return error_make(err, EIO, "%s: short write to `%s`", field, file);
    return 0;
}

static bool has_file(int dirfd, const char *file)
{
    return faccessat(dirfd, file, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

/* bfq takes the spec's 10..1000 as is; io.weight (iocost) is 1..10000 */
static int write_weights(int dirfd, const struct oci_block_io *b, struct ocirun_error *err)
{
    bool bfq = has_file(dirfd, "io.bfq.weight");
    const char *file = bfq ? "io.bfq.weight" : "io.weight";
    char buf[64], field[96];

    if (b->weight_present && b->weight != 0) {
        snprintf(buf, sizeof(buf), "%" PRIu64,
                 bfq ? (uint64_t)b->weight : cgroup_blkio_to_io_weight(b->weight));
        if (cgroup_v2_write_field(dirfd, "linux.resources.blockIO.weight", file, buf, err) < 0)
            return -1;
    }
    for (size_t i = 0; i < b->weight_device_len; i++) {
        const struct oci_block_io_weight_device *d = &b->weight_device[i];
        if (!d->weight_present)
            continue;
        snprintf(field, sizeof(field), "linux.resources.blockIO.weightDevice[%zu]", i);
        snprintf(buf, sizeof(buf), "%" PRId64 ":%" PRId64 " %" PRIu64, d->major, d->minor,
                 bfq ? (uint64_t)d->weight : cgroup_blkio_to_io_weight(d->weight));
        if (cgroup_v2_write_field(dirfd, field, file, buf, err) < 0)
            return -1;
    }
    return 0;
}

int cgroup_v2_apply_block_io(int dirfd, const struct oci_block_io *b, struct ocirun_error *err)
{
    cleanup_free struct cgroup_io_max *lines = NULL;
    size_t n = 0;
    char buf[160];

    if (write_weights(dirfd, b, err) < 0)
        return -1;
    if (cgroup_io_max_build(b, &lines, &n, err) < 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        cgroup_io_max_line(&lines[i], buf, sizeof(buf));
        if (cgroup_v2_write_field(dirfd, lines[i].field, "io.max", buf, err) < 0)
            return -1;
    }
    return 0;
}

int cgroup_v2_apply_hugetlb(int dirfd, const struct oci_resources *r, struct ocirun_error *err)
{
    for (size_t i = 0; i < r->hugepage_limits_len; i++) {
        const struct oci_hugepage_limit *l = &r->hugepage_limits[i];
        char name[32], file[64], field[64], value[32];
        uint64_t kib;

        snprintf(field, sizeof(field), "linux.resources.hugepageLimits[%zu]", i);
        if (cgroup_hugetlb_name(l->page_size, name, sizeof(name), &kib, err) < 0)
            return error_wrap(err, "%s.pageSize", field);
        snprintf(value, sizeof(value), "%" PRIu64, l->limit);
        snprintf(file, sizeof(file), "hugetlb.%s.max", name);
        if (cgroup_v2_write_field(dirfd, field, file, value, err) < 0)
            return -1;
        /* reservations are charged separately (5.7+): limit them alike */
        snprintf(file, sizeof(file), "hugetlb.%s.rsvd.max", name);
        if (has_file(dirfd, file) && cgroup_v2_write_field(dirfd, field, file, value, err) < 0)
            return -1;
    }
    return 0;
}

int cgroup_v2_apply_rdma(int dirfd, const struct oci_rdma_map *m, struct ocirun_error *err)
{
    for (size_t i = 0; i < m->len; i++) {
        char line[160];
        if (cgroup_rdma_line(m->keys[i], &m->values[i], line, sizeof(line), err) < 0)
            return -1;
        cleanup_free char *field = xasprintf("linux.resources.rdma[\"%s\"]", m->keys[i]);
        if (cgroup_v2_write_field(dirfd, field, "rdma.max", line, err) < 0)
            return -1;
    }
    return 0;
}

int cgroup_v2_apply_unified(int dirfd, const struct oci_string_map *m, struct ocirun_error *err)
{
    for (size_t i = 0; i < m->len; i++) {
        /* checked before the cgroup was made; again here, as this is the
         * write that must never leave the directory */
        if (cgroup_unified_check(m->keys[i], m->values[i], err) < 0)
            return -1;
        cleanup_free char *field = xasprintf("linux.resources.unified[\"%s\"]", m->keys[i]);
        if (cgroup_v2_write_field(dirfd, field, m->keys[i], m->values[i], err) < 0)
            return -1;
    }
    return 0;
}
