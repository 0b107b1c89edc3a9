/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/close_range.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "caps.h"
#include "cpu_affinity.h"
#include "log.h"
#include "passwd.h"
#include "process.h"
#include "util.h"

static const struct {
    const char *name;
    int resource;
} rlimit_names[] = {
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

static const struct {
    const char *name;
    int value;
} sched_policies[] = {
    {"SCHED_OTHER", SCHED_OTHER}, {"SCHED_FIFO", SCHED_FIFO}, {"SCHED_RR", SCHED_RR},
    {"SCHED_BATCH", SCHED_BATCH}, {"SCHED_ISO", 4},           {"SCHED_IDLE", SCHED_IDLE},
    {"SCHED_DEADLINE", 6},
};

static const struct {
    const char *name;
    unsigned long long value;
} sched_flags[] = {
    {"SCHED_FLAG_RESET_ON_FORK", 0x01},  {"SCHED_FLAG_RECLAIM", 0x02},
    {"SCHED_FLAG_DL_OVERRUN", 0x04},     {"SCHED_FLAG_KEEP_POLICY", 0x08},
    {"SCHED_FLAG_KEEP_PARAMS", 0x10},    {"SCHED_FLAG_UTIL_CLAMP_MIN", 0x20},
    {"SCHED_FLAG_UTIL_CLAMP_MAX", 0x40},
};

/* linux/sched/types.h clashes with glibc's sched.h, so the ABI struct of
 * sched_setattr(2) is spelled out here. */
struct sched_attr {
    uint32_t size;
    uint32_t sched_policy;
    uint64_t sched_flags;
    int32_t sched_nice;
    uint32_t sched_priority;
    uint64_t sched_runtime;
    uint64_t sched_deadline;
    uint64_t sched_period;
    uint32_t sched_util_min;
    uint32_t sched_util_max;
};

static const char *const ioprio_classes[] = {NULL, "IOPRIO_CLASS_RT", "IOPRIO_CLASS_BE",
                                             "IOPRIO_CLASS_IDLE"};

static int rlimit_resource(const char *name)
{
    for (size_t i = 0; name && i < ARRAY_SIZE(rlimit_names); i++)
        if (strcmp(rlimit_names[i].name, name) == 0)
            return rlimit_names[i].resource;
    return -1;
}

static int sched_policy(const char *name)
{
    for (size_t i = 0; name && i < ARRAY_SIZE(sched_policies); i++)
        if (strcmp(sched_policies[i].name, name) == 0)
            return sched_policies[i].value;
    return -1;
}

static int sched_flag(const char *name, unsigned long long *v)
{
    for (size_t i = 0; name && i < ARRAY_SIZE(sched_flags); i++)
        if (strcmp(sched_flags[i].name, name) == 0) {
            *v = sched_flags[i].value;
            return 0;
        }
    return -1;
}

static int ioprio_class(const char *name)
{
    for (size_t i = 1; name && i < ARRAY_SIZE(ioprio_classes); i++)
        if (strcmp(ioprio_classes[i], name) == 0)
            return (int)i;
    return -1;
}

static int validate_rlimits(const struct oci_process *p, struct ocirun_error *err)
{
    for (size_t i = 0; i < p->rlimits_len; i++) {
        const struct oci_rlimit *r = &p->rlimits[i];
        if (rlimit_resource(r->type) < 0)
            return error_make(err, 0, "process.rlimits[%zu]: unknown rlimit type `%s`", i,
                              r->type ? r->type : "");
        if (r->soft > r->hard)
            return error_make(err, 0,
                              "process.rlimits[%zu]: %s soft limit %llu above the "
                              "hard limit %llu",
                              i, r->type, (unsigned long long)r->soft, (unsigned long long)r->hard);
        for (size_t j = 0; j < i; j++)
            if (strcmp(p->rlimits[j].type, r->type) == 0)
                return error_make(err, 0, "process.rlimits: %s given twice", r->type);
    }
    return 0;
}

/* sched_setattr(2)'s rules, so a bad value fails create with a message
 * rather than the init with EINVAL (SCHED_DEADLINE: 1024 ns <= runtime <=
 * deadline <= period, period 0 meaning deadline). */
static int validate_sched_params(const struct oci_scheduler *s, int policy,
                                 struct ocirun_error *err)
{
    bool rt = policy == SCHED_FIFO || policy == SCHED_RR;
    uint64_t period = s->period ? s->period : s->deadline;

    if (policy == 4)
        return error_make(err, 0,
                          "process.scheduler.policy: SCHED_ISO is not implemented by Linux");
    if (rt && (s->priority < 1 || s->priority > 99))
        return error_make(err, 0, "process.scheduler.priority: %d is outside 1..99 for %s",
                          s->priority, s->policy);
    if (!rt && s->priority != 0)
        return error_make(err, 0,
                          "process.scheduler.priority: only SCHED_FIFO and SCHED_RR take a "
                          "priority (policy %s)",
                          s->policy);
    if (policy != 6 && (s->runtime || s->deadline || s->period))
        return error_make(err, 0,
                          "process.scheduler: runtime, deadline and period are for "
                          "SCHED_DEADLINE only (policy %s)",
                          s->policy);
    if (policy == 6 && (s->runtime < 1024 || s->deadline < s->runtime || period < s->deadline))
        return error_make(err, 0,
                          "process.scheduler: SCHED_DEADLINE needs 1024 <= runtime <= deadline "
                          "<= period (ns; runtime %llu, deadline %llu, period %llu)",
                          (unsigned long long)s->runtime, (unsigned long long)s->deadline,
                          (unsigned long long)s->period);
    return 0;
}

static int validate_scheduler(const struct oci_scheduler *s, struct ocirun_error *err)
{
    unsigned long long f;

    if (s == NULL)
        return 0;
    if (sched_policy(s->policy) < 0)
        return error_make(err, 0, "process.scheduler.policy: unknown policy `%s`",
                          s->policy ? s->policy : "");
    if (s->nice_present && (s->nice < -20 || s->nice > 19))
        return error_make(err, 0, "process.scheduler.nice: %d is outside -20..19", s->nice);
    if (validate_sched_params(s, sched_policy(s->policy), err) < 0)
        return -1;
    for (size_t i = 0; i < s->flags_len; i++)
        if (sched_flag(s->flags[i], &f) < 0)
            return error_make(err, 0, "process.scheduler.flags: unknown flag `%s`", s->flags[i]);
    return 0;
}

static int validate_io_priority(const struct oci_io_priority *io, struct ocirun_error *err)
{
    if (io == NULL)
        return 0;
    if (ioprio_class(io->class) < 0)
        return error_make(err, 0, "process.ioPriority.class: unknown class `%s`",
                          io->class ? io->class : "");
    if (io->priority < 0 || io->priority > 7)
        return error_make(err, 0, "process.ioPriority.priority: %d is outside 0..7", io->priority);
    return 0;
}

static int validate_personality(const struct oci_personality *pers, struct ocirun_error *err)
{
    if (pers == NULL)
        return 0;
    if (pers->domain == NULL ||
        (strcmp(pers->domain, "LINUX") != 0 && strcmp(pers->domain, "LINUX32") != 0))
        return error_make(err, 0, "linux.personality.domain: unknown domain `%s`",
                          pers->domain ? pers->domain : "");
    if (pers->flags_len > 0)
        log_warn("linux.personality.flags: no flag is supported, ignored");
    return 0;
}

int process_validate(const struct oci_process *p, const struct oci_personality *pers,
                     struct ocirun_error *err)
{
    if (p == NULL)
        return error_make(err, 0, "process: missing (a container needs a process to run)");
    if (p->args == NULL || p->args_len == 0 || p->args[0] == NULL || p->args[0][0] == '\0')
        return error_make(err, 0, "process.args: args must not be empty");
    if (p->cwd == NULL || p->cwd[0] != '/')
        return error_make(err, 0, "process.cwd: `%s` is not an absolute path",
                          p->cwd ? p->cwd : "");
    if (p->oom_score_adj_present && (p->oom_score_adj < -1000 || p->oom_score_adj > 1000))
        return error_make(err, 0, "process.oomScoreAdj: %d is outside -1000..1000",
                          p->oom_score_adj);
    if (validate_rlimits(p, err) < 0 || validate_scheduler(p->scheduler, err) < 0 ||
        validate_io_priority(p->io_priority, err) < 0 ||
        cpu_affinity_validate(p->exec_cpu_affinity, err) < 0)
        return -1;
    return validate_personality(pers, err);
}

int process_set_rlimits(const struct oci_process *p, struct ocirun_error *err)
{
    for (size_t i = 0; i < p->rlimits_len; i++) {
        const struct oci_rlimit *r = &p->rlimits[i];
        struct rlimit rl = {.rlim_cur = r->soft, .rlim_max = r->hard};

        if (setrlimit(rlimit_resource(r->type), &rl) == 0)
            continue;
        if (errno == EPERM)
            return error_make(err, errno,
                              "setrlimit %s (soft %llu, hard %llu): raising a hard "
                              "limit needs CAP_SYS_RESOURCE",
                              r->type, (unsigned long long)r->soft, (unsigned long long)r->hard);
        return error_make(err, errno, "setrlimit %s", r->type);
    }
    return 0;
}

int process_set_oom_score_adj(pid_t pid, const struct oci_process *p, struct ocirun_error *err)
{
    char buf[16], path[64];
    cleanup_close int fd = -1;

    if (!p->oom_score_adj_present)
        return 0;
    snprintf(buf, sizeof(buf), "%d", p->oom_score_adj);
    snprintf(path, sizeof(path), "/proc/%d/oom_score_adj", (int)pid);
    fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write_all(fd, buf, strlen(buf)) < 0)
        return error_make(err, errno, "set process.oomScoreAdj %s: write `%s`", buf, path);
    return 0;
}

