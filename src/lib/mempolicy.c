/* SPDX-License-Identifier: GPL-2.0-or-later */
/* linux.memoryPolicy (config-linux.md). No libnuma: one syscall, and the
 * mode and flag values are kernel ABI (include/uapi/linux/mempolicy.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "mempolicy.h"
#include "util.h"

#define MPOL_F_NUMA_BALANCING_ (1 << 13)
#define MPOL_F_RELATIVE_NODES_ (1 << 14)
#define MPOL_F_STATIC_NODES_   (1 << 15)

enum { NODES_NONE, NODES_OPTIONAL, NODES_REQUIRED };

static const struct {
    const char *name;
    int mode;
    int nodes; /* what set_mempolicy(2) wants for this mode */
} modes[] = {
    {"MPOL_DEFAULT", 0, NODES_NONE},
    {"MPOL_PREFERRED", 1, NODES_OPTIONAL}, /* empty: local allocation */
    {"MPOL_BIND", 2, NODES_REQUIRED},
    {"MPOL_INTERLEAVE", 3, NODES_REQUIRED},
    {"MPOL_LOCAL", 4, NODES_NONE},
    {"MPOL_PREFERRED_MANY", 5, NODES_REQUIRED},
    {"MPOL_WEIGHTED_INTERLEAVE", 6, NODES_REQUIRED},
};

static const struct {
    const char *name;
    int flag;
} flags[] = {
    {"MPOL_F_NUMA_BALANCING", MPOL_F_NUMA_BALANCING_},
    {"MPOL_F_RELATIVE_NODES", MPOL_F_RELATIVE_NODES_},
    {"MPOL_F_STATIC_NODES", MPOL_F_STATIC_NODES_},
};

const char *const mempolicy_mode_names[] = {
    "MPOL_DEFAULT",        "MPOL_PREFERRED",           "MPOL_BIND", "MPOL_INTERLEAVE", "MPOL_LOCAL",
    "MPOL_PREFERRED_MANY", "MPOL_WEIGHTED_INTERLEAVE",
};
const char *const mempolicy_flag_names[] = {
    "MPOL_F_NUMA_BALANCING",
    "MPOL_F_RELATIVE_NODES",
    "MPOL_F_STATIC_NODES",
};
const size_t mempolicy_mode_count = ARRAY_SIZE(mempolicy_mode_names);
const size_t mempolicy_flag_count = ARRAY_SIZE(mempolicy_flag_names);

static int parse_flags(const struct oci_memory_policy *mp, struct mempolicy *out,
                       struct ocirun_error *err)
{
    for (size_t i = 0; i < mp->flags_len; i++) {
        size_t k;
        for (k = 0; k < ARRAY_SIZE(flags); k++)
            if (strcmp(mp->flags[i], flags[k].name) == 0)
                break;
        if (k == ARRAY_SIZE(flags))
            return error_make(err, 0, "linux.memoryPolicy.flags: unknown flag `%s`", mp->flags[i]);
        out->flags |= flags[k].flag;
    }
    if ((out->flags & MPOL_F_STATIC_NODES_) && (out->flags & MPOL_F_RELATIVE_NODES_))
        return error_make(err, 0,
                          "linux.memoryPolicy.flags: MPOL_F_STATIC_NODES and "
                          "MPOL_F_RELATIVE_NODES exclude each other");
    if ((out->flags & MPOL_F_NUMA_BALANCING_) && out->mode != 2 && out->mode != 5)
        return error_make(err, 0,
                          "linux.memoryPolicy.flags: MPOL_F_NUMA_BALANCING needs mode "
                          "MPOL_BIND or MPOL_PREFERRED_MANY");
    return 0;
}

int mempolicy_parse(const struct oci_memory_policy *mp, struct mempolicy *out,
                    struct ocirun_error *err)
{
    const char *nodes = mp->nodes ? mp->nodes : "", *why = NULL;
    size_t m;

