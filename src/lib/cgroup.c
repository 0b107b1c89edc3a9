/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Driver-neutral cgroup front (cgroupfs manager): finds the hierarchies,
 * resolves the container's path in each, makes and removes the
 * directories, moves the init in. Limits are written by cgroup-v1.c and
 * cgroup-v2.c; what cannot be applied is refused by cgroup-resources.c
 * before anything is made.
 *
 * Path rules (runc 1.1.5's cgroupfs driver): an absolute cgroupsPath is
 * relative to each hierarchy's root; a relative one to the caller's own
 * cgroup in that hierarchy (on a unified host, to the parent of the
 * caller's cgroup, which cannot hold processes and children with
 * controllers at once). With no cgroupsPath runc uses the relative path
 * "<id>"; ocirun uses the absolute "/<id>" instead (as crun does), so a
 * container never lands inside whatever cgroup the caller was put in by
 * its own supervisor (on this project's machines that cgroup belongs to
 * the machine and must not be touched). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>
#include <linux/magic.h>

#include "cgroup-internal.h"
#include "log.h"
#include "util.h"

/* runc 1.1.5 (libcontainer/specconv AllowedDevices): mknod of any device,
 * then null, zero, full, random, urandom, tty, ptmx, /dev/net/tun, pts. */
const struct oci_device_cgroup cgroup_default_devices[] = {
    {.allow = true, .type = "c", .access = "m"}, {.allow = true, .type = "b", .access = "m"},
    {true, "c", 1, true, 3, true, "rwm"},        {true, "c", 1, true, 5, true, "rwm"},
    {true, "c", 1, true, 7, true, "rwm"},        {true, "c", 1, true, 8, true, "rwm"},
    {true, "c", 1, true, 9, true, "rwm"},        {true, "c", 5, true, 0, true, "rwm"},
    {true, "c", 5, true, 2, true, "rwm"},        {true, "c", 10, true, 200, true, "rwm"},
    {true, "c", 136, true, 0, false, "rwm"},
};
const size_t cgroup_default_devices_len = ARRAY_SIZE(cgroup_default_devices);

static struct {
    bool done;
    enum cgroup_mode mode;
    struct cgroup_hierarchy *h;
    size_t n;
    char *error;
} host;

static void remove_parents(const struct cgroup_hierarchy *h);

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Reads mountinfo once per process. */
static int host_load(struct ocirun_error *err)
{
    cleanup_free char *text = NULL;
    struct ocirun_error e = {0};
    struct statfs sfs;

    if (!host.done) {
        host.done = true;
        if (read_file_at(AT_FDCWD, "/proc/self/mountinfo", &text, NULL, &e) < 0 ||
            cgroup_parse_mountinfo(text, &host.h, &host.n, &host.mode, &e) < 0) {
            host.error = steal_ptr(&e.msg);
        } else if (host.mode == CGROUP_MODE_UNIFIED && statfs("/sys/fs/cgroup", &sfs) == 0 &&
                   sfs.f_type != CGROUP2_SUPER_MAGIC) {
            host.error = xstrdup("/sys/fs/cgroup is listed as cgroup2 but is not");
        }
        error_clear(&e);
    }
    if (host.error != NULL)
        return error_make(err, 0, "find the cgroup hierarchies: %s", host.error);
    return 0;
}

enum cgroup_mode cgroup_mode(void)
{
    host_load(NULL);
    return host.mode;
}

static struct cgroup *cgroup_new(bool disabled)
{
    struct cgroup *cg = xzalloc(sizeof(*cg));

    cg->disabled = disabled;
    cg->clone_fd = -1;
    if (disabled)
        cg->recorded = xstrdup("");
    return cg;
}

/* A handle with a private copy of the host's hierarchies. */
static int cgroup_new_fs(struct cgroup **out, struct ocirun_error *err)
{
    struct cgroup *cg;

    if (host_load(err) < 0)
        return -1;
    cg = cgroup_new(false);
    cg->mode = host.mode;
    cg->n = host.n;
    cg->h = xzalloc(sizeof(*cg->h) * host.n);
    for (size_t i = 0; i < host.n; i++) {
        cg->h[i].mountpoint = xstrdup(host.h[i].mountpoint);
        cg->h[i].root = xstrdup(host.h[i].root);
        cg->h[i].controllers = xstrdup(host.h[i].controllers);
        cg->h[i].unified = host.h[i].unified;
    }
    *out = cg;
    return 0;
}

int cgroup_write(const char *dir, const char *file, const char *value, struct ocirun_error *err)
{
    cleanup_free char *path = xasprintf("%s/%s", dir, file);
    cleanup_close int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);

    if (fd < 0)
        return error_make(err, errno, "open `%s`", path);
    if (write(fd, value, strlen(value)) < 0)
        return error_make(err, errno, "write `%s` to `%s`", value, path);
    return 0;
}

