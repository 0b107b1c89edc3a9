/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for the systemd cgroup manager's pure parts: cgroupsPath
 * "slice:prefix:name" with runc's defaults, unit-name checks (hostile
 * names), slice expansion, the unit's cgroup path, and the resources ->
 * unit properties mapping (the values the v2 files get). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup-internal.h"
#include "unit.h"
#include "util.h"

static void check_parse(const char *path, bool rootless, const char *slice, const char *unit,
                        const char *cgroup)
{
    struct cgroup_systemd_names n;
    struct ocirun_error err = {0};
    cleanup_free char *cg = NULL;

    UNIT_CHECK(cgroup_systemd_parse(path, "c1", rootless, &n, &err) == 0, "parse `%s`: %s",
               path ? path : "(null)", err.msg ? err.msg : "");
    if (n.unit == NULL)
        return;
    UNIT_CHECK(strcmp(n.slice, slice) == 0, "`%s`: slice %s", path ? path : "", n.slice);
    UNIT_CHECK(strcmp(n.unit, unit) == 0, "`%s`: unit %s", path ? path : "", n.unit);
    cg = cgroup_systemd_unit_path(&n, false, 0);
    UNIT_CHECK(cg && strcmp(cg, cgroup) == 0, "`%s`: cgroup %s", path ? path : "", cg);
    cgroup_systemd_names_free(&n);
}

static void check_refused(const char *path, const char *words)
{
    struct cgroup_systemd_names n;
    struct ocirun_error err = {0};

    UNIT_CHECK(cgroup_systemd_parse(path, "c1", false, &n, &err) < 0, "`%s` accepted", path);
    UNIT_CHECK(err.msg && strstr(err.msg, words), "`%s`: message `%s` lacks `%s`", path,
               err.msg ? err.msg : "", words);
    error_clear(&err);
}

static void test_parse(void)
{
    check_parse("system.slice:docker:abc", false, "system.slice", "docker-abc.scope",
                "/system.slice/docker-abc.scope");
    check_parse(":p:n", false, "system.slice", "p-n.scope", "/system.slice/p-n.scope");
    check_parse(":p:n", true, "user.slice", "p-n.scope", "/user.slice/p-n.scope");
    check_parse(NULL, false, "system.slice", "ocirun-c1.scope", "/system.slice/ocirun-c1.scope");
    check_parse("", true, "user.slice", "ocirun-c1.scope", "/user.slice/ocirun-c1.scope");
    check_parse("a-b.slice:k8s:x", false, "a-b.slice", "k8s-x.scope",
                "/a.slice/a-b.slice/k8s-x.scope");
    check_parse("-.slice:p:n", false, "-.slice", "p-n.scope", "/p-n.scope");
    /* runc keeps an empty prefix: "-name.scope" */
    check_parse("system.slice::n", false, "system.slice", "-n.scope", "/system.slice/-n.scope");
    check_parse("a.slice:p:a-b.slice", false, "a.slice", "a-b.slice", "/a.slice/a-b.slice");

    check_refused("system.slice:only", "slice:prefix:name");
    check_refused("a:b:c:d", "slice:prefix:name");
    check_refused("system.slice:p:", "name part is empty");
    check_refused("system.slice:p:a/b", "not allowed");
    check_refused("system.slice:p:..", "`..`");
    check_refused("system.slice:p:x\n", "not allowed");
    check_refused("../x.slice:p:n", "not allowed");
    check_refused("-a.slice:p:n", "dash");
    check_refused("a-.slice:p:n", "dash");
    check_refused("a--b.slice:p:n", "dash");
    check_refused("system:p:n", "does not end in `.slice`");
    check_refused("a.slice:p:b.slice", "not inside");
}

static void test_long_names(void)
{
    char name[400];
    cleanup_free char *path = NULL;

    memset(name, 'x', sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';
    path = xasprintf("system.slice:p:%s", name);
    check_refused(path, "longer than");
    /* 255 bytes is the most systemd takes: "p-" + 243 + ".scope" */
    name[243] = '\0';
    free(path);
    path = xasprintf("system.slice:p:%s", name);
    {
        struct cgroup_systemd_names n;
        struct ocirun_error err = {0};
        UNIT_CHECK(cgroup_systemd_parse(path, "c1", false, &n, &err) == 0, "255 bytes: %s",
                   err.msg ? err.msg : "");
        cgroup_systemd_names_free(&n);
        error_clear(&err);
    }
}

static void test_user_path(void)
{
    struct cgroup_systemd_names n;
    cleanup_free char *cg = NULL;

    UNIT_CHECK(cgroup_systemd_parse(":p:n", "c1", true, &n, NULL) == 0, "parse");
    cg = cgroup_systemd_unit_path(&n, true, 2000);
    UNIT_CHECK(cg && strcmp(cg, "/user.slice/user-2000.slice/user@2000.service/user.slice/"
                                "p-n.scope") == 0,
               "user cgroup %s", cg);
    cgroup_systemd_names_free(&n);
}

static const struct cgroup_systemd_prop *find(const struct cgroup_systemd_props *p,
                                              const char *name)
{
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->v[i].name, name) == 0)
            return &p->v[i];
    return NULL;
}

