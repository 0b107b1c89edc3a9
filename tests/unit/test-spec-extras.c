/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The pure parts of issue #13's spec extras: id lists ("0-3,7"),
 * linux.memoryPolicy rules, interface names for linux.netDevices,
 * linux.intelRdt checks and schemata comparison, execCPUAffinity lists. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu_affinity.h"
#include "idlist.h"
#include "intelrdt.h"
#include "mempolicy.h"
#include "netdev.h"
#include "unit.h"
#include "util.h"

static void test_idlist(void)
{
    struct idlist l, host;
    const char *why = NULL;
    unsigned missing = 0;

    UNIT_CHECK(idlist_parse("0-3,7", 64, &l, &why) == 0 && l.count == 5 && l.max == 8 &&
                   idlist_has(&l, 2) && !idlist_has(&l, 4) && idlist_has(&l, 7),
               "0-3,7 is 0,1,2,3,7");
    UNIT_CHECK(idlist_parse("", 64, &l, &why) == 0 && l.count == 0 && l.max == 0, "empty list");
    UNIT_CHECK(idlist_parse("0-1\n", 64, &l, &why) == 0 && l.count == 2, "sysfs newline");
    UNIT_CHECK(idlist_parse(" 1 , 3 ", 64, &l, &why) == 0 && l.count == 2, "blanks around items");
    UNIT_CHECK(idlist_parse("2,2,1-2", 64, &l, &why) == 0 && l.count == 2, "duplicates count once");
    UNIT_CHECK(idlist_parse("8191", IDLIST_BITS, &l, &why) == 0 && l.max == 8192, "highest id");
    UNIT_CHECK(idlist_parse("8192", 1u << 20, &l, &why) < 0, "beyond IDLIST_BITS");
    UNIT_CHECK(idlist_parse("64", 64, &l, &why) < 0 && strstr(why, "out of range"), "limit");
    UNIT_CHECK(idlist_parse("3-1", 64, &l, &why) < 0 && strstr(why, "below"), "reversed");
    UNIT_CHECK(idlist_parse("1,,2", 64, &l, &why) < 0, "empty item");
    UNIT_CHECK(idlist_parse("1,", 64, &l, &why) < 0, "trailing comma");
    UNIT_CHECK(idlist_parse("-1", 64, &l, &why) < 0, "sign");
    UNIT_CHECK(idlist_parse("+1", 64, &l, &why) < 0, "plus sign");
    UNIT_CHECK(idlist_parse("1-", 64, &l, &why) < 0, "open range");
    UNIT_CHECK(idlist_parse("0x1", 64, &l, &why) < 0, "hex");
    UNIT_CHECK(idlist_parse("99999999999999999999", IDLIST_BITS, &l, &why) < 0, "overflow");
    idlist_parse("0-1,4", 64, &l, &why);
    idlist_parse("0-3", 64, &host, &why);
    UNIT_CHECK(!idlist_subset(&l, &host, &missing) && missing == 4, "subset reports 4");
    idlist_parse("1", 64, &l, &why);
    UNIT_CHECK(idlist_subset(&l, &host, &missing), "1 is in 0-3");
}

static int mp_parse(const char *mode, const char *nodes, const char *flag, const char *want)
{
    char *flags[] = {(char *)flag, NULL};
    struct oci_memory_policy mp = {
        .mode = (char *)mode, .nodes = (char *)nodes, .flags = flags, .flags_len = flag ? 1 : 0};
    struct ocirun_error err = {0};
    struct mempolicy m;
    int r = mempolicy_parse(&mp, &m, &err);
    bool ok = want == NULL ? r == 0 : (r < 0 && err.msg && strstr(err.msg, want));

    if (!ok)
        printf("#   %s nodes=%s flag=%s: %s\n", mode, nodes ? nodes : "-", flag ? flag : "-",
               err.msg ? err.msg : "(accepted)");
    error_clear(&err);
    return ok;
}

