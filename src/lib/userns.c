/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "newuidmap.h"
#include "userns.h"
#include "util.h"

static int validate_map(const struct oci_id_mapping *m, size_t n, const char *what,
                        struct ocirun_error *err)
{
    if (m == NULL || n == 0)
        return error_make(err, 0, "a new user namespace needs linux.%s", what);
    if (n > 340) /* the kernel's limit on map lines */
        return error_make(err, 0, "linux.%s: too many mappings (%zu)", what, n);
    for (size_t i = 0; i < n; i++) {
        if (m[i].size == 0)
            return error_make(err, 0, "linux.%s[%zu]: size is 0", what, i);
        if ((uint64_t)m[i].container_id + m[i].size > UINT32_MAX ||
            (uint64_t)m[i].host_id + m[i].size > UINT32_MAX)
            return error_make(err, 0, "linux.%s[%zu]: the range overflows 32 bits", what, i);
    }
    return 0;
}

/* Without CAP_SETUID on the host the kernel accepts only one line mapping
 * our own id; anything more goes through newuidmap/newgidmap. */
static bool only_own_ids(const struct oci_linux *l)
{
    return l->uid_mappings_len == 1 && l->gid_mappings_len == 1 && l->uid_mappings[0].size == 1 &&
           l->gid_mappings[0].size == 1 && l->uid_mappings[0].host_id == geteuid() &&
           l->gid_mappings[0].host_id == getegid();
}

/* Both helpers exist, so a missing one fails the create before anything
 * is cloned, not halfway through. */
static int find_helpers(struct ocirun_error *err)
{
    cleanup_free char *uidmap = NULL, *gidmap = NULL;

    if (idmap_helper_find("newuidmap", &uidmap, err) < 0)
        return -1;
    return idmap_helper_find("newgidmap", &gidmap, err);
}

int userns_validate(const struct oci_linux *linux_, struct ocirun_error *err)
{
    if (validate_map(linux_->uid_mappings, linux_->uid_mappings_len, "uidMappings", err) < 0 ||
        validate_map(linux_->gid_mappings, linux_->gid_mappings_len, "gidMappings", err) < 0)
        return -1;
    if (geteuid() != 0 && !only_own_ids(linux_))
        return find_helpers(err);
    return 0;
}

static char *format_map(const struct oci_id_mapping *m, size_t n)
{
    size_t cap = n * 36 + 1, len = 0;
    char *buf = xmalloc(cap);

    buf[0] = '\0';
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(buf + len, cap - len, "%u %u %u\n", m[i].container_id, m[i].host_id,
                                m[i].size);
    return buf;
}

static int write_proc_file(pid_t pid, const char *name, const char *data, struct ocirun_error *err)
{
    cleanup_free char *path = xasprintf("/proc/%d/%s", (int)pid, name);
    cleanup_close int fd = open(path, O_WRONLY | O_CLOEXEC);

    if (fd < 0)
        return error_make(err, errno, "open `%s`", path);
    /* A map must be written with a single write(2). */
    if (write(fd, data, strlen(data)) != (ssize_t)strlen(data))
        return error_make(err, errno, "write `%s`", path);
    return 0;
}

static int write_maps_with_helpers(pid_t pid, const struct oci_linux *l, struct ocirun_error *err)
{
    /* both found before either runs: no half-written maps */
    if (find_helpers(err) < 0)
        return -1;
    if (idmap_helper_run("newuidmap", pid, l->uid_mappings, l->uid_mappings_len, err) < 0)
        return -1;
    return idmap_helper_run("newgidmap", pid, l->gid_mappings, l->gid_mappings_len, err);
}

int userns_write_maps(pid_t pid, const struct oci_linux *l, struct ocirun_error *err)
{
    cleanup_free char *uid_map = NULL, *gid_map = NULL;

    if (geteuid() != 0) {
        if (!only_own_ids(l))
            return write_maps_with_helpers(pid, l, err);
        /* an unprivileged gid_map write needs setgroups denied first */
        if (write_proc_file(pid, "setgroups", "deny", err) < 0)
            return -1;
    }
    uid_map = format_map(l->uid_mappings, l->uid_mappings_len);
    gid_map = format_map(l->gid_mappings, l->gid_mappings_len);
    if (write_proc_file(pid, "uid_map", uid_map, err) < 0)
        return -1;
    return write_proc_file(pid, "gid_map", gid_map, err);
}
