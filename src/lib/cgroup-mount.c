/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Finding the cgroup hierarchies (from mountinfo text) and resolving the
 * container's cgroup path. Pure functions over text, so the unit tests can
 * feed them a hybrid, legacy or unified host. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup-internal.h"
#include "util.h"

#define CGROUP_ROOT "/sys/fs/cgroup"

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static char *unescape_octal(const char *s, size_t len)
{
    char *out = xmalloc(len + 1), *o = out;

    for (size_t i = 0; i < len; i++) {
        if (s[i] == '\\' && i + 3 < len + 1 && s[i + 1] >= '0' && s[i + 1] <= '3' &&
            s[i + 2] >= '0' && s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
            *o++ = (char)((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
            i += 3;
        } else {
            *o++ = s[i];
        }
    }
    *o = '\0';
    return out;
}

/* Splits one line into at most max space-separated fields. */
static size_t split_fields(const char *line, size_t len, const char **f, size_t *flen, size_t max)
{
    size_t n = 0, i = 0;

    while (i < len && n < max) {
        while (i < len && line[i] == ' ')
            i++;
        if (i >= len)
            break;
        f[n] = line + i;
        while (i < len && line[i] != ' ')
            i++;
        flen[n] = (size_t)(line + i - f[n]);
        n++;
    }
    return n;
}

static bool is_v1_flag_option(const char *opt, size_t len)
{
    static const char *const flags[] = {
        "rw", "ro", "noprefix", "xattr", "clone_children", "cpuset_v2_mode", "favordynmods"};

    for (size_t i = 0; i < ARRAY_SIZE(flags); i++)
        if (strlen(flags[i]) == len && memcmp(flags[i], opt, len) == 0)
            return true;
    /* release_agent=... and other key=value options, except name=. */
    if (memchr(opt, '=', len) != NULL && !(len > 5 && memcmp(opt, "name=", 5) == 0))
        return true;
    return false;
}

/* The controller list of a v1 mount from its super options. */
static char *v1_controllers(const char *opts, size_t len)
{
    char *out = xzalloc(len + 1);
    size_t used = 0, i = 0;

    while (i < len) {
        size_t start = i;
        while (i < len && opts[i] != ',')
            i++;
        if (i > start && !is_v1_flag_option(opts + start, i - start)) {
            if (used)
                out[used++] = ',';
            memcpy(out + used, opts + start, i - start);
            used += i - start;
        }
        i++;
    }
    out[used] = '\0';
    return out;
}

struct mount_entry {
    char *dev; /* major:minor: one per superblock */
    char *root, *mountpoint, *controllers;
    bool cgroup2;
};

static void mount_entry_clear(struct mount_entry *m)
{
    free(m->dev);
    free(m->root);
    free(m->mountpoint);
    free(m->controllers);
}

/* Returns 1 and fills m for a cgroup/cgroup2 mount, 0 for other lines;
 * *on_root is 1/0 when this line mounts cgroup2/something else on
 * CGROUP_ROOT, -1 otherwise. */
static int parse_mount_line(const char *line, size_t len, struct mount_entry *m, int *on_root)
{
    const char *f[32];
    size_t fl[32], n = split_fields(line, len, f, fl, ARRAY_SIZE(f)), sep;
    cleanup_free char *mp = NULL;

    *on_root = -1;
    if (n < 7)
        return 0;
    for (sep = 6; sep < n; sep++)
        if (fl[sep] == 1 && f[sep][0] == '-')
            break;
    if (sep + 3 >= n)
        return 0;
    mp = unescape_octal(f[4], fl[4]);
    bool v2 = fl[sep + 1] == 7 && memcmp(f[sep + 1], "cgroup2", 7) == 0;
    bool v1 = fl[sep + 1] == 6 && memcmp(f[sep + 1], "cgroup", 6) == 0;
    if (strcmp(mp, CGROUP_ROOT) == 0)
        *on_root = v2 ? 1 : 0;
    if (!v1 && !v2)
        return 0;
    m->dev = unescape_octal(f[2], fl[2]);
    m->root = unescape_octal(f[3], fl[3]);
    m->mountpoint = steal_ptr(&mp);
    m->cgroup2 = v2;
    m->controllers = v2 ? xstrdup("") : v1_controllers(f[sep + 3], fl[sep + 3]);
    return 1;
}

static bool have_dev(const struct mount_entry *ms, size_t n, const char *dev)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(ms[i].dev, dev) == 0)
            return true;
    return false;
}

