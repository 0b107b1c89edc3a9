/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for the pure parts of the cgroup code: host detection from
 * mountinfo text, the caller's cgroup, path resolution, the recorded path,
 * value conversions and the refusal of limits that cannot be applied. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cgroup-internal.h"
#include "unit.h"

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

    UNIT_CHECK(cgroup_shares_to_weight(2) == 1, "shares 2 -> weight 1");
    UNIT_CHECK(cgroup_shares_to_weight(1024) == 39, "shares 1024 -> weight 39");
    UNIT_CHECK(cgroup_shares_to_weight(262144) == 10000, "shares max -> weight 10000");
    UNIT_CHECK(cgroup_shares_to_weight(1) == 1, "shares below range clamp");
    UNIT_CHECK(cgroup_shares_to_weight(0) == 0, "shares 0: unset");

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

    struct oci_memory kmem = {.kernel = 1, .kernel_present = true};
    struct oci_resources rk = {.memory = &kmem};
    check_refused(&rk, &cg, "linux.resources.memory.kernel");

    struct oci_memory swp = {.swappiness = 10, .swappiness_present = true};
    struct oci_resources rs = {.memory = &swp};
    check_refused(&rs, &cg, "linux.resources.memory.swappiness");

    struct oci_cpu rt = {.realtime_runtime = 1, .realtime_runtime_present = true};
    struct oci_resources rr = {.cpu = &rt};
    check_refused(&rr, &cg, "linux.resources.cpu.realtimeRuntime");

    struct oci_hugepage_limit hp = {.page_size = "2MB", .limit = 1};
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

int main(void)
{
    test_mountinfo();
    test_own();
    test_resolve();
    test_hierarchy_dir();
    test_record();
    test_conversions();
    test_resources();
    return unit_finish();
}
