/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Inspection sections of the test helper: what the process sees of its ids,
 * capabilities, fds, mounts, limits and namespaces, as JSON members.
 * Values come from the kernel's own view (/proc/self/...) where possible,
 * so tests check what the runtime really set up. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "ocitest.h"
#include "json-out.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

extern char **environ;

void report_errno(const char *op, const char *path, int errnum)
{
    const char *name = strerrorname_np(errnum);

    json_string("op", op);
    if (path != NULL)
        json_string("path", path);
    json_string("error", strerror(errnum));
    json_int("errno", errnum);
    json_string("errno_name", name != NULL ? name : "unknown");
}

/* The value of one "Name:\tvalue" line of /proc/self/status, or NULL. */
static char *status_field(const char *field)
{
    FILE *f = fopen("/proc/self/status", "re");
    char line[4096];
    size_t flen = strlen(field);
    char *ret = NULL;

    if (f == NULL)
        return NULL;
    while (fgets(line, sizeof(line), f) != NULL) {
        if (strncmp(line, field, flen) == 0 && line[flen] == ':') {
            char *v = line + flen + 1;
            v += strspn(v, " \t");
            v[strcspn(v, "\n")] = '\0';
            ret = strdup(v);
            break;
        }
    }
    fclose(f);
    return ret;
}

static void write_status_int(const char *key, const char *field)
{
    char *v = status_field(field);

    if (v == NULL)
        json_null(key);
    else
        json_int(key, strtoll(v, NULL, 10));
    free(v);
}

static void write_ids(void)
{
    uid_t ruid, euid, suid;
    gid_t rgid, egid, sgid;
    gid_t groups[NGROUPS_MAX];
    int n = getgroups(NGROUPS_MAX, groups);
    char *umask_str = status_field("Umask");

    getresuid(&ruid, &euid, &suid);
    getresgid(&rgid, &egid, &sgid);
    json_uint("uid", ruid);
    json_uint("gid", rgid);
    json_uint("euid", euid);
    json_uint("egid", egid);
    json_uint("suid", suid);
    json_uint("sgid", sgid);
    json_array_begin("groups");
    for (int i = 0; i < n; i++)
        json_uint(NULL, groups[i]);
    json_array_end();
    if (umask_str != NULL) {
        json_int("umask", strtol(umask_str, NULL, 8));
    } else {
        /* old kernels lack Umask:; reading it this way briefly changes it */
        mode_t m = umask(0);
        umask(m);
        json_int("umask", m);
    }
    free(umask_str);
}

/* Names as the OCI config spells them, indexed by capability number. */
static const char *const cap_names[] = {
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
};

static void write_cap_names(const char *key, unsigned long long mask)
{
    json_array_begin(key);
    for (unsigned int bit = 0; bit < 64; bit++) {
        char buf[32];

        if (!(mask & (1ULL << bit)))
            continue;
        if (bit < sizeof(cap_names) / sizeof(cap_names[0])) {
            json_string(NULL, cap_names[bit]);
        } else {
            snprintf(buf, sizeof(buf), "CAP_%u", bit);
            json_string(NULL, buf);
        }
    }
    json_array_end();
}

static void write_caps(void)
{
    static const struct {
        const char *key, *field;
    } sets[] = {
        {"inheritable", "CapInh"}, {"permitted", "CapPrm"}, {"effective", "CapEff"},
        {"bounding", "CapBnd"},    {"ambient", "CapAmb"},
    };
    unsigned long long masks[5] = {0};
    size_t nsets = sizeof(sets) / sizeof(sets[0]);

    for (size_t i = 0; i < nsets; i++) {
        char *v = status_field(sets[i].field);

        json_string(sets[i].key, v);
        if (v != NULL)
            masks[i] = strtoull(v, NULL, 16);
        free(v);
    }
    json_object_begin("names");
    for (size_t i = 0; i < nsets; i++)
        write_cap_names(sets[i].key, masks[i]);
    json_object_end();
}

static int compare_ints(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;

    return (x > y) - (x < y);
}

static void write_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    int fds[4096];
    size_t n = 0;
    struct dirent *de;

    if (d == NULL) {
        report_errno("opendir", "/proc/self/fd", errno);
        return;
    }
    while ((de = readdir(d)) != NULL && n < sizeof(fds) / sizeof(fds[0])) {
        if (de->d_name[0] == '.')
            continue;
        int fd = atoi(de->d_name);
        if (fd != dirfd(d))
            fds[n++] = fd;
    }
    closedir(d);
    qsort(fds, n, sizeof(int), compare_ints);
    json_array_begin("fds");
    for (size_t i = 0; i < n; i++)
        json_int(NULL, fds[i]);
    json_array_end();
    json_object_begin("targets");
    for (size_t i = 0; i < n; i++) {
        char link[64], target[PATH_MAX], key[16];
        ssize_t len;

        snprintf(link, sizeof(link), "/proc/self/fd/%d", fds[i]);
        snprintf(key, sizeof(key), "%d", fds[i]);
        len = readlink(link, target, sizeof(target));
        if (len < 0)
            json_null(key);
        else
            json_string_len(key, target, (size_t)len);
    }
    json_object_end();
}

