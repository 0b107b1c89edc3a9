/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The systemd cgroup manager, bus side: a transient scope per container
 * (StartTransientUnit with Delegate=yes and the init's pid), the resource
 * properties systemd knows, SetUnitProperties on update, StopUnit on
 * delete, AttachProcessesToUnit for a rootless exec. The cgroup files are
 * still written by cgroup-v2.c in the scope's directory, for the fields
 * systemd has no property for (and with the same values for the others).
 *
 * Cost: libsystemd is dlopen'ed only here (systemd-dl.c), on the first use
 * of the driver, so a run with cgroupfs neither links nor loads it; a
 * static ocirun hands the driver to its dynamic companion (companion.c).
 * Root talks to systemd's private socket (no dbus-daemon round trip), a
 * rootless caller to its user manager through the session bus. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup-internal.h"
#include "companion.h"
#include "log.h"
#include "util.h"

struct cgroup_systemd {
    struct cgroup_systemd_names names;
    char *description;
    bool user;    /* the user's manager (rootless) */
    bool pending; /* create: the unit is not started yet */
    const struct oci_resources *resources;
    void *bus; /* sd_bus *, connected on first use */
};

#ifdef HAVE_SYSTEMD
#include <dlfcn.h>
#include <systemd/sd-bus.h>

#define SD_DEST "org.freedesktop.systemd1"
#define SD_PATH "/org/freedesktop/systemd1"
#define SD_MGR  "org.freedesktop.systemd1.Manager"
/* a job under TCG emulation can take seconds; runc waits 30 s too */
#define JOB_TIMEOUT_USEC (30ULL * 1000000ULL)

#define SD_FUNCS(X)                                                                                \
    X(sd_bus_new)                                                                                  \
    X(sd_bus_set_address)                                                                          \
    X(sd_bus_start)                                                                                \
    X(sd_bus_open_system)                                                                          \
    X(sd_bus_open_user)                                                                            \
    X(sd_bus_flush_close_unref)                                                                    \
    X(sd_bus_message_new_method_call)                                                              \
    X(sd_bus_message_append)                                                                       \
    X(sd_bus_message_append_array)                                                                 \
    X(sd_bus_message_open_container)                                                               \
    X(sd_bus_message_close_container)                                                              \
    X(sd_bus_message_read)                                                                         \
    X(sd_bus_message_unref)                                                                        \
    X(sd_bus_call)                                                                                 \
    X(sd_bus_match_signal)                                                                         \
    X(sd_bus_slot_unref)                                                                           \
    X(sd_bus_process)                                                                              \
    X(sd_bus_wait)                                                                                 \
    X(sd_bus_error_free)                                                                           \
    X(sd_bus_error_has_name)

#define SD_FIELD(f) __typeof__(f) *f;
static struct {
    SD_FUNCS(SD_FIELD)
} sd;
#undef SD_FIELD

static int load_libsystemd(struct ocirun_error *err)
{
    static void *handle;
    const char *why = NULL;

    if (handle != NULL)
        return 0;
    handle = systemd_dlopen(&why);
    if (handle == NULL)
        return error_plain(err, ENOENT, "the systemd cgroup manager: load libsystemd.so.0: %s",
                           why);
#define SD_LOAD(f)                                                                                 \
    if ((*(void **)&sd.f = dlsym(handle, #f)) == NULL)                                             \
        return error_plain(err, ENOSYS, "the systemd cgroup manager: libsystemd.so.0 has no %s",   \
                           #f);
    SD_FUNCS(SD_LOAD)
#undef SD_LOAD
    return 0;
}

/* "NAME: message" of a failed call, or strerror. */
static int bus_error(struct ocirun_error *err, int r, sd_bus_error *e, const char *what,
                     const char *unit)
{
    if (e != NULL && e->message != NULL)
        error_plain(err, -r, "%s `%s`: %s", what, unit, e->message);
    else
        error_make(err, -r, "%s `%s`", what, unit);
    if (e != NULL)
        sd.sd_bus_error_free(e);
    return -1;
}

static int connect_system(sd_bus **out)
{
    sd_bus *b = NULL;
    int r;

    /* systemd's own socket: what runc and crun use as root, no broker */
    if (sd.sd_bus_new(&b) >= 0 && sd.sd_bus_set_address(b, "unix:path=/run/systemd/private") >= 0 &&
        sd.sd_bus_start(b) >= 0) {
        *out = b;
        return 0;
    }
    if (b != NULL)
        sd.sd_bus_flush_close_unref(b);
    r = sd.sd_bus_open_system(out);
    return r < 0 ? r : 0;
}

/* The user manager's own socket first (systemctl --user does the same;
 * it needs no session bus), then the session bus. */
static int connect_user(sd_bus **out)
{
    const char *rt = getenv("XDG_RUNTIME_DIR");
    sd_bus *b = NULL;

    if (rt != NULL && rt[0] == '/' && strlen(rt) < 200) {
        cleanup_free char *addr = xasprintf("unix:path=%s/systemd/private", rt);
        if (sd.sd_bus_new(&b) >= 0 && sd.sd_bus_set_address(b, addr) >= 0 &&
            sd.sd_bus_start(b) >= 0) {
            *out = b;
            return 0;
        }
        if (b != NULL)
            sd.sd_bus_flush_close_unref(b);
    }
    return sd.sd_bus_open_user(out);
}

static int bus_connect(struct cgroup_systemd *s, struct ocirun_error *err)
{
    sd_bus *b = NULL;
    int r;

    if (s->bus != NULL)
        return 0;
    if (load_libsystemd(err) < 0)
        return -1;
    if (s->user) {
        r = connect_user(&b);
        if (r < 0)
            return error_make(err, -r,
                              "the systemd cgroup manager: connect to the user's systemd "
                              "($XDG_RUNTIME_DIR/systemd/private, DBUS_SESSION_BUS_ADDRESS or "
                              "$XDG_RUNTIME_DIR/bus)");
    } else {
        r = connect_system(&b);
        if (r < 0)
            return error_make(err, -r,
                              "the systemd cgroup manager: connect to systemd "
                              "(/run/systemd/private or the system bus)");
    }
    s->bus = b;
    return 0;
}

struct job_wait {
    const char *path;
    char result[32];
    bool done;
};

static int on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *e)
{
    struct job_wait *w = userdata;
    const char *path = NULL, *unit = NULL, *result = NULL;
    uint32_t id;

    (void)e;
    if (sd.sd_bus_message_read(m, "uoss", &id, &path, &unit, &result) < 0 || w->path == NULL ||
        strcmp(path, w->path) != 0)
        return 0;
    snprintf(w->result, sizeof(w->result), "%s", result);
    w->done = true;
    return 0;
}

/* Dispatches until the job's JobRemoved arrives (bounded). */
static int wait_job(sd_bus *b, struct job_wait *w, const char *unit, struct ocirun_error *err)
{
    uint64_t waited = 0, step = 100000;

    while (!w->done) {
        int r = sd.sd_bus_process(b, NULL);
        if (r < 0)
            return error_make(err, -r, "wait for systemd's job on `%s`", unit);
        if (r > 0)
            continue;
        if (waited >= JOB_TIMEOUT_USEC)
            return error_plain(err, ETIMEDOUT, "systemd's job on `%s` did not finish in %llu s",
                               unit, (unsigned long long)(JOB_TIMEOUT_USEC / 1000000));
        r = sd.sd_bus_wait(b, step);
        if (r < 0)
            return error_make(err, -r, "wait for systemd's job on `%s`", unit);
        waited += r == 0 ? step : 0;
    }
    if (strcmp(w->result, "done") != 0)
        return error_plain(err, EIO, "systemd's job on `%s` ended `%s`", unit, w->result);
    return 0;
}

/* Calls m (a method returning a job path) and waits for the job. On a
 * refused call *call_r < 0 and e says why (err untouched); any other
 * failure is in err. */
static int call_job(sd_bus *b, sd_bus_message *m, const char *unit, sd_bus_error *e,
                    struct ocirun_error *err, int *call_r)
{
    struct job_wait w = {0};
    sd_bus_slot *slot = NULL;
    sd_bus_message *reply = NULL;
    const char *job = NULL;
    int r, ret = -1;

    *call_r = 0;
    /* subscribed before the call: the signal may follow the reply at once */
    r = sd.sd_bus_match_signal(b, &slot, SD_DEST, SD_PATH, SD_MGR, "JobRemoved", on_job_removed,
                               &w);
    if (r < 0)
        return error_make(err, -r, "subscribe to systemd's JobRemoved");
    *call_r = sd.sd_bus_call(b, m, 0, e, &reply);
    if (*call_r >= 0) {
        r = sd.sd_bus_message_read(reply, "o", &job);
        if (r < 0) {
            error_make(err, -r, "read the job of `%s`", unit);
        } else {
            w.path = job;
            ret = wait_job(b, &w, unit, err);
        }
    }
    if (reply != NULL)
        sd.sd_bus_message_unref(reply);
    sd.sd_bus_slot_unref(slot);
    return ret;
}

static int append_props(sd_bus_message *m, const struct cgroup_systemd_props *p)
{
    int r = sd.sd_bus_message_open_container(m, 'a', "(sv)");

    for (size_t i = 0; r >= 0 && i < p->n; i++) {
        const struct cgroup_systemd_prop *e = &p->v[i];
        switch (e->type) {
        case 't':
            r = sd.sd_bus_message_append(m, "(sv)", e->name, "t", e->u);
            break;
        case 'b':
            r = sd.sd_bus_message_append(m, "(sv)", e->name, "b", (int)e->u);
            break;
        case 's':
            r = sd.sd_bus_message_append(m, "(sv)", e->name, "s", e->s);
            break;
        case 'u': /* PIDs: one pid */
            r = sd.sd_bus_message_append(m, "(sv)", e->name, "au", 1, (uint32_t)e->u);
            break;
        default: /* 'y': a byte array */
            r = sd.sd_bus_message_open_container(m, 'r', "sv");
            if (r >= 0)
                r = sd.sd_bus_message_append(m, "s", e->name);
            if (r >= 0)
                r = sd.sd_bus_message_open_container(m, 'v', "ay");
            if (r >= 0)
                r = sd.sd_bus_message_append_array(m, 'y', e->bytes, e->nbytes);
            if (r >= 0)
                r = sd.sd_bus_message_close_container(m);
            if (r >= 0)
                r = sd.sd_bus_message_close_container(m);
        }
    }
    return r < 0 ? r : sd.sd_bus_message_close_container(m);
}

static int method(sd_bus *b, const char *member, sd_bus_message **m)
{
    return sd.sd_bus_message_new_method_call(b, m, SD_DEST, SD_PATH, SD_MGR, member);
}

static int simple_call(struct cgroup_systemd *s, const char *member, const char *unit,
                       sd_bus_error *e)
{
    sd_bus_message *m = NULL;
    int r = method(s->bus, member, &m);

    if (r >= 0)
        r = sd.sd_bus_message_append(m, "s", unit);
    if (r >= 0)
        r = sd.sd_bus_call(s->bus, m, 0, e, NULL);
    if (m != NULL)
        sd.sd_bus_message_unref(m);
    return r;
}

static void start_props(struct cgroup_systemd *s, pid_t pid, struct cgroup_systemd_props *p)
{
    cgroup_systemd_props_add_str(p, "Description", s->description);
    if (!s->names.is_slice) {
        cgroup_systemd_props_add_str(p, "Slice", s->names.slice);
        cgroup_systemd_props_add_bool(p, "Delegate", true);
        p->v = xrealloc(p->v, sizeof(*p->v) * (p->n + 1));
        memset(&p->v[p->n], 0, sizeof(p->v[p->n]));
        p->v[p->n].name = "PIDs";
        p->v[p->n].type = 'u';
        p->v[p->n++].u = (uint64_t)pid;
    }
    /* what runc sets: the scope needs no ordering, and every controller on */
    cgroup_systemd_props_add_bool(p, "DefaultDependencies", false);
    cgroup_systemd_props_add_bool(p, "MemoryAccounting", true);
    cgroup_systemd_props_add_bool(p, "CPUAccounting", true);
    cgroup_systemd_props_add_bool(p, "IOAccounting", true);
    cgroup_systemd_props_add_bool(p, "TasksAccounting", true);
}

static int start_once(struct cgroup_systemd *s, const struct cgroup_systemd_props *p,
                      sd_bus_error *e, struct ocirun_error *err, int *call_r)
{
    sd_bus_message *m = NULL;
    int r = method(s->bus, "StartTransientUnit", &m);

    if (r >= 0)
        r = sd.sd_bus_message_append(m, "ss", s->names.unit, "replace");
    if (r >= 0)
        r = append_props(m, p);
    if (r >= 0)
        r = sd.sd_bus_message_append(m, "a(sa(sv))", 0);
    if (r < 0) {
        if (m != NULL)
            sd.sd_bus_message_unref(m);
        return error_make(err, -r, "build StartTransientUnit for `%s`", s->names.unit);
    }
    r = call_job(s->bus, m, s->names.unit, e, err, call_r);
    sd.sd_bus_message_unref(m);
    return r;
}

/* A failed unit of an earlier run keeps the name: reset it, retry once. */
static int start_unit(struct cgroup_systemd *s, pid_t pid, struct ocirun_error *err)
{
    struct cgroup_systemd_props p = {0};
    sd_bus_error e = SD_BUS_ERROR_NULL;
    int r, call_r = 0;

    start_props(s, pid, &p);
    if (cgroup_systemd_resource_props(s->resources, &p, err) < 0) {
        cgroup_systemd_props_free(&p);
        return -1;
    }
    r = start_once(s, &p, &e, err, &call_r);
    if (r < 0 && call_r < 0 &&
        sd.sd_bus_error_has_name(&e, "org.freedesktop.systemd1.UnitExists")) {
        sd_bus_error e2 = SD_BUS_ERROR_NULL;
        log_debug("systemd unit `%s` exists: reset-failed and retry", s->names.unit);
        sd.sd_bus_error_free(&e);
        simple_call(s, "ResetFailedUnit", s->names.unit, &e2);
        sd.sd_bus_error_free(&e2);
        call_r = 0;
        r = start_once(s, &p, &e, err, &call_r);
        if (r < 0 && call_r < 0 &&
            sd.sd_bus_error_has_name(&e, "org.freedesktop.systemd1.UnitExists")) {
            sd.sd_bus_error_free(&e);
            cgroup_systemd_props_free(&p);
            return error_plain(err, EEXIST,
                               "start systemd unit `%s`: a unit of that name already exists "
                               "and is not failed (another container with this cgroupsPath?)",
                               s->names.unit);
        }
    }
    cgroup_systemd_props_free(&p);
    if (r < 0 && call_r < 0)
        return bus_error(err, call_r, &e, "start systemd unit", s->names.unit);
    sd.sd_bus_error_free(&e);
    return r < 0 ? error_wrap(err, "start systemd unit `%s`", s->names.unit) : 0;
}

int cgroup_systemd_update(struct cgroup *cg, const struct oci_resources *r,
                          struct ocirun_error *err)
{
    struct cgroup_systemd_props p = {0};
    sd_bus_error e = SD_BUS_ERROR_NULL;
    sd_bus_message *m = NULL;
    int rc;

    if (cgroup_systemd_resource_props(r, &p, err) < 0)
        return -1;
    if (p.n == 0 || bus_connect(cg->sd, err) < 0) {
        cgroup_systemd_props_free(&p);
        return p.n == 0 ? 0 : -1;
    }
    rc = method(cg->sd->bus, "SetUnitProperties", &m);
    if (rc >= 0)
        rc = sd.sd_bus_message_append(m, "sb", cg->sd->names.unit, 1);
    if (rc >= 0)
        rc = append_props(m, &p);
    if (rc >= 0)
        rc = sd.sd_bus_call(cg->sd->bus, m, 0, &e, NULL);
    if (m != NULL)
        sd.sd_bus_message_unref(m);
    cgroup_systemd_props_free(&p);
    if (rc < 0)
        return bus_error(err, rc, &e, "set the properties of systemd unit", cg->sd->names.unit);
    return 0;
}

int cgroup_systemd_attach(struct cgroup *cg, pid_t pid, struct ocirun_error *err)
{
    sd_bus_error e = SD_BUS_ERROR_NULL;
    sd_bus_message *m = NULL;
    int r;

    if (bus_connect(cg->sd, err) < 0)
        return -1;
    r = method(cg->sd->bus, "AttachProcessesToUnit", &m);
    if (r >= 0)
        r = sd.sd_bus_message_append(m, "ssau", cg->sd->names.unit, "", 1, (uint32_t)pid);
    if (r >= 0)
        r = sd.sd_bus_call(cg->sd->bus, m, 0, &e, NULL);
    if (m != NULL)
        sd.sd_bus_message_unref(m);
    if (r < 0)
        return bus_error(err, r, &e, "move the process into systemd unit", cg->sd->names.unit);
    return 0;
}

static bool gone(const sd_bus_error *e)
{
    return sd.sd_bus_error_has_name(e, "org.freedesktop.systemd1.NoSuchUnit") ||
           sd.sd_bus_error_has_name(e, "org.freedesktop.systemd1.LoadFailed");
}

int cgroup_systemd_stop(struct cgroup *cg, struct ocirun_error *err)
{
    sd_bus_error e = SD_BUS_ERROR_NULL;
    sd_bus_message *m = NULL;
    int r, call_r = 0;

    if (bus_connect(cg->sd, err) < 0)
        return -1;
    r = method(cg->sd->bus, "StopUnit", &m);
    if (r >= 0)
        r = sd.sd_bus_message_append(m, "ss", cg->sd->names.unit, "replace");
    if (r >= 0)
        r = call_job(cg->sd->bus, m, cg->sd->names.unit, &e, err, &call_r);
    if (m != NULL)
        sd.sd_bus_message_unref(m);
    if (r < 0 && call_r < 0 && !gone(&e))
        return bus_error(err, call_r, &e, "stop systemd unit", cg->sd->names.unit);
    sd.sd_bus_error_free(&e);
    if (r < 0 && call_r >= 0)
        return error_wrap(err, "stop systemd unit `%s`", cg->sd->names.unit);
    /* a scope whose processes were killed may be left "failed" */
    simple_call(cg->sd, "ResetFailedUnit", cg->sd->names.unit, &e);
    sd.sd_bus_error_free(&e);
    return 0;
}

static void bus_close(void *bus)
{
    if (bus != NULL)
        sd.sd_bus_flush_close_unref(bus);
}

static int check_host(bool user, struct ocirun_error *err)
{
    /* sd_booted()'s test, without loading the library for it */
    if (!user && access("/run/systemd/system", F_OK) < 0)
        return error_plain(err, ENOTSUP,
                           "the systemd cgroup manager needs systemd running as init, and this "
                           "host has none (no /run/systemd/system); use --cgroup-manager=cgroupfs");
    return 0;
}
#else /* !HAVE_SYSTEMD */
static int check_host(bool user, struct ocirun_error *err)
{
    (void)user;
    return error_plain(err, ENOTSUP,
                       "the systemd cgroup manager: ocirun was built without libsystemd "
                       "(--disable-systemd); use --cgroup-manager=cgroupfs");
}

static int bus_connect(struct cgroup_systemd *s, struct ocirun_error *err)
{
    (void)s;
    return check_host(false, err);
}

static int start_unit(struct cgroup_systemd *s, pid_t pid, struct ocirun_error *err)
{
    (void)pid;
    return bus_connect(s, err);
}

int cgroup_systemd_update(struct cgroup *cg, const struct oci_resources *r,
                          struct ocirun_error *err)
{
    (void)r;
    return bus_connect(cg->sd, err);
}

int cgroup_systemd_attach(struct cgroup *cg, pid_t pid, struct ocirun_error *err)
{
    (void)pid;
    return bus_connect(cg->sd, err);
}

int cgroup_systemd_stop(struct cgroup *cg, struct ocirun_error *err)
{
    return bus_connect(cg->sd, err);
}

static void bus_close(void *bus)
{
    (void)bus;
}
#endif

static struct cgroup_hierarchy *unified_hierarchy(struct cgroup *cg, struct ocirun_error *err)
{
    for (size_t i = 0; i < cg->n; i++)
        if (cg->h[i].unified)
            return &cg->h[i];
    error_plain(err, ENOTSUP, "the systemd cgroup manager: no cgroup2 hierarchy");
    return NULL;
}

int cgroup_systemd_create(struct cgroup *cg, const char *id, const char *cgroups_path,
                          bool rootless, const struct oci_resources *r, struct ocirun_error *err)
{
    struct cgroup_systemd *s;
    struct cgroup_hierarchy *h;
    bool user = geteuid() != 0;

    if (check_host(user, err) < 0)
        return -1;
    if (cg->mode != CGROUP_MODE_UNIFIED)
        return error_plain(err, ENOTSUP,
                           "the systemd cgroup manager: ocirun supports it on cgroup v2 "
                           "(unified) hosts only; use --cgroup-manager=cgroupfs here");
    h = unified_hierarchy(cg, err);
    if (h == NULL)
        return -1;
    s = cg->sd = xzalloc(sizeof(*s));
    s->user = user;
    s->pending = true;
    s->resources = r;
    s->description = xasprintf("ocirun container %s", id);
    if (cgroup_systemd_parse(cgroups_path, id, rootless || user, &s->names, err) < 0)
        return -1;
    h->path = cgroup_systemd_unit_path(&s->names, user, geteuid());
    if (h->path == NULL)
        return error_plain(err, EINVAL, "systemd unit `%s`: invalid name", s->names.unit);
    /* found here, before anything is cloned: a missing manager is the
     * create's one clear error */
    if (bus_connect(s, err) < 0)
        return -1;
    cg->recorded = xstrdup(h->path);
    return 0;
}

bool cgroup_systemd_pending(const struct cgroup *cg)
{
    return cg->sd != NULL && cg->sd->pending;
}

const struct oci_resources *cgroup_systemd_resources(const struct cgroup *cg)
{
    return cg->sd ? cg->sd->resources : NULL;
}

/* systemd put pid where the unit's name says (else our recorded path,
 * already in the state, would point elsewhere). */
static int check_placed(const struct cgroup_hierarchy *h, pid_t pid, struct ocirun_error *err)
{
    cleanup_free char *path = xasprintf("/proc/%d/cgroup", (int)pid);
    cleanup_free char *text = NULL, *own = NULL;

    if (read_file_at(AT_FDCWD, path, &text, NULL, err) < 0)
        return -1;
    own = cgroup_parse_own(text, "");
    if (own == NULL || strcmp(own, h->path) != 0)
        return error_plain(err, EIO, "systemd placed the container in cgroup `%s`, not `%s`",
                           own ? own : "?", h->path);
    return 0;
}

int cgroup_systemd_start(struct cgroup *cg, pid_t pid, struct ocirun_error *err)
{
    struct cgroup_systemd *s = cg->sd;
    struct cgroup_hierarchy *h = unified_hierarchy(cg, err);
    char buf[32];

    if (h == NULL || start_unit(s, pid, err) < 0)
        return -1;
    s->pending = false;
    if (cgroup_hierarchy_dir(h, h->path, &h->dir, err) < 0)
        return -1;
    if (s->names.is_slice) {
        /* a slice unit takes no PIDs property: the pid is moved by hand */
        snprintf(buf, sizeof(buf), "%d", (int)pid);
        return cgroup_write(h->dir, "cgroup.procs", buf, err);
    }
    return check_placed(h, pid, err);
}

int cgroup_systemd_open(struct cgroup *cg, struct ocirun_error *err)
{
    struct cgroup_systemd *s;
    const char *slash = strrchr(cg->recorded, '/');
    const char *unit = slash ? slash + 1 : cg->recorded;

    s = cg->sd = xzalloc(sizeof(*s));
    s->user = geteuid() != 0;
    s->names.is_slice = strlen(unit) > 6 && strcmp(unit + strlen(unit) - 6, ".slice") == 0;
    if (cgroup_systemd_check_unit(unit, s->names.is_slice ? ".slice" : ".scope", err) < 0)
        return error_wrap(err, "the recorded cgroup `%s`", cg->recorded);
    s->names.unit = xstrdup(unit);
    return 0;
}

void cgroup_systemd_free(struct cgroup_systemd *s)
{
    if (s == NULL)
        return;
    bus_close(s->bus);
    cgroup_systemd_names_free(&s->names);
    free(s->description);
    free(s);
}