static void test_mempolicy_rules(void)
{
    UNIT_CHECK(mp_parse("MPOL_BIND", "0-1", NULL, NULL), "bind 0-1");
    UNIT_CHECK(mp_parse("MPOL_DEFAULT", NULL, NULL, NULL), "default, no nodes");
    UNIT_CHECK(mp_parse("MPOL_LOCAL", "", NULL, NULL), "local, empty nodes");
    UNIT_CHECK(mp_parse("MPOL_PREFERRED", NULL, NULL, NULL), "preferred without nodes is local");
    UNIT_CHECK(mp_parse("MPOL_DEFAULT", "0", NULL, "takes no nodes"), "default with nodes");
    UNIT_CHECK(mp_parse("MPOL_LOCAL", "1", NULL, "takes no nodes"), "local with nodes");
    UNIT_CHECK(mp_parse("MPOL_INTERLEAVE", NULL, NULL, "at least one node"), "interleave empty");
    UNIT_CHECK(mp_parse("MPOL_WEIGHTED_INTERLEAVE", "", NULL, "at least one node"),
               "weighted interleave empty");
    UNIT_CHECK(mp_parse("MPOL_PREFERRED_MANY", "0", NULL, NULL), "preferred many");
    UNIT_CHECK(mp_parse("MPOL_NOPE", "0", NULL, "unknown mode"), "unknown mode");
    UNIT_CHECK(mp_parse(NULL, "0", NULL, "unknown mode"), "missing mode");
    UNIT_CHECK(mp_parse("MPOL_BIND", "0", "MPOL_F_NOPE", "unknown flag"), "unknown flag");
    UNIT_CHECK(mp_parse("MPOL_BIND", "0", "MPOL_F_NUMA_BALANCING", NULL), "bind + balancing");
    UNIT_CHECK(mp_parse("MPOL_INTERLEAVE", "0", "MPOL_F_NUMA_BALANCING", "needs mode"),
               "interleave + balancing");
    UNIT_CHECK(mp_parse("MPOL_PREFERRED", NULL, "MPOL_F_STATIC_NODES", "need nodes"),
               "static without nodes");
    UNIT_CHECK(mp_parse("MPOL_BIND", "0-", NULL, "expected a number"), "bad node syntax");
}

static void test_mempolicy_host_nodes(void)
{
    char *flags[] = {(char *)"MPOL_F_STATIC_NODES"};
    struct oci_memory_policy mp = {.mode = (char *)"MPOL_BIND", .nodes = (char *)"2"};
    struct ocirun_error err = {0};
    struct mempolicy m;

    mempolicy_parse(&mp, &m, &err);
    UNIT_CHECK(mempolicy_check_nodes(&m, "0-1", "0-3", &err) < 0 && strstr(err.msg, "not online"),
               "node 2 offline");
    error_clear(&err);
    UNIT_CHECK(mempolicy_check_nodes(&m, "0-2\n", "0-3", &err) == 0, "node 2 online");
    mp.flags = flags;
    mp.flags_len = 1;
    mempolicy_parse(&mp, &m, &err);
    UNIT_CHECK(mempolicy_check_nodes(&m, "0-1", "0-3", &err) == 0, "static: possible is enough");
    UNIT_CHECK(mempolicy_check_nodes(&m, "0", "0-1", &err) < 0 && strstr(err.msg, "possible"),
               "static: beyond possible");
    error_clear(&err);
    flags[0] = (char *)"MPOL_F_RELATIVE_NODES";
    mp.nodes = (char *)"7";
    mempolicy_parse(&mp, &m, &err);
    UNIT_CHECK(mempolicy_check_nodes(&m, "0", "0", &err) == 0, "relative nodes are positions");
}

static bool name_ok(const char *name, bool tmpl)
{
    const char *why = NULL;

    return netdev_name_valid(name, tmpl, &why);
}

static void test_netdev_names(void)
{
    UNIT_CHECK(name_ok("eth0", false) && name_ok("abcdefghijklmno", false), "valid names");
    UNIT_CHECK(!name_ok("abcdefghijklmnop", false), "16 bytes");
    UNIT_CHECK(!name_ok("", false) && !name_ok(NULL, false), "empty");
    UNIT_CHECK(!name_ok(".", false) && !name_ok("..", false), ". and ..");
    UNIT_CHECK(name_ok("...", false), "... is a name");
    UNIT_CHECK(!name_ok("a/b", false) && !name_ok("a:b", false) && !name_ok("a b", false) &&
                   !name_ok("a\tb", false),
               "/ : and whitespace");
    UNIT_CHECK(name_ok("eth%d", true) && !name_ok("eth%d", false), "template only as a target");
    UNIT_CHECK(!name_ok("e%d%d", true) && !name_ok("e%s", true) && !name_ok("e%", true),
               "one %%d only");
}

