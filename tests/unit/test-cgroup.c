/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for the pure parts of the cgroup code: host detection from
 * mountinfo text, the caller's cgroup, path resolution, the recorded path,
 * value conversions and the refusal of limits that cannot be applied. */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup-internal.h"
#include "unit.h"
#include "util.h"

static const char hybrid[] =
    "22 1 0:21 / /sys rw,nosuid - sysfs sysfs rw\n"
    "30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "31 30 0:28 / /sys/fs/cgroup/cpu,cpuacct rw,relatime shared:5 - cgroup cgroup "
    "rw,cpu,cpuacct\n"
    "33 30 0:30 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset,clone_children\n"
    "34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "35 30 0:32 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices\n"
    "39 30 0:36 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup "
    "rw,xattr,release_agent=/lib/systemd/systemd-cgroups-agent,name=systemd\n"
    "40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw,nsdelegate\n"
    /* the same memory hierarchy bind-mounted elsewhere: listed once */
    "41 22 0:31 /x /mnt/mem\\040dir rw - cgroup cgroup rw,memory\n";

static const char unified_over_tmpfs[] =
    "30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n"
    "90 30 0:37 / /sys/fs/cgroup rw,relatime - cgroup2 none rw\n";

static const char legacy[] =
    "34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "35 30 0:32 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n";

static const struct cgroup_hierarchy *find(const struct cgroup_hierarchy *h, size_t n,
                                           const char *controllers)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(h[i].controllers, controllers) == 0)
            return &h[i];
    return NULL;
}

static void test_mountinfo(void)
{
    struct ocirun_error err = {0};
    struct cgroup_hierarchy *h = NULL;
    size_t n = 0;
    enum cgroup_mode mode;

    UNIT_CHECK(cgroup_parse_mountinfo(hybrid, &h, &n, &mode, &err) == 0, "hybrid parses");
    UNIT_CHECK(mode == CGROUP_MODE_HYBRID, "hybrid host detected");
    UNIT_CHECK(n == 6, "six hierarchies (memory once), got %zu", n);
    UNIT_CHECK(find(h, n, "cpu,cpuacct") != NULL, "co-mounted cpu,cpuacct");
    UNIT_CHECK(find(h, n, "cpuset") != NULL, "flag options are not controllers");
    UNIT_CHECK(find(h, n, "name=systemd") != NULL, "named hierarchy, release_agent dropped");
    const struct cgroup_hierarchy *u = find(h, n, "");
    UNIT_CHECK(u && u->unified && strcmp(u->mountpoint, "/sys/fs/cgroup/unified") == 0,
               "cgroup2 at /sys/fs/cgroup/unified");
    const struct cgroup_hierarchy *m = find(h, n, "memory");
    UNIT_CHECK(m && strcmp(m->mountpoint, "/sys/fs/cgroup/memory") == 0,
               "first mount of a hierarchy wins");
    cgroup_hierarchies_free(h, n);

    UNIT_CHECK(cgroup_parse_mountinfo(unified_over_tmpfs, &h, &n, &mode, &err) == 0 &&
                   mode == CGROUP_MODE_UNIFIED && n == 1 && h[0].unified &&
                   strcmp(h[0].mountpoint, "/sys/fs/cgroup") == 0,
               "cgroup2 mounted over the tmpfs: unified, v1 ignored");
    cgroup_hierarchies_free(h, n);

    UNIT_CHECK(cgroup_parse_mountinfo(legacy, &h, &n, &mode, &err) == 0 &&
                   mode == CGROUP_MODE_LEGACY && n == 2,
               "v1 only: legacy");
    cgroup_hierarchies_free(h, n);

    UNIT_CHECK(
        cgroup_parse_mountinfo("22 1 0:21 / /sys rw - sysfs sysfs rw\n", &h, &n, &mode, &err) < 0,
        "no cgroup mount is an error");
    UNIT_CHECK_CONTAINS(err.msg, "no cgroup hierarchy", "error says why");
    error_clear(&err);
    UNIT_CHECK(cgroup_parse_mountinfo("garbage\n\n1 2 3\n", &h, &n, &mode, &err) < 0,
               "garbage does not crash");
    error_clear(&err);
}

