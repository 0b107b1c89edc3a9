/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cgroup ownership (config-linux.md "Cgroup ownership"): on a unified
 * host, a container with a new user namespace, a new cgroup namespace and
 * a writable cgroup mount at /sys/fs/cgroup gets its cgroup delegated: the
 * directory and the files listed in /sys/kernel/cgroup/delegate are
 * chowned to the host ids that process.user maps to, so that user can make
 * sub-cgroups and move its processes between them. Nothing else is
 * chowned: the limit files (memory.max, ...) stay root's, so the container
 * cannot raise its own limits. v1 is never delegated (not safe there). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup-internal.h"
#include "log.h"
#include "util.h"

#define DELEGATE_FILE "/sys/kernel/cgroup/delegate"

int cgroup_owner_map_id(const struct oci_id_mapping *m, size_t n, uint32_t id, uint32_t *host)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t start = m[i].container_id, end = start + (uint64_t)m[i].size;
        uint64_t h = (uint64_t)m[i].host_id + ((uint64_t)id - start);
        /* (uid_t)-1 means "unchanged" to chown: never a result */
        if (id >= start && id < end && h < UINT32_MAX) {
            *host = (uint32_t)h;
            return 0;
        }
    }
    return -1;
}

static bool has_new_namespace(const struct oci_linux *lx, const char *type, bool *joined)
{
    for (size_t i = 0; i < lx->namespaces_len; i++) {
        const struct oci_namespace *ns = &lx->namespaces[i];
        if (ns->type == NULL || strcmp(ns->type, type) != 0)
            continue;
        if (ns->path != NULL && ns->path[0] != '\0') {
            if (joined)
                *joined = true;
            return false;
        }
        return true;
    }
    return false;
}

/* "/sys/fs/cgroup", allowing doubled and trailing slashes. */
static bool is_sys_fs_cgroup(const char *dest)
{
    static const char *const parts[] = {"sys", "fs", "cgroup"};
    const char *p = dest;

    if (p == NULL || *p != '/')
        return false;
    for (size_t i = 0; i < ARRAY_SIZE(parts); i++) {
        size_t len = strlen(parts[i]);
        p += strspn(p, "/");
        if (strncmp(p, parts[i], len) != 0 || (p[len] != '/' && p[len] != '\0'))
            return false;
        p += len;
    }
    return p[strspn(p, "/")] == '\0';
}

static bool is_writable_cgroup_mount(const struct oci_mount *m)
{
    /* the spec names source "cgroup"; a typed mount must really be one */
    bool cgroup_fs = m->type != NULL
                         ? strcmp(m->type, "cgroup") == 0 || strcmp(m->type, "cgroup2") == 0
                         : m->source != NULL && strcmp(m->source, "cgroup") == 0;

    if (!cgroup_fs || !is_sys_fs_cgroup(m->destination))
        return false;
    for (size_t i = 0; i < m->options_len; i++)
        if (m->options[i] && strcmp(m->options[i], "ro") == 0)
            return false;
    return true;
}

bool cgroup_owner_wanted(const struct oci_config *config)
{
    const struct oci_linux *lx = config ? config->linux_ : NULL;
    bool user_joined = false, rw_mount = false;

    if (lx == NULL)
        return false;
    /* a joined user namespace has no mappings in the config to map through */
    if (!has_new_namespace(lx, "user", &user_joined) || user_joined ||
        !has_new_namespace(lx, "cgroup", NULL))
        return false;
    for (size_t i = 0; i < config->mounts_len && !rw_mount; i++)
        rw_mount = is_writable_cgroup_mount(&config->mounts[i]);
    return rw_mount;
}

int cgroup_owner_ids(const struct oci_config *config, uid_t *uid, gid_t *gid)
{
    const struct oci_linux *lx = config->linux_;
    const struct oci_user *u = config->process ? config->process->user : NULL;
    uint32_t cuid = u ? u->uid : 0, cgid = u ? u->gid : 0, h;

    if (lx == NULL || cgroup_owner_map_id(lx->uid_mappings, lx->uid_mappings_len, cuid, &h) < 0)
        return -1;
    *uid = (uid_t)h;
    /* an unmapped gid leaves the group alone (chown's -1) */
    *gid = cgroup_owner_map_id(lx->gid_mappings, lx->gid_mappings_len, cgid, &h) == 0 ? (gid_t)h
                                                                                      : (gid_t)-1;
    return 0;
}

char **cgroup_owner_parse_delegate(const char *text, size_t *n)
{
    static const char *const fallback[] = {"cgroup.procs", "cgroup.subtree_control",
                                           "cgroup.threads"};
    char **out = NULL;
    size_t len = 0;

    for (const char *p = text; p && *p;) {
        p += strspn(p, " \t\n");
        size_t l = strcspn(p, " \t\n");
        /* a plain name in the cgroup directory: nothing else is chowned */
        if (l > 0 && memchr(p, '/', l) == NULL && p[0] != '.') {
            out = xrealloc(out, sizeof(*out) * (len + 2));
            out[len++] = xasprintf("%.*s", (int)l, p);
        }
        p += l;
    }
    if (len == 0) {
        out = xrealloc(out, sizeof(*out) * (ARRAY_SIZE(fallback) + 1));
        for (; len < ARRAY_SIZE(fallback); len++)
            out[len] = xstrdup(fallback[len]);
    }
    out[len] = NULL;
    *n = len;
    return out;
}

static int chown_delegated(int dirfd, const char *dir, uid_t uid, gid_t gid,
                           struct ocirun_error *err)
{
    cleanup_free char *text = NULL;
    size_t n = 0;
    char **files;
    int ret = 0;

    /* missing (kernels before 4.15): the spec's fallback list */
    if (read_file_at(AT_FDCWD, DELEGATE_FILE, &text, NULL, NULL) < 0)
        text = NULL;
    files = cgroup_owner_parse_delegate(text, &n);
    for (size_t i = 0; i < n; i++) {
        /* not every listed file exists in every cgroup (spec: not an error) */
        if (ret == 0 && fchownat(dirfd, files[i], uid, gid, AT_SYMLINK_NOFOLLOW) < 0 &&
            errno != ENOENT)
            ret = error_make(err, errno, "chown `%s/%s`", dir, files[i]);
        free(files[i]);
    }
    free(files);
    return ret;
}

int cgroup_set_owner(struct cgroup *cg, const struct oci_config *config, bool rootless,
                     struct ocirun_error *err)
{
    const char *dir;
    uid_t uid;
    gid_t gid;

    if (cg == NULL || cg->disabled || cg->skipped || cg->mode != CGROUP_MODE_UNIFIED ||
        !cgroup_owner_wanted(config))
        return 0;
    dir = cgroup_v2_dir(cg);
    if (dir == NULL)
        return 0;
    if (cgroup_owner_ids(config, &uid, &gid) < 0) {
        log_debug("cgroup `%s` not delegated: process.user.uid is not mapped", dir);
        return 0;
    }
    cleanup_close int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return error_make(err, errno, "open `%s`", dir);
    if (fchown(fd, uid, gid) < 0 || chown_delegated(fd, dir, uid, gid, err) < 0) {
        if (err->msg == NULL)
            error_make(err, errno, "chown `%s` to %u:%d", dir, (unsigned)uid, (int)gid);
        /* rootless: the user's own delegated cgroup cannot be given away */
        if (rootless && err->errnum == EPERM) {
            log_debug("rootless: %s", err->msg);
            error_clear(err);
            return 0;
        }
        return error_wrap(err, "delegate the cgroup to the container (cgroup ownership)");
    }
    return 0;
}