int cgroup_read(const char *dir, const char *file, char **out, struct ocirun_error *err)
{
    cleanup_free char *path = xasprintf("%s/%s", dir, file);

    return read_file_at(AT_FDCWD, path, out, NULL, err);
}

static bool is_systemd_form(const char *p)
{
    const char *c1 = strchr(p, ':');

    return p[0] != '/' && c1 != NULL && strchr(c1 + 1, ':') != NULL;
}

/* The container's path in hierarchy h (see the rules at the top). */
static int resolve_for(const struct cgroup *cg, struct cgroup_hierarchy *h, const char *inner,
                       const char *own_text, struct ocirun_error *err)
{
    cleanup_free char *own = NULL;

    if (inner[0] == '/')
        return cgroup_resolve_path("/", inner, &h->path, err);
    own = cgroup_parse_own(own_text, h->controllers);
    if (own == NULL)
        return error_make(err, 0, "cannot find the caller's cgroup for `%s` in /proc/self/cgroup",
                          h->mountpoint);
    if (cg->mode == CGROUP_MODE_UNIFIED) {
        char *slash = strrchr(own, '/');
        if (slash != NULL)
            slash[slash == own ? 1 : 0] = '\0';
    }
    return cgroup_resolve_path(own, inner, &h->path, err);
}

static int resolve_paths(struct cgroup *cg, const char *id, const char *cgroups_path,
                         struct ocirun_error *err)
{
    cleanup_free char *own_text = NULL;
    cleanup_free char *fallback = xasprintf("/%s", id);
    const char *inner = cgroups_path && cgroups_path[0] ? cgroups_path : fallback;

    if (is_systemd_form(inner))
        return error_make(err, 0,
                          "linux.cgroupsPath `%s`: the form slice:prefix:name needs the systemd "
                          "cgroup manager (--systemd-cgroup); use a path with cgroupfs",
                          inner);
    if (inner[0] != '/' && read_file_at(AT_FDCWD, "/proc/self/cgroup", &own_text, NULL, err) < 0)
        return -1;
    for (size_t i = 0; i < cg->n; i++) {
        if (resolve_for(cg, &cg->h[i], inner, own_text, err) < 0 ||
            cgroup_hierarchy_dir(&cg->h[i], cg->h[i].path, &cg->h[i].dir, err) < 0)
            return -1;
    }
    return 0;
}

static bool leaf_populated(const char *dir)
{
    cleanup_free char *procs = NULL;

    if (cgroup_read(dir, "cgroup.procs", &procs, NULL) < 0)
        return false;
    return procs[strspn(procs, " \n")] != '\0';
}

/* mkdir the leaf and its missing ancestors. h->parents_made: how many
 * levels above the leaf destroy may remove, from the first directory made
 * here (also after a failure half-way). An existing leaf is reused, as
 * runc does, unless processes are in it. */
static int make_dir(struct cgroup_hierarchy *h, struct ocirun_error *err)
{
    size_t base = strlen(h->mountpoint), len = strlen(h->dir);
    cleanup_free char *copy = xstrdup(h->dir);
    int depth = 0, first_made = 0, leaf_depth = 0;

    for (const char *q = copy + base; *q; q++)
        leaf_depth += *q == '/';
    h->parents_made = 0;
    for (char *p = copy + base + 1; p <= copy + len; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char saved = *p;
        *p = '\0';
        depth++;
        if (mkdir(copy, 0755) == 0) {
            h->leaf_made = saved == '\0';
            if (first_made == 0) {
                first_made = depth;
                h->parents_made = leaf_depth - first_made;
            }
            if (!h->unified && cgroup_v1_prepare_dir(h, copy, err) < 0)
                return error_wrap(err, "prepare cgroup `%s`", copy);
        } else if (errno != EEXIST) {
            return error_make(err, errno, "mkdir `%s`", copy);
        } else if (saved == '\0' && leaf_populated(copy)) {
            /* joining it would let delete kill processes that are not ours */
            return error_make(err, EBUSY, "cgroup `%s` already has processes", copy);
        }
        *p = saved;
        if (saved == '\0')
            break;
    }
    return 0;
}