int process_set_personality(const struct oci_personality *pers, struct ocirun_error *err)
{
    unsigned long domain;

    if (pers == NULL)
        return 0;
    domain = strcmp(pers->domain, "LINUX32") == 0 ? PER_LINUX32 : PER_LINUX;
    if (personality(domain) < 0)
        return error_make(err, errno, "personality %s", pers->domain);
    return 0;
}

int process_set_io_priority(const struct oci_process *p, struct ocirun_error *err)
{
    const struct oci_io_priority *io = p->io_priority;
    int value;

    if (io == NULL)
        return 0;
    /* IOPRIO_PRIO_VALUE(class, data): class in bits 13.., IOPRIO_WHO_PROCESS = 1 */
    value = (ioprio_class(io->class) << 13) | io->priority;
    if (syscall(SYS_ioprio_set, 1, 0, value) < 0)
        return error_make(err, errno, "ioprio_set %s %d", io->class, io->priority);
    return 0;
}

int process_set_scheduler(const struct oci_process *p, struct ocirun_error *err)
{
    const struct oci_scheduler *s = p->scheduler;
    struct sched_attr attr;
    unsigned long long f;

    if (s == NULL)
        return 0;
    memset(&attr, 0, sizeof(attr));
    attr.size = sizeof(attr);
    attr.sched_policy = (uint32_t)sched_policy(s->policy);
    attr.sched_nice = s->nice;
    attr.sched_priority = (uint32_t)s->priority;
    attr.sched_runtime = s->runtime;
    attr.sched_deadline = s->deadline;
    attr.sched_period = s->period;
    for (size_t i = 0; i < s->flags_len; i++)
        if (sched_flag(s->flags[i], &f) == 0)
            attr.sched_flags |= f;
    if (syscall(SYS_sched_setattr, 0, &attr, 0) < 0)
        return error_make(err, errno, "sched_setattr %s%s", s->policy,
                          errno == EPERM ? " (a real-time policy or a lower nice needs "
                                           "CAP_SYS_NICE and RLIMIT_RTPRIO/RLIMIT_NICE)"
                                         : "");
    return 0;
}

