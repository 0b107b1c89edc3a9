/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Built as a struct (not a JSON template) so libocispec writes it and the
 * document always matches the structs the rest of ocirun parses. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "spec_default.h"
#include "util.h"

static const char *const default_caps[] = {"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"};

static const char *const default_masked_paths[] = {
    "/proc/acpi",          "/proc/asound",     "/proc/kcore",       "/proc/keys",
    "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
    "/sys/firmware",       "/proc/scsi",
};

static const char *const default_readonly_paths[] = {
    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};

/* A NULL-terminated list, so mount options can be written inline. */
static char **strv_dup(const char *const *src, size_t n, size_t *len)
{
    char **v = xzalloc((n + 1) * sizeof(*v));
    size_t i;

    for (i = 0; i < n; i++)
        v[i] = xstrdup(src[i]);
    *len = n;
    return v;
}

#define STRV(arr, lenp) strv_dup((arr), ARRAY_SIZE(arr), (lenp))

struct mount_template {
    const char *destination, *type, *source;
    const char *options[8]; /* NULL-terminated */
};

static const struct mount_template default_mounts[] = {
    {"/proc", "proc", "proc", {NULL}},
    {"/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k", NULL}},
    {"/dev/pts",
     "devpts",
     "devpts",
     {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5", NULL}},
    {"/dev/shm", "tmpfs", "shm", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k", NULL}},
    {"/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev", NULL}},
    {"/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro", NULL}},
    {"/sys/fs/cgroup", "cgroup", "cgroup", {"nosuid", "noexec", "nodev", "relatime", "ro", NULL}},
};

/* Rootless containers cannot mount sysfs without a network namespace of
 * their own, and have no gid 5 mapped, so runc's rootless spec differs. */
static const struct mount_template rootless_sys = {
    "/sys", "none", "/sys", {"rbind", "nosuid", "noexec", "nodev", "ro", NULL}};
static const struct mount_template rootless_devpts = {
    "/dev/pts",
    "devpts",
    "devpts",
    {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", NULL}};

static void fill_mount(struct oci_mount *m, const struct mount_template *t)
{
    size_t n = 0;

    m->destination = xstrdup(t->destination);
    m->type = xstrdup(t->type);
    m->source = xstrdup(t->source);
    while (t->options[n] != NULL)
        n++;
    if (n > 0)
        m->options = strv_dup(t->options, n, &m->options_len);
}

static void fill_mounts(struct oci_config *c, bool rootless)
{
    size_t i, n = ARRAY_SIZE(default_mounts);

    c->mounts = xzalloc(n * sizeof(*c->mounts));
    c->mounts_len = n;
    for (i = 0; i < n; i++) {
        const struct mount_template *t = &default_mounts[i];

        if (rootless && strcmp(t->destination, "/sys") == 0)
            t = &rootless_sys;
        else if (rootless && strcmp(t->destination, "/dev/pts") == 0)
            t = &rootless_devpts;
        fill_mount(&c->mounts[i], t);
    }
}

static struct oci_process *default_process(void)
{
    static const char *const args[] = {"sh"};
    static const char *const env[] = {
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"};
    struct oci_process *p = xzalloc(sizeof(*p));
    struct oci_capabilities *caps = xzalloc(sizeof(*caps));

    p->terminal = true;
    p->terminal_present = true;
    p->user = xzalloc(sizeof(*p->user));
    p->args = STRV(args, &p->args_len);
    p->env = STRV(env, &p->env_len);
    p->cwd = xstrdup("/");
    caps->bounding = STRV(default_caps, &caps->bounding_len);
    caps->effective = STRV(default_caps, &caps->effective_len);
    caps->permitted = STRV(default_caps, &caps->permitted_len);
    caps->ambient = STRV(default_caps, &caps->ambient_len);
    p->capabilities = caps;
    p->rlimits = xzalloc(sizeof(*p->rlimits));
    p->rlimits_len = 1;
    p->rlimits[0].type = xstrdup("RLIMIT_NOFILE");
    p->rlimits[0].hard = 1024;
    p->rlimits[0].soft = 1024;
    p->no_new_privileges = true;
    p->no_new_privileges_present = true;
    return p;
}

static struct oci_id_mapping *root_mapping(uint32_t host_id, size_t *len)
{
    struct oci_id_mapping *m = xzalloc(sizeof(*m));

    m->container_id = 0;
    m->host_id = host_id;
    m->size = 1;
    *len = 1;
    return m;
}

static struct oci_linux *default_linux(bool rootless, uid_t host_uid, gid_t host_gid)
{
    static const char *const ns_root[] = {"pid", "network", "ipc", "uts", "mount"};
    static const char *const ns_rootless[] = {"pid", "ipc", "uts", "mount", "user"};
    const char *const *ns = rootless ? ns_rootless : ns_root;
    struct oci_linux *l = xzalloc(sizeof(*l));
    size_t i;

    if (rootless) {
        l->uid_mappings = root_mapping(host_uid, &l->uid_mappings_len);
        l->gid_mappings = root_mapping(host_gid, &l->gid_mappings_len);
    } else {
        /* deny every device; the runtime adds the default devices back */
        l->resources = xzalloc(sizeof(*l->resources));
        l->resources->devices = xzalloc(sizeof(*l->resources->devices));
        l->resources->devices_len = 1;
        l->resources->devices[0].allow = false;
        l->resources->devices[0].access = xstrdup("rwm");
    }
    l->namespaces = xzalloc(ARRAY_SIZE(ns_root) * sizeof(*l->namespaces));
    l->namespaces_len = ARRAY_SIZE(ns_root);
    for (i = 0; i < ARRAY_SIZE(ns_root); i++)
        l->namespaces[i].type = xstrdup(ns[i]);
    l->masked_paths = STRV(default_masked_paths, &l->masked_paths_len);
    l->readonly_paths = STRV(default_readonly_paths, &l->readonly_paths_len);
    return l;
}

struct oci_config *spec_default_config(bool rootless, uid_t host_uid, gid_t host_gid)
{
    struct oci_config *c = xzalloc(sizeof(*c));

    c->oci_version = xstrdup(OCI_SPEC_VERSION);
    c->process = default_process();
    c->root = xzalloc(sizeof(*c->root));
    c->root->path = xstrdup("rootfs");
    c->root->readonly = true;
    c->root->readonly_present = true;
    c->hostname = xstrdup("ocirun");
    fill_mounts(c, rootless);
    c->linux_ = default_linux(rootless, host_uid, host_gid);
    return c;
}
