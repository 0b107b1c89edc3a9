/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for the pure parts of cgroup ownership (cgroup-owner.c): the
 * host id an id maps to, when a config asks for a delegated cgroup, the
 * host ids of process.user, and the list of delegated files. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cgroup.h"
#include "unit.h"
#include "util.h"

static struct oci_config *parse(const char *json)
{
    struct oci_config *cfg = NULL;
    char *perr = NULL;
    /* every case is a minimal config: add the one required field */
    char *full = xasprintf("{\"ociVersion\":\"1.0.2\",%s", json + 1);
    int r = oci_config_parse_data(full, strlen(full), &cfg, &perr);

    free(full);
    if (r < 0) {
        printf("#   parse error: %s\n", perr ? perr : "?");
        free(perr);
        return NULL;
    }
    return cfg;
}

static void test_map_id(void)
{
    const struct oci_id_mapping m[] = {
        {.container_id = 0, .host_id = 100000, .size = 1000},
        {.container_id = 1000, .host_id = 5000, .size = 1},
        {.container_id = 4294967294u, .host_id = 4294967290u, .size = 1},
        {.container_id = 2000, .host_id = 4294967294u, .size = 10},
    };
    uint32_t h = 0;

    UNIT_CHECK(cgroup_owner_map_id(m, 4, 0, &h) == 0 && h == 100000, "0 -> 100000");
    UNIT_CHECK(cgroup_owner_map_id(m, 4, 999, &h) == 0 && h == 100999, "last id of a range");
    UNIT_CHECK(cgroup_owner_map_id(m, 4, 1000, &h) == 0 && h == 5000, "second range");
    UNIT_CHECK(cgroup_owner_map_id(m, 4, 1001, &h) < 0, "just past a range: unmapped");
    UNIT_CHECK(cgroup_owner_map_id(m, 4, 4294967294u, &h) == 0 && h == 4294967290u,
               "a range at the top of the id space");
    UNIT_CHECK(cgroup_owner_map_id(m, 4, 2000, &h) == 0 && h == 4294967294u,
               "a host id just below (uid_t)-1");
    UNIT_CHECK(cgroup_owner_map_id(m, 4, 2001, &h) < 0, "never maps to (uid_t)-1");
    UNIT_CHECK(cgroup_owner_map_id(m, 4, 2005, &h) < 0, "never past the 32-bit id space");
    UNIT_CHECK(cgroup_owner_map_id(NULL, 0, 0, &h) < 0, "no mappings: unmapped");
    const struct oci_id_mapping wrap[] = {{.container_id = 4294967295u, .host_id = 1, .size = 5}};
    UNIT_CHECK(cgroup_owner_map_id(wrap, 1, 2, &h) < 0, "a range does not wrap around");
}

#define NS_ALL                                                                                     \
    "\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"user\"},{\"type\":\"cgroup\"},"                \
    "{\"type\":\"mount\"}]"
#define MAPS                                                                                       \
    "\"uidMappings\":[{\"containerID\":0,\"hostID\":100000,\"size\":65536}],"                      \
    "\"gidMappings\":[{\"containerID\":0,\"hostID\":200000,\"size\":10}]"
#define RW_MOUNT "{\"destination\":\"/sys/fs/cgroup\",\"type\":\"cgroup\",\"source\":\"cgroup\"}"

/* 1 delegated, 0 not, -1 the test's JSON did not parse */
static int wanted(const char *json)
{
    struct oci_config *cfg = parse(json);
    int w = cfg == NULL ? -1 : cgroup_owner_wanted(cfg);

    oci_config_free(cfg);
    return w;
}

static void test_wanted(void)
{
    UNIT_CHECK(1 == wanted("{\"mounts\":[" RW_MOUNT "],\"linux\":{" NS_ALL "," MAPS "}}"),
               "userns + cgroupns + rw cgroup mount: delegated");
    UNIT_CHECK(
        1 == wanted("{\"mounts\":[{\"destination\":\"//sys/fs//cgroup/\",\"type\":\"cgroup2\","
                    "\"source\":\"none\",\"options\":[\"rw\",\"nosuid\"]}],"
                    "\"linux\":{" NS_ALL "}}"),
        "a cgroup2 mount with an unclean destination and rw");
    UNIT_CHECK(0 == wanted("{\"mounts\":[{\"destination\":\"/sys/fs/cgroup\",\"type\":\"cgroup\","
                           "\"source\":\"cgroup\",\"options\":[\"nosuid\",\"ro\"]}],"
                           "\"linux\":{" NS_ALL "}}"),
               "read-only cgroup mount: not delegated");
    UNIT_CHECK(0 == wanted("{\"mounts\":[],\"linux\":{" NS_ALL "}}"),
               "no cgroup mount: not delegated");
    UNIT_CHECK(0 ==
                   wanted("{\"mounts\":[{\"destination\":\"/sys/fs/cgroupx\",\"type\":\"cgroup\"}],"
                          "\"linux\":{" NS_ALL "}}"),
               "a mount elsewhere does not count");
    UNIT_CHECK(0 == wanted("{\"mounts\":[{\"destination\":\"/sys/fs/cgroup\",\"type\":\"tmpfs\","
                           "\"source\":\"tmpfs\"}],\"linux\":{" NS_ALL "}}"),
               "a tmpfs on /sys/fs/cgroup does not count");
    UNIT_CHECK(0 == wanted("{\"mounts\":[{\"destination\":\"/sys/fs/cgroup\",\"type\":\"bind\","
                           "\"source\":\"cgroup\"}],\"linux\":{" NS_ALL "}}"),
               "a bind of a directory named cgroup does not count");
    UNIT_CHECK(1 == wanted("{\"mounts\":[{\"destination\":\"/sys/fs/cgroup\","
                           "\"source\":\"cgroup\"}],\"linux\":{" NS_ALL "}}"),
               "source cgroup without a type (the spec's wording)");
    UNIT_CHECK(0 == wanted("{\"mounts\":[" RW_MOUNT
                           "],\"linux\":{\"namespaces\":[{\"type\":\"user\"}"
                           "]}}"),
               "no cgroup namespace: not delegated");
    UNIT_CHECK(0 == wanted("{\"mounts\":[" RW_MOUNT
                           "],\"linux\":{\"namespaces\":[{\"type\":\"cgroup\""
                           "}]}}"),
               "no user namespace: not delegated");
    UNIT_CHECK(0 == wanted("{\"mounts\":[" RW_MOUNT
                           "],\"linux\":{\"namespaces\":[{\"type\":\"user\"},"
                           "{\"type\":\"cgroup\",\"path\":\"/proc/1/ns/cgroup\"}]}}"),
               "a joined cgroup namespace: not delegated");
    UNIT_CHECK(0 == wanted("{\"mounts\":[" RW_MOUNT
                           "],\"linux\":{\"namespaces\":[{\"type\":\"user\","
                           "\"path\":\"/proc/1/ns/user\"},{\"type\":\"cgroup\"}]}}"),
               "a joined user namespace: not delegated");
    UNIT_CHECK(0 == wanted("{\"mounts\":[" RW_MOUNT "]}"), "no linux section: not delegated");
}