static void test_own(void)
{
    const char text[] = "9:name=systemd:/user.slice/s1\n4:memory:/process_api/abc\n"
                        "1:cpu,cpuacct:/c\n0::/u/v\n";
    char *s;

    s = cgroup_parse_own(text, "memory");
    UNIT_CHECK(s && strcmp(s, "/process_api/abc") == 0, "own memory cgroup");
    free(s);
    s = cgroup_parse_own(text, "cpuacct,cpu");
    UNIT_CHECK(s && strcmp(s, "/c") == 0, "controller sets match in any order");
    free(s);
    s = cgroup_parse_own(text, "");
    UNIT_CHECK(s && strcmp(s, "/u/v") == 0, "own unified cgroup");
    free(s);
    s = cgroup_parse_own(text, "name=systemd");
    UNIT_CHECK(s && strcmp(s, "/user.slice/s1") == 0, "named hierarchy");
    free(s);
    UNIT_CHECK(cgroup_parse_own(text, "pids") == NULL, "absent hierarchy: NULL");
    UNIT_CHECK(cgroup_parse_own(text, "cpu") == NULL, "a subset is not the same hierarchy");
}

static void check_resolve(const char *base, const char *in, const char *want)
{
    struct ocirun_error err = {0};
    char *out = NULL;
    int r = cgroup_resolve_path(base, in, &out, &err);

    if (want == NULL)
        UNIT_CHECK(r < 0 && err.msg && strstr(err.msg, "linux.cgroupsPath"),
                   "`%s` from `%s` refused: %s", in, base, err.msg ? err.msg : "");
    else
        UNIT_CHECK(r == 0 && strcmp(out, want) == 0, "`%s` from `%s` -> `%s` (got `%s`)", in, base,
                   want, out ? out : err.msg);
    free(out);
    error_clear(&err);
}

static void test_resolve(void)
{
    check_resolve("/ignored", "/a/b", "/a/b");
    check_resolve("/", "//a/./b//", "/a/b");
    check_resolve("/", "/a/../b", "/b");
    check_resolve("/own/cg", "x", "/own/cg/x");
    check_resolve("/own/cg", "x/../y", "/own/cg/y");
    check_resolve("/", "x", "/x");
    check_resolve("/", "/../x", NULL);
    check_resolve("/", "/a/../../x", NULL);
    check_resolve("/own", "../x", NULL);
    check_resolve("/own", "x/../../y", NULL);
    check_resolve("/", "/", NULL);
    check_resolve("/own", ".", NULL);
    check_resolve("/", "/a\nb", NULL);
    check_resolve("/", "/a\tb", NULL);

    char *longp = malloc(5000);
    memset(longp, 'a', 4999);
    longp[0] = '/';
    longp[4999] = '\0';
    check_resolve("/", longp, NULL);
    free(longp);
}

static void test_hierarchy_dir(void)
{
    struct cgroup_hierarchy h = {.mountpoint = "/sys/fs/cgroup/memory", .root = "/"};
    struct ocirun_error err = {0};
    char *out = NULL;

    UNIT_CHECK(cgroup_hierarchy_dir(&h, "/a/b", &out, &err) == 0 &&
                   strcmp(out, "/sys/fs/cgroup/memory/a/b") == 0,
               "root mount: mountpoint + path");
    free(out);
    h.root = "/lxc/c1";
    UNIT_CHECK(cgroup_hierarchy_dir(&h, "/lxc/c1/x", &out, &err) == 0 &&
                   strcmp(out, "/sys/fs/cgroup/memory/x") == 0,
               "mount of a sub-cgroup: its root is stripped");
    free(out);
    UNIT_CHECK(cgroup_hierarchy_dir(&h, "/lxc/c10/x", &out, &err) < 0,
               "a sibling with a common prefix is outside");
    error_clear(&err);
    UNIT_CHECK(cgroup_hierarchy_dir(&h, "/other", &out, &err) < 0, "outside the mount: error");
    error_clear(&err);
}

