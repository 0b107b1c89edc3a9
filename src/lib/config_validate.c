/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>

#include "caps.h"
#include "config_validate.h"
#include "intelrdt.h"
#include "mempolicy.h"
#include "namespaces.h"
#include "netdev.h"
#include "process.h"
#include "rootfs.h"
#include "sysctl.h"
#include "userns.h"
#include "util.h"

char *config_rootfs_path(const struct oci_config *config, const char *bundle)
{
    const char *p = config->root->path;

    if (p[0] == '/')
        return xstrdup(p);
    return xasprintf("%s/%s", bundle, p);
}

static int validate_root(const struct oci_config *config, const char *bundle,
                         struct ocirun_error *err)
{
    cleanup_free char *path = NULL;
    struct stat st;

    if (config->root == NULL || config->root->path == NULL || config->root->path[0] == '\0')
        return error_make(err, 0, "root.path: missing");
    path = config_rootfs_path(config, bundle);
    if (stat(path, &st) < 0)
        return error_make(err, errno, "root.path `%s`", path);
    if (!S_ISDIR(st.st_mode))
        return error_make(err, ENOTDIR, "root.path `%s`", path);
    return 0;
}

struct ns_presence {
    bool is_new[NS_COUNT];
    bool joined[NS_COUNT];
};

static void ns_presence(const struct oci_linux *l, struct ns_presence *p)
{
    memset(p, 0, sizeof(*p));
    for (size_t k = 0; l && k < l->namespaces_len; k++) {
        int i = ns_index_from_name(l->namespaces[k].type);
        if (i < 0)
            continue;
        if (l->namespaces[k].path && l->namespaces[k].path[0])
            p->joined[i] = true;
        else
            p->is_new[i] = true;
    }
}

static int validate_user_maps(const struct oci_linux *l, const struct ns_presence *p,
                              struct ocirun_error *err)
{
    bool has_maps = l && (l->uid_mappings_len > 0 || l->gid_mappings_len > 0);

    if (p->is_new[NS_USER])
        return userns_validate(l, err);
    if (has_maps && !p->joined[NS_USER])
        return error_make(err, 0,
                          "linux.uidMappings/gidMappings need a user namespace "
                          "(linux.namespaces has no `user`)");
    return 0;
}

static int validate_linux(const struct oci_config *c, const struct ns_presence *p,
                          struct ocirun_error *err)
{
    const struct oci_linux *l = c->linux_;

    if (namespaces_validate(l, err) < 0 || validate_user_maps(l, p, err) < 0)
        return -1;
    if (c->hostname && c->hostname[0] && !p->is_new[NS_UTS])
        return error_make(err, 0, "hostname: setting the hostname needs a new uts namespace");
    if (c->domainname && c->domainname[0] && !p->is_new[NS_UTS])
        return error_make(err, 0,
                          "domainname: setting the domainname needs a new uts "
                          "namespace");
    if (l == NULL)
        return 0;
    if (l->time_offsets && !p->is_new[NS_TIME])
        return error_make(err, 0, "linux.timeOffsets: needs a new time namespace");
    if (sysctl_validate(&l->sysctl, p->is_new[NS_NET] || p->joined[NS_NET],
                        p->is_new[NS_IPC] || p->joined[NS_IPC], p->is_new[NS_UTS], err) < 0)
        return -1;
    if (netdev_validate(&l->net_devices, p->is_new[NS_NET] || p->joined[NS_NET], err) < 0 ||
        mempolicy_validate(l->memory_policy, err) < 0 || intelrdt_validate(l->intel_rdt, err) < 0)
        return -1;
    return 0;
}

int config_validate(const struct oci_config *config, const char *bundle, struct ocirun_error *err)
{
    struct ns_presence p;

    if (config->linux_ == NULL)
        return error_make(err, 0, "linux: missing (only Linux containers are supported)");
    if (process_validate(config->process, config->linux_->personality, err) < 0 ||
        validate_root(config, bundle, err) < 0)
        return -1;
    ns_presence(config->linux_, &p);
    if (validate_linux(config, &p, err) < 0)
        return -1;
    caps_validate(config->process->capabilities);
    return rootfs_validate(config, err);
}