    memset(out, 0, sizeof(*out));
    for (m = 0; m < ARRAY_SIZE(modes); m++)
        if (mp->mode && strcmp(mp->mode, modes[m].name) == 0)
            break;
    if (m == ARRAY_SIZE(modes))
        return error_make(err, 0, "linux.memoryPolicy.mode: unknown mode `%s`",
                          mp->mode ? mp->mode : "");
    out->mode = modes[m].mode;
    if (idlist_parse(nodes, IDLIST_BITS, &out->nodes, &why) < 0)
        return error_make(err, 0, "linux.memoryPolicy.nodes `%s`: %s", nodes, why);
    if (modes[m].nodes == NODES_NONE && out->nodes.count > 0)
        return error_make(err, 0, "linux.memoryPolicy: mode %s takes no nodes (nodes is `%s`)",
                          mp->mode, nodes);
    if (modes[m].nodes == NODES_REQUIRED && out->nodes.count == 0)
        return error_make(err, 0, "linux.memoryPolicy: mode %s needs at least one node", mp->mode);
    if (parse_flags(mp, out, err) < 0)
        return -1;
    if ((out->flags & (MPOL_F_STATIC_NODES_ | MPOL_F_RELATIVE_NODES_)) && out->nodes.count == 0)
        return error_make(err, 0,
                          "linux.memoryPolicy: MPOL_F_STATIC_NODES and MPOL_F_RELATIVE_NODES "
                          "need nodes");
    return 0;
}

/* Relative nodes are positions in the allowed set, not node ids; static
 * nodes may name a node that comes online later; the others must exist. */
int mempolicy_check_nodes(const struct mempolicy *m, const char *online, const char *possible,
                          struct ocirun_error *err)
{
    const char *hostlist = (m->flags & MPOL_F_STATIC_NODES_) ? possible : online;
    struct idlist host;
    const char *why = NULL;
    unsigned missing = 0;

    if ((m->flags & MPOL_F_RELATIVE_NODES_) || m->nodes.count == 0)
        return 0;
    if (idlist_parse(hostlist, IDLIST_BITS, &host, &why) < 0)
        return error_make(err, 0, "host NUMA node list `%s`: %s", hostlist, why);
    if (!idlist_subset(&m->nodes, &host, &missing))
        return error_make(err, 0,
                          "linux.memoryPolicy.nodes: node %u is not %s on this host "
                          "(nodes: %s)",
                          missing, hostlist == online ? "online" : "possible", hostlist);
    return 0;
}

static char *read_sysfs_nodes(const char *name)
{
    cleanup_free char *path = xasprintf("/sys/devices/system/node/%s", name);
    struct ocirun_error ignored = {0};
    char *data = NULL;
    size_t len;

    /* No NUMA support in the kernel: one node, 0. */
    if (read_file_at(AT_FDCWD, path, &data, &len, &ignored) < 0) {
        error_clear(&ignored);
        return xstrdup("0");
    }
    return data;
}

int mempolicy_validate(const struct oci_memory_policy *mp, struct ocirun_error *err)
{
    cleanup_free char *online = NULL, *possible = NULL;
    struct mempolicy m;

    if (mp == NULL)
        return 0;
    if (mempolicy_parse(mp, &m, err) < 0)
        return -1;
    online = read_sysfs_nodes("online");
    possible = read_sysfs_nodes("possible");
    return mempolicy_check_nodes(&m, online, possible, err);
}

int mempolicy_apply(const struct oci_memory_policy *mp, struct ocirun_error *err)
{
    struct mempolicy m;
    long r;

    if (mp == NULL)
        return 0;
    if (mempolicy_parse(mp, &m, err) < 0)
        return -1;
    /* maxnode counts one more than the bits the kernel reads. */
    if (m.nodes.count == 0)
        r = syscall(SYS_set_mempolicy, m.mode | m.flags, NULL, 0UL);
    else
        r = syscall(SYS_set_mempolicy, m.mode | m.flags, m.nodes.bits,
                    (unsigned long)IDLIST_BITS + 1);
    if (r < 0)
        return error_make(err, errno, "set_mempolicy %s nodes `%s`", mp->mode,
                          mp->nodes ? mp->nodes : "");
    return 0;
}