static void keep_hierarchies(struct mount_entry *ms, size_t n, enum cgroup_mode mode,
                             struct cgroup_hierarchy **out, size_t *nout)
{
    struct cgroup_hierarchy *h = xzalloc(sizeof(*h) * (n ? n : 1));
    size_t k = 0;

    for (size_t i = 0; i < n; i++) {
        if (mode == CGROUP_MODE_UNIFIED &&
            !(ms[i].cgroup2 && strcmp(ms[i].mountpoint, CGROUP_ROOT) == 0))
            continue;
        if (mode == CGROUP_MODE_LEGACY && ms[i].cgroup2)
            continue;
        /* v1 controllers can only be mounted once per host; a cgroup2 mount
         * is one hierarchy however many times it appears. */
        bool dup = false;
        for (size_t j = 0; j < k && !dup; j++)
            dup = h[j].unified == ms[i].cgroup2 && strcmp(h[j].controllers, ms[i].controllers) == 0;
        if (dup)
            continue;
        h[k].mountpoint = steal_ptr(&ms[i].mountpoint);
        h[k].root = steal_ptr(&ms[i].root);
        h[k].controllers = steal_ptr(&ms[i].controllers);
        h[k].unified = ms[i].cgroup2;
        k++;
    }
    *out = h;
    *nout = k;
}

int cgroup_parse_mountinfo(const char *text, struct cgroup_hierarchy **out, size_t *nout,
                           enum cgroup_mode *mode, struct ocirun_error *err)
{
    struct mount_entry *ms = NULL;
    size_t n = 0;
    int root_is_v2 = 0;
    bool any_v1 = false, any_v2 = false;

    for (const char *p = text; p && *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        struct mount_entry m = {0};
        int on_root;

        if (parse_mount_line(p, len, &m, &on_root) == 1) {
            if (have_dev(ms, n, m.dev) && !m.cgroup2) {
                mount_entry_clear(&m);
            } else {
                ms = xrealloc(ms, sizeof(*ms) * (n + 1));
                ms[n++] = m;
                any_v1 |= !m.cgroup2;
                any_v2 |= m.cgroup2;
            }
        }
        /* the last mount on /sys/fs/cgroup is the one that is visible */
        if (on_root >= 0)
            root_is_v2 = on_root;
        p = nl ? nl + 1 : NULL;
    }
    if (root_is_v2)
        *mode = CGROUP_MODE_UNIFIED;
    else if (any_v1 && any_v2)
        *mode = CGROUP_MODE_HYBRID;
    else if (any_v1)
        *mode = CGROUP_MODE_LEGACY;
    else
        *mode = any_v2 ? CGROUP_MODE_HYBRID : CGROUP_MODE_LEGACY;

    keep_hierarchies(ms, n, *mode, out, nout);
    for (size_t i = 0; i < n; i++)
        mount_entry_clear(&ms[i]);
    free(ms);
    if (*nout == 0) {
        cgroup_hierarchies_free(*out, 0);
        *out = NULL;
        return error_make(err, 0, "no cgroup hierarchy is mounted under " CGROUP_ROOT);
    }
    return 0;
}

/* Same set of comma-separated names, in any order. */
static bool same_controller_set(const char *a, size_t alen, const char *b)
{
    size_t count_a = 0, count_b = 0, i = 0;

    if (alen == 0 || *b == '\0')
        return alen == 0 && *b == '\0';
    while (i < alen) {
        size_t s = i;
        while (i < alen && a[i] != ',')
            i++;
        count_a++;
        bool found = false;
        for (const char *q = b; *q && !found;) {
            size_t ql = strcspn(q, ",");
            found = ql == i - s && memcmp(q, a + s, ql) == 0;
            q += ql + (q[ql] == ',');
        }
        if (!found)
            return false;
        i++;
    }
    for (const char *q = b; *q;) {
        size_t ql = strcspn(q, ",");
        count_b++;
        q += ql + (q[ql] == ',');
    }
    return count_a == count_b;
}