static void check_u64(const struct cgroup_systemd_props *p, const char *name, uint64_t want)
{
    const struct cgroup_systemd_prop *e = find(p, name);

    UNIT_CHECK(e && e->type == 't' && e->u == want, "%s: %llu, want %llu", name,
               e ? (unsigned long long)e->u : 0ULL, (unsigned long long)want);
}

static void test_props(void)
{
    struct oci_memory mem = {.limit = 64 << 20,
                             .limit_present = true,
                             .reservation = 16 << 20,
                             .reservation_present = true,
                             .swap = 96 << 20,
                             .swap_present = true};
    struct oci_cpu cpu = {.shares = 1024,
                          .shares_present = true,
                          .quota = 50000,
                          .quota_present = true,
                          .period = 100000,
                          .period_present = true,
                          .cpus = (char *)"0-2,9",
                          .mems = (char *)"0"};
    struct oci_pids pids = {.limit = -1, .limit_present = true};
    struct oci_block_io bio = {.weight = 500, .weight_present = true};
    struct oci_resources r = {.memory = &mem, .cpu = &cpu, .pids = &pids, .block_io = &bio};
    struct cgroup_systemd_props p = {0};
    struct ocirun_error err = {0};
    const struct cgroup_systemd_prop *e;

    UNIT_CHECK(cgroup_systemd_resource_props(&r, &p, &err) == 0, "props: %s",
               err.msg ? err.msg : "");
    check_u64(&p, "MemoryMax", 64 << 20);
    check_u64(&p, "MemoryLow", 16 << 20);
    check_u64(&p, "MemorySwapMax", 32 << 20);
    check_u64(&p, "CPUWeight", 100);
    check_u64(&p, "CPUQuotaPerSecUSec", 500000);
    check_u64(&p, "CPUQuotaPeriodUSec", 100000);
    check_u64(&p, "TasksMax", UINT64_MAX);
    check_u64(&p, "IOWeight", cgroup_blkio_to_io_weight(500));
    e = find(&p, "AllowedCPUs");
    UNIT_CHECK(e && e->type == 'y' && e->nbytes == 2 && e->bytes[0] == 0x07 && e->bytes[1] == 0x02,
               "AllowedCPUs mask");
    e = find(&p, "AllowedMemoryNodes");
    UNIT_CHECK(e && e->nbytes == 1 && e->bytes[0] == 0x01, "AllowedMemoryNodes mask");
    cgroup_systemd_props_free(&p);

    /* quota -1: infinity; a quota that does not divide rounds up */
    cpu = (struct oci_cpu){.quota = -1, .quota_present = true};
    r = (struct oci_resources){.cpu = &cpu};
    UNIT_CHECK(cgroup_systemd_resource_props(&r, &p, &err) == 0, "quota -1");
    check_u64(&p, "CPUQuotaPerSecUSec", UINT64_MAX);
    UNIT_CHECK(find(&p, "CPUQuotaPeriodUSec") == NULL, "no period given, none set");
    cgroup_systemd_props_free(&p);
    cpu = (struct oci_cpu){.quota = 1, .quota_present = true, .period = 3, .period_present = true};
    UNIT_CHECK(cgroup_systemd_resource_props(&r, &p, &err) == 0, "quota 1/3");
    check_u64(&p, "CPUQuotaPerSecUSec", 333334);
    cgroup_systemd_props_free(&p);

    /* bad cpu lists and swap below the limit are refused */
    cpu = (struct oci_cpu){.cpus = (char *)"3-1"};
    UNIT_CHECK(cgroup_systemd_resource_props(&r, &p, &err) < 0 && strstr(err.msg, "cpu.cpus"),
               "3-1 refused");
    cgroup_systemd_props_free(&p);
    cpu = (struct oci_cpu){.cpus = (char *)"99999"};
    UNIT_CHECK(cgroup_systemd_resource_props(&r, &p, &err) < 0, "99999 refused");
    cgroup_systemd_props_free(&p);
    mem = (struct oci_memory){.limit = 64, .limit_present = true, .swap = 32, .swap_present = true};
    r = (struct oci_resources){.memory = &mem};
    UNIT_CHECK(cgroup_systemd_resource_props(&r, &p, &err) < 0 && strstr(err.msg, "memory.swap"),
               "swap < limit refused");
    cgroup_systemd_props_free(&p);
    error_clear(&err);

    /* nothing given: no property */
    r = (struct oci_resources){0};
    UNIT_CHECK(cgroup_systemd_resource_props(&r, &p, &err) == 0 && p.n == 0, "empty");
    UNIT_CHECK(cgroup_systemd_resource_props(NULL, &p, &err) == 0 && p.n == 0, "NULL");
}

int main(void)
{
    test_parse();
    test_long_names();
    test_user_path();
    test_props();
    return unit_finish();
}