static void test_record(void)
{
    struct cgroup_hierarchy h[3] = {
        {.controllers = "memory", .path = "/a/b"},
        {.controllers = "cpu,cpuacct", .path = "/a/b"},
        {.controllers = "", .unified = true, .path = "/a/b"},
    };
    struct cgroup cg = {.h = h, .n = 3};
    char *rec = cgroup_record_encode(&cg);
    struct ocirun_error err = {0};

    UNIT_CHECK(strcmp(rec, "/a/b") == 0, "same path everywhere: plain (`%s`)", rec);
    free(rec);

    h[0].path = "/process_api/x;%y/a/b";
    cg.parents_made = 2;
    rec = cgroup_record_encode(&cg);
    UNIT_CHECK(strcmp(rec, "/a/b;parents=2;memory:/process_api/x%3B%25y/a/b") == 0,
               "differing path and parents encoded (`%s`)", rec);

    struct cgroup_hierarchy h2[3] = {{.controllers = "memory"},
                                     {.controllers = "cpu,cpuacct"},
                                     {.controllers = "", .unified = true}};
    struct cgroup cg2 = {.h = h2, .n = 3};
    UNIT_CHECK(cgroup_record_decode(&cg2, rec, &err) == 0, "decodes");
    UNIT_CHECK(h2[0].path && strcmp(h2[0].path, "/process_api/x;%y/a/b") == 0,
               "per-hierarchy path restored (`%s`)", h2[0].path);
    UNIT_CHECK(strcmp(h2[1].path, "/a/b") == 0 && strcmp(h2[2].path, "/a/b") == 0,
               "the others get the main path");
    UNIT_CHECK(cg2.parents_made == 2, "parents restored");
    for (int i = 0; i < 3; i++)
        free(h2[i].path);
    free(rec);

    struct cgroup_hierarchy h3[1] = {{.controllers = "memory"}};
    struct cgroup cg3 = {.h = h3, .n = 1};
    UNIT_CHECK(cgroup_record_decode(&cg3, "relative", &err) < 0,
               "a non-absolute record is refused");
    error_clear(&err);
    UNIT_CHECK(cgroup_record_decode(&cg3, "/a;bogus", &err) < 0, "a bad item is refused");
    error_clear(&err);
    free(h3[0].path);
}

static void test_conversions(void)
{
    struct ocirun_error err = {0};
    char buf[32];
    int64_t v;

    /* runc >= 1.3.2 / crun >= 1.23 (values from the formula in Python) */
    static const uint64_t shares[][2] = {
        {2, 1},          {3, 2},          {100, 17},   {512, 59},    {1000, 99},
        {1024, 100},     {2000, 170},     {4096, 303}, {10000, 627}, {100000, 4340},
        {262143, 10000}, {262144, 10000}, {1, 1},      {0, 0},       {1u << 20, 10000}};
    for (size_t i = 0; i < sizeof(shares) / sizeof(shares[0]); i++)
        UNIT_CHECK(cgroup_shares_to_weight(shares[i][0]) == shares[i][1],
                   "shares %llu -> weight %llu (got %llu)", (unsigned long long)shares[i][0],
                   (unsigned long long)shares[i][1],
                   (unsigned long long)cgroup_shares_to_weight(shares[i][0]));
    UNIT_CHECK(cgroup_blkio_to_io_weight(10) == 1, "blkio 10 -> io.weight 1");
    UNIT_CHECK(cgroup_blkio_to_io_weight(1000) == 10000, "blkio 1000 -> io.weight 10000");
    UNIT_CHECK(cgroup_blkio_to_io_weight(500) == 4950, "blkio 500 -> io.weight 4950");
    UNIT_CHECK(cgroup_blkio_to_io_weight(0) == 0, "blkio 0: unset");

    UNIT_CHECK(cgroup_swap_to_v2(200, 100, &v, &err) == 0 && v == 100, "swap 200 limit 100 -> 100");
    UNIT_CHECK(cgroup_swap_to_v2(-1, 100, &v, &err) == 0 && v == -1, "swap -1 -> max");
    UNIT_CHECK(cgroup_swap_to_v2(0, -1, &v, &err) == 0 && v == -1, "unlimited memory -> max swap");
    UNIT_CHECK(cgroup_swap_to_v2(0, 100, &v, &err) == 0 && v == 0, "swap unset");
    UNIT_CHECK(cgroup_swap_to_v2(50, 100, &v, &err) < 0, "swap below limit refused");
    UNIT_CHECK_CONTAINS(err.msg, "linux.resources.memory.swap", "names the field");
    error_clear(&err);
    UNIT_CHECK(cgroup_swap_to_v2(50, 0, &v, &err) < 0, "swap without limit refused");
    error_clear(&err);

    cgroup_format_limit(-1, buf, sizeof(buf));
    UNIT_CHECK(strcmp(buf, "max") == 0, "-1 -> max");
    cgroup_format_limit(4096, buf, sizeof(buf));
    UNIT_CHECK(strcmp(buf, "4096") == 0, "4096 -> 4096");
}