int process_join_session_keyring(struct ocirun_error *err)
{
    /* KEYCTL_JOIN_SESSION_KEYRING = 1; NULL name: a new anonymous keyring.
     * Like runc, tolerate kernels or sandboxes without keyrings. */
    if (syscall(SYS_keyctl, 1, NULL, 0, 0, 0) < 0 && errno != ENOSYS && errno != EACCES &&
        errno != EPERM)
        return error_make(err, errno, "join a new session keyring");
    return 0;
}

int process_set_user(const struct oci_user *u, struct ocirun_error *err)
{
    uid_t uid = u ? u->uid : 0;
    gid_t gid = u ? u->gid : 0;
    size_t ngroups = u ? u->additional_gids_len : 0;

    umask(u && u->umask_present ? (mode_t)u->umask : 022);
    /* EPERM with an empty list: setgroups is denied in this user namespace
     * (rootless, or a namespace joined by path), and the list the process
     * has is already the one it was created with. */
    if (setgroups(ngroups, ngroups ? (gid_t *)u->additional_gids : NULL) < 0 &&
        !(errno == EPERM && ngroups == 0))
        return error_make(err, errno, "setgroups (process.user.additionalGids)");
    if (setresgid(gid, gid, gid) < 0)
        return error_make(err, errno, "setresgid %u", (unsigned)gid);
    if (uid != 0 && caps_keep_across_setuid(err) < 0)
        return -1;
    if (setresuid(uid, uid, uid) < 0)
        return error_make(err, errno, "setresuid %u", (unsigned)uid);
    return 0;
}

