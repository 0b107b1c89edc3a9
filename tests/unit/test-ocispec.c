/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libocispec: every fixture under tests/fixtures (the runtime-spec's own
 * good/bad examples and ours), round trips, the error message (with its
 * JSON path) of each bad input, limits, nulls, files that are not regular
 * files, and generation from C structs. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ocispec.h"
#include "json.h"
#include "unit.h"

#ifndef FIXTURES
#error "FIXTURES must point at tests/fixtures"
#endif

enum doc_kind { DOC_CONFIG, DOC_STATE, DOC_FEATURES, DOC_PROCESS };

static const char *kind_dir(enum doc_kind k)
{
    static const char *const names[] = {"config", "state", "features", "process"};
    return names[k];
}

static int parse_doc(enum doc_kind k, const char *data, size_t len, void **out, char **err)
{
    switch (k) {
    case DOC_CONFIG:
        return oci_config_parse_data(data, len, (struct oci_config **)out, err);
    case DOC_STATE:
        return oci_state_parse_data(data, len, (struct oci_state **)out, err);
    case DOC_FEATURES:
        return oci_features_parse_data(data, len, (struct oci_features **)out, err);
    default:
        return oci_process_parse_data(data, len, (struct oci_process **)out, err);
    }
}

static int generate_doc(enum doc_kind k, const void *obj, char **json, size_t *len, char **err)
{
    switch (k) {
    case DOC_CONFIG:
        return oci_config_generate(obj, json, len, err);
    case DOC_STATE:
        return oci_state_generate(obj, json, len, err);
    case DOC_FEATURES:
        return oci_features_generate(obj, json, len, err);
    default:
        return oci_process_generate(obj, json, len, err);
    }
}

static void free_doc(enum doc_kind k, void *obj)
{
    switch (k) {
    case DOC_CONFIG:
        oci_config_free(obj);
        break;
    case DOC_STATE:
        oci_state_free(obj);
        break;
    case DOC_FEATURES:
        oci_features_free(obj);
        break;
    default:
        oci_process_free(obj);
        break;
    }
}

static bool str_starts(const char *s, const char *prefix)
{
    return s != NULL && strncmp(s, prefix, strlen(prefix)) == 0;
}

static char *read_fixture(const char *rel, size_t *len)
{
    char *path = oci_xasprintf("%s/%s", FIXTURES, rel);
    char *data = NULL, *err = NULL;
    if (oci_read_document(path, &data, len, &err) < 0) {
        printf("# cannot read %s: %s\n", path, err);
        free(err);
    }
    free(path);
    return data;
}

/* ---- round trips ------------------------------------------------------- */

/* Members a fixture carries that libocispec deliberately drops (unknown to
 * the spec at that place): removed from the input before comparing. */
struct ignored_member {
    const char *file;
    const char *path; /* dotted path of an object member */
};

static const struct ignored_member ignored_members[] = {
    /* the spec's example puts oomScoreAdj under resources, where the schema
     * has no such member */
    {"config/good/spec-example.json", "linux.resources.oomScoreAdj"},
};

static void dom_remove(struct json_value *v, const char *dotted)
{
    char *copy = oci_xstrdup(dotted), *save = NULL;
    for (char *k = strtok_r(copy, ".", &save); k != NULL && v != NULL;
         k = strtok_r(NULL, ".", &save)) {
        if (v->type != JSON_OBJECT)
            break;
        size_t i;
        for (i = 0; i < v->u.object.len && strcmp(v->u.object.keys[i], k) != 0; i++)
            ;
        if (i == v->u.object.len)
            break;
        if (save == NULL || *save == '\0') {
            free(v->u.object.keys[i]);
            json_free(v->u.object.values[i]);
            size_t rest = v->u.object.len - i - 1;
            memmove(&v->u.object.keys[i], &v->u.object.keys[i + 1], rest * sizeof(char *));
            memmove(&v->u.object.key_lens[i], &v->u.object.key_lens[i + 1], rest * sizeof(size_t));
            memmove(&v->u.object.values[i], &v->u.object.values[i + 1], rest * sizeof(void *));
            v->u.object.len--;
            break;
        }
        v = v->u.object.values[i];
    }
    free(copy);
}

/* parse -> generate -> parse -> generate: both generations identical, and
 * the generated document equal (as JSON) to the input. */
static void check_round_trip(enum doc_kind k, const char *name, const char *data, size_t len)
{
    void *a = NULL, *b = NULL;
    char *err = NULL, *gen1 = NULL, *gen2 = NULL;
    size_t len1 = 0, len2 = 0;
    struct json_value *in = NULL, *out = NULL;

    if (!UNIT_CHECK(parse_doc(k, data, len, &a, &err) == 0, "%s: parses", name)) {
        printf("#   error: %s\n", err);
        goto out;
    }
    if (!UNIT_CHECK(generate_doc(k, a, &gen1, &len1, &err) == 0, "%s: generates", name))
        goto out;
    UNIT_CHECK(strlen(gen1) == len1 && len1 > 0 && gen1[len1 - 1] == '\n',
               "%s: generated length and final newline", name);
    if (!UNIT_CHECK(parse_doc(k, gen1, len1, &b, &err) == 0, "%s: generated text parses", name)) {
        printf("#   error: %s\n", err);
        goto out;
    }
    generate_doc(k, b, &gen2, &len2, &err);
    UNIT_CHECK(gen2 != NULL && strcmp(gen1, gen2) == 0, "%s: second generation is identical", name);
    if (json_parse(data, len, &in, &err) == 0 && json_parse(gen1, len1, &out, &err) == 0) {
        for (size_t i = 0; i < sizeof(ignored_members) / sizeof(ignored_members[0]); i++) {
            if (strcmp(ignored_members[i].file, name) == 0)
                dom_remove(in, ignored_members[i].path);
        }
    }
    UNIT_CHECK(in != NULL && out != NULL && json_equal(in, out),
               "%s: generated JSON equals the input", name);
out:
    json_free(in);
    json_free(out);
    free(err);
    free(gen1);
    free(gen2);
    free_doc(k, a);
    free_doc(k, b);
}