static void check_refused(const struct oci_resources *r, const struct cgroup *cg, const char *field)
{
    struct ocirun_error err = {0};

    UNIT_CHECK(cgroup_resources_check(r, cg, &err) < 0, "%s refused", field);
    UNIT_CHECK_CONTAINS(err.msg, field, "the error names the field");
    error_clear(&err);
}

static void test_resources(void)
{
    struct cgroup_hierarchy *h = NULL;
    size_t n = 0;
    enum cgroup_mode mode;
    struct ocirun_error err = {0};

    cgroup_parse_mountinfo(hybrid, &h, &n, &mode, &err);
    struct cgroup cg = {.mode = mode, .h = h, .n = n};
    struct oci_device_cgroup deny_all = {.allow = false, .access = "rwm"};
    struct oci_memory mem = {.limit = 1 << 20, .limit_present = true};
    struct oci_resources r = {.devices = &deny_all, .devices_len = 1, .memory = &mem};

    UNIT_CHECK(cgroup_resources_check(&r, &cg, &err) == 0, "devices + memory.limit accepted");
    UNIT_CHECK(cgroup_resources_check(&r, NULL, &err) < 0, "disabled manager refuses memory.limit");
    UNIT_CHECK_CONTAINS(err.msg, "disabled", "says why");
    error_clear(&err);
    struct oci_resources devs_only = {.devices = &deny_all, .devices_len = 1};
    UNIT_CHECK(cgroup_resources_check(&devs_only, NULL, &err) == 0,
               "disabled manager accepts device rules");

    struct oci_pids pids = {.limit = 10, .limit_present = true};
    struct oci_resources rp = {.pids = &pids};
    check_refused(&rp, &cg, "linux.resources.pids.limit"); /* no pids hierarchy above */

    struct oci_block_io bio = {.weight = 10, .weight_present = true};
    struct oci_resources rb = {.block_io = &bio};
    check_refused(&rb, &cg, "linux.resources.blockIO");

    /* the v1-only memory knobs are applied on v1 (issue #7) */
    struct oci_memory kmem = {.kernel = 1, .kernel_present = true};
    struct oci_resources rk = {.memory = &kmem};
    UNIT_CHECK(cgroup_resources_check(&rk, &cg, &err) == 0, "v1: memory.kernel accepted");
    error_clear(&err);

    struct oci_memory swp = {.swappiness = 10, .swappiness_present = true};
    struct oci_resources rs = {.memory = &swp};
    UNIT_CHECK(cgroup_resources_check(&rs, &cg, &err) == 0, "v1: memory.swappiness accepted");
    error_clear(&err);
    swp.swappiness = 101;
    check_refused(&rs, &cg, "linux.resources.memory.swappiness: 101 is not in 0..100");
    check_refused(&rs, NULL, "linux.resources.memory");

    struct oci_block_io bio_low = {.weight = 5, .weight_present = true};
    struct oci_resources rbl = {.block_io = &bio_low};
    check_refused(&rbl, NULL, "linux.resources.blockIO");

    struct oci_cpu rt = {.realtime_runtime = 1, .realtime_runtime_present = true};
    struct oci_resources rr = {.cpu = &rt};
    check_refused(&rr, &cg, "linux.resources.cpu.realtimeRuntime");

    /* a page size no kernel has */
    struct oci_hugepage_limit hp = {.page_size = "3MB", .limit = 1};
    struct oci_resources rh = {.hugepage_limits = &hp, .hugepage_limits_len = 1};
    check_refused(&rh, &cg, "linux.resources.hugepageLimits");

    char *k[] = {"memory.high"}, *v[] = {"1"};
    struct oci_resources ru = {.unified = {.keys = k, .values = v, .len = 1}};
    check_refused(&ru, &cg, "linux.resources.unified");

    struct oci_network net = {.class_id = 1, .class_id_present = true};
    struct oci_resources rn = {.network = &net};
    check_refused(&rn, &cg, "linux.resources.network");

    struct oci_device_cgroup bad = {.allow = true, .type = "x", .access = "rwm"};
    struct oci_resources rd = {.devices = &bad, .devices_len = 1};
    check_refused(&rd, &cg, "linux.resources.devices[0].type");
    struct oci_device_cgroup bad2 = {.allow = true, .type = "c", .access = "rwx"};
    struct oci_resources rd2 = {.devices = &bad2, .devices_len = 1};
    check_refused(&rd2, &cg, "linux.resources.devices[0].access");

    UNIT_CHECK(cgroup_resources_limit_field(&devs_only) == NULL,
               "device rules alone need no controller (rootless may drop them)");
    UNIT_CHECK(cgroup_resources_limit_field(&rp) != NULL &&
                   strcmp(cgroup_resources_limit_field(&rp), "linux.resources.pids.limit") == 0,
               "pids.limit needs a controller");

    struct oci_cpu cpu = {.shares = 512, .shares_present = true, .cpus = "0"};
    struct oci_resources rc = {.cpu = &cpu};
    UNIT_CHECK(cgroup_resources_check(&rc, &cg, &err) == 0, "cpu.shares and cpus accepted");
    error_clear(&err);
    cgroup_hierarchies_free(h, n);
}

