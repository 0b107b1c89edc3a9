/* SPDX-License-Identifier: GPL-2.0-or-later */
/* rootfs_validate: the semantic checks of mounts[], linux.devices,
 * maskedPaths, readonlyPaths and rootfsPropagation, run before anything is
 * cloned. Every message names the field. */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mount.h>

#include "devices.h"
#include "log.h"
#include "lsm.h"
#include "mounts.h"
#include "rootfs.h"
#include "safepath.h"
#include "util.h"

static int validate_mappings(const struct oci_id_mapping *m, size_t n, size_t index,
                             const char *field, struct ocirun_error *err)
{
    for (size_t k = 0; k < n; k++) {
        if (m[k].size == 0)
            return error_make(err, EINVAL, "mounts[%zu].%s[%zu].size: must not be 0", index, field,
                              k);
        if ((uint64_t)m[k].container_id + m[k].size > UINT32_MAX + 1ULL ||
            (uint64_t)m[k].host_id + m[k].size > UINT32_MAX + 1ULL)
            return error_make(err, EINVAL, "mounts[%zu].%s[%zu]: range overflows 32 bits", index,
                              field, k);
    }
    return 0;
}

static bool config_has_userns_maps(const struct oci_config *config)
{
    const struct oci_linux *lx = config->linux_;
    return lx && lx->uid_mappings_len > 0 && lx->gid_mappings_len > 0;
}

static int validate_idmap(const struct oci_config *config, const struct oci_mount *m,
                          const struct mount_options *o, bool bind, size_t i,
                          struct ocirun_error *err)
{
    bool has_maps = m->uid_mappings != NULL || m->gid_mappings != NULL;

    if (!has_maps && !o->idmap && !o->ridmap)
        return 0;
    if (!bind)
        return error_make(err, EINVAL, "mounts[%zu]: idmapped mounts are only for bind mounts", i);
    if ((m->uid_mappings == NULL) != (m->gid_mappings == NULL))
        return error_make(err, EINVAL,
                          "mounts[%zu]: uidMappings and gidMappings must be given together", i);
    if (has_maps && (m->uid_mappings_len == 0 || m->gid_mappings_len == 0))
        return error_make(err, EINVAL, "mounts[%zu]: uidMappings and gidMappings are empty", i);
    if (!has_maps && !config_has_userns_maps(config))
        return error_make(err, EINVAL,
                          "mounts[%zu]: idmap without uidMappings/gidMappings needs a user "
                          "namespace with mappings",
                          i);
    if (validate_mappings(m->uid_mappings, m->uid_mappings_len, i, "uidMappings", err) < 0)
        return -1;
    return validate_mappings(m->gid_mappings, m->gid_mappings_len, i, "gidMappings", err);
}

static int validate_mount(const struct oci_config *config, size_t i, struct ocirun_error *err)
{
    const struct oci_mount *m = &config->mounts[i];
    struct mount_options o;
    int r = 0;

    if (m->destination == NULL || m->destination[0] == '\0')
        return error_make(err, EINVAL, "mounts[%zu].destination: required", i);
    if (m->destination[0] != '/')
        log_warn("mounts[%zu].destination `%s` is relative: taken as relative to / (deprecated)", i,
                 m->destination);
    cleanup_free char *clean = path_clean(m->destination);
    if (strcmp(clean, "/") == 0)
        return error_make(err, EINVAL, "mounts[%zu].destination: cannot mount over /", i);
    mount_options_parse(m->options, m->options_len, &o);
    bool bind = (o.flags & MS_BIND) || (m->type && strcmp(m->type, "bind") == 0);
    if (bind && (m->source == NULL || m->source[0] == '\0'))
        r = error_make(err, EINVAL, "mounts[%zu].source: required for a bind mount", i);
    else if (!bind && (m->type == NULL || m->type[0] == '\0') && !(o.flags & MS_REMOUNT))
        r = error_make(err, EINVAL, "mounts[%zu].type: required for a mount that is not a bind", i);
    else if (o.tmpcopyup && (m->type == NULL || strcmp(m->type, "tmpfs") != 0))
        r = error_make(err, EINVAL, "mounts[%zu].options: tmpcopyup is only valid on tmpfs", i);
    else
        r = validate_idmap(config, m, &o, bind, i, err);
    mount_options_free(&o);
    return r;
}

static int validate_path_list(char *const *paths, size_t n, const char *field,
                              struct ocirun_error *err)
{
    for (size_t i = 0; i < n; i++)
        if (paths[i] == NULL || paths[i][0] != '/')
            return error_make(err, EINVAL, "linux.%s[%zu]: must be an absolute path", field, i);
    return 0;
}

int rootfs_validate(const struct oci_config *config, struct ocirun_error *err)
{
    const struct oci_linux *lx = config->linux_;

    /* Here because this runs before anything is cloned: a label the host
     * cannot apply fails create, not the init. */
    const struct oci_process *p = config->process;
    const char *label = lx ? lx->mount_label : NULL;
    /* The host's modules are probed (two syscalls) only when a label asks. */
    bool labels = (p && ((p->apparmor_profile && p->apparmor_profile[0]) ||
                         (p->selinux_label && p->selinux_label[0]))) ||
                  (label && label[0]);
    if (lsm_validate(p, label, labels ? lsm_host() : 0, err) < 0)
        return -1;

    for (size_t i = 0; i < config->mounts_len; i++)
        if (validate_mount(config, i, err) < 0)
            return -1;
    if (lx == NULL)
        return 0;
    if (lx->rootfs_propagation && mount_propagation_parse(lx->rootfs_propagation) == 0)
        return error_make(err, EINVAL,
                          "linux.rootfsPropagation: `%s` is not shared, slave, private or "
                          "unbindable",
                          lx->rootfs_propagation);
    if (validate_path_list(lx->masked_paths, lx->masked_paths_len, "maskedPaths", err) < 0 ||
        validate_path_list(lx->readonly_paths, lx->readonly_paths_len, "readonlyPaths", err) < 0)
        return -1;
    return devices_validate(config, err);
}