/* Frozen itself or under a frozen ancestor (a new child inherits the
 * freeze): a process cloned into it would stop before its first
 * instruction and create would hang until the timeout. */
static bool leaf_frozen(const struct cgroup_hierarchy *h)
{
    cleanup_free char *text = NULL;

    if (h->unified)
        return cgroup_read(h->dir, "cgroup.events", &text, NULL) == 0 &&
               strstr(text, "frozen 1") != NULL;
    if (strcmp(h->controllers, "freezer") != 0)
        return false;
    return cgroup_read(h->dir, "freezer.state", &text, NULL) == 0 &&
           strncmp(text, "THAWED", 6) != 0;
}

static int make_dirs(struct cgroup *cg, const struct oci_resources *r, bool rootless,
                     struct ocirun_error *err)
{
    cg->parents_made = -1;
    for (size_t i = 0; i < cg->n; i++) {
        if (make_dir(&cg->h[i], err) < 0) {
            /* rootless without a delegated cgroup: run without one, as runc */
            if (rootless &&
                (err->errnum == EACCES || err->errnum == EPERM || err->errnum == EROFS)) {
                log_debug("rootless: no cgroup in `%s`: %s", cg->h[i].mountpoint, err->msg);
                error_clear(err);
                free(cg->h[i].dir);
                cg->h[i].dir = NULL;
                cg->skipped = true;
                continue;
            }
            return -1;
        }
        if (leaf_frozen(&cg->h[i]))
            return error_make(err, EBUSY,
                              "cgroup `%s` is frozen (by itself or an ancestor): thaw it "
                              "before creating a container in it",
                              cg->h[i].dir);
        if (cg->h[i].unified && cg->mode == CGROUP_MODE_UNIFIED &&
            cgroup_v2_enable_controllers(&cg->h[i], r, err) < 0)
            return -1;
        if (cg->parents_made < 0 || cg->h[i].parents_made < cg->parents_made)
            cg->parents_made = cg->h[i].parents_made;
    }
    if (cg->parents_made < 0)
        cg->parents_made = 0;
    return 0;
}

/* Writes the limits: at create into the new, empty cgroup, at update into
 * the live one (the same code, so both apply a field the same way). */
static int apply_resources(struct cgroup *cg, const struct oci_resources *r,
                           struct ocirun_error *err)
{
    /* rootless without a writable cgroup: limits cannot hold, say so; device
     * rules are moot (no device node can be made there), as in runc */
    if (cg->skipped) {
        const char *field = cgroup_resources_limit_field(r);
        if (field != NULL)
            return error_make(err, EPERM, "%s: rootless, and no writable cgroup to apply it in",
                              field);
        return 0;
    }
    if (cg->mode == CGROUP_MODE_UNIFIED) {
        for (size_t i = 0; i < cg->n; i++)
            if (cg->h[i].unified && cg->h[i].dir)
                return cgroup_v2_apply(cg, &cg->h[i], r, err);
        return 0;
    }
    return cgroup_v1_apply(cg, r, err);
}

/* The memory limit in force (v1 limit_in_bytes, v2 memory.max), -1 for none. */
static int64_t current_memory_limit(const struct cgroup *cg)
{
    const char *dir =
        cg->mode == CGROUP_MODE_UNIFIED ? cgroup_v2_dir(cg) : cgroup_v1_dir(cg, "memory");
    cleanup_free char *text = NULL;
    unsigned long long v;

    if (dir == NULL ||
        cgroup_read(dir, cg->mode == CGROUP_MODE_UNIFIED ? "memory.max" : "memory.limit_in_bytes",
                    &text, NULL) < 0 ||
        strncmp(text, "max", 3) == 0)
        return -1;
    v = strtoull(text, NULL, 10);
    /* v1 shows "unlimited" as a huge page-aligned number */
    return v >= (unsigned long long)INT64_MAX / 2 ? -1 : (int64_t)v;
}