static void test_cpu_max(void)
{
    char buf[64];
    struct oci_cpu both = {
        .quota = 50000, .quota_present = true, .period = 100000, .period_present = true};
    struct oci_cpu unlimited = {.quota = -1, .quota_present = true};
    struct oci_cpu period = {.period = 50000, .period_present = true};
    struct oci_cpu quota = {.quota = 30000, .quota_present = true};
    struct oci_cpu none = {.shares = 5, .shares_present = true};

    UNIT_CHECK(cgroup_cpu_max_line(&both, NULL, buf, sizeof(buf)) == 1 &&
                   strcmp(buf, "50000 100000") == 0,
               "quota and period -> `50000 100000` (%s)", buf);
    UNIT_CHECK(cgroup_cpu_max_line(&unlimited, NULL, buf, sizeof(buf)) == 1 &&
                   strcmp(buf, "max") == 0,
               "quota -1 -> `max`, period kept by the kernel (%s)", buf);
    UNIT_CHECK(cgroup_cpu_max_line(&period, "20000 100000\n", buf, sizeof(buf)) == 1 &&
                   strcmp(buf, "20000 50000") == 0,
               "period alone keeps the quota in force (%s)", buf);
    UNIT_CHECK(cgroup_cpu_max_line(&period, "max 100000\n", buf, sizeof(buf)) == 1 &&
                   strcmp(buf, "max 50000") == 0,
               "period alone, no quota: `max 50000` (%s)", buf);
    UNIT_CHECK(cgroup_cpu_max_line(&period, NULL, buf, sizeof(buf)) == 1 &&
                   strcmp(buf, "max 50000") == 0,
               "period alone at create (%s)", buf);
    UNIT_CHECK(cgroup_cpu_max_line(&period, "junk\n", buf, sizeof(buf)) == 1 &&
                   strcmp(buf, "max 50000") == 0,
               "an unreadable current quota is not copied (%s)", buf);
    UNIT_CHECK(cgroup_cpu_max_line(&quota, NULL, buf, sizeof(buf)) == 1 &&
                   strcmp(buf, "30000") == 0,
               "quota alone keeps the period (%s)", buf);
    UNIT_CHECK(cgroup_cpu_max_line(&none, NULL, buf, sizeof(buf)) == 0, "nothing to write");
}