static char **list_dir(const char *rel, size_t *n)
{
    char *path = oci_xasprintf("%s/%s", FIXTURES, rel);
    DIR *d = opendir(path);
    char **names = NULL;
    *n = 0;
    struct dirent *e;
    while (d != NULL && (e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name);
        if (l < 6 || strcmp(e->d_name + l - 5, ".json") != 0)
            continue;
        names = oci_xreallocarray(names, *n + 1, sizeof(char *));
        names[(*n)++] = oci_xasprintf("%s/%s", rel, e->d_name);
    }
    if (d != NULL)
        closedir(d);
    free(path);
    return names;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_good_fixtures(void)
{
    for (enum doc_kind k = DOC_CONFIG; k <= DOC_PROCESS; k++) {
        char *rel = oci_xasprintf("%s/good", kind_dir(k));
        size_t n;
        char **names = list_dir(rel, &n);
        qsort(names, n, sizeof(char *), compare_names);
        UNIT_CHECK(n > 0, "%s: has fixtures", rel);
        for (size_t i = 0; i < n; i++) {
            size_t len;
            char *data = read_fixture(names[i], &len);
            if (UNIT_CHECK(data != NULL, "%s: readable", names[i]))
                check_round_trip(k, names[i], data, len);
            free(data);
            free(names[i]);
        }
        free(names);
        free(rel);
    }
}

/* ---- bad fixture files --------------------------------------------------- */

struct bad_file {
    const char *file;
    const char *expect;
};

static const struct bad_file bad_files[] = {
    {"config/bad/duplicate-key.json", "linux: duplicate key \"namespaces\""},
    {"config/bad/empty.json", "empty document"},
    {"config/bad/invalid-json.json",
     "syntax error: invalid object key (must be a string) (line 1, column 3"},
    {"config/bad/invalid-utf8.json", "hostname: invalid UTF-8 in string"},
    {"config/bad/linux-hugepage.json",
     "linux.resources.hugepageLimits[0].pageSize: invalid value \"64kB\""},
    {"config/bad/linux-netdevice.json", "linux.netDevices.eth0.name: expected string, got number"},
    {"config/bad/linux-rdma.json",
     "linux.resources.rdma.mlx5_1.hcaHandles: expected unsigned 32-bit integer, got string"},
    {"config/bad/namespace-type.json",
     "linux.namespaces[2].type: unknown value \"netns\" (expected one of pid, network, mount"},
    {"config/bad/truncated.json", "process.env[2]: truncated document (unexpected end of input)"},
    {"config/bad/two-documents.json", "trailing garbage after the document (line 2"},
    {"config/bad/uid-negative.json",
     "process.user.uid: expected unsigned 32-bit integer, got -1 (out of range"},
    {"features/bad/capability-pattern.json",
     "linux.capabilities[1]: invalid value \"chown\" (must match ^CAP_[A-Z_]+$)"},
    {"features/bad/missing-ociVersionMax.json", "ociVersionMax: required field missing"},
    {"process/bad/missing-cwd.json", "cwd: required field missing"},
    {"state/bad/invalid-json.json", "syntax error"},
    {"state/bad/unknown-status.json",
     "status: unknown value \"exploded\" (expected one of creating, created, running, stopped"},
};

static const char *bad_expectation(const char *file)
{
    for (size_t i = 0; i < sizeof(bad_files) / sizeof(bad_files[0]); i++) {
        if (strcmp(bad_files[i].file, file) == 0)
            return bad_files[i].expect;
    }
    return NULL;
}

static void test_bad_fixtures(void)
{
    for (enum doc_kind k = DOC_CONFIG; k <= DOC_PROCESS; k++) {
        char *rel = oci_xasprintf("%s/bad", kind_dir(k));
        size_t n;
        char **names = list_dir(rel, &n);
        for (size_t i = 0; i < n; i++) {
            const char *want = bad_expectation(names[i]);
            UNIT_CHECK(want != NULL, "%s: listed in the expectations table", names[i]);
            size_t len;
            char *data = read_fixture(names[i], &len);
            void *obj = NULL;
            char *err = NULL;
            int r = data ? parse_doc(k, data, len, &obj, &err) : 0;
            UNIT_CHECK(data != NULL && r < 0 && obj == NULL, "%s: rejected", names[i]);
            UNIT_CHECK_CONTAINS(err, want, names[i]);
            free_doc(k, obj);
            free(err);
            free(data);
            free(names[i]);
        }
        free(names);
        free(rel);
    }
}

/* ---- bad documents, inline ---------------------------------------------- */

struct bad_doc {
    enum doc_kind kind;
    const char *json;
    const char *expect;
};

/* A valid config with `x` added at the top level. */
#define CFG(x)     "{\"ociVersion\": \"1.3.0\", \"root\": {\"path\": \"rootfs\"}, " x "}"
#define PROC(x)    CFG("\"process\": {\"cwd\": \"/\", " x "}")
#define LNX(x)     CFG("\"linux\": {" x "}")
#define RES(x)     LNX("\"resources\": {" x "}")
#define SECCOMP(x) LNX("\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", " x "}")
#define U32        "expected unsigned 32-bit integer"

static const struct bad_doc bad_docs[] = {
    /* top level, root, mounts */
    {DOC_CONFIG, "{}", "ociVersion: required field missing"},
    {DOC_CONFIG, "{\"ociVersion\": null}", "ociVersion: required field missing (null)"},
    {DOC_CONFIG, "{\"ociVersion\": 1}", "ociVersion: expected string, got number"},
    {DOC_CONFIG, "{\"ociVersion\": [\"1.3.0\"]}", "ociVersion: expected string, got array"},
    {DOC_CONFIG, "[]", "expected a JSON object at the top level, got array"},
    {DOC_CONFIG, "null", "expected a JSON object at the top level, got null"},
    {DOC_CONFIG, "\"config\"", "expected a JSON object at the top level, got string"},
    {DOC_CONFIG, "{\"ociVersion\": \"1.3.0\", \"root\": \"rootfs\"}",
     "root: expected object, got string"},
    {DOC_CONFIG, "{\"ociVersion\": \"1.3.0\", \"root\": {}}", "root.path: required field missing"},
    {DOC_CONFIG, "{\"ociVersion\": \"1.3.0\", \"root\": {\"path\": null}}",
     "root.path: required field missing (null)"},
    {DOC_CONFIG, CFG("\"hostname\": false"), "hostname: expected string, got boolean"},
    {DOC_CONFIG, CFG("\"domainname\": {}"), "domainname: expected string, got object"},
    {DOC_CONFIG, "{\"ociVersion\": \"1.3.0\", \"root\": {\"path\": \"r\", \"readonly\": \"yes\"}}",
     "root.readonly: expected boolean, got string"},
    {DOC_CONFIG, CFG("\"mounts\": {}"), "mounts: expected array, got object"},
    {DOC_CONFIG, CFG("\"mounts\": [{\"destination\": \"/a\"}, {\"source\": \"/b\"}]"),
     "mounts[1].destination: required field missing"},
    {DOC_CONFIG, CFG("\"mounts\": [{\"destination\": \"/a\", \"options\": \"ro\"}]"),
     "mounts[0].options: expected array, got string"},
    {DOC_CONFIG, CFG("\"mounts\": [{\"destination\": \"/a\", \"options\": [\"ro\", 5]}]"),
     "mounts[0].options[1]: expected string, got number"},
    {DOC_CONFIG,
     CFG("\"mounts\": [{\"destination\": \"/a\", \"uidMappings\": "
         "[{\"containerID\": 0, \"hostID\": 1}]}]"),
     "mounts[0].uidMappings[0].size: required field missing"},
    {DOC_CONFIG, CFG("\"mounts\": [null]"), "mounts[0]: expected object, got null"},
    {DOC_CONFIG, CFG("\"annotations\": {\"a\": 1}"), "annotations.a: expected string, got number"},
    {DOC_CONFIG, CFG("\"annotations\": {\"a.b\": null}"),
     "annotations[\"a.b\"]: expected string, got null"},
    {DOC_CONFIG, CFG("\"annotations\": []"), "annotations: expected object, got array"},
    /* process */
    {DOC_CONFIG, CFG("\"process\": {}"), "process.cwd: required field missing"},
    {DOC_CONFIG, CFG("\"process\": []"), "process: expected object, got array"},
    {DOC_CONFIG, PROC("\"terminal\": 1"), "process.terminal: expected boolean, got number"},
    {DOC_CONFIG, PROC("\"args\": \"sh\""), "process.args: expected array, got string"},
    {DOC_CONFIG, PROC("\"args\": [\"sh\", null]"), "process.args[1]: expected string, got null"},
    {DOC_CONFIG, PROC("\"env\": [\"A=1\", \"B=2\", \"C=3\", \"D=\xff\"]"),
     "process.env[3]: invalid UTF-8 in string"},
    {DOC_CONFIG, PROC("\"user\": {\"uid\": \"0\", \"gid\": 0}"),
     "process.user.uid: " U32 ", got string"},
    {DOC_CONFIG, PROC("\"user\": {\"uid\": -1, \"gid\": 0}"),
     "process.user.uid: " U32 ", got -1 (out of range 0..4294967295)"},
    {DOC_CONFIG, PROC("\"user\": {\"uid\": 4294967296, \"gid\": 0}"),
     "process.user.uid: " U32 ", got 4294967296 (out of range"},
    {DOC_CONFIG, PROC("\"user\": {\"uid\": 99999999999999999999999999, \"gid\": 0}"),
     "process.user.uid: " U32 ", got 99999999999999999999999999 (out of range"},
    {DOC_CONFIG, PROC("\"user\": {\"uid\": 1.5, \"gid\": 0}"),
     "process.user.uid: " U32 ", got 1.5 (not an integer)"},
    {DOC_CONFIG, PROC("\"user\": {\"uid\": 1e3, \"gid\": 0}"),
     "process.user.uid: " U32 ", got 1e3 (not an integer)"},
    {DOC_CONFIG, PROC("\"user\": {\"uid\": 0}"), "process.user.gid: required field missing"},
    {DOC_CONFIG, PROC("\"user\": {\"uid\": 0, \"gid\": 0, \"additionalGids\": [1, -5]}"),
     "process.user.additionalGids[1]: " U32 ", got -5 (out of range"},
    {DOC_CONFIG, PROC("\"user\": {\"uid\": 0, \"gid\": 0, \"umask\": true}"),
     "process.user.umask: " U32 ", got boolean"},
    {DOC_CONFIG, PROC("\"oomScoreAdj\": 1.5"),
     "process.oomScoreAdj: expected signed 32-bit integer, got 1.5 (not an integer)"},
    {DOC_CONFIG, PROC("\"oomScoreAdj\": 2147483648"),
     "process.oomScoreAdj: expected signed 32-bit integer, got 2147483648 (out of range "
     "-2147483648..2147483647)"},
    {DOC_CONFIG, PROC("\"oomScoreAdj\": -2147483649"), "process.oomScoreAdj: expected signed"},
    {DOC_CONFIG, PROC("\"consoleSize\": {\"height\": 1}"),
     "process.consoleSize.width: required field missing"},
    {DOC_CONFIG, PROC("\"rlimits\": [{\"type\": \"NOFILE\", \"soft\": 1, \"hard\": 1}]"),
     "process.rlimits[0].type: invalid value \"NOFILE\" (must match ^RLIMIT_[A-Z]+$)"},
    {DOC_CONFIG, PROC("\"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"hard\": 1}]"),
     "process.rlimits[0].soft: required field missing"},
    {DOC_CONFIG, PROC("\"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"soft\": 1, \"hard\": -1}]"),
     "process.rlimits[0].hard: expected unsigned 64-bit integer, got -1 (out of range"},
    {DOC_CONFIG,
     PROC("\"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"soft\": 1, "
          "\"hard\": 18446744073709551616}]"),
     "process.rlimits[0].hard: expected unsigned 64-bit integer, got 18446744073709551616"},
    {DOC_CONFIG, PROC("\"capabilities\": {\"bounding\": [1]}"),
     "process.capabilities.bounding[0]: expected string, got number"},
    {DOC_CONFIG, PROC("\"noNewPrivileges\": \"true\""),
     "process.noNewPrivileges: expected boolean, got string"},
    {DOC_CONFIG, PROC("\"scheduler\": {\"policy\": \"SCHED_FOO\"}"),
     "process.scheduler.policy: unknown value \"SCHED_FOO\" (expected one of SCHED_OTHER"},
    {DOC_CONFIG, PROC("\"scheduler\": {\"nice\": 1}"),
     "process.scheduler.policy: required field missing"},
    {DOC_CONFIG, PROC("\"scheduler\": {\"policy\": \"SCHED_RR\", \"flags\": [\"X\"]}"),
     "process.scheduler.flags[0]: unknown value \"X\""},
    {DOC_CONFIG, PROC("\"ioPriority\": {\"class\": \"IOPRIO_CLASS_NONE\"}"),
     "process.ioPriority.class: unknown value \"IOPRIO_CLASS_NONE\" (expected one of "
     "IOPRIO_CLASS_RT, IOPRIO_CLASS_BE, IOPRIO_CLASS_IDLE)"},
    {DOC_CONFIG, PROC("\"ioPriority\": {\"priority\": 1}"),
     "process.ioPriority.class: required field missing"},
    {DOC_CONFIG, PROC("\"execCPUAffinity\": {\"initial\": \"a-b\"}"),
     "process.execCPUAffinity.initial: invalid value \"a-b\" (must match ^[0-9, -]*$)"},
    /* hooks */
    {DOC_CONFIG, CFG("\"hooks\": {\"createRuntime\": {}}"),
     "hooks.createRuntime: expected array, got object"},
    {DOC_CONFIG, CFG("\"hooks\": {\"prestart\": [{\"args\": [\"x\"]}]}"),
     "hooks.prestart[0].path: required field missing"},
    {DOC_CONFIG, CFG("\"hooks\": {\"poststart\": [{\"path\": \"/h\", \"timeout\": 0}]}"),
     "hooks.poststart[0].timeout: expected signed 64-bit integer, got 0 (out of range "
     "1..9223372036854775807)"},
    /* linux */
    {DOC_CONFIG, CFG("\"linux\": []"), "linux: expected object, got array"},
    {DOC_CONFIG, LNX("\"namespaces\": [{\"path\": \"/proc/1/ns/pid\"}]"),
     "linux.namespaces[0].type: required field missing"},
    {DOC_CONFIG, LNX("\"namespaces\": [{\"type\": \"PID\"}]"),
     "linux.namespaces[0].type: unknown value \"PID\""},
    {DOC_CONFIG, LNX("\"uidMappings\": [{\"containerID\": 0, \"hostID\": \"1\", \"size\": 1}]"),
     "linux.uidMappings[0].hostID: " U32 ", got string"},
    {DOC_CONFIG, LNX("\"devices\": [{\"path\": \"/dev/x\", \"type\": \"x\"}]"),
     "linux.devices[0].type: unknown value \"x\" (expected one of c, b, u, p)"},
    {DOC_CONFIG, LNX("\"devices\": [{\"type\": \"c\"}]"), "linux.devices[0].path: required field"},
    {DOC_CONFIG, LNX("\"devices\": [{\"path\": \"/dev/x\", \"type\": \"c\", \"fileMode\": 512}]"),
     "linux.devices[0].fileMode: " U32 ", got 512 (out of range 0..511)"},
    {DOC_CONFIG, LNX("\"netDevices\": []"), "linux.netDevices: expected object, got array"},
    {DOC_CONFIG, LNX("\"netDevices\": {\"eth0\": \"x\"}"),
     "linux.netDevices.eth0: expected object, got string"},
    {DOC_CONFIG, LNX("\"sysctl\": {\"net.ipv4.ip_forward\": true}"),
     "linux.sysctl[\"net.ipv4.ip_forward\"]: expected string, got boolean"},
    {DOC_CONFIG, LNX("\"rootfsPropagation\": \"rshared\""),
     "linux.rootfsPropagation: unknown value \"rshared\" (expected one of private, shared, slave, "
     "unbindable)"},
    {DOC_CONFIG, LNX("\"maskedPaths\": \"/proc/kcore\""),
     "linux.maskedPaths: expected array, got string"},
    {DOC_CONFIG, LNX("\"personality\": {\"domain\": \"LINUX64\"}"),
     "linux.personality.domain: unknown value \"LINUX64\""},
    {DOC_CONFIG, LNX("\"memoryPolicy\": {\"mode\": \"MPOL_X\"}"),
     "linux.memoryPolicy.mode: unknown value \"MPOL_X\""},
    {DOC_CONFIG, LNX("\"memoryPolicy\": {\"mode\": \"MPOL_BIND\", \"flags\": [\"X\"]}"),
     "linux.memoryPolicy.flags[0]: unknown value \"X\""},
    {DOC_CONFIG, LNX("\"intelRdt\": {\"memBwSchema\": \"L3:0=ff\"}"),
     "linux.intelRdt.memBwSchema: invalid value \"L3:0=ff\""},
    {DOC_CONFIG, LNX("\"intelRdt\": {\"enableMonitoring\": \"yes\"}"),
     "linux.intelRdt.enableMonitoring: expected boolean, got string"},
    {DOC_CONFIG, LNX("\"timeOffsets\": {\"boottime\": {\"nanosecs\": -1}}"),
     "linux.timeOffsets.boottime.nanosecs: " U32 ", got -1"},
    {DOC_CONFIG, LNX("\"timeOffsets\": {\"monotonic\": {\"secs\": 1.5}}"),
     "linux.timeOffsets.monotonic.secs: expected signed 64-bit integer, got 1.5 (not an integer)"},
    {DOC_CONFIG, LNX("\"cgroupsPath\": 7"), "linux.cgroupsPath: expected string, got number"},
    /* linux.resources */
    {DOC_CONFIG, RES("\"memory\": {\"limit\": \"1G\"}"),
     "linux.resources.memory.limit: expected signed 64-bit integer, got string"},
    {DOC_CONFIG, RES("\"memory\": {\"limit\": 9223372036854775808}"),
     "linux.resources.memory.limit: expected signed 64-bit integer, got 9223372036854775808 (out "
     "of range"},
    {DOC_CONFIG, RES("\"memory\": {\"swappiness\": -1}"),
     "linux.resources.memory.swappiness: expected unsigned 64-bit integer, got -1"},
    {DOC_CONFIG, RES("\"cpu\": {\"shares\": 1.5}"),
     "linux.resources.cpu.shares: expected unsigned 64-bit integer, got 1.5 (not an integer)"},
    {DOC_CONFIG, RES("\"cpu\": {\"cpus\": 3}"), "linux.resources.cpu.cpus: expected string"},
    {DOC_CONFIG, RES("\"pids\": {}"), "linux.resources.pids.limit: required field missing"},
    {DOC_CONFIG, RES("\"blockIO\": {\"weight\": 65536}"),
     "linux.resources.blockIO.weight: expected unsigned 16-bit integer, got 65536 (out of range "
     "0..65535)"},
    {DOC_CONFIG, RES("\"blockIO\": {\"weightDevice\": [{\"minor\": 0, \"weight\": 10}]}"),
     "linux.resources.blockIO.weightDevice[0].major: required field missing"},
    {DOC_CONFIG,
     RES("\"blockIO\": {\"throttleReadBpsDevice\": [{\"major\": 8, \"minor\": 0, "
         "\"rate\": -1}]}"),
     "linux.resources.blockIO.throttleReadBpsDevice[0].rate: expected unsigned 64-bit integer"},
    {DOC_CONFIG, RES("\"devices\": [{\"access\": \"rwm\"}]"),
     "linux.resources.devices[0].allow: required field missing"},
    {DOC_CONFIG, RES("\"devices\": [{\"allow\": true, \"type\": \"x\"}]"),
     "linux.resources.devices[0].type: unknown value \"x\" (expected one of a, c, b)"},
    {DOC_CONFIG, RES("\"hugepageLimits\": [{\"pageSize\": \"2mb\", \"limit\": 1}]"),
     "linux.resources.hugepageLimits[0].pageSize: invalid value \"2mb\""},
    {DOC_CONFIG, RES("\"hugepageLimits\": [{\"pageSize\": \"2MB\"}]"),
     "linux.resources.hugepageLimits[0].limit: required field missing"},
    {DOC_CONFIG, RES("\"network\": {\"priorities\": [{\"priority\": 1}]}"),
     "linux.resources.network.priorities[0].name: required field missing"},
    {DOC_CONFIG, RES("\"rdma\": {\"mlx5\": {\"hcaHandles\": -1}}"),
     "linux.resources.rdma.mlx5.hcaHandles: " U32 ", got -1"},
    {DOC_CONFIG, RES("\"unified\": {\"memory.max\": 5}"),
     "linux.resources.unified[\"memory.max\"]: expected string, got number"},
    /* linux.seccomp */
    {DOC_CONFIG, LNX("\"seccomp\": {}"), "linux.seccomp.defaultAction: required field missing"},
    {DOC_CONFIG, LNX("\"seccomp\": {\"defaultAction\": \"SCMP_ACT_FOO\"}"),
     "linux.seccomp.defaultAction: unknown value \"SCMP_ACT_FOO\" (expected one of SCMP_ACT_KILL"},
    {DOC_CONFIG, SECCOMP("\"architectures\": [\"SCMP_ARCH_X86_64\", \"x86_64\"]"),
     "linux.seccomp.architectures[1]: unknown value \"x86_64\""},
    {DOC_CONFIG, SECCOMP("\"flags\": [\"SECCOMP_FILTER_FLAG_NEW\"]"),
     "linux.seccomp.flags[0]: unknown value \"SECCOMP_FILTER_FLAG_NEW\""},
    {DOC_CONFIG, SECCOMP("\"defaultErrnoRet\": -1"),
     "linux.seccomp.defaultErrnoRet: " U32 ", got -1"},
    {DOC_CONFIG, SECCOMP("\"syscalls\": [{\"names\": [], \"action\": \"SCMP_ACT_ALLOW\"}]"),
     "linux.seccomp.syscalls[0].names: expected at least 1 element, got 0"},
    {DOC_CONFIG, SECCOMP("\"syscalls\": [{\"names\": [\"read\"]}]"),
     "linux.seccomp.syscalls[0].action: required field missing"},
    {DOC_CONFIG, SECCOMP("\"syscalls\": [{\"action\": \"SCMP_ACT_ALLOW\"}]"),
     "linux.seccomp.syscalls[0].names: required field missing"},
    {DOC_CONFIG,
     SECCOMP("\"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ERRNO\", "
             "\"errnoRet\": 1.0}]"),
     "linux.seccomp.syscalls[0].errnoRet: " U32 ", got 1.0 (not an integer)"},
    {DOC_CONFIG,
     SECCOMP("\"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\", "
             "\"args\": [{\"index\": 0, \"value\": 1, \"op\": \"EQ\"}]}]"),
     "linux.seccomp.syscalls[0].args[0].op: unknown value \"EQ\""},
    {DOC_CONFIG,
     SECCOMP("\"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\", "
             "\"args\": [{\"value\": 1, \"op\": \"SCMP_CMP_EQ\"}]}]"),
     "linux.seccomp.syscalls[0].args[0].index: required field missing"},
    /* JSON syntax and structure */
    {DOC_CONFIG, "", "empty document"},
    {DOC_CONFIG, " \n\t ", "empty document"},
    {DOC_CONFIG, "{", "truncated document (unexpected end of input)"},
    {DOC_CONFIG, "{\"ociVersion\": \"1.3", "truncated document"},
    {DOC_CONFIG, "{\"ociVersion\": \"1.3.0\", \"linux\": {\"namespaces\": [{\"type\": ",
     "linux.namespaces[0].type: truncated document"},
    {DOC_CONFIG, "{\"ociVersion\": \"1.3.0\"} x", "trailing garbage after the document"},
    {DOC_CONFIG, "{\"ociVersion\": \"1.3.0\"} {}", "trailing garbage after the document"},
    {DOC_CONFIG, "{\"ociVersion\": \"1.3.0\"}\n\n\"x\"",
     "trailing garbage after the document (line 3"},
    {DOC_CONFIG, "hello", "syntax error"},
    {DOC_CONFIG, "{\"ociVersion\": \"1.3.0\",}", "syntax error"},
    {DOC_CONFIG, "// comment\n{}", "syntax error"},
    {DOC_CONFIG, "{'ociVersion': '1'}", "syntax error"},
    {DOC_CONFIG, "{\"ociVersion\": \"1.3.0\"\n,\n  \"x\": tru }", "(line 3"},
    {DOC_CONFIG, "{\"ociVersion\": \"1.0\", \"ociVersion\": \"1.1\"}",
     "duplicate key \"ociVersion\""},
    {DOC_CONFIG,
     CFG("\"mounts\": [{\"destination\": \"/a\"}, {\"destination\": \"/b\", "
         "\"type\": \"x\", \"destination\": \"/c\"}]"),
     "mounts[1]: duplicate key \"destination\""},
    {DOC_CONFIG, CFG("\"x-unknown\": {\"a\": 1, \"a\": 2}"), "x-unknown: duplicate key \"a\""},
    {DOC_CONFIG, CFG("\"annotations\": {\"k.1\": \"a\", \"k.1\": \"b\"}"),
     "annotations: duplicate key [\"k.1\"]"},
    {DOC_CONFIG, CFG("\"hostname\": \"a\\u0000b\""), "hostname: NUL character in string"},
    {DOC_CONFIG, CFG("\"annotations\": {\"a\\u0000b\": \"x\"}"),
     "annotations: NUL character in object key"},
    {DOC_CONFIG, CFG("\"hostname\": \"\xc0\xaf\""), "hostname: invalid UTF-8 in string"},
    {DOC_CONFIG, CFG("\"hostname\": \"\xed\xa0\x80\""), "hostname: invalid UTF-8 in string"},
    {DOC_CONFIG, CFG("\"hostname\": \"\xf4\x90\x80\x80\""), "hostname: invalid UTF-8 in string"},
    {DOC_CONFIG, CFG("\"hostname\": \"\xe2\x82\""), "hostname: invalid UTF-8 in string"},
    {DOC_CONFIG, CFG("\"hostname\": \"\\ud800\""),
     "invalid UTF-8 in string: unpaired UTF-16 surrogate escape \"\\ud800\" (line 1, column 66"},
    {DOC_CONFIG, CFG("\"hostname\": \"\\uDBFF\\u0041\""), "unpaired UTF-16 surrogate"},
    {DOC_CONFIG, CFG("\"hostname\": \"x\\\\\\udc00\""), "hostname: invalid UTF-8 in string"},
    {DOC_CONFIG, CFG("\"annotations\": {\"\xff\": \"x\"}"), "annotations: invalid UTF-8"},
    {DOC_CONFIG, CFG("\"hostname\": \"tab\there\""), "hostname: syntax error"},
    /* process documents */
    {DOC_PROCESS, "{\"cwd\": \"/\", \"user\": {\"uid\": 0, \"gid\": -1}}",
     "user.gid: " U32 ", got -1"},
    {DOC_PROCESS, "{\"cwd\": 5}", "cwd: expected string, got number"},
    {DOC_PROCESS, "[]", "expected a JSON object at the top level, got array"},
    /* state documents */
    {DOC_STATE, "{\"ociVersion\": \"1.3.0\", \"status\": \"running\", \"bundle\": \"/b\"}",
     "id: required field missing"},
    {DOC_STATE, "{\"ociVersion\": \"1.3.0\", \"id\": \"a\", \"status\": \"running\"}",
     "bundle: required field missing"},
    {DOC_STATE,
     "{\"ociVersion\": \"1.3.0\", \"id\": \"a\", \"status\": \"running\", \"bundle\": \"/b\", "
     "\"pid\": -1}",
     "pid: expected signed 64-bit integer, got -1 (out of range 0..9223372036854775807)"},
    {DOC_STATE,
     "{\"ociVersion\": \"1.3.0\", \"id\": \"a\", \"status\": \"running\", \"bundle\": \"/b\", "
     "\"ocirun\": {\"namespacePaths\": [1]}}",
     "ocirun.namespacePaths[0]: expected string, got number"},
    /* features documents */
    {DOC_FEATURES, "{\"ociVersionMax\": \"1.3.0\"}", "ociVersionMin: required field missing"},
    {DOC_FEATURES,
     "{\"ociVersionMin\": \"1.0.0\", \"ociVersionMax\": \"1.3.0\", \"linux\": {\"namespaces\": "
     "[\"pid\", \"net\"]}}",
     "linux.namespaces[1]: unknown value \"net\""},
    {DOC_FEATURES,
     "{\"ociVersionMin\": \"1.0.0\", \"ociVersionMax\": \"1.3.0\", \"linux\": {\"seccomp\": "
     "{\"enabled\": 1}}}",
     "linux.seccomp.enabled: expected boolean, got number"},
};

static void test_bad_documents(void)
{
    for (size_t i = 0; i < sizeof(bad_docs) / sizeof(bad_docs[0]); i++) {
        const struct bad_doc *c = &bad_docs[i];
        void *obj = (void *)1;
        char *err = NULL;
        int r = parse_doc(c->kind, c->json, strlen(c->json), &obj, &err);
        char what[160];
        snprintf(what, sizeof(what), "bad %s #%zu rejected: %s", kind_dir(c->kind), i, c->expect);
        UNIT_CHECK(r < 0 && obj == NULL, "%s", what);
        UNIT_CHECK_CONTAINS(err, c->expect, what);
        free_doc(c->kind, obj == (void *)1 ? NULL : obj);
        free(err);
    }
}

/* ---- accepted documents and what they decode to ------------------------ */

static struct oci_config *parse_config_ok(const char *json, const char *what)
{
    struct oci_config *c = NULL;
    char *err = NULL;
    int r = oci_config_parse_data(json, strlen(json), &c, &err);
    if (!UNIT_CHECK(r == 0 && c != NULL, "%s", what))
        printf("#   error: %s\n", err ? err : "(none)");
    free(err);
    return c;
}

static void test_nulls_and_unknowns(void)
{
    struct oci_config *c;

    c = parse_config_ok(CFG("\"hostname\": null, \"process\": null, \"linux\": {\"seccomp\": "
                            "null, \"namespaces\": null, \"sysctl\": null}"),
                        "null for optional members means absent");
    if (c != NULL) {
        UNIT_CHECK(c->hostname == NULL && c->process == NULL, "null hostname/process are absent");
        UNIT_CHECK(c->linux_ != NULL && c->linux_->seccomp == NULL &&
                       c->linux_->namespaces == NULL && c->linux_->sysctl.keys == NULL,
                   "null linux members are absent");
    }
    oci_config_free(c);

    c = parse_config_ok(PROC("\"terminal\": null, \"oomScoreAdj\": null, \"user\": {\"uid\": 0, "
                             "\"gid\": 0, \"umask\": null}"),
                        "null for optional scalars");
    if (c != NULL)
        UNIT_CHECK(!c->process->terminal_present && !c->process->oom_score_adj_present &&
                       !c->process->user->umask_present,
                   "null scalars leave the presence flag unset");
    oci_config_free(c);

    c = parse_config_ok(CFG("\"futureField\": {\"x\": [1, 2.5, null]}, \"windows\": {}, "
                            "\"process\": {\"cwd\": \"/\", \"futureProcessField\": 1e99}, "
                            "\"linux\": {\"resources\": {\"oomScoreAdj\": 1}}"),
                        "unknown members are ignored");
    if (c != NULL) {
        char *json = NULL, *err = NULL;
        oci_config_generate(c, &json, NULL, &err);
        UNIT_CHECK(json != NULL && strstr(json, "future") == NULL &&
                       strstr(json, "windows") == NULL,
                   "unknown members are not generated");
        free(json);
        free(err);
    }
    oci_config_free(c);

    c = parse_config_ok(PROC("\"capabilities\": {\"bounding\": [\"CAP_NOT_YET_INVENTED\"]}"),
                        "unknown capability names are accepted (runtime-spec 1.3)");
    if (c != NULL)
        UNIT_CHECK(c->process->capabilities->bounding_len == 1 &&
                       strcmp(c->process->capabilities->bounding[0], "CAP_NOT_YET_INVENTED") == 0,
                   "unknown capability name kept");
    oci_config_free(c);
}

static void test_integers_and_maps(void)
{
    struct oci_config *c;

    c = parse_config_ok(PROC("\"user\": {\"uid\": -0, \"gid\": 4294967295}, \"oomScoreAdj\": "
                             "-2147483648, \"args\": [], \"env\": []"),
                        "integer edge values");
    if (c != NULL) {
        struct oci_process *p = c->process;
        UNIT_CHECK(p->user->uid == 0 && p->user->gid == UINT32_MAX, "-0 and UINT32_MAX");
        UNIT_CHECK(p->oom_score_adj_present && p->oom_score_adj == INT32_MIN, "INT32_MIN");
        UNIT_CHECK(p->args != NULL && p->args_len == 0 && p->env != NULL && p->env_len == 0,
                   "empty arrays are present with length 0");
        UNIT_CHECK(!p->terminal_present && p->capabilities == NULL, "absent members stay absent");
    }
    oci_config_free(c);

    c = parse_config_ok(RES("\"memory\": {\"limit\": -9223372036854775808, \"swap\": "
                            "9223372036854775807}, \"blockIO\": {\"throttleReadBpsDevice\": "
                            "[{\"major\": 8, \"minor\": 0, \"rate\": 18446744073709551615}]}"),
                        "64-bit extremes");
    if (c != NULL) {
        struct oci_resources *r = c->linux_->resources;
        UNIT_CHECK(r->memory->limit == INT64_MIN && r->memory->swap == INT64_MAX,
                   "INT64_MIN and INT64_MAX exact");
        UNIT_CHECK(r->block_io->throttle_read_bps_device[0].rate == UINT64_MAX, "UINT64_MAX exact");
    }
    oci_config_free(c);

    c = parse_config_ok(
        CFG("\"annotations\": {\"a\": \"1\", \"b\": \"\"}, \"linux\": {\"netDevices\": "
            "{\"eth0\": {\"name\": \"c0\"}}}"),
        "maps");
    if (c != NULL) {
        UNIT_CHECK(c->annotations.len == 2 && strcmp(c->annotations.keys[1], "b") == 0 &&
                       strcmp(c->annotations.values[1], "") == 0,
                   "string map keeps order and values");
        UNIT_CHECK(c->linux_->net_devices.len == 1 &&
                       strcmp(c->linux_->net_devices.values[0].name, "c0") == 0,
                   "object map decoded");
    }
    oci_config_free(c);
}

static void test_process_and_state(void)
{
    size_t len;
    char *data = read_fixture("process/good/exec-process.json", &len);
    struct oci_process *p = NULL;
    char *err = NULL;
    if (data != NULL && oci_process_parse_data(data, len, &p, &err) == 0) {
        UNIT_CHECK(p->terminal && p->console_size->width == 132 && p->user->uid == 1000 &&
                       strcmp(p->cwd, "/home/user") == 0 && p->rlimits[0].hard == 100,
                   "process document decoded");
    } else {
        UNIT_CHECK(false, "process document parses: %s", err ? err : "unreadable");
    }
    oci_process_free(p);
    free(data);
    free(err);
    err = NULL;

    char *path = oci_xasprintf("%s/process/good/exec-process.json", FIXTURES);
    p = NULL;
    UNIT_CHECK(oci_process_parse_file(path, &p, &err) == 0 && p != NULL && p->args_len == 1,
               "oci_process_parse_file");
    oci_process_free(p);
    free(path);
    free(err);
    err = NULL;

    data = read_fixture("state/good/ocirun-private.json", &len);
    struct oci_state *s = NULL;
    int r;
    if (data != NULL && oci_state_parse_data(data, len, &s, &err) == 0) {
        UNIT_CHECK(s->pid_present && s->pid == 0 && strcmp(s->status, "stopped") == 0 &&
                       s->ocirun != NULL && s->ocirun->init_start_time == UINT64_MAX &&
                       s->ocirun->namespace_paths_len == 2 && s->ocirun->rootless_present &&
                       !s->ocirun->rootless,
                   "state with private object decoded");
        char *json = NULL;
        size_t jlen = 0;
        r = oci_state_generate_compact(s, &json, &jlen, &err);
        UNIT_CHECK(r == 0 && strchr(json, '\n') == NULL && strchr(json, ' ') == NULL &&
                       str_starts(json, "{\"ociVersion\":\"1.3.0\",\"id\":\"c1\",\"pid\":0,") &&
                       strlen(json) == jlen,
                   "compact state: one line, no spaces, runc's member order");
        free(json);
        json = NULL;
        UNIT_CHECK(oci_state_generate(s, &json, &jlen, &err) == 0 &&
                       str_starts(json, "{\n  \"ociVersion\": \"1.3.0\",\n  \"id\": \"c1\","),
                   "pretty state uses a 2-space indent like runc");
        free(json);
    } else {
        UNIT_CHECK(false, "state parses: %s", err ? err : "unreadable");
    }
    oci_state_free(s);
    free(data);
    free(err);
}

/* ---- limits ------------------------------------------------------------- */

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* {"ociVersion": "1", "x": <open * depth><close * depth>} */
static char *nested_doc(size_t depth, char open, char close)
{
    const char *head = "{\"ociVersion\": \"1\", \"x\": ";
    size_t hl = strlen(head);
    char *d = oci_xmalloc(hl + depth * 6 + 4);
    size_t n = hl;
    memcpy(d, head, hl);
    for (size_t i = 0; i < depth; i++) {
        if (open == '{') {
            memcpy(d + n, "{\"a\":", 5);
            n += 5;
        } else {
            d[n++] = open;
        }
    }
    if (open == '{')
        d[n++] = '1';
    for (size_t i = 0; i < depth; i++)
        d[n++] = close;
    d[n++] = '}';
    d[n] = '\0';
    return d;
}

static void expect_parse(const char *json, size_t len, const char *want, const char *what)
{
    struct oci_config *c = NULL;
    char *err = NULL;
    int r = oci_config_parse_data(json, len, &c, &err);
    if (want == NULL) {
        if (!UNIT_CHECK(r == 0 && c != NULL, "%s", what))
            printf("#   error: %s\n", err);
    } else {
        UNIT_CHECK(r < 0 && c == NULL, "%s: rejected", what);
        UNIT_CHECK_CONTAINS(err, want, what);
    }
    oci_config_free(c);
    free(err);
}

/* `update -r FILE`: a lone linux.resources object, wrong types named. */
static void test_resources(void)
{
    const char *good = "{\"memory\": {\"limit\": 104857600, \"swap\": -1},"
                       " \"pids\": {\"limit\": 42}, \"cpu\": {\"shares\": 512,"
                       " \"cpus\": \"0-1\"}, \"unknownField\": 1}";
    const char *bad = "{\"memory\": {\"limit\": \"lots\"}}";
    struct oci_resources *r = NULL;
    char *err = NULL;

    UNIT_CHECK(oci_resources_parse_data(good, strlen(good), &r, &err) == 0 && r != NULL,
               "resources parse: %s", err ? err : "");
    if (r != NULL) {
        UNIT_CHECK(r->memory && r->memory->limit_present && r->memory->limit == 104857600 &&
                       r->memory->swap == -1 && !r->memory->reservation_present,
                   "resources.memory decoded");
        UNIT_CHECK(r->pids && r->pids->limit == 42 && r->cpu && r->cpu->shares == 512 &&
                       strcmp(r->cpu->cpus, "0-1") == 0 && r->block_io == NULL,
                   "resources.pids/cpu decoded");
    }
    oci_resources_free(r);
    free(err);
    err = NULL;
    r = NULL;
    UNIT_CHECK(oci_resources_parse_data(bad, strlen(bad), &r, &err) < 0 && r == NULL && err &&
                   strstr(err, "memory.limit") != NULL,
               "bad resources refused naming the field: %s", err ? err : "");
    free(err);
}

static void test_nesting(void)
{
    char *d;
    /* the top-level object is level 1, so 63 more levels are the limit */
    d = nested_doc(OCI_MAX_NESTING - 1, '[', ']');
    expect_parse(d, strlen(d), NULL, "nesting at the limit (64) accepted");
    free(d);
    d = nested_doc(OCI_MAX_NESTING, '[', ']');
    expect_parse(d, strlen(d), "nesting deeper than 64 levels", "nesting 65 refused");
    free(d);
    d = nested_doc(10000, '[', ']');
    expect_parse(d, strlen(d), "x[0][0][0]", "arrays nested 10,000 deep: path in message");
    expect_parse(d, strlen(d), "nesting deeper than 64 levels", "arrays nested 10,000 deep");
    free(d);
    d = nested_doc(10000, '{', '}');
    expect_parse(d, strlen(d), "x.a.a.a.a", "objects nested 10,000 deep: path in message");
    free(d);
    /* only opening brackets: refused at the depth limit, not at the end */
    d = nested_doc(100000, '[', ']');
    d[strlen("{\"ociVersion\": \"1\", \"x\": ") + 100000] = '\0';
    expect_parse(d, strlen(d), "nesting deeper than 64 levels", "100,000 unclosed brackets");
    free(d);
}

static void test_large_inputs(void)
{
    /* 200,000 env strings */
    size_t n = 200000;
    char *d = oci_xmalloc(64 + n * 12);
    size_t len =
        (size_t)sprintf(d, "{\"ociVersion\": \"1\", \"process\": {\"cwd\": \"/\", \"env\": [");
    for (size_t i = 0; i < n; i++)
        len += (size_t)sprintf(d + len, "%s\"E%06zu=1\"", i ? "," : "", i);
    len += (size_t)sprintf(d + len, "]}}");
    struct oci_config *c = NULL;
    char *err = NULL;
    double t0 = now_seconds();
    int r = oci_config_parse_data(d, len, &c, &err);
    UNIT_CHECK(r == 0 && c->process->env_len == n &&
                   strcmp(c->process->env[n - 1], "E199999=1") == 0,
               "200,000-element array parsed (%.2f s)", now_seconds() - t0);
    char *json = NULL;
    UNIT_CHECK(r == 0 && oci_config_generate(c, &json, NULL, &err) == 0, "and generated");
    free(json);
    oci_config_free(c);
    free(err);
    free(d);

    /* 100,000 distinct keys: the duplicate check must not be quadratic.
     * Timed against 10,000 keys so a slow machine (valgrind) still passes:
     * linear is ~10x, quadratic ~100x. */
    double small_secs = 0;
    size_t body = 0;
    d = NULL;
    for (int round = 0; round < 2; round++) {
        n = round == 0 ? 10000 : 100000;
        d = oci_xrealloc(d, 64 + n * 16);
        len = (size_t)sprintf(d, "{\"ociVersion\": \"1\", \"annotations\": {");
        for (size_t i = 0; i < n; i++)
            len += (size_t)sprintf(d + len, "%s\"k%zu\":\"v\"", i ? "," : "", i);
        body = len;
        len += (size_t)sprintf(d + len, "}}");
        c = NULL;
        err = NULL;
        t0 = now_seconds();
        r = oci_config_parse_data(d, len, &c, &err);
        double secs = now_seconds() - t0;
        UNIT_CHECK(r == 0 && c->annotations.len == n, "%zu-key object parsed", n);
        if (round == 0)
            small_secs = secs;
        else
            UNIT_CHECK(secs < 2.0 || secs < 30 * small_secs,
                       "100,000 keys in %.2f s, 10,000 in %.2f s: not quadratic", secs, small_secs);
        oci_config_free(c);
        free(err);
    }
    /* the same with one duplicate at the very end */
    len = body + (size_t)sprintf(d + body, ",\"k4711\":\"w\"}}");
    expect_parse(d, len, "annotations: duplicate key \"k4711\"", "duplicate among 100,000 keys");
    /* 100,000 unknown keys at the top level */
    memcpy(d + strlen("{\"ociVersion\": \"1\", "), "\"xnnotations\"", 13);
    len = body + (size_t)sprintf(d + body, "}}");
    expect_parse(d, len, NULL, "100,000 keys in an unknown member");
    free(d);

    /* over the size limit, without building a 64 MiB document by hand */
    size_t big = OCI_MAX_DOCUMENT_SIZE + 1;
    d = oci_xmalloc(big);
    memset(d, ' ', big);
    d[0] = '{';
    d[big - 1] = '}';
    expect_parse(d, big, "document too large", "document over 64 MiB refused");
    free(d);
}

/* ---- files ---------------------------------------------------------------- */

static void expect_file_error(const char *path, const char *want, const char *what)
{
    struct oci_config *c = NULL;
    char *err = NULL;
    double t0 = now_seconds();
    int r = oci_config_parse_file(path, &c, &err);
    UNIT_CHECK(r < 0 && c == NULL && now_seconds() - t0 < 2.0, "%s: refused at once", what);
    UNIT_CHECK_CONTAINS(err, want, what);
    free(err);
}

static void test_files(void)
{
    char dir[] = "/tmp/ocirun-test-ocispec-XXXXXX";
    if (!UNIT_CHECK(mkdtemp(dir) != NULL, "temporary directory"))
        return;
    /* a FIFO nobody writes to would block a plain open() forever; the
     * alarm turns a hang into a visible failure */
    alarm(20);
    char *fifo = oci_xasprintf("%s/config.json", dir);
    UNIT_CHECK(mkfifo(fifo, 0600) == 0, "mkfifo");
    expect_file_error(fifo, "not a regular file (fifo)", "FIFO as config.json");
    expect_file_error("/dev/null", "not a regular file (character device)", "/dev/null");
    expect_file_error(dir, "not a regular file (directory)", "a directory");
    unlink(fifo);
    expect_file_error(fifo, "open: No such file or directory", "a missing file");

    /* a sparse file just over the limit: refused by size, not read */
    int fd = open(fifo, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    UNIT_CHECK(fd >= 0 && ftruncate(fd, (off_t)OCI_MAX_DOCUMENT_SIZE + 1) == 0, "sparse file");
    if (fd >= 0)
        close(fd);
    expect_file_error(fifo, "file too large", "a file over 64 MiB");

    /* a good file through a symlink */
    char *good = oci_xasprintf("%s/config/good/minimal.json", FIXTURES);
    char *link = oci_xasprintf("%s/link.json", dir);
    UNIT_CHECK(symlink(good, link) == 0, "symlink");
    struct oci_config *c = NULL;
    char *err = NULL;
    UNIT_CHECK(oci_config_parse_file(link, &c, &err) == 0 && c && c->root &&
                   strcmp(c->root->path, "rootfs") == 0,
               "config through a symlink");
    oci_config_free(c);
    free(err);

    /* a file in the middle of a JSON document error keeps line/column */
    char *bad = oci_xasprintf("%s/bad.json", dir);
    const char *text = "{\n  \"ociVersion\": \"1.3.0\",\n  \"root\": {\"path\": @}\n}\n";
    fd = open(bad, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    UNIT_CHECK(fd >= 0 && write(fd, text, strlen(text)) == (ssize_t)strlen(text), "write file");
    if (fd >= 0)
        close(fd);
    expect_file_error(bad, "root.path: syntax error", "syntax error in a file names the member");
    expect_file_error(bad, "(line 3, column 2", "syntax error in a file gives line and column");
    alarm(0);

    unlink(bad);
    unlink(link);
    unlink(fifo);
    rmdir(dir);
    free(bad);
    free(link);
    free(good);
    free(fifo);
}

/* ---- generation from C structs ---------------------------------------- */

static void check_generate_errors(struct oci_config *cfg, char **args);

static void test_generate(void)
{
    char *json = NULL, *err = NULL;
    size_t len = 0;

    struct oci_root root = {.path = (char *)"rootfs"};
    char *args[] = {(char *)"sh", (char *)"-c", (char *)"echo \"hi\"\\\n\x01"};
    struct oci_user user = {.uid = 1, .gid = 2};
    struct oci_process proc = {.args = args, .args_len = 3, .cwd = (char *)"/", .user = &user};
    char *no_paths[1];
    struct oci_pids pids = {.limit = 5}; /* limit_present left false: required, still written */
    struct oci_resources res = {.pids = &pids};
    struct oci_linux lnx = {.masked_paths = no_paths, .masked_paths_len = 0, .resources = &res};
    struct oci_config cfg = {
        .oci_version = (char *)"1.3.0", .root = &root, .process = &proc, .linux_ = &lnx};
    const char *expected = "{\n"
                           "    \"ociVersion\": \"1.3.0\",\n"
                           "    \"process\": {\n"
                           "        \"user\": {\n"
                           "            \"uid\": 1,\n"
                           "            \"gid\": 2\n"
                           "        },\n"
                           "        \"args\": [\n"
                           "            \"sh\",\n"
                           "            \"-c\",\n"
                           "            \"echo \\\"hi\\\"\\\\\\n\\u0001\"\n"
                           "        ],\n"
                           "        \"cwd\": \"/\"\n"
                           "    },\n"
                           "    \"root\": {\n"
                           "        \"path\": \"rootfs\"\n"
                           "    },\n"
                           "    \"linux\": {\n"
                           "        \"resources\": {\n"
                           "            \"pids\": {\n"
                           "                \"limit\": 5\n"
                           "            }\n"
                           "        },\n"
                           "        \"maskedPaths\": []\n"
                           "    }\n"
                           "}\n";
    int r = oci_config_generate(&cfg, &json, &len, &err);
    if (!UNIT_CHECK(r == 0 && json != NULL && strcmp(json, expected) == 0 &&
                        len == strlen(expected),
                    "generated text: order, 4-space indent, escapes, [] for empty, no absent "
                    "members"))
        printf("# got:\n%s", json ? json : err);
    struct oci_config *back = NULL;
    free(err);
    err = NULL;
    UNIT_CHECK(json && oci_config_parse_data(json, len, &back, &err) == 0 &&
                   strcmp(back->process->args[2], args[2]) == 0 &&
                   back->linux_->masked_paths != NULL && back->linux_->masked_paths_len == 0,
               "escaped string and empty array read back");
    oci_config_free(back);
    free(json);
    check_generate_errors(&cfg, args);
}

/* Presence flags, and what the generator refuses. */
static void check_generate_errors(struct oci_config *cfg, char **args)
{
    char *json = NULL, *err = NULL;
    size_t len = 0;
    struct oci_root *root = cfg->root;
    int r;

    root->readonly = false;
    root->readonly_present = true;
    r = oci_config_generate(cfg, &json, &len, &err);
    UNIT_CHECK(r == 0 && strstr(json, "\"readonly\": false") != NULL,
               "a present false boolean is written");
    free(json);
    json = NULL;

    /* required members missing */
    root->path = NULL;
    r = oci_config_generate(cfg, &json, &len, &err);
    UNIT_CHECK(r < 0 && json == NULL, "NULL required string refused");
    UNIT_CHECK_CONTAINS(err, "root.path: required field missing", "generate: root.path missing");
    free(err);
    err = NULL;
    root->path = (char *)"rootfs";

    /* invalid UTF-8 and NULL strings */
    cfg->hostname = (char *)"bad\xff";
    r = oci_config_generate(cfg, &json, &len, &err);
    UNIT_CHECK(r < 0, "invalid UTF-8 refused by the generator");
    UNIT_CHECK_CONTAINS(err, "hostname: invalid UTF-8 in string", "generate: invalid UTF-8");
    free(err);
    err = NULL;
    cfg->hostname = NULL;
    args[1] = NULL;
    r = oci_config_generate(cfg, &json, &len, &err);
    UNIT_CHECK_CONTAINS(err, "process.args[1]: NULL string", "generate: NULL array element");
    free(err);
    err = NULL;
    args[1] = (char *)"-c";

    r = oci_config_generate(NULL, &json, &len, &err);
    UNIT_CHECK(r < 0 && err != NULL, "generate(NULL) is an error");
    free(err);
}

/* state: pid 0 written when present, owner "" written */
static void test_generate_state(void)
{
    char *json = NULL, *err = NULL;
    size_t len = 0;
    int r;

    struct oci_state st = {.oci_version = (char *)"1.0.2",
                           .id = (char *)"x",
                           .status = (char *)"stopped",
                           .pid = 0,
                           .pid_present = true,
                           .bundle = (char *)"/b",
                           .owner = (char *)""};
    r = oci_state_generate_compact(&st, &json, &len, &err);
    UNIT_CHECK(r == 0 && strcmp(json, "{\"ociVersion\":\"1.0.2\",\"id\":\"x\",\"pid\":0,\"status\":"
                                      "\"stopped\",\"bundle\":\"/b\",\"owner\":\"\"}") == 0,
               "compact state text");
    free(json);
    json = NULL;
    st.status = NULL;
    r = oci_state_generate(&st, &json, &len, &err);
    UNIT_CHECK_CONTAINS(err, "status: required field missing", "generate state without status");
    free(err);
}

int main(void)
{
    test_good_fixtures();
    test_bad_fixtures();
    test_bad_documents();
    test_nulls_and_unknowns();
    test_integers_and_maps();
    test_process_and_state();
    test_resources();
    test_nesting();
    test_large_inputs();
    test_files();
    test_generate();
    test_generate_state();
    return unit_finish();
}