static void test_ids(void)
{
    struct oci_config *cfg;
    uid_t uid = 0;
    gid_t gid = 0;

    cfg = parse("{\"process\":{\"user\":{\"uid\":0,\"gid\":0},\"args\":[\"x\"],\"cwd\":\"/\"},"
                "\"linux\":{" NS_ALL "," MAPS "}}");
    UNIT_CHECK(cfg && cgroup_owner_ids(cfg, &uid, &gid) == 0 && uid == 100000 && gid == 200000,
               "root maps to 100000:200000");
    oci_config_free(cfg);
    cfg = parse("{\"process\":{\"user\":{\"uid\":1000,\"gid\":5},\"args\":[\"x\"],\"cwd\":\"/\"},"
                "\"linux\":{" NS_ALL "," MAPS "}}");
    UNIT_CHECK(cfg && cgroup_owner_ids(cfg, &uid, &gid) == 0 && uid == 101000 && gid == 200005,
               "process.user is the owner (config-linux.md), not always root");
    oci_config_free(cfg);
    cfg = parse("{\"process\":{\"user\":{\"uid\":0,\"gid\":50},\"args\":[\"x\"],\"cwd\":\"/\"},"
                "\"linux\":{" NS_ALL "," MAPS "}}");
    UNIT_CHECK(cfg && cgroup_owner_ids(cfg, &uid, &gid) == 0 && uid == 100000 && gid == (gid_t)-1,
               "an unmapped gid leaves the group alone");
    oci_config_free(cfg);
    cfg = parse("{\"process\":{\"user\":{\"uid\":70000,\"gid\":0},\"args\":[\"x\"],\"cwd\":\"/\"},"
                "\"linux\":{" NS_ALL "," MAPS "}}");
    UNIT_CHECK(cfg && cgroup_owner_ids(cfg, &uid, &gid) < 0, "an unmapped uid: no owner");
    oci_config_free(cfg);
    cfg = parse("{\"linux\":{" NS_ALL "}}");
    UNIT_CHECK(cfg && cgroup_owner_ids(cfg, &uid, &gid) < 0, "no mappings: no owner");
    oci_config_free(cfg);
}

static bool list_is(char **v, size_t n, const char *const *want, size_t wn)
{
    bool ok = v != NULL && n == wn && v[n] == NULL;

    for (size_t i = 0; ok && i < n; i++)
        ok = strcmp(v[i], want[i]) == 0;
    for (size_t i = 0; v && v[i]; i++)
        free(v[i]);
    free(v);
    return ok;
}

static void test_delegate(void)
{
    static const char *const kernel[] = {"cgroup.procs", "cgroup.threads", "cgroup.subtree_control",
                                         "memory.oom.group", "memory.reclaim"};
    static const char *const fallback[] = {"cgroup.procs", "cgroup.subtree_control",
                                           "cgroup.threads"};
    static const char *const safe[] = {"cgroup.procs", "x"};
    size_t n = 0;
    char **v;

    v = cgroup_owner_parse_delegate("cgroup.procs\ncgroup.threads\ncgroup.subtree_control\n"
                                    "memory.oom.group\nmemory.reclaim\n",
                                    &n);
    UNIT_CHECK(list_is(v, n, kernel, 5), "the kernel's list, in order");
    v = cgroup_owner_parse_delegate(NULL, &n);
    UNIT_CHECK(list_is(v, n, fallback, 3), "no file: the spec's fallback list");
    v = cgroup_owner_parse_delegate(" \n\n", &n);
    UNIT_CHECK(list_is(v, n, fallback, 3), "an empty file: the fallback list");
    v = cgroup_owner_parse_delegate("cgroup.procs ../../etc/passwd .\n..\n.hidden  x\n", &n);
    UNIT_CHECK(list_is(v, n, safe, 2), "names with '/' or a leading dot are never chowned");
}

int main(void)
{
    test_map_id();
    test_wanted();
    test_ids();
    test_delegate();
    return unit_finish();
}