static void test_io_max(void)
{
    struct ocirun_error err = {0};
    struct oci_block_io_throttle_device rb[] = {{8, 0, 100}, {8, 16, 0}};
    struct oci_block_io_throttle_device wi[] = {{8, 0, 5}};
    struct oci_block_io_throttle_device wb[] = {{253, 1, 1048576}};
    struct oci_block_io b = {.throttle_read_bps_device = rb,
                             .throttle_read_bps_device_len = 2,
                             .throttle_write_iops_device = wi,
                             .throttle_write_iops_device_len = 1,
                             .throttle_write_bps_device = wb,
                             .throttle_write_bps_device_len = 1};
    struct cgroup_io_max *lines = NULL;
    size_t n = 0;
    char buf[160];

    UNIT_CHECK(cgroup_io_max_build(&b, &lines, &n, &err) == 0 && n == 3,
               "three devices, one line each (%zu)", n);
    if (n == 3) {
        cgroup_io_max_line(&lines[0], buf, sizeof(buf));
        UNIT_CHECK(strcmp(buf, "8:0 rbps=100 wiops=5") == 0, "fields merged per device: %s", buf);
        UNIT_CHECK(strcmp(lines[0].field, "linux.resources.blockIO.throttleReadBpsDevice[0]") == 0,
                   "the line is named after its first entry: %s", lines[0].field);
        cgroup_io_max_line(&lines[1], buf, sizeof(buf));
        UNIT_CHECK(strcmp(buf, "8:16 rbps=max") == 0, "rate 0 (v1: no limit) -> max: %s", buf);
        cgroup_io_max_line(&lines[2], buf, sizeof(buf));
        UNIT_CHECK(strcmp(buf, "253:1 wbps=1048576") == 0, "write bps: %s", buf);
        UNIT_CHECK(strcmp(lines[2].field, "linux.resources.blockIO.throttleWriteBpsDevice[0]") == 0,
                   "field of the write list: %s", lines[2].field);
    }
    free(lines);
    lines = NULL;

    struct oci_block_io_throttle_device bad[] = {{8, 0, 1}, {-1, 0, 1}};
    struct oci_block_io bb = {.throttle_read_iops_device = bad, .throttle_read_iops_device_len = 2};
    UNIT_CHECK(cgroup_io_max_build(&bb, &lines, &n, &err) < 0 && lines == NULL,
               "a negative major is refused");
    UNIT_CHECK_CONTAINS(err.msg, "linux.resources.blockIO.throttleReadIOPSDevice[1]",
                        "names the entry");
    error_clear(&err);
    UNIT_CHECK(cgroup_check_devnum("f", 4096, 0, &err) < 0, "major over 12 bits refused");
    error_clear(&err);
    UNIT_CHECK(cgroup_check_devnum("f", 4095, 1048575, &err) == 0, "largest dev_t accepted");
}

static void test_hugetlb(void)
{
    static const char *const good[][2] = {{"2MB", "2MB"},    {"1GB", "1GB"},    {"64KB", "64KB"},
                                          {"1024KB", "1MB"}, {"2048MB", "2GB"}, {"16GB", "16GB"}};
    static const char *const bad[] = {
        "2mb", "3MB", "MB", "2M", "", "2MBx", "0MB", "2 MB", "99999999999999999999GB"};
    struct ocirun_error err = {0};
    char name[32], dir[] = "/tmp/ocirun-unit-hugeXXXXXX";
    uint64_t kib = 0;

    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        UNIT_CHECK(cgroup_hugetlb_name(good[i][0], name, sizeof(name), &kib, &err) == 0 &&
                       strcmp(name, good[i][1]) == 0,
                   "page size %s -> hugetlb.%s.max", good[i][0], good[i][1]);
    UNIT_CHECK(cgroup_hugetlb_name("2MB", name, sizeof(name), &kib, &err) == 0 && kib == 2048,
               "2MB is 2048 KiB");
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        UNIT_CHECK(cgroup_hugetlb_name(bad[i], name, sizeof(name), &kib, &err) < 0,
                   "page size `%s` refused", bad[i]);
        error_clear(&err);
    }

    if (!UNIT_CHECK(mkdtemp(dir) != NULL, "temporary hugepages dir"))
        return;
    cleanup_free char *sub = xasprintf("%s/hugepages-2048kB", dir);
    mkdir(sub, 0755);
    struct oci_hugepage_limit two = {.page_size = "2MB", .limit = 1};
    struct oci_hugepage_limit one_g = {.page_size = "1GB", .limit = 1};
    UNIT_CHECK(cgroup_hugetlb_check(dir, &two, 0, &err) == 0, "2MB pages exist here");
    UNIT_CHECK(cgroup_hugetlb_check(dir, &one_g, 3, &err) < 0, "1GB pages do not");
    UNIT_CHECK_CONTAINS(err.msg, "linux.resources.hugepageLimits[3].pageSize", "names the field");
    UNIT_CHECK_CONTAINS(err.msg, "1GB", "names the size");
    error_clear(&err);
    rmdir(sub);
    rmdir(dir);
}