static void write_cwd(void)
{
    char buf[PATH_MAX];
    ssize_t len;

    /* getcwd fails with ENOENT when the cwd is outside our root, which is
     * exactly what a CVE-2024-21626 style test wants to see */
    if (getcwd(buf, sizeof(buf)) != NULL) {
        json_string("cwd", buf);
    } else {
        json_null("cwd");
        json_string("cwd_error", strerror(errno));
    }
    len = readlink("/proc/self/cwd", buf, sizeof(buf));
    if (len < 0)
        json_null("proc_cwd");
    else
        json_string_len("proc_cwd", buf, (size_t)len);
}

/* Decodes mountinfo's octal escapes (\040 for a space) in place. */
static char *unescape_mountinfo(char *s)
{
    char *out = s;

    for (char *p = s; *p != '\0'; p++) {
        if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] >= '0' && p[2] <= '7' &&
            p[3] >= '0' && p[3] <= '7') {
            *out++ = (char)((p[1] - '0') * 64 + (p[2] - '0') * 8 + (p[3] - '0'));
            p += 3;
        } else {
            *out++ = *p;
        }
    }
    *out = '\0';
    return s;
}

/* One mountinfo line: ID PARENT MAJ:MIN ROOT POINT OPTS [OPTIONAL...] - TYPE SRC SUPER */
static void write_mount_entry(char *line)
{
    char *field[6], *save = NULL, *tok, *rest;
    char *sep = strstr(line, " - ");
    int n = 0;

    if (sep == NULL)
        return;
    *sep = '\0';
    rest = sep + 3;
    for (tok = strtok_r(line, " ", &save); tok != NULL && n < 6; tok = strtok_r(NULL, " ", &save))
        field[n++] = tok;
    if (n < 6)
        return;
    json_object_begin(NULL);
    json_int("mount_id", atoi(field[0]));
    json_int("parent_id", atoi(field[1]));
    json_string("major_minor", field[2]);
    json_string("root", unescape_mountinfo(field[3]));
    json_string("mount_point", unescape_mountinfo(field[4]));
    json_string("options", field[5]);
    json_array_begin("optional");
    for (; tok != NULL; tok = strtok_r(NULL, " ", &save))
        json_string(NULL, tok);
    json_array_end();
    save = NULL;
    json_string("fstype", strtok_r(rest, " ", &save));
    tok = strtok_r(NULL, " ", &save);
    json_string("source", tok != NULL ? unescape_mountinfo(tok) : NULL);
    json_string("super_options", strtok_r(NULL, " ", &save));
    json_object_end();
}

static void write_mounts(void)
{
    FILE *f = fopen("/proc/self/mountinfo", "re");
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;

    if (f == NULL) {
        report_errno("open", "/proc/self/mountinfo", errno);
        return;
    }
    json_array_begin("mounts");
    while ((len = getline(&line, &cap, f)) > 0) {
        if (line[len - 1] == '\n')
            line[len - 1] = '\0';
        write_mount_entry(line);
    }
    json_array_end();
    free(line);
    fclose(f);
}

static void write_hostname(void)
{
    struct utsname u;

    if (uname(&u) < 0)
        report_errno("uname", NULL, errno);
    else
        json_string("hostname", u.nodename);
}

static void write_domainname(void)
{
    struct utsname u;

    if (uname(&u) < 0)
        report_errno("uname", NULL, errno);
    else
        json_string("domainname", u.domainname);
}