static void test_netdev_validate(void)
{
    char *keys[] = {(char *)"veth1", (char *)"veth2"};
    struct oci_net_device values[] = {{.name = (char *)"c0"}, {.name = NULL}};
    struct oci_net_device_map m = {.keys = keys, .values = values, .len = 2};
    struct ocirun_error err = {0};

    UNIT_CHECK(netdev_validate(&m, true, &err) == 0, "two devices");
    UNIT_CHECK(netdev_validate(&m, false, &err) < 0 && strstr(err.msg, "network namespace"),
               "needs a netns");
    error_clear(&err);
    values[1].name = (char *)"c0";
    UNIT_CHECK(netdev_validate(&m, true, &err) < 0 && strstr(err.msg, "would both be named"),
               "same target twice");
    error_clear(&err);
    values[0].name = values[1].name = (char *)"c%d";
    UNIT_CHECK(netdev_validate(&m, true, &err) == 0, "same template twice");
    values[1].name = (char *)"veth1";
    values[0].name = NULL;
    UNIT_CHECK(netdev_validate(&m, true, &err) < 0, "kept name taken by a rename");
    error_clear(&err);
    m.len = 0;
    UNIT_CHECK(netdev_validate(&m, false, &err) == 0, "no devices, no netns needed");
}

static void test_intelrdt(void)
{
    char *lines[] = {(char *)"L3:0=f"};
    struct oci_intel_rdt r = {0};
    struct ocirun_error err = {0};

    UNIT_CHECK(intelrdt_check_config(&r, &err) == 0, "empty intelRdt");
    r.clos_id = (char *)"/";
    UNIT_CHECK(intelrdt_check_config(&r, &err) == 0, "closID /");
    r.clos_id = (char *)"../x";
    UNIT_CHECK(intelrdt_check_config(&r, &err) < 0, "closID ../x");
    error_clear(&err);
    r.clos_id = (char *)"..";
    UNIT_CHECK(intelrdt_check_config(&r, &err) < 0, "closID ..");
    error_clear(&err);
    r.clos_id = (char *)"gold";
    r.mem_bw_schema = (char *)"L3:0=1";
    UNIT_CHECK(intelrdt_check_config(&r, &err) < 0 && strstr(err.msg, "MB:"), "memBwSchema");
    error_clear(&err);
    r.mem_bw_schema = (char *)"MB:0=20";
    r.schemata = lines;
    r.schemata_len = 1;
    UNIT_CHECK(intelrdt_check_config(&r, &err) == 0, "schemata");
    lines[0] = (char *)"L3:0=f\nMB:0=1";
    UNIT_CHECK(intelrdt_check_config(&r, &err) < 0, "newline in schemata");
    error_clear(&err);
    UNIT_CHECK(intelrdt_line_equal("    L3:0=07f0;1=001f", "L3:0=7f0;1=1f"), "kernel padding");
    UNIT_CHECK(intelrdt_line_equal("MB:0=  20;1=100", "MB:0=20;1=100"), "MB blanks");
    UNIT_CHECK(intelrdt_line_equal("L3:0=0", "L3:0=000"), "zero value");
    UNIT_CHECK(!intelrdt_line_equal("L3:0=7f0;1=1f", "L3:0=7f0;1=1e"), "different mask");
    UNIT_CHECK(!intelrdt_line_equal("L3:0=f", "L2:0=f"), "different resource");
}

static void test_cpu_affinity(void)
{
    struct oci_exec_cpu_affinity a = {.initial = (char *)"0-1", .final = (char *)""};
    struct ocirun_error err = {0};

    UNIT_CHECK(cpu_affinity_validate(NULL, &err) == 0, "absent");
    UNIT_CHECK(cpu_affinity_validate(&a, &err) == 0, "initial 0-1, final empty");
    a.final = (char *)"3-2";
    UNIT_CHECK(cpu_affinity_validate(&a, &err) < 0 && strstr(err.msg, "final `3-2`"),
               "bad final named");
    error_clear(&err);
    a.final = NULL;
    a.initial = (char *)"1,";
    UNIT_CHECK(cpu_affinity_validate(&a, &err) < 0 && strstr(err.msg, "initial"),
               "bad initial named");
    error_clear(&err);
    UNIT_CHECK(cpu_affinity_apply(NULL, "final", 0, &err) == 0, "apply absent is a no-op");
}

int main(void)
{
    test_idlist();
    test_mempolicy_rules();
    test_mempolicy_host_nodes();
    test_netdev_names();
    test_netdev_validate();
    test_intelrdt();
    test_cpu_affinity();
    return unit_finish();
}