static void test_rdma(void)
{
    struct ocirun_error err = {0};
    struct oci_rdma both = {.hca_handles = 3,
                            .hca_handles_present = true,
                            .hca_objects = 100,
                            .hca_objects_present = true};
    struct oci_rdma handles = {.hca_handles = 7, .hca_handles_present = true};
    struct oci_rdma none = {0};
    char buf[160], long_name[80];

    UNIT_CHECK(cgroup_rdma_line("mlx5_0", &both, buf, sizeof(buf), &err) == 0 &&
                   strcmp(buf, "mlx5_0 hca_handle=3 hca_object=100") == 0,
               "rdma.max line: %s", buf);
    UNIT_CHECK(cgroup_rdma_line("rxe0", &handles, buf, sizeof(buf), &err) == 0 &&
                   strcmp(buf, "rxe0 hca_handle=7") == 0,
               "only the fields given: %s", buf);
    UNIT_CHECK(cgroup_rdma_line("rxe0", &none, buf, sizeof(buf), &err) < 0, "no field refused");
    UNIT_CHECK_CONTAINS(err.msg, "linux.resources.rdma[\"rxe0\"]", "names the device");
    error_clear(&err);
    memset(long_name, 'a', 64);
    long_name[64] = '\0';
    const char *bad[] = {"", "a b", "a/b", "a=1", "x\n", long_name};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        UNIT_CHECK(cgroup_rdma_line(bad[i], &both, buf, sizeof(buf), &err) < 0,
                   "bad rdma device name %zu refused", i);
        error_clear(&err);
    }
}

static void test_unified(void)
{
    static const char *const good[] = {
        "memory.high",     "pids.max",         "cgroup.max.depth", "cgroup.max.descendants",
        "hugetlb.2MB.max", "memory.oom.group", "cpu.uclamp.min"};
    static const char *const bad[] = {"../x",
                                      "memory/../x",
                                      "cgroup.procs",
                                      "cgroup.threads",
                                      "cgroup.kill",
                                      "cgroup.freeze",
                                      "cgroup.subtree_control",
                                      "cgroup.type",
                                      ".x",
                                      "memory.",
                                      "noprefix",
                                      "",
                                      "memory..high",
                                      "/memory.high",
                                      "memory.high\n"};
    struct ocirun_error err = {0};

    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        UNIT_CHECK(cgroup_unified_check(good[i], "1", &err) == 0, "unified key %s accepted",
                   good[i]);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        UNIT_CHECK(cgroup_unified_check(bad[i], "1", &err) < 0, "unified key %zu (%s) refused", i,
                   bad[i]);
        UNIT_CHECK_CONTAINS(err.msg, "linux.resources.unified", "names the map");
        error_clear(&err);
    }
    UNIT_CHECK(cgroup_unified_check("memory.high", "1\x01", &err) < 0, "control char refused");
    error_clear(&err);
    UNIT_CHECK(cgroup_unified_check("io.max", "8:0 rbps=1\n8:16 wbps=2", &err) == 0,
               "a multi-line value is fine");
    UNIT_CHECK(cgroup_unified_controller("memory.high") &&
                   strcmp(cgroup_unified_controller("memory.high"), "memory") == 0,
               "memory.high belongs to memory");
    UNIT_CHECK(cgroup_unified_controller("cpu.max") &&
                   strcmp(cgroup_unified_controller("cpu.max"), "cpu") == 0 &&
                   strcmp(cgroup_unified_controller("cpuset.cpus"), "cpuset") == 0,
               "cpu and cpuset are told apart");
    UNIT_CHECK(cgroup_unified_controller("cgroup.max.depth") == NULL, "cgroup.* is core");
}

/* A unified host whose root offers the given controllers (a temporary
 * directory stands for the mount). */
static char *fake_v2_root(const char *controllers)
{
    char *dir = xstrdup("/tmp/ocirun-unit-cgXXXXXX");
    struct ocirun_error err = {0};

    if (mkdtemp(dir) == NULL)
        return NULL;
    cleanup_free char *f = xasprintf("%s/cgroup.controllers", dir);
    write_file_at(AT_FDCWD, f, controllers, strlen(controllers), 0644, &err);
    error_clear(&err);
    return dir;
}