static int update_checked(struct cgroup *cg, const struct oci_resources *r,
                          struct ocirun_error *err)
{
    if (cgroup_resources_check(r, cg, err) < 0)
        return -1;
    /* the unit first, so systemd never writes the old values back; it
     * enables the controllers of a delegated scope itself */
    if (cg->sd != NULL)
        return cgroup_systemd_update(cg, r, err) < 0 ? -1 : apply_resources(cg, r, err);
    /* a limit not set at create may need its controller enabled now */
    for (size_t i = 0; cg->mode == CGROUP_MODE_UNIFIED && i < cg->n; i++)
        if (cg->h[i].unified && cg->h[i].dir && cgroup_v2_enable_controllers(&cg->h[i], r, err) < 0)
            return -1;
    return apply_resources(cg, r, err);
}

static int update_swap_alone(struct cgroup *cg, const struct oci_resources *r,
                             struct ocirun_error *err)
{
    struct oci_resources copy = *r;
    struct oci_memory m = *r->memory;
    int64_t limit = current_memory_limit(cg);

    if (limit < 0 && m.swap != -1)
        return error_make(err, 0,
                          "linux.resources.memory.swap: the container has no memory limit to "
                          "add swap to; set --memory too");
    m.limit = limit;
    m.limit_present = limit >= 0;
    copy.memory = &m;
    return update_checked(cg, &copy, err);
}

int cgroup_update(struct cgroup *cg, const struct oci_resources *r, struct ocirun_error *err)
{
    if (cg == NULL || cg->disabled) {
        const char *field = cgroup_resources_limit_field(r);
        if (field == NULL)
            return 0;
        return error_make(err, 0, "%s: the container has no cgroup (manager `disabled`)", field);
    }
    /* swap alone is checked and ordered against the limit in force */
    if (r != NULL && r->memory && r->memory->swap_present && !r->memory->limit_present)
        return update_swap_alone(cg, r, err);
    return update_checked(cg, r, err);
}