char *cgroup_parse_own(const char *text, const char *controllers)
{
    for (const char *p = text; p && *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        const char *c1 = memchr(p, ':', len);
        const char *c2 = c1 ? memchr(c1 + 1, ':', len - (size_t)(c1 + 1 - p)) : NULL;

        if (c2 != NULL) {
            bool v2_line = c2 == c1 + 1 && c1 - p == 1 && p[0] == '0';
            bool match = controllers[0] == '\0'
                             ? v2_line
                             : same_controller_set(c1 + 1, (size_t)(c2 - c1 - 1), controllers);
            if (match) {
                char *out = xmalloc(len - (size_t)(c2 + 1 - p) + 1);
                memcpy(out, c2 + 1, len - (size_t)(c2 + 1 - p));
                out[len - (size_t)(c2 + 1 - p)] = '\0';
                return out;
            }
        }
        p = nl ? nl + 1 : NULL;
    }
    return NULL;
}

int cgroup_resolve_path(const char *base, const char *cgroups_path, char **out,
                        struct ocirun_error *err)
{
    size_t cap = strlen(base) + strlen(cgroups_path) + 2;
    cleanup_free char *res = xmalloc(cap);
    size_t len = 0, floor;

    for (const unsigned char *c = (const unsigned char *)cgroups_path; *c; c++)
        if (*c < 0x20 || *c == 0x7f)
            return error_make(err, 0, "linux.cgroupsPath `%s`: control characters are not allowed",
                              cgroups_path);
    if (strlen(cgroups_path) >= PATH_MAX)
        return error_make(err, 0, "linux.cgroupsPath: longer than %d bytes", PATH_MAX - 1);
    /* the base itself is trusted (our own cgroup); ".." may not leave it */
    if (cgroups_path[0] != '/') {
        for (const char *p = base; *p;) {
            size_t l = strcspn(p, "/");
            if (l > 0) {
                res[len++] = '/';
                memcpy(res + len, p, l);
                len += l;
            }
            p += l + (p[l] == '/');
        }
    }
    floor = len;
    for (const char *p = cgroups_path; *p;) {
        size_t l = strcspn(p, "/");
        if (l == 2 && p[0] == '.' && p[1] == '.') {
            if (len == floor)
                return error_make(
                    err, 0, "linux.cgroupsPath `%s`: `..` escapes the %s", cgroups_path,
                    cgroups_path[0] == '/' ? "cgroup hierarchy root" : "caller's cgroup");
            while (len > floor && res[len - 1] != '/')
                len--;
            len--;
        } else if (l > 0 && !(l == 1 && p[0] == '.')) {
            res[len++] = '/';
            memcpy(res + len, p, l);
            len += l;
        }
        p += l + (p[l] == '/');
    }
    /* the root cgroup, or the caller's own: destroy would kill strangers */
    if (len == floor)
        return error_make(err, 0, "linux.cgroupsPath `%s`: resolves to the %s itself", cgroups_path,
                          cgroups_path[0] == '/' ? "root cgroup" : "caller's cgroup");
    res[len] = '\0';
    *out = steal_ptr(&res);
    return 0;
}

int cgroup_hierarchy_dir(const struct cgroup_hierarchy *h, const char *path, char **out,
                         struct ocirun_error *err)
{
    size_t rl = strlen(h->root);
    const char *rest = path;

    if (strcmp(h->root, "/") != 0) {
        if (strncmp(path, h->root, rl) != 0 || (path[rl] != '/' && path[rl] != '\0'))
            return error_make(err, 0,
                              "cgroup `%s` is outside the part of the hierarchy mounted on `%s`",
                              path, h->mountpoint);
        rest = path + rl;
    }
    if (strcmp(rest, "/") == 0)
        rest = "";
    *out = xasprintf("%s%s", h->mountpoint, rest);
    return 0;
}

void cgroup_hierarchies_free(struct cgroup_hierarchy *h, size_t n)
{
    if (h == NULL)
        return;
    for (size_t i = 0; i < n; i++) {
        free(h[i].mountpoint);
        free(h[i].root);
        free(h[i].controllers);
        free(h[i].path);
        free(h[i].dir);
    }
    free(h);
}
