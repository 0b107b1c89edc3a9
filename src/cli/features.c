/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `ocirun features`: what this build of ocirun implements (features.md).
 *
 * Callers (containerd, podman, Kubernetes' user-namespace support) decide
 * from this document which config fields they may use, so features must
 * stay truthful: when an issue adds or removes support for a hook, mount
 * option, namespace, cgroup driver, seccomp flag or extension, update the
 * facts in the "feature facts" block below in the same change. What can be
 * probed (capabilities, seccomp architectures and flags) is probed. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifdef HAVE_SECCOMP
#include <seccomp.h>
#endif
#ifdef HAVE_CAP
#include <sys/capability.h>
#endif

#include "cli.h"
#include "mempolicy.h"
#include "ocispec.h"
#include "options.h"
#include "util.h"

/* ---- feature facts ------------------------------------------------------ */

#define FEATURES_OCI_VERSION_MIN "1.0.0"

static const char *const feature_hooks[] = {
    "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop",
};

/* config.md's mount options: mount(2) flags, the atime family, the
 * recursive variants (mount_setattr AT_RECURSIVE), propagation, bind,
 * tmpcopyup and the id-mapped mount options, plus rnodev (missing from
 * config.md's table, accepted by runc). Keep equal to the table in
 * src/lib/mount_options.c. */
static const char *const feature_mount_options[] = {
    "async",         "atime",        "bind",
    "defaults",      "dev",          "diratime",
    "dirsync",       "exec",         "idmap",
    "iversion",      "lazytime",     "loud",
    "mand",          "noatime",      "nodev",
    "nodiratime",    "noexec",       "noiversion",
    "nolazytime",    "nomand",       "norelatime",
    "nostrictatime", "nosuid",       "nosymfollow",
    "private",       "ratime",       "rbind",
    "rdev",          "rdiratime",    "relatime",
    "remount",       "rexec",        "ridmap",
    "rnoatime",      "rnodev",       "rnodiratime",
    "rnoexec",       "rnorelatime",  "rnostrictatime",
    "rnosuid",       "rnosymfollow", "ro",
    "rprivate",      "rrelatime",    "rro",
    "rrw",           "rshared",      "rslave",
    "rstrictatime",  "rsuid",        "rsymfollow",
    "runbindable",   "rw",           "shared",
    "silent",        "slave",        "strictatime",
    "suid",          "symfollow",    "sync",
    "tmpcopyup",     "unbindable",
};

static const char *const feature_namespaces[] = {
    "cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts",
};

/* cgroup drivers: cgroupfs on v1 (hybrid hosts) and v2; systemd (system
 * and user manager, cgroup v2 hosts) when built with libsystemd's headers
 * (the library itself is dlopen'ed on use). linux.resources.rdma is
 * applied (rdma controller). */
#ifdef HAVE_SYSTEMD
#define WITH_SYSTEMD true
#else
#define WITH_SYSTEMD false
#endif
static const struct oci_features_cgroup feature_cgroup = {
    .v1 = true,
    .v1_present = true,
    .v2 = true,
    .v2_present = true,
    .systemd = WITH_SYSTEMD,
    .systemd_present = true,
    .systemd_user = WITH_SYSTEMD,
    .systemd_user_present = true,
    .rdma = true,
    .rdma_present = true,
};

/* lsm.c applies the labels where the host has the module; features-linux.md:
 * "irrelevant to the availability ... on the host" */
#define FEATURE_APPARMOR true
#define FEATURE_SELINUX  true
/* linux.intelRdt (src/lib/intelrdt.c), schemata and enableMonitoring
 * included. features-linux.md: "irrelevant to the availability of Intel
 * RDT on the host", so true even where no resctrl is mounted (create then
 * fails with a clear error, as the spec requires). */
#define FEATURE_INTEL_RDT    true
#define FEATURE_IDMAP_MOUNTS true
/* linux.netDevices: src/lib/netdev.c. */
#define FEATURE_NET_DEVICES true
/* linux.seccomp is applied (src/lib/seccomp*.c) when built with libseccomp. */
#define FEATURE_SECCOMP_FILTERS true

#ifdef HAVE_SECCOMP
/* Every action and operator src/lib/seccomp.c maps (action_table,
 * operator_table). */
static const char *const feature_seccomp_actions[] = {
    "SCMP_ACT_ALLOW",        "SCMP_ACT_ERRNO",       "SCMP_ACT_KILL",
    "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG",
    "SCMP_ACT_NOTIFY",       "SCMP_ACT_TRACE",       "SCMP_ACT_TRAP",
};
static const char *const feature_seccomp_operators[] = {
    "SCMP_CMP_EQ", "SCMP_CMP_GE",        "SCMP_CMP_GT", "SCMP_CMP_LE",
    "SCMP_CMP_LT", "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE",
};
/* Candidates; only those this libseccomp resolves are listed. */
static const char *const seccomp_arch_candidates[] = {
    "AARCH64",  "ARM",         "LOONGARCH64", "M68K",     "MIPS", "MIPS64", "MIPS64N32", "MIPSEL",
    "MIPSEL64", "MIPSEL64N32", "PARISC",      "PARISC64", "PPC",  "PPC64",  "PPC64LE",   "RISCV64",
    "S390",     "S390X",       "SH",          "SHEB",     "X32",  "X86",    "X86_64",
};
#endif

#ifdef HAVE_SECCOMP
/* config-linux.md's seccomp flags. ocirun passes them to seccomp(2)
 * itself (libseccomp only builds the BPF), so supportedFlags is what the
 * running kernel accepts, as seccomp.c's parse_flags checks at create. */
static const struct {
    const char *name;
    unsigned long kernel_flags; /* what seccomp(2) must accept */
} seccomp_flags[] = {
    {"SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC},
    {"SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG},
    {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW},
    /* only valid with NEW_LISTENER, which a NOTIFY profile brings */
    {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", (1UL << 3) | (1UL << 5)},
};
#endif

/* ---- building the document ---------------------------------------------- */

static char **strv_from(const char *const *src, size_t n, size_t *len)
{
    char **v = xzalloc((n + 1) * sizeof(*v));
    size_t i;

    for (i = 0; i < n; i++)
        v[i] = xstrdup(src[i]);
    *len = n;
    return v;
}

#define STRV(arr, lenp) strv_from((arr), ARRAY_SIZE(arr), (lenp))

static void strv_push(char ***v, size_t *len, char *s)
{
    *v = xrealloc(*v, (*len + 2) * sizeof(**v));
    (*v)[(*len)++] = s;
    (*v)[*len] = NULL;
}

static struct oci_feature_enabled *enabled(bool on)
{
    struct oci_feature_enabled *e = xzalloc(sizeof(*e));

    e->enabled = on;
    e->enabled_present = true;
    return e;
}

/* Every capability both libcap and the running kernel know, as
 * CAP_UPPERCASE names. */
static void add_capabilities(struct oci_features_linux *l)
{
#ifdef HAVE_CAP
    cap_value_t i, max = cap_max_bits();

    l->capabilities = xzalloc(sizeof(char *));
    for (i = 0; i < max; i++) {
        char *name = cap_to_name(i), *p;

        if (name == NULL)
            continue;
        if (strncmp(name, "cap_", 4) == 0) {
            char *upper = xstrdup(name);
            for (p = upper; *p; p++)
                *p = (char)toupper((unsigned char)*p);
            strv_push(&l->capabilities, &l->capabilities_len, upper);
        }
        cap_free(name);
    }
#else
    (void)l;
#endif
}

#ifdef HAVE_SECCOMP
/* seccomp(2) with a NULL program: EFAULT means the flags passed the
 * kernel's check (the filter copy comes after it), EINVAL means unknown
 * flags. Nothing is installed either way. */
static bool kernel_accepts_seccomp_flags(unsigned long flags)
{
    long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, NULL);

    return r < 0 && errno == EFAULT;
}

static void add_seccomp_flags(struct oci_features_seccomp *s)
{
    size_t i;

    s->known_flags = xzalloc(sizeof(char *));
    s->supported_flags = xzalloc(sizeof(char *));
    for (i = 0; i < ARRAY_SIZE(seccomp_flags); i++) {
        strv_push(&s->known_flags, &s->known_flags_len, xstrdup(seccomp_flags[i].name));
        if (kernel_accepts_seccomp_flags(seccomp_flags[i].kernel_flags))
            strv_push(&s->supported_flags, &s->supported_flags_len, xstrdup(seccomp_flags[i].name));
    }
}
#endif

static struct oci_features_seccomp *seccomp_features(void)
{
    struct oci_features_seccomp *s = xzalloc(sizeof(*s));

    s->enabled_present = true;
#ifdef HAVE_SECCOMP
    s->enabled = FEATURE_SECCOMP_FILTERS;
    s->actions = STRV(feature_seccomp_actions, &s->actions_len);
    s->operators = STRV(feature_seccomp_operators, &s->operators_len);
    s->archs = xzalloc(sizeof(char *));
    for (size_t i = 0; i < ARRAY_SIZE(seccomp_arch_candidates); i++) {
        cleanup_free char *lower = xstrdup(seccomp_arch_candidates[i]);
        for (char *p = lower; *p; p++)
            *p = (char)tolower((unsigned char)*p);
        if (seccomp_arch_resolve_name(lower) != 0)
            strv_push(&s->archs, &s->archs_len,
                      xasprintf("SCMP_ARCH_%s", seccomp_arch_candidates[i]));
    }
    add_seccomp_flags(s);
#endif
    return s;
}

static struct oci_features_linux *linux_features(void)
{
    struct oci_features_linux *l = xzalloc(sizeof(*l));

    l->namespaces = STRV(feature_namespaces, &l->namespaces_len);
    add_capabilities(l);
    l->cgroup = xmalloc(sizeof(*l->cgroup));
    *l->cgroup = feature_cgroup;
    l->seccomp = seccomp_features();
    l->apparmor = enabled(FEATURE_APPARMOR);
    l->selinux = enabled(FEATURE_SELINUX);
    l->intel_rdt = enabled(FEATURE_INTEL_RDT);
    l->intel_rdt->schemata = l->intel_rdt->monitoring = FEATURE_INTEL_RDT;
    l->intel_rdt->schemata_present = l->intel_rdt->monitoring_present = true;
    l->mount_extensions = xzalloc(sizeof(*l->mount_extensions));
    l->mount_extensions->idmap = enabled(FEATURE_IDMAP_MOUNTS);
    l->net_devices = enabled(FEATURE_NET_DEVICES);
    /* linux.memoryPolicy: every mode and flag config-linux.md lists
     * (src/lib/mempolicy.c maps them all). */
    l->memory_policy = xzalloc(sizeof(*l->memory_policy));
    l->memory_policy->modes =
        strv_from(mempolicy_mode_names, mempolicy_mode_count, &l->memory_policy->modes_len);
    l->memory_policy->flags =
        strv_from(mempolicy_flag_names, mempolicy_flag_count, &l->memory_policy->flags_len);
    return l;
}

static void add_annotation(struct oci_string_map *m, const char *key, char *value)
{
    m->keys = xrealloc(m->keys, (m->len + 1) * sizeof(char *));
    m->values = xrealloc(m->values, (m->len + 1) * sizeof(char *));
    m->keys[m->len] = xstrdup(key);
    m->values[m->len] = value;
    m->len++;
}

static struct oci_features *build_features(void)
{
    struct oci_features *f = xzalloc(sizeof(*f));

    f->oci_version_min = xstrdup(FEATURES_OCI_VERSION_MIN);
    f->oci_version_max = xstrdup(OCI_SPEC_VERSION);
    f->hooks = STRV(feature_hooks, &f->hooks_len);
    f->mount_options = STRV(feature_mount_options, &f->mount_options_len);
    f->linux_ = linux_features();
#ifdef HAVE_SECCOMP
    const struct scmp_version *v = seccomp_version();
    if (v != NULL)
        add_annotation(&f->annotations, "io.github.seccomp.libseccomp.version",
                       xasprintf("%u.%u.%u", v->major, v->minor, v->micro));
#endif
    add_annotation(&f->annotations, "org.opencontainers.ocirun.commit", xstrdup(GIT_COMMIT));
    add_annotation(&f->annotations, "org.opencontainers.ocirun.version", xstrdup(PACKAGE_VERSION));
    return f;
}

static const struct cli_command command = {
    .name = "features",
    .args = NULL,
    .summary = "show the enabled features",
    .description = "Show the enabled features, as a JSON document (OCI runtime spec\n"
                   "   features.md).",
};

int cmd_features(struct global_options *g, int argc, char **argv, struct ocirun_error *err)
{
    struct cli_parser p;
    struct oci_features *f;
    cleanup_free char *json = NULL;
    const char *value;
    char *msg = NULL;
    size_t len = 0;
    int id, r;

    (void)g;
    cli_parser_init(&p, &command, argc, argv);
    while ((r = cli_next(&p, &id, &value, err)) > 0)
        ;
    if (r < 0)
        return r;
    if (p.help_shown)
        return 0;
    if (cli_check_nargs(&p, 0, CLI_EXACT, err) < 0)
        return -1;
    f = build_features();
    r = oci_features_generate(f, &json, &len, &msg);
    oci_features_free(f);
    if (r < 0) {
        error_take(err, 0, msg);
        return error_wrap(err, "generate features.json");
    }
    if (write_all(STDOUT_FILENO, json, len) < 0 ||
        (len > 0 && json[len - 1] != '\n' && write_all(STDOUT_FILENO, "\n", 1) < 0))
        return error_make(err, errno, "write features to stdout");
    return 0;
}