static void test_resources_v2(void)
{
    struct ocirun_error err = {0};
    cleanup_free char *root = fake_v2_root("cpuset cpu io memory pids\n");
    if (!UNIT_CHECK(root != NULL, "fake v2 root"))
        return;
    struct cgroup_hierarchy h = {.mountpoint = root, .controllers = "", .unified = true};
    struct cgroup cg = {.mode = CGROUP_MODE_UNIFIED, .h = &h, .n = 1};

    struct oci_block_io_throttle_device rb = {8, 0, 100};
    struct oci_block_io bio = {.weight = 500,
                               .weight_present = true,
                               .throttle_read_bps_device = &rb,
                               .throttle_read_bps_device_len = 1};
    struct oci_memory mem = {.swappiness = 10,
                             .swappiness_present = true,
                             .disable_oom_killer = true,
                             .disable_oom_killer_present = true,
                             .use_hierarchy = true,
                             .use_hierarchy_present = true,
                             .check_before_update = true,
                             .check_before_update_present = true,
                             .kernel = 1,
                             .kernel_present = true};
    struct oci_cpu cpu = {.burst = 1000, .burst_present = true, .idle = 1, .idle_present = true};
    char *k[] = {"memory.high", "pids.max", "cgroup.max.depth"}, *v[] = {"1G", "10", "3"};
    struct oci_resources ok = {.block_io = &bio,
                               .memory = &mem,
                               .cpu = &cpu,
                               .unified = {.keys = k, .values = v, .len = 3}};
    UNIT_CHECK(cgroup_resources_check(&ok, &cg, &err) == 0,
               "v2: blockIO, v1-only memory knobs, burst, idle and unified accepted (%s)",
               err.msg ? err.msg : "");
    error_clear(&err);

    struct oci_block_io leaf = {.leaf_weight = 10, .leaf_weight_present = true};
    struct oci_resources rl = {.block_io = &leaf};
    check_refused(&rl, &cg, "linux.resources.blockIO.leafWeight");
    struct oci_block_io_weight_device wd = {
        .major = 8, .minor = 0, .leaf_weight = 10, .leaf_weight_present = true};
    struct oci_block_io leaf2 = {.weight_device = &wd, .weight_device_len = 1};
    struct oci_resources rl2 = {.block_io = &leaf2};
    check_refused(&rl2, &cg, "linux.resources.blockIO.weightDevice[0].leafWeight");
    struct oci_block_io low = {.weight = 5, .weight_present = true};
    struct oci_resources rw = {.block_io = &low};
    check_refused(&rw, &cg, "linux.resources.blockIO.weight");

    struct oci_cpu rt = {.realtime_period = 1000, .realtime_period_present = true};
    struct oci_resources rr = {.cpu = &rt};
    check_refused(&rr, &cg, "linux.resources.cpu.realtimePeriod");
    cgroup_resources_check(&rr, &cg, &err);
    UNIT_CHECK_CONTAINS(err.msg, "cgroup v2", "realtime: says v2 has none");
    error_clear(&err);

    struct oci_network net = {.class_id = 1, .class_id_present = true};
    struct oci_resources rn = {.network = &net};
    check_refused(&rn, &cg, "linux.resources.network");

    char *kp[] = {"cgroup.procs"}, *vp[] = {"1"};
    struct oci_resources rup = {.unified = {.keys = kp, .values = vp, .len = 1}};
    check_refused(&rup, &cg, "linux.resources.unified[\"cgroup.procs\"]");
    char *kr[] = {"rdma.max"}, *vr[] = {"x hca_handle=1"};
    struct oci_resources rur = {.unified = {.keys = kr, .values = vr, .len = 1}};
    check_refused(&rur, &cg, "linux.resources.unified[\"rdma.max\"]");

    /* a page size no kernel has */
    struct oci_hugepage_limit hp = {.page_size = "3MB", .limit = 1};
    struct oci_resources rh = {.hugepage_limits = &hp, .hugepage_limits_len = 1};
    check_refused(&rh, &cg, "linux.resources.hugepageLimits"); /* no hugetlb controller */
    char *dev[] = {"mlx5_0"};
    struct oci_rdma rv = {.hca_handles = 1, .hca_handles_present = true};
    struct oci_resources rd = {.rdma = {.keys = dev, .values = &rv, .len = 1}};
    check_refused(&rd, &cg, "linux.resources.rdma"); /* no rdma controller */

    UNIT_CHECK(cgroup_resources_limit_field(&ok) != NULL, "the new fields need a cgroup");
    UNIT_CHECK(cgroup_resources_limit_field(&rup) != NULL &&
                   strcmp(cgroup_resources_limit_field(&rup), "linux.resources.unified") == 0,
               "unified alone needs a cgroup");

    cleanup_free char *f = xasprintf("%s/cgroup.controllers", root);
    unlink(f);
    rmdir(root);
}

int main(void)
{
    test_mountinfo();
    test_own();
    test_resolve();
    test_hierarchy_dir();
    test_record();
    test_conversions();
    test_resources();
    test_cpu_max();
    test_io_max();
    test_hugetlb();
    test_rdma();
    test_unified();
    test_resources_v2();
    return unit_finish();
}
