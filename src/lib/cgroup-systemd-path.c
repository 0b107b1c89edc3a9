/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The systemd driver's names (pure, unit-tested): cgroupsPath
 * "slice:prefix:name" -> the parent slice and the unit, with runc 1.1's
 * defaults, and the cgroup path systemd gives that unit. The config is
 * hostile: every name is checked against systemd's unit-name rules (no '/',
 * no "..", allowed characters only, length) before it reaches the bus or a
 * path, so nothing from it can point outside the slice tree. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup-internal.h"
#include "util.h"

/* systemd's UNIT_NAME_MAX is 256 with the NUL */
#define UNIT_NAME_MAX 255

/* systemd's VALID_CHARS for unit names (plus '@' for templates, unused). */
static bool unit_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ':' ||
           c == '-' || c == '_' || c == '.' || c == '\\';
}

/* A unit name: allowed characters, a non-empty stem, the suffix. */
int cgroup_systemd_check_unit(const char *name, const char *suffix, struct ocirun_error *err)
{
    size_t len = strlen(name), slen = strlen(suffix);

    if (len <= slen || strcmp(name + len - slen, suffix) != 0)
        return error_plain(err, EINVAL, "systemd unit name `%s`: does not end in `%s`", name,
                           suffix);
    if (len > UNIT_NAME_MAX)
        return error_plain(err, EINVAL, "systemd unit name `%.40s...`: longer than %d bytes", name,
                           UNIT_NAME_MAX);
    for (const char *p = name; *p; p++)
        if (!unit_char(*p))
            return error_plain(err, EINVAL,
                               "systemd unit name `%s`: character 0x%02x is not allowed "
                               "(only letters, digits, `:-_.\\`)",
                               name, (unsigned char)*p);
    if (strstr(name, "..") != NULL)
        return error_plain(err, EINVAL, "systemd unit name `%s`: contains `..`", name);
    return 0;
}

/* "a-b-c.slice" -> "/a.slice/a-b.slice/a-b-c.slice"; "-.slice" -> "" (the
 * root). The dashes are the hierarchy, so "--", a leading or a trailing
 * dash are refused, as systemd and runc do. */
int cgroup_systemd_expand_slice(const char *slice, char **out, struct ocirun_error *err)
{
    size_t len = strlen(slice);
    char *res, *w;

    if (strcmp(slice, "-.slice") == 0) {
        *out = xstrdup("");
        return 0;
    }
    if (cgroup_systemd_check_unit(slice, ".slice", err) < 0)
        return error_wrap(err, "linux.cgroupsPath");
    len -= strlen(".slice");
    if (slice[0] == '-' || slice[len - 1] == '-' || memmem(slice, len, "--", 2) != NULL)
        return error_plain(err, EINVAL,
                           "linux.cgroupsPath: slice `%s`: a dash may not start, end or "
                           "repeat in a slice name",
                           slice);
    /* at most one "/X.slice" per dash, each no longer than the whole */
    res = w = xmalloc((len + 7) * (len + 2) + 1);
    for (size_t i = 0; i <= len; i++) {
        if (i < len && slice[i] != '-')
            continue;
        w += sprintf(w, "/%.*s.slice", (int)i, slice);
    }
    *out = res;
    return 0;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);

    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static int split3(const char *path, char **parts, struct ocirun_error *err)
{
    const char *c1 = strchr(path, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;

    if (c1 == NULL || c2 == NULL || strchr(c2 + 1, ':') != NULL)
        return error_plain(err, EINVAL,
                           "linux.cgroupsPath `%s`: the systemd cgroup manager expects the "
                           "form slice:prefix:name",
                           path);
    parts[0] = xasprintf("%.*s", (int)(c1 - path), path);
    parts[1] = xasprintf("%.*s", (int)(c2 - c1 - 1), c1 + 1);
    parts[2] = xstrdup(c2 + 1);
    return 0;
}

/* runc 1.1 (specconv + systemd getUnitName): no cgroupsPath means prefix
 * "ocirun" (runc: "runc") and name <id>; an empty slice means system.slice,
 * or user.slice in the user's manager; a name ending in ".slice" is the
 * unit itself, else the unit is "prefix-name.scope". */
int cgroup_systemd_parse(const char *cgroups_path, const char *id, bool rootless,
                         struct cgroup_systemd_names *out, struct ocirun_error *err)
{
    char *parts[3] = {NULL, NULL, NULL};
    int ret = -1;

    memset(out, 0, sizeof(*out));
    if (cgroups_path == NULL || cgroups_path[0] == '\0') {
        parts[0] = xstrdup("");
        parts[1] = xstrdup("ocirun");
        parts[2] = xstrdup(id);
    } else if (split3(cgroups_path, parts, err) < 0) {
        return -1;
    }
    if (parts[2][0] == '\0') {
        error_plain(err, EINVAL, "linux.cgroupsPath `%s`: the name part is empty", cgroups_path);
        goto out;
    }
    out->slice =
        parts[0][0] ? xstrdup(parts[0]) : xstrdup(rootless ? "user.slice" : "system.slice");
    out->is_slice = ends_with(parts[2], ".slice");
    out->unit = out->is_slice ? xstrdup(parts[2]) : xasprintf("%s-%s.scope", parts[1], parts[2]);
    if (cgroup_systemd_expand_slice(out->slice, &out->slice_path, err) < 0)
        goto out;
    if (out->is_slice) {
        cleanup_free char *own = NULL;
        if (cgroup_systemd_expand_slice(out->unit, &own, err) < 0)
            goto out;
        /* a slice unit sits at its own name's place, which must be under the parent */
        if (!str_has_prefix(own, out->slice_path) || own[strlen(out->slice_path)] != '/') {
            error_plain(err, EINVAL, "linux.cgroupsPath `%s`: slice `%s` is not inside `%s`",
                        cgroups_path, out->unit, out->slice);
            goto out;
        }
    } else if (cgroup_systemd_check_unit(out->unit, ".scope", err) < 0) {
        error_wrap(err, "linux.cgroupsPath `%s`", cgroups_path ? cgroups_path : "");
        goto out;
    }
    ret = 0;
out:
    for (int i = 0; i < 3; i++)
        free(parts[i]);
    if (ret < 0)
        cgroup_systemd_names_free(out);
    return ret;
}

/* The unit's cgroup, relative to the cgroup2 root: systemd puts a unit of
 * slice S at expand(S)/unit, and the user manager's units under
 * /user.slice/user-UID.slice/user@UID.service (systemd's fixed layout). */
char *cgroup_systemd_unit_path(const struct cgroup_systemd_names *n, bool user, uid_t uid)
{
    cleanup_free char *base =
        user ? xasprintf("/user.slice/user-%u.slice/user@%u.service", (unsigned)uid, (unsigned)uid)
             : xstrdup("");

    if (n->is_slice) {
        cleanup_free char *own = NULL;
        if (cgroup_systemd_expand_slice(n->unit, &own, NULL) < 0)
            return NULL;
        return xasprintf("%s%s", base, own);
    }
    return xasprintf("%s%s/%s", base, n->slice_path, n->unit);
}

void cgroup_systemd_names_free(struct cgroup_systemd_names *n)
{
    free(n->slice);
    free(n->slice_path);
    free(n->unit);
    memset(n, 0, sizeof(*n));
}