static void write_rlimits(void)
{
    static const struct {
        const char *name;
        int resource;
    } limits[] = {
        {"RLIMIT_AS", RLIMIT_AS},
        {"RLIMIT_CORE", RLIMIT_CORE},
        {"RLIMIT_CPU", RLIMIT_CPU},
        {"RLIMIT_DATA", RLIMIT_DATA},
        {"RLIMIT_FSIZE", RLIMIT_FSIZE},
        {"RLIMIT_LOCKS", RLIMIT_LOCKS},
        {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
        {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
        {"RLIMIT_NICE", RLIMIT_NICE},
        {"RLIMIT_NOFILE", RLIMIT_NOFILE},
        {"RLIMIT_NPROC", RLIMIT_NPROC},
        {"RLIMIT_RSS", RLIMIT_RSS},
        {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
        {"RLIMIT_RTTIME", RLIMIT_RTTIME},
        {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
        {"RLIMIT_STACK", RLIMIT_STACK},
    };

    json_object_begin("rlimits");
    for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
        struct rlimit rl;

        if (getrlimit(limits[i].resource, &rl) < 0)
            continue;
        /* unlimited prints as 2^64-1, the value the OCI config uses */
        json_object_begin(limits[i].name);
        json_uint("soft", (unsigned long long)rl.rlim_cur);
        json_uint("hard", (unsigned long long)rl.rlim_max);
        json_object_end();
    }
    json_object_end();
}

static void write_env(void)
{
    json_array_begin("env");
    for (char **e = environ; e != NULL && *e != NULL; e++)
        json_string(NULL, *e);
    json_array_end();
}

static void write_nnp(void)
{
    write_status_int("no_new_privs", "NoNewPrivs");
    write_status_int("seccomp", "Seccomp");
    write_status_int("seccomp_filters", "Seccomp_filters");
}

static void write_oom(void)
{
    FILE *f = fopen("/proc/self/oom_score_adj", "re");
    int v;

    if (f == NULL) {
        report_errno("open", "/proc/self/oom_score_adj", errno);
        return;
    }
    if (fscanf(f, "%d", &v) == 1)
        json_int("oom_score_adj", v);
    else
        json_null("oom_score_adj");
    fclose(f);
}

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void write_ns(void)
{
    DIR *d = opendir("/proc/self/ns");
    char *names[64];
    size_t n = 0;
    struct dirent *de;

    if (d == NULL) {
        report_errno("opendir", "/proc/self/ns", errno);
        return;
    }
    while ((de = readdir(d)) != NULL && n < sizeof(names) / sizeof(names[0]))
        if (de->d_name[0] != '.')
            names[n++] = strdup(de->d_name);
    closedir(d);
    qsort(names, n, sizeof(char *), compare_strings);
    json_object_begin("ns");
    for (size_t i = 0; i < n; i++) {
        char path[PATH_MAX], target[256];
        ssize_t len;

        snprintf(path, sizeof(path), "/proc/self/ns/%s", names[i]);
        len = readlink(path, target, sizeof(target));
        if (len < 0)
            json_null(names[i]);
        else
            json_string_len(names[i], target, (size_t)len);
        free(names[i]);
    }
    json_object_end();
}

static void write_proc(void)
{
    char comm[64] = "";
    FILE *f = fopen("/proc/self/comm", "re");

    if (f != NULL) {
        if (fgets(comm, sizeof(comm), f) != NULL)
            comm[strcspn(comm, "\n")] = '\0';
        fclose(f);
    }
    json_int("pid", getpid());
    json_int("ppid", getppid());
    json_int("pgid", getpgrp());
    json_int("sid", getsid(0));
    json_string("comm", comm);
    json_array_begin("isatty");
    for (int fd = 0; fd < 3; fd++)
        json_bool(NULL, isatty(fd) == 1);
    json_array_end();
}

/* /proc/self/cgroup: "ID:CONTROLLERS:PATH" lines */
static void write_cgroup(void)
{
    FILE *f = fopen("/proc/self/cgroup", "re");
    char line[4096];

    if (f == NULL) {
        report_errno("open", "/proc/self/cgroup", errno);
        return;
    }
    json_array_begin("cgroups");
    while (fgets(line, sizeof(line), f) != NULL) {
        char *c1 = strchr(line, ':');
        char *c2 = c1 != NULL ? strchr(c1 + 1, ':') : NULL;

        if (c2 == NULL)
            continue;
        *c1 = *c2 = '\0';
        c2[1 + strcspn(c2 + 1, "\n")] = '\0';
        json_object_begin(NULL);
        json_int("hierarchy", atoi(line));
        json_string("controllers", c1 + 1);
        json_string("path", c2 + 1);
        json_object_end();
    }
    json_array_end();
    fclose(f);
}

const struct report_section report_sections[] = {
    {"ids", write_ids},
    {"caps", write_caps},
    {"fds", write_fds},
    {"cwd", write_cwd},
    {"mounts", write_mounts},
    {"hostname", write_hostname},
    {"domainname", write_domainname},
    {"rlimits", write_rlimits},
    {"env", write_env},
    {"nnp", write_nnp},
    {"oom", write_oom},
    {"ns", write_ns},
    {"proc", write_proc},
    {"cgroup", write_cgroup},
    {NULL, NULL},
};

const struct report_section *report_find(const char *name)
{
    for (const struct report_section *s = report_sections; s->name != NULL; s++)
        if (strcmp(s->name, name) == 0)
            return s;
    return NULL;
}