int process_chdir(const char *cwd, struct ocirun_error *err)
{
    char buf[4096];
    long n;

    if (chdir(cwd) < 0)
        return error_make(err, errno, "chdir to cwd `%s` (process.cwd)", cwd);
    /* The raw syscall: glibc hides "(unreachable)" behind ENOENT. */
    n = syscall(SYS_getcwd, buf, sizeof(buf));
    if (n < 0)
        return error_make(err, errno, "getcwd after chdir to `%s`", cwd);
    if (buf[0] != '/')
        return error_make(err, EPERM, "cwd `%s` is outside the container (%s)", cwd, buf);
    return 0;
}

static const char *env_get(const struct oci_process *p, const char *name)
{
    size_t len = strlen(name);

    for (size_t i = p->env_len; i-- > 0;)
        if (p->env[i] && strncmp(p->env[i], name, len) == 0 && p->env[i][len] == '=')
            return p->env[i] + len + 1;
    return NULL;
}

/* 0: executable regular file; else the errno execvp would report. */
static int check_executable(const char *path)
{
    struct stat st;

    if (stat(path, &st) < 0)
        return errno;
    if (S_ISDIR(st.st_mode))
        return EACCES;
    if (!S_ISREG(st.st_mode) || (st.st_mode & 0111) == 0 || access(path, X_OK) < 0)
        return EACCES;
    return 0;
}

char *process_find_executable(const struct oci_process *p, struct ocirun_error *err)
{
    const char *arg0 = p->args[0];
    const char *path = env_get(p, "PATH");
    int e;

    if (strchr(arg0, '/') != NULL) {
        e = check_executable(arg0);
        if (e == 0)
            return xstrdup(arg0);
        error_make(err, e, "exec: \"%s\"", arg0);
        return NULL;
    }
    for (const char *dir = path; dir != NULL && *dir;) {
        const char *colon = strchr(dir, ':');
        size_t len = colon ? (size_t)(colon - dir) : strlen(dir);
        char *cand = xasprintf("%.*s/%s", (int)len, len ? dir : ".", arg0);

        if (check_executable(cand) == 0)
            return cand;
        free(cand);
        dir = colon ? colon + 1 : NULL;
    }
    /* runc's exact wording, which callers match; no strerror suffix. */
    error_make(err, 0, "exec: \"%s\": executable file not found in $PATH", arg0);
    err->errnum = ENOENT;
    return NULL;
}

int process_check_preserved_fds(int preserve_fds, int log_fd, struct ocirun_error *err)
{
    for (int fd = 3; fd < 3 + preserve_fds; fd++) {
        if (fcntl(fd, F_GETFD) < 0)
            return error_make(err, errno, "preserved fd %d (--preserve-fds %d)", fd, preserve_fds);
        if (fd == log_fd)
            return error_make(err, EBADF,
                              "preserved fd %d (--preserve-fds %d) is ocirun's "
                              "--log file, not a descriptor of the caller",
                              fd, preserve_fds);
    }
    return 0;
}

int process_prepare_fds(int preserve_fds, struct ocirun_error *err)
{
    for (int fd = 3; fd < 3 + preserve_fds; fd++) {
        int flags = fcntl(fd, F_GETFD);
        if (flags < 0)
            return error_make(err, errno, "preserved fd %d (--preserve-fds %d)", fd, preserve_fds);
        if (fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC) < 0)
            return error_make(err, errno, "clear close-on-exec on preserved fd %d", fd);
    }
    /* Close-on-exec rather than close: the init still needs its channel and
     * exec.fifo until execve, which then closes them atomically. */
    if (syscall(SYS_close_range, 3 + preserve_fds, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
        return error_make(err, errno, "close_range");
    return 0;
}

/* The home directory of uid in the container's /etc/passwd, or NULL. */
static char *passwd_home(uid_t uid)
{
    char *home = passwd_field_of_uid(uid, PASSWD_HOME);

    if (home != NULL && home[0] != '/') {
        free(home);
        return NULL;
    }
    return home;
}

char **process_build_env(const struct oci_process *p)
{
    char **env = xzalloc(sizeof(char *) * (p->env_len + 2));
    bool has_home = false;
    size_t n = 0;

    for (size_t i = 0; p->env && i < p->env_len; i++) {
        env[n++] = p->env[i];
        if (str_has_prefix(p->env[i], "HOME="))
            has_home = true;
    }
    if (!has_home) {
        cleanup_free char *home = passwd_home(p->user ? p->user->uid : 0);
        env[n++] = xasprintf("HOME=%s", home ? home : "/");
    }
    return env;
}

int process_exec(const char *path, const struct oci_process *p, char **env,
                 struct ocirun_error *err)
{
    char **argv = xzalloc(sizeof(char *) * (p->args_len + 1));

    for (size_t i = 0; i < p->args_len; i++)
        argv[i] = p->args[i];
    execve(path, argv, env);
    return error_make(err, errno, "exec `%s`", path);
}