static int open_clone_fd(struct cgroup *cg, struct ocirun_error *err)
{
    for (size_t i = 0; i < cg->n && cg->mode == CGROUP_MODE_UNIFIED; i++) {
        if (!cg->h[i].unified || cg->h[i].dir == NULL)
            continue;
        cg->clone_fd = open(cg->h[i].dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (cg->clone_fd < 0)
            return error_make(err, errno, "open `%s`", cg->h[i].dir);
    }
    return 0;
}

static int check_manager(const char *manager, bool *disabled, bool *systemd,
                         struct ocirun_error *err)
{
    *disabled = manager != NULL && strcmp(manager, "disabled") == 0;
    *systemd = manager != NULL && strcmp(manager, "systemd") == 0;
    if (manager == NULL || *disabled || *systemd || strcmp(manager, "cgroupfs") == 0)
        return 0;
    return error_make(err, 0, "unknown cgroup manager `%s`", manager);
}

/* The systemd manager's create: the names and the bus now, the unit in
 * cgroup_enter (it needs the init's pid); so no CLONE_INTO_CGROUP fd. */
static int create_systemd(const char *id, const char *cgroups_path,
                          const struct oci_resources *resources, bool rootless, struct cgroup **out,
                          struct ocirun_error *err)
{
    struct cgroup *cg = NULL;

    if (cgroup_new_fs(&cg, err) < 0)
        return -1;
    if (cgroup_systemd_create(cg, id, cgroups_path, rootless, resources, err) < 0 ||
        cgroup_resources_check(resources, cg, err) < 0) {
        cgroup_free(cg);
        return -1;
    }
    *out = cg;
    return 0;
}

/* exec into a systemd scope: the user's manager may own the scope while
 * the caller may not move a process out of its own cgroup: ask systemd. */
static int enter_systemd(struct cgroup *cg, pid_t pid, struct ocirun_error *err)
{
    const char *dir = cgroup_v2_dir(cg);
    char buf[32];

    if (cgroup_systemd_pending(cg))
        return cgroup_systemd_start(cg, pid, err) < 0
                   ? -1
                   : apply_resources(cg, cgroup_systemd_resources(cg), err);
    if (dir == NULL)
        return error_plain(err, ENOENT, "the container's systemd unit has no cgroup");
    snprintf(buf, sizeof(buf), "%d", (int)pid);
    if (cgroup_write(dir, "cgroup.procs", buf, err) == 0)
        return 0;
    if (geteuid() == 0 || (err->errnum != EACCES && err->errnum != EPERM))
        return -1;
    log_debug("%s; asking systemd to move %d", err->msg, (int)pid);
    error_clear(err);
    return cgroup_systemd_attach(cg, pid, err);
}

/* A failed create: no process of ours is inside yet, so nothing is killed
 * (a reused leaf may hold someone else's); only what was made is removed. */
static void undo_create(struct cgroup *cg)
{
    for (size_t i = 0; i < cg->n; i++) {
        struct cgroup_hierarchy *h = &cg->h[i];
        if (h->dir == NULL || (h->leaf_made && rmdir(h->dir) < 0 && errno != ENOENT))
            continue;
        remove_parents(h);
    }
}

int cgroup_create(const char *manager, const char *id, const char *cgroups_path,
                  const struct oci_resources *resources, bool rootless, struct cgroup **out,
                  struct ocirun_error *err)
{
    struct cgroup *cg = NULL;
    bool disabled, systemd;

    if (check_manager(manager, &disabled, &systemd, err) < 0)
        return -1;
    if (systemd)
        return create_systemd(id, cgroups_path, resources, rootless, out, err);
    if (disabled) {
        if (cgroup_resources_check(resources, NULL, err) < 0)
            return -1;
        *out = cgroup_new(true);
        return 0;
    }
    if (cgroup_new_fs(&cg, err) < 0)
        return -1;
    if (resolve_paths(cg, id, cgroups_path, err) < 0 ||
        cgroup_resources_check(resources, cg, err) < 0) {
        cgroup_free(cg);
        return -1;
    }
    if (make_dirs(cg, resources, rootless, err) < 0 || apply_resources(cg, resources, err) < 0 ||
        open_clone_fd(cg, err) < 0) {
        undo_create(cg);
        cgroup_free(cg);
        return -1;
    }
    /* once per container, at create: exec, update and delete stay quiet */
    if (cg->skipped)
        log_warn("rootless: no writable cgroup for the container, running it without one "
                 "(delegate a cgroup v2 subtree to the user for limits, pause and ps)");
    cg->recorded = cgroup_record_encode(cg);
    *out = cg;
    return 0;
}

int cgroup_clone_fd(struct cgroup *cg)
{
    return cg == NULL ? -1 : cg->clone_fd;
}

int cgroup_enter(struct cgroup *cg, pid_t pid, struct ocirun_error *err)
{
    char buf[32];

    if (cg == NULL || cg->disabled)
        return 0;
    if (cg->sd != NULL)
        return enter_systemd(cg, pid, err);
    snprintf(buf, sizeof(buf), "%d", (int)pid);
    /* also where CLONE_INTO_CGROUP placed it: moving to the same cgroup is
     * a no-op, and it covers the plain clone(2) fallback */
    for (size_t i = 0; i < cg->n; i++) {
        if (cg->h[i].dir != NULL && cgroup_write(cg->h[i].dir, "cgroup.procs", buf, err) < 0)
            return -1;
    }
    return 0;
}

const char *cgroup_path(struct cgroup *cg)
{
    return cg == NULL || cg->recorded == NULL ? "" : cg->recorded;
}

int cgroup_open(const char *manager, const char *path, struct cgroup **out,
                struct ocirun_error *err)
{
    struct cgroup *cg = NULL;
    bool disabled, systemd;

    if (check_manager(manager, &disabled, &systemd, err) < 0)
        return -1;
    if (disabled || path == NULL || path[0] == '\0') {
        *out = cgroup_new(true);
        return 0;
    }
    if (cgroup_new_fs(&cg, err) < 0)
        return -1;
    if (cgroup_record_decode(cg, path, err) < 0) {
        cgroup_free(cg);
        return -1;
    }
    for (size_t i = 0; i < cg->n; i++) {
        /* a hierarchy that does not show this cgroup is not one of ours */
        if (cgroup_hierarchy_dir(&cg->h[i], cg->h[i].path, &cg->h[i].dir, NULL) < 0)
            cg->h[i].dir = NULL;
        cg->h[i].parents_made = cg->parents_made;
    }
    cg->recorded = xstrdup(path);
    if (systemd && cgroup_systemd_open(cg, err) < 0) {
        cgroup_free(cg);
        return -1;
    }
    *out = cg;
    return 0;
}

/* The hierarchy used to list processes and the freezer state. */
const struct cgroup_hierarchy *cgroup_main_hierarchy(const struct cgroup *cg, const char *ctrl)
{
    for (size_t i = 0; ctrl && i < cg->n; i++)
        if (cg->h[i].dir && !cg->h[i].unified && strcmp(cg->h[i].controllers, ctrl) == 0)
            return &cg->h[i];
    for (size_t i = 0; i < cg->n; i++)
        if (cg->h[i].dir && cg->h[i].unified)
            return &cg->h[i];
    for (size_t i = 0; i < cg->n; i++)
        if (cg->h[i].dir)
            return &cg->h[i];
    return NULL;
}

static void add_pids(const char *dir, pid_t **pids, size_t *n, int depth)
{
    cleanup_free char *text = NULL;
    DIR *d;
    struct dirent *de;

    if (cgroup_read(dir, "cgroup.procs", &text, NULL) == 0) {
        for (char *p = text; *p;) {
            char *end;
            long v = strtol(p, &end, 10);
            if (end == p)
                break;
            if (v > 0) {
                *pids = xrealloc(*pids, sizeof(**pids) * (*n + 1));
                (*pids)[(*n)++] = (pid_t)v;
            }
            p = end + strspn(end, "\n ");
        }
    }
    /* the container may have made sub-cgroups (cgroup namespace) */
    if (depth > 32 || (d = opendir(dir)) == NULL)
        return;
    while ((de = readdir(d)) != NULL) {
        if (de->d_type != DT_DIR || de->d_name[0] == '.')
            continue;
        cleanup_free char *sub = xasprintf("%s/%s", dir, de->d_name);
        add_pids(sub, pids, n, depth + 1);
    }
    closedir(d);
}

int cgroup_pids(struct cgroup *cg, pid_t **pids, size_t *n, struct ocirun_error *err)
{
    const struct cgroup_hierarchy *h;

    *pids = NULL;
    *n = 0;
    if (cg == NULL || cg->disabled)
        return 0;
    h = cgroup_main_hierarchy(cg, "pids");
    if (h == NULL)
        return 0;
    if (access(h->dir, F_OK) < 0)
        return errno == ENOENT ? 0 : error_make(err, errno, "access `%s`", h->dir);
    add_pids(h->dir, pids, n, 0);
    return 0;
}

bool cgroup_is_frozen(struct cgroup *cg)
{
    const struct cgroup_hierarchy *h;

    if (cg == NULL || cg->disabled)
        return false;
    if (cg->mode == CGROUP_MODE_UNIFIED) {
        h = cgroup_main_hierarchy(cg, NULL);
        return h != NULL && cgroup_v2_is_frozen(h->dir);
    }
    h = cgroup_main_hierarchy(cg, "freezer");
    if (h == NULL)
        return false;
    return h->unified ? cgroup_v2_is_frozen(h->dir) : cgroup_v1_is_frozen(h->dir);
}

int cgroup_thaw(struct cgroup *cg, struct ocirun_error *err)
{
    for (size_t i = 0; cg && !cg->disabled && i < cg->n; i++) {
        struct cgroup_hierarchy *h = &cg->h[i];
        int r = 0;
        if (h->dir == NULL || access(h->dir, F_OK) < 0)
            continue;
        if (h->unified)
            r = cgroup_v2_thaw(h->dir);
        else if (strcmp(h->controllers, "freezer") == 0)
            r = cgroup_v1_thaw(h->dir);
        if (r < 0)
            return error_make(err, errno, "thaw cgroup `%s`", h->dir);
    }
    return 0;
}

/* Whether anything runs in the cgroup or below it. */
static bool hierarchy_populated(const struct cgroup_hierarchy *h)
{
    cleanup_free char *text = NULL;
    pid_t *pids = NULL;
    size_t n = 0;

    if (h->unified) {
        if (cgroup_read(h->dir, "cgroup.events", &text, NULL) < 0)
            return false;
        return strstr(text, "populated 1") != NULL;
    }
    if (access(h->dir, F_OK) < 0)
        return false;
    add_pids(h->dir, &pids, &n, 0);
    free(pids);
    return n > 0;
}

int cgroup_kill_listed(const char *dir, struct ocirun_error *err)
{
    for (int round = 0; round < 400; round++) {
        pid_t *pids = NULL;
        size_t n = 0;
        bool any = false;

        add_pids(dir, &pids, &n, 0);
        for (size_t i = 0; i < n; i++)
            any |= kill(pids[i], SIGKILL) == 0;
        free(pids);
        if (!any)
            return 0;
        sleep_ms(5);
    }
    return error_make(err, EBUSY, "kill the processes of cgroup `%s`", dir);
}

/* Thaws first (a frozen process cannot die), then kills: through
 * cgroup.kill where the kernel has it (one write, race free), else by
 * SIGKILLing the listed pids until none is left. An empty cgroup costs one
 * read per hierarchy. */
static int kill_all(struct cgroup *cg, struct ocirun_error *err)
{
    cleanup_free bool *busy = xzalloc(sizeof(*busy) * (cg->n ? cg->n : 1));
    bool any = false;

    for (size_t i = 0; i < cg->n; i++) {
        busy[i] = cg->h[i].dir != NULL && hierarchy_populated(&cg->h[i]);
        any |= busy[i];
    }
    if (!any)
        return 0;
    cgroup_thaw(cg, NULL);
    for (size_t i = 0; i < cg->n; i++) {
        struct cgroup_hierarchy *h = &cg->h[i];
        if (!busy[i])
            continue;
        if (h->unified ? cgroup_v2_kill_all(h->dir, err) < 0 : cgroup_kill_listed(h->dir, err) < 0)
            return -1;
    }
    return 0;
}

static int remove_dir(const char *dir, struct ocirun_error *err)
{
    /* the last processes may still be leaving: EBUSY for a moment */
    for (int tries = 0; tries < 200; tries++) {
        if (rmdir(dir) == 0 || errno == ENOENT)
            return 0;
        if (errno != EBUSY)
            break;
        sleep_ms(5);
    }
    return error_make(err, errno, "rmdir `%s`", dir);
}

/* Removes the sub-cgroups the container made, then the leaf. */
static int remove_tree(const char *dir, int depth, struct ocirun_error *err)
{
    DIR *d;
    struct dirent *de;
    int ret = 0;

    /* the usual case: an empty leaf */
    if (rmdir(dir) == 0 || errno == ENOENT)
        return 0;
    d = depth < 32 ? opendir(dir) : NULL;

    while (d != NULL && (de = readdir(d)) != NULL) {
        if (de->d_type != DT_DIR || de->d_name[0] == '.')
            continue;
        cleanup_free char *sub = xasprintf("%s/%s", dir, de->d_name);
        if (remove_tree(sub, depth + 1, err) < 0)
            ret = -1;
    }
    if (d != NULL)
        closedir(d);
    return ret < 0 ? ret : remove_dir(dir, err);
}

/* The ancestors ocirun made; a non-empty one is someone else's now. */
static void remove_parents(const struct cgroup_hierarchy *h)
{
    cleanup_free char *up = xstrdup(h->dir);

    for (int k = 0; k < h->parents_made; k++) {
        char *slash = strrchr(up, '/');
        if (slash == NULL || (size_t)(slash - up) <= strlen(h->mountpoint))
            break;
        *slash = '\0';
        if (rmdir(up) < 0 && errno != ENOENT)
            break;
    }
}

int cgroup_destroy(struct cgroup *cg, struct ocirun_error *err)
{
    struct ocirun_error local = {0};
    int ret = 0;

    if (cg == NULL || cg->disabled)
        return 0;
    /* a create whose unit did not start: the cgroup (same name) is not ours */
    if (cgroup_systemd_pending(cg))
        return 0;
    if (kill_all(cg, err ? err : &local) < 0)
        ret = -1;
    for (size_t i = 0; i < cg->n; i++) {
        struct cgroup_hierarchy *h = &cg->h[i];
        if (h->dir == NULL)
            continue;
        /* keep going: the other hierarchies can still be cleaned */
        if (remove_tree(h->dir, 0, ret < 0 ? &local : err ? err : &local) < 0) {
            ret = -1;
            continue;
        }
        remove_parents(h);
    }
    if (cg->sd != NULL && cgroup_systemd_stop(cg, ret < 0 ? &local : err ? err : &local) < 0)
        ret = -1;
    error_clear(&local);
    return ret;
}

void cgroup_free(struct cgroup *cg)
{
    if (cg == NULL)
        return;
    if (cg->clone_fd >= 0)
        close(cg->clone_fd);
    cgroup_hierarchies_free(cg->h, cg->n);
    cgroup_systemd_free(cg->sd);
    free(cg->recorded);
    free(cg);
}
