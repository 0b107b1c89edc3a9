/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `exec --cgroup [CONTROLLER:]PATH` (cgroup.h, cgroup_enter_sub): placing
 * an exec'd process in an existing sub-cgroup of the container's, as runc
 * 1.1 does. A plain PATH applies to every hierarchy; CONTROLLER:PATH (v1
 * hierarchies only) to the hierarchy holding that controller, overriding a
 * plain PATH there. Hierarchies no entry names keep the container's own
 * cgroup. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cgroup-internal.h"
#include "util.h"

static bool has_controller(const struct cgroup_hierarchy *h, const char *name, size_t len)
{
    const char *c = h->controllers;

    while (c != NULL && *c) {
        size_t n = strcspn(c, ",");
        if (n == len && strncmp(c, name, len) == 0)
            return true;
        c = c[n] ? c + n + 1 : NULL;
    }
    return false;
}

/* A relative path below the container's cgroup: no "..", no empty name. */
static int check_sub(const char *sub, const char *spec, struct ocirun_error *err)
{
    const char *p = sub;

    if (*p == '\0' || *p == '/')
        return error_plain(err, EINVAL, "--cgroup `%s`: the path must be relative", spec);
    while (*p) {
        size_t n = strcspn(p, "/");
        if (n == 0 || (n == 2 && strncmp(p, "..", 2) == 0) || (n == 1 && *p == '.'))
            return error_plain(err, EINVAL, "--cgroup `%s`: invalid path component", spec);
        p += n + (p[n] == '/');
    }
    return 0;
}

/* The sub-cgroup the specs give hierarchy h, or NULL. */
static const char *sub_for(const struct cgroup_hierarchy *h, char *const *specs, size_t n)
{
    const char *chosen = NULL;

    for (size_t i = 0; i < n; i++) {
        const char *colon = strchr(specs[i], ':');
        if (colon == NULL && chosen == NULL)
            chosen = specs[i];
        else if (colon != NULL && !h->unified &&
                 has_controller(h, specs[i], (size_t)(colon - specs[i])))
            return colon + 1;
    }
    return chosen;
}

static int check_specs(const struct cgroup *cg, char *const *specs, size_t n,
                       struct ocirun_error *err)
{
    for (size_t i = 0; i < n; i++) {
        const char *colon = strchr(specs[i], ':');
        bool found = colon == NULL;

        if (check_sub(colon ? colon + 1 : specs[i], specs[i], err) < 0)
            return -1;
        for (size_t j = 0; !found && j < cg->n; j++)
            found = cg->h[j].dir != NULL && !cg->h[j].unified &&
                    has_controller(&cg->h[j], specs[i], (size_t)(colon - specs[i]));
        if (!found)
            return error_plain(err, EINVAL,
                               "--cgroup `%s`: no cgroup v1 hierarchy of the container has "
                               "this controller",
                               specs[i]);
    }
    return 0;
}

/* cgroup v2 rules a sub-cgroup must meet to take a process, checked first
 * so the error says why instead of the kernel's bare EBUSY/EOPNOTSUPP. */
static int check_v2_target(const char *dir, const char *spec, struct ocirun_error *err)
{
    cleanup_free char *type = NULL, *ctl = NULL;

    if (cgroup_read(dir, "cgroup.type", &type, NULL) < 0)
        return 0; /* the root of the hierarchy or an old kernel: let the write decide */
    if (strncmp(type, "domain invalid", 14) == 0)
        return error_plain(err, EINVAL,
                           "--cgroup `%s`: sub-cgroup `%s` is \"domain invalid\" (a domain "
                           "inside a threaded subtree) and cannot hold processes",
                           spec, dir);
    if (strncmp(type, "threaded", 8) == 0)
        return 0; /* threaded cgroups may hold processes and children */
    if (cgroup_read(dir, "cgroup.subtree_control", &ctl, NULL) == 0 &&
        ctl[strspn(ctl, " \n")] != '\0') {
        ctl[strcspn(ctl, "\n")] = '\0';
        return error_plain(err, EBUSY,
                           "--cgroup `%s`: sub-cgroup `%s` delegates controllers to its "
                           "children (cgroup.subtree_control: %s), so it cannot hold processes "
                           "(the no-internal-processes rule of cgroup v2)",
                           spec, dir, ctl);
    }
    return 0;
}

/* The spec that chose sub for hierarchy h, for the messages. */
static const char *spec_of(const struct cgroup_hierarchy *h, char *const *specs, size_t n,
                           const char *sub)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(specs[i], sub) == 0 ||
            (strchr(specs[i], ':') && !h->unified && strcmp(strchr(specs[i], ':') + 1, sub) == 0))
            return specs[i];
    return sub;
}

int cgroup_enter_sub(struct cgroup *cg, pid_t pid, char *const *specs, size_t n,
                     struct ocirun_error *err)
{
    char buf[32];

    if (n == 0)
        return cgroup_enter(cg, pid, err);
    if (cg == NULL || cg->disabled)
        return error_plain(err, EINVAL, "--cgroup: the container has no cgroup");
    if (check_specs(cg, specs, n, err) < 0)
        return -1;
    snprintf(buf, sizeof(buf), "%d", (int)pid);
    for (size_t i = 0; i < cg->n; i++) {
        const char *sub = sub_for(&cg->h[i], specs, n);
        cleanup_free char *dir = NULL;
        struct stat st;

        if (cg->h[i].dir == NULL)
            continue;
        dir = sub ? xasprintf("%s/%s", cg->h[i].dir, sub) : xstrdup(cg->h[i].dir);
        /* runc's rule: the sub-cgroup must exist, it is never made here */
        if (sub != NULL && (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)))
            return error_plain(err, ENOENT, "--cgroup: sub-cgroup `%s` does not exist", dir);
        if (sub != NULL && cg->h[i].unified &&
            check_v2_target(dir, spec_of(&cg->h[i], specs, n, sub), err) < 0)
            return -1;
        if (cgroup_write(dir, "cgroup.procs", buf, err) < 0)
            return sub ? error_wrap(err, "--cgroup `%s`", spec_of(&cg->h[i], specs, n, sub)) : -1;
    }
    return 0;
}
