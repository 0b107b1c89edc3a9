/* SPDX-License-Identifier: GPL-2.0-or-later */
/* seccomp_compile + seccomp_install: profiles are compiled here and loaded
 * for real in forked children, which then check what the kernel does with
 * their syscalls (errno values, SIGSYS, ENOSYS for syscalls newer than the
 * profile, a notify listener answering for another process). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ocispec.h"
#include "seccomp_filter.h"
#include "seccomp_internal.h"
#include "unit.h"
#include "util.h"

#define CHECK(cond) UNIT_CHECK((cond), "%s", #cond)

/* ---- helpers ----------------------------------------------------------- */

/* Parses `{"ociVersion":..., "linux":{"seccomp": PROFILE}}`. */
static struct oci_config *config_with_profile(const char *profile)
{
    cleanup_free char *doc =
        xasprintf("{\"ociVersion\":\"1.3.0\",\"linux\":{\"seccomp\":%s}}", profile);
    cleanup_free char *perr = NULL;
    struct oci_config *cfg = NULL;

    if (oci_config_parse_data(doc, strlen(doc), &cfg, &perr) < 0) {
        printf("#   parse error: %s\n", perr ? perr : "?");
        return NULL;
    }
    return cfg;
}

/* Compiles a profile; NULL (and the message printed) on failure. */
static struct seccomp_program *compile_json(const char *profile)
{
    struct oci_config *cfg = config_with_profile(profile);
    struct ocirun_error err = {0};
    struct seccomp_program *p = NULL;

    if (cfg == NULL)
        return NULL;
    if (seccomp_compile(cfg->linux_->seccomp, &p, &err) < 0)
        printf("#   compile error: %s\n", err.msg);
    error_clear(&err);
    oci_config_free(cfg);
    return p;
}

/* Compiles a profile that must fail; returns the message (caller frees). */
static char *compile_error(const char *profile)
{
    struct oci_config *cfg = config_with_profile(profile);
    struct ocirun_error err = {0};
    struct seccomp_program *p = NULL;
    int r;

    if (cfg == NULL)
        return NULL;
    r = seccomp_compile(cfg->linux_->seccomp, &p, &err);
    oci_config_free(cfg);
    if (r == 0) {
        seccomp_program_free(p);
        return xstrdup("(compiled without error)");
    }
    return err.msg;
}

static char *read_fixture(const char *name)
{
    cleanup_free char *path = xasprintf("%s/seccomp/%s", FIXTURES, name);
    char *data = NULL;
    struct ocirun_error err = {0};

    if (read_file_at(AT_FDCWD, path, &data, NULL, &err) < 0) {
        printf("#   %s\n", err.msg);
        error_clear(&err);
    }
    return data;
}

/* In the child: report a failed expectation on stderr and exit 1. */
#define EXPECT(cond)                                                                               \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "#   child: %s failed (line %d, errno %d)\n", #cond, __LINE__, errno); \
            _exit(1);                                                                              \
        }                                                                                          \
    } while (0)

/* A syscall's errno, or 0 when it succeeded. */
static int sys_errno(long nr, long a, long b, long c, long d)
{
    errno = 0;
    if (syscall(nr, a, b, c, d) < 0)
        return errno;
    return 0;
}

typedef void (*child_fn)(const struct seccomp_program *p);

/* Forks; the child sets no_new_privs, loads p and runs fn, which exits.
 * Returns the wait status. */
static int run_filtered(const struct seccomp_program *p, child_fn fn)
{
    int status = -1;
    pid_t pid;

    fflush(stdout);
    fflush(stderr);
    pid = fork();
    if (pid == 0) {
        struct rlimit no_core = {0, 0};
        struct ocirun_error err = {0};
        int notify_fd;

        setrlimit(RLIMIT_CORE, &no_core); /* SIGSYS would dump core */
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
            _exit(90);
        if (seccomp_install(p, &notify_fd, &err) < 0) {
            fprintf(stderr, "#   child: %s\n", err.msg);
            _exit(91);
        }
        fn(p);
        _exit(0);
    }
    if (pid < 0)
        return -1;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    return status;
}

static bool exited_ok(int status)
{
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return true;
    printf("#   child status: %s %d\n", WIFEXITED(status) ? "exit" : "signal",
           WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
    return false;
}

static bool killed_by(int status, int sig)
{
    if (WIFSIGNALED(status) && WTERMSIG(status) == sig)
        return true;
    printf("#   child status: %s %d (wanted signal %d)\n", WIFEXITED(status) ? "exit" : "signal",
           WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), sig);
    return false;
}

static long seccomp_mode(void)
{
    cleanup_free char *status = NULL;
    char *line;

    if (read_file_at(AT_FDCWD, "/proc/self/status", &status, NULL, NULL) < 0)
        return -1;
    line = strstr(status, "\nSeccomp:");
    return line ? strtol(line + strlen("\nSeccomp:"), NULL, 10) : -1;
}

/* ---- NULL profile --------------------------------------------------------- */

static void test_null_profile(void)
{
    struct ocirun_error err = {0};
    struct seccomp_program *p = (struct seccomp_program *)&err;
    int fd = 42;

    CHECK(seccomp_compile(NULL, &p, &err) == 0 && p == NULL);
    CHECK(seccomp_install(NULL, &fd, &err) == 0 && fd == -1);
    CHECK(!seccomp_uses_notify(NULL));
    seccomp_program_free(NULL);
}

/* ---- the default (Docker/podman-like) profile ------------------------------ */

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif

static void child_default_profile(const struct seccomp_program *p)
{
    (void)p;
    EXPECT(seccomp_mode() == 2);
    EXPECT(getpid() > 0);
    /* not in the allow list: the default errno */
    EXPECT(sys_errno(SYS_mount, 0, (long)"/", 0, 0) == EPERM);
    EXPECT(sys_errno(SYS_acct, 0, 0, 0, 0) == EPERM);
    /* clone3 refused with ENOSYS by its own rule */
    EXPECT(sys_errno(SYS_clone3, 0, 0, 0, 0) == ENOSYS);
    /* above the profile's last syscall (futex_waitv): ENOSYS, not EPERM */
    EXPECT(sys_errno(SYS_fchmodat2, AT_FDCWD, (long)"/nonexistent-ocirun", 0, 0) == ENOSYS);
    /* argument rules: AF_VSOCK refused, AF_UNIX allowed */
    EXPECT(sys_errno(SYS_socket, 40, SOCK_STREAM, 0, 0) == EPERM);
    EXPECT(sys_errno(SYS_personality, 0xffffffff, 0, 0, 0) == 0);
    EXPECT(sys_errno(SYS_personality, 0x0400000, 0, 0, 0) == EPERM);
    /* clone with a namespace flag is refused; fork (clone without) works */
    EXPECT(sys_errno(SYS_clone, 0x20000000 /* CLONE_NEWUTS */ | SIGCHLD, 0, 0, 0) == EPERM);
    pid_t pid = fork();
    if (pid == 0)
        _exit(7);
    int st;
    EXPECT(pid > 0 && waitpid(pid, &st, 0) == pid && WEXITSTATUS(st) == 7);
    _exit(0);
}

static void test_default_profile(void)
{
    cleanup_free char *json = read_fixture("default.json");
    struct seccomp_program *p;
    struct timespec t0, t1;

    if (!CHECK(json != NULL))
        return;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    p = compile_json(json);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (!UNIT_CHECK(p != NULL, "the default profile (~340 names) compiles"))
        return;
    printf("#   compile took %.2f ms\n",
           (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
    CHECK(!seccomp_uses_notify(p));
    UNIT_CHECK(exited_ok(run_filtered(p, child_default_profile)),
               "default profile: allowed, denied, argument rules and ENOSYS behave");
    seccomp_program_free(p);
}

/* ---- actions ----------------------------------------------------------------- */

static const char actions_profile[] =
    "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
    "{\"names\":[\"mkdirat\",\"mkdir\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":18},"
    "{\"names\":[\"rmdir\"],\"action\":\"SCMP_ACT_ERRNO\"},"
    "{\"names\":[\"getpgid\"],\"action\":\"SCMP_ACT_TRACE\",\"errnoRet\":7},"
    "{\"names\":[\"getsid\"],\"action\":\"SCMP_ACT_LOG\"},"
    "{\"names\":[\"sched_yield\"],\"action\":\"SCMP_ACT_KILL_PROCESS\"},"
    "{\"names\":[\"sync\"],\"action\":\"SCMP_ACT_KILL_THREAD\"},"
    "{\"names\":[\"syncfs\"],\"action\":\"SCMP_ACT_KILL\"},"
    "{\"names\":[\"getppid\"],\"action\":\"SCMP_ACT_TRAP\"},"
    "{\"names\":[\"getpid\"],\"action\":\"SCMP_ACT_ALLOW\"}]}";

static void child_errno_actions(const struct seccomp_program *p)
{
    (void)p;
    EXPECT(sys_errno(SYS_mkdirat, AT_FDCWD, (long)"/tmp/ocirun-seccomp-x", 0700, 0) == EXDEV);
    EXPECT(sys_errno(SYS_rmdir, (long)"/nonexistent-ocirun", 0, 0, 0) == EPERM);
    /* TRACE with no tracer attached: the kernel answers ENOSYS */
    EXPECT(sys_errno(SYS_getpgid, 0, 0, 0, 0) == ENOSYS);
    /* LOG and ALLOW run the syscall */
    EXPECT(sys_errno(SYS_getsid, 0, 0, 0, 0) == 0);
    EXPECT(sys_errno(SYS_getpid, 0, 0, 0, 0) == 0);
    _exit(0);
}

static void child_sched_yield(const struct seccomp_program *p)
{
    (void)p;
    syscall(SYS_sched_yield);
    _exit(0);
}

static void child_sync(const struct seccomp_program *p)
{
    (void)p;
    syscall(SYS_sync);
    _exit(0);
}

static void child_syncfs(const struct seccomp_program *p)
{
    (void)p;
    syscall(SYS_syncfs, 0);
    _exit(0);
}

static void child_getppid(const struct seccomp_program *p)
{
    (void)p;
    syscall(SYS_getppid);
    _exit(0);
}

static void test_actions(void)
{
    struct seccomp_program *p = compile_json(actions_profile);

    if (!UNIT_CHECK(p != NULL, "a profile with every action compiles"))
        return;
    UNIT_CHECK(exited_ok(run_filtered(p, child_errno_actions)),
               "ERRNO (errnoRet 18 and default EPERM), TRACE, LOG, ALLOW");
    UNIT_CHECK(killed_by(run_filtered(p, child_sched_yield), SIGSYS), "KILL_PROCESS: SIGSYS");
    UNIT_CHECK(killed_by(run_filtered(p, child_sync), SIGSYS), "KILL_THREAD: SIGSYS");
    UNIT_CHECK(killed_by(run_filtered(p, child_syncfs), SIGSYS), "KILL: SIGSYS");
    UNIT_CHECK(killed_by(run_filtered(p, child_getppid), SIGSYS), "TRAP: SIGSYS");
    seccomp_program_free(p);
}

/* ---- operators ----------------------------------------------------------------- */

static const char operators_profile[] =
    "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
    "{\"names\":[\"fsync\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":101,"
    " \"args\":[{\"index\":0,\"value\":1000,\"op\":\"SCMP_CMP_EQ\"}]},"
    "{\"names\":[\"fdatasync\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":102,"
    " \"args\":[{\"index\":0,\"value\":1000,\"op\":\"SCMP_CMP_NE\"}]},"
    "{\"names\":[\"getpgid\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":103,"
    " \"args\":[{\"index\":0,\"value\":1000000,\"op\":\"SCMP_CMP_GT\"}]},"
    "{\"names\":[\"getsid\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":104,"
    " \"args\":[{\"index\":0,\"value\":1000000,\"op\":\"SCMP_CMP_GE\"}]},"
    "{\"names\":[\"sched_get_priority_max\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":105,"
    " \"args\":[{\"index\":0,\"value\":2,\"op\":\"SCMP_CMP_LT\"}]},"
    "{\"names\":[\"sched_get_priority_min\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":106,"
    " \"args\":[{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_LE\"}]},"
    "{\"names\":[\"dup\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":107,"
    " \"args\":[{\"index\":0,\"value\":65280,\"valueTwo\":4608,\"op\":\"SCMP_CMP_MASKED_EQ\"}]},"
    "{\"names\":[\"getpriority\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":108,"
    " \"args\":[{\"index\":0,\"value\":0,\"op\":\"SCMP_CMP_EQ\"},"
    "           {\"index\":1,\"value\":4242,\"op\":\"SCMP_CMP_EQ\"}]},"
    "{\"names\":[\"syncfs\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":109,"
    " \"args\":[{\"index\":0,\"value\":5000,\"op\":\"SCMP_CMP_GE\"},"
    "           {\"index\":0,\"value\":10,\"op\":\"SCMP_CMP_LE\"}]}]}";

static void child_operators(const struct seccomp_program *p)
{
    (void)p;
    EXPECT(sys_errno(SYS_fsync, 1000, 0, 0, 0) == 101);
    EXPECT(sys_errno(SYS_fsync, 1001, 0, 0, 0) == EBADF);
    EXPECT(sys_errno(SYS_fdatasync, 1000, 0, 0, 0) == EBADF);
    EXPECT(sys_errno(SYS_fdatasync, 999, 0, 0, 0) == 102);
    EXPECT(sys_errno(SYS_getpgid, 1000001, 0, 0, 0) == 103);
    EXPECT(sys_errno(SYS_getpgid, 1000000, 0, 0, 0) == ESRCH);
    EXPECT(sys_errno(SYS_getsid, 1000000, 0, 0, 0) == 104);
    EXPECT(sys_errno(SYS_getsid, 0, 0, 0, 0) == 0);
    EXPECT(sys_errno(SYS_sched_get_priority_max, 1, 0, 0, 0) == 105);
    EXPECT(sys_errno(SYS_sched_get_priority_max, 2, 0, 0, 0) == 0);
    EXPECT(sys_errno(SYS_sched_get_priority_min, 1, 0, 0, 0) == 106);
    EXPECT(sys_errno(SYS_sched_get_priority_min, 2, 0, 0, 0) == 0);
    /* (arg & 0xff00) == 0x1200 */
    EXPECT(sys_errno(SYS_dup, 0x1234, 0, 0, 0) == 107);
    EXPECT(sys_errno(SYS_dup, 0x1334, 0, 0, 0) == EBADF);
    /* two arguments: both must match */
    EXPECT(sys_errno(SYS_getpriority, 0, 4242, 0, 0) == 108);
    EXPECT(sys_errno(SYS_getpriority, 0, 0, 0, 0) == 0);
    EXPECT(sys_errno(SYS_getpriority, 1, 4242, 0, 0) == ESRCH);
    /* two conditions on one argument: alternatives, as runc and crun do */
    EXPECT(sys_errno(SYS_syncfs, 6000, 0, 0, 0) == 109);
    EXPECT(sys_errno(SYS_syncfs, 5, 0, 0, 0) == 109);
    EXPECT(sys_errno(SYS_syncfs, 100, 0, 0, 0) == EBADF);
    _exit(0);
}

static void test_operators(void)
{
    struct seccomp_program *p = compile_json(operators_profile);

    if (!UNIT_CHECK(p != NULL, "a profile with every operator compiles"))
        return;
    UNIT_CHECK(exited_ok(run_filtered(p, child_operators)),
               "EQ NE GT GE LT LE MASKED_EQ, two arguments, one argument twice");
    seccomp_program_free(p);
}

/* ---- unknown names, rules equal to the default, flags, architectures ------------ */

static void child_unknown_skipped(const struct seccomp_program *p)
{
    (void)p;
    EXPECT(sys_errno(SYS_mkdirat, AT_FDCWD, (long)"/tmp/ocirun-seccomp-x", 0700, 0) == EROFS);
    _exit(0);
}

static void test_unknown_names_and_default_rules(void)
{
    struct seccomp_program *p = compile_json(
        "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
        "{\"names\":[\"no_such_syscall\",\"mkdirat\",\"another_unknown\"],"
        " \"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":30},"
        "{\"names\":[\"getpid\",\"no_such_syscall\"],\"action\":\"SCMP_ACT_ALLOW\"}]}");

    if (!UNIT_CHECK(p != NULL, "unknown syscall names and rules equal to the default compile"))
        return;
    UNIT_CHECK(exited_ok(run_filtered(p, child_unknown_skipped)),
               "the known names of a rule with unknown ones still apply");
    seccomp_program_free(p);
}

static void test_flags_and_arches(void)
{
    struct seccomp_program *p = compile_json(
        "{\"defaultAction\":\"SCMP_ACT_ALLOW\","
        " \"flags\":[\"SECCOMP_FILTER_FLAG_LOG\",\"SECCOMP_FILTER_FLAG_SPEC_ALLOW\","
        "            \"SECCOMP_FILTER_FLAG_TSYNC\",\"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV\"],"
        " \"architectures\":[\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_X86\",\"SCMP_ARCH_X32\","
        "                   \"SCMP_ARCH_AARCH64\",\"SCMP_ARCH_X86\"],"
        " \"syscalls\":[{\"names\":[\"mkdirat\"],\"action\":\"SCMP_ACT_ERRNO\","
        "               \"errnoRet\":30}]}");

    if (!UNIT_CHECK(p != NULL, "flags and extra (and repeated) architectures compile"))
        return;
    UNIT_CHECK(exited_ok(run_filtered(p, child_unknown_skipped)),
               "a filter with flags and several architectures loads and applies");
    seccomp_program_free(p);
}

/* ---- defaultAction ERRNO: allow list and ENOSYS ------------------------------------ */

static void child_allow_list(const struct seccomp_program *p)
{
    (void)p;
    EXPECT(sys_errno(SYS_getpid, 0, 0, 0, 0) == 0);
    EXPECT(sys_errno(SYS_getppid, 0, 0, 0, 0) == 13); /* below the last named: default */
    EXPECT(sys_errno(SYS_fchmodat, AT_FDCWD, (long)"/x", 0, 0) == ENOSYS); /* above it */
    _exit(0);
}

static void child_no_stub(const struct seccomp_program *p)
{
    (void)p;
    EXPECT(sys_errno(SYS_getppid, 0, 0, 0, 0) == ENOSYS);
    EXPECT(sys_errno(SYS_mkdirat, AT_FDCWD, (long)"/x", 0, 0) == ENOSYS);
    _exit(0);
}

static void child_allow_default(const struct seccomp_program *p)
{
    (void)p;
    /* the ENOSYS stub is only for refusing defaults: this one runs */
    EXPECT(sys_errno(SYS_mkdirat, AT_FDCWD, (long)"/proc/ocirun-x", 0, 0) == ENOENT);
    _exit(0);
}

/* Allows what the child (and a sanitizer runtime in it) needs to report
 * and exit; the highest syscall it names is newfstatat (262), so fchmodat
 * (268) is "newer than the profile", while getppid (110) is not named. */
#define ALLOW_BASICS                                                                               \
    "{\"names\":[\"read\",\"write\",\"openat\",\"close\",\"exit\",\"exit_group\","                 \
    "\"getpid\",\"gettid\",\"tgkill\",\"newfstatat\",\"fstat\",\"rt_sigreturn\","                  \
    "\"rt_sigaction\",\"rt_sigprocmask\",\"sigaltstack\",\"brk\",\"mmap\",\"munmap\","             \
    "\"mprotect\",\"madvise\",\"prctl\",\"sched_yield\",\"futex\",\"readlink\"],"                  \
    "\"action\":\"SCMP_ACT_ALLOW\"}"

static void test_default_errno(void)
{
    struct seccomp_program *p =
        compile_json("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":13,"
                     "\"syscalls\":[" ALLOW_BASICS "]}");

    if (UNIT_CHECK(p != NULL, "defaultAction ERRNO with an allow list compiles")) {
        UNIT_CHECK(exited_ok(run_filtered(p, child_allow_list)),
                   "allowed runs, unlisted gets defaultErrnoRet, newer gets ENOSYS");
        seccomp_program_free(p);
    }
    p = compile_json("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":38,"
                     "\"syscalls\":[" ALLOW_BASICS "]}");
    if (UNIT_CHECK(p != NULL, "defaultErrnoRet ENOSYS compiles")) {
        UNIT_CHECK(exited_ok(run_filtered(p, child_no_stub)), "defaultErrnoRet ENOSYS applies");
        seccomp_program_free(p);
    }
    p = compile_json("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
                     "{\"names\":[\"getppid\"],\"action\":\"SCMP_ACT_ERRNO\"}]}");
    if (UNIT_CHECK(p != NULL, "defaultAction ALLOW compiles")) {
        UNIT_CHECK(exited_ok(run_filtered(p, child_allow_default)),
                   "defaultAction ALLOW: syscalls newer than the profile run");
        seccomp_program_free(p);
    }
}

/* ---- notify ------------------------------------------------------------------------ */

/* Loaded by the child itself (run_filtered gets NULL) to keep the fd. */
static const struct seccomp_program *notify_program;

/* The child holds the listener; its own child's getppid waits for the
 * answer, which is 4242. */
static void child_notify(const struct seccomp_program *p)
{
    struct ocirun_error err = {0};
    struct seccomp_notif req;
    struct seccomp_notif_resp resp;
    int fd, st;
    pid_t pid;

    (void)p;
    EXPECT(seccomp_install(notify_program, &fd, &err) == 0 && fd >= 0);
    EXPECT(seccomp_mode() == 2);
    EXPECT((fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
    pid = fork();
    if (pid == 0)
        _exit(syscall(SYS_getppid) == 4242 ? 0 : 1);
    EXPECT(pid > 0);
    memset(&req, 0, sizeof(req));
    EXPECT(ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, &req) == 0);
    EXPECT(req.pid == (__u32)pid);
    memset(&resp, 0, sizeof(resp));
    resp.id = req.id;
    resp.val = 4242;
    EXPECT(ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &resp) == 0);
    EXPECT(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    _exit(0);
}

static void test_notify(void)
{
    struct seccomp_program *p =
        compile_json("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":\"/run/a.sock\","
                     "\"flags\":"
                     "[\"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV\",\"SECCOMP_FILTER_FLAG_TSYNC\"],"
                     "\"syscalls\":[{\"names\":[\"getppid\"],\"action\":\"SCMP_ACT_NOTIFY\"}]}");

    if (!UNIT_CHECK(p != NULL, "a NOTIFY profile compiles"))
        return;
    CHECK(seccomp_uses_notify(p));
    notify_program = p;
    UNIT_CHECK(exited_ok(run_filtered(NULL, child_notify)),
               "the listener fd (O_CLOEXEC) answers a notified syscall");
    seccomp_program_free(p);
}

/* ---- install without privileges --------------------------------------------------- */

static void test_install_needs_privilege(void)
{
    struct seccomp_program *p = compile_json("{\"defaultAction\":\"SCMP_ACT_ALLOW\"}");
    int status = -1, pipefd[2];
    char msg[512] = "";
    pid_t pid;

    if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1 || geteuid() != 0) {
        printf("# skip install-needs-privilege: no_new_privs already set or not root\n");
        seccomp_program_free(p);
        return;
    }
    if (!CHECK(p != NULL) || !CHECK(pipe2(pipefd, O_CLOEXEC) == 0))
        return;
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        struct ocirun_error err = {0};
        int fd;

        close(pipefd[0]);
        /* no no_new_privs, no CAP_SYS_ADMIN */
        if (setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0)
            _exit(2);
        if (seccomp_install(p, &fd, &err) == 0)
            _exit(3);
        write_all(pipefd[1], err.msg, strlen(err.msg));
        _exit(err.errnum == EACCES ? 0 : 4);
    }
    close(pipefd[1]);
    read_all(pipefd[0], msg, sizeof(msg) - 1);
    close(pipefd[0]);
    waitpid(pid, &status, 0);
    UNIT_CHECK(exited_ok(status), "install without no_new_privs or CAP_SYS_ADMIN: EACCES");
    UNIT_CHECK_CONTAINS(msg, "needs process.noNewPrivileges", "the message says what is missing");
    seccomp_program_free(p);
}

/* ---- refused profiles ------------------------------------------------------------------ */

static void expect_refused(const char *profile, const char *want, const char *what)
{
    cleanup_free char *msg = compile_error(profile);

    UNIT_CHECK_CONTAINS(msg, want, what);
}

static void test_refused(void)
{
    expect_refused("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"getpid\"],"
                   "\"action\":\"SCMP_ACT_KILL\",\"errnoRet\":5}]}",
                   "linux.seccomp.syscalls[0].errnoRet: SCMP_ACT_KILL takes no errno",
                   "errnoRet on an action without errno");
    expect_refused("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"defaultErrnoRet\":1}",
                   "linux.seccomp.defaultErrnoRet: SCMP_ACT_ALLOW takes no errno",
                   "defaultErrnoRet with ALLOW");
    expect_refused("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"getpid\"],"
                   "\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":5000}]}",
                   "linux.seccomp.syscalls[0].errnoRet: 5000 is out of range",
                   "errnoRet above MAX_ERRNO");
    expect_refused("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"getpid\"],"
                   "\"action\":\"SCMP_ACT_TRACE\",\"errnoRet\":70000}]}",
                   "70000 is out of range", "TRACE data above 16 bits");
    expect_refused(
        "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"getpid\"],"
        "\"action\":\"SCMP_ACT_ERRNO\"},{\"names\":[\"dup\"],\"action\":\"SCMP_ACT_ERRNO\","
        "\"args\":[{\"index\":6,\"value\":1,\"op\":\"SCMP_CMP_EQ\"}]}]}",
        "linux.seccomp.syscalls[1].args[0].index: 6 is out of range", "argument index 6");
    expect_refused("{\"defaultAction\":\"SCMP_ACT_NOTIFY\"}",
                   "SCMP_ACT_NOTIFY cannot be the default action", "defaultAction NOTIFY");
}

/* libocispec refuses unknown names in JSON; a caller building the struct
 * itself still gets a clear error. */
static void test_bad_names_in_struct(void)
{
    char *arches[] = {"SCMP_ARCH_X86", "SCMP_ARCH_FOO"};
    char *flags[] = {"SECCOMP_FILTER_FLAG_BOGUS"};
    char *names[] = {"getpid"};
    struct oci_syscall_arg arg = {.index = 0, .value = 1, .op = "SCMP_CMP_ALMOST"};
    struct oci_syscall sc = {.names = names, .names_len = 1, .action = "SCMP_ACT_FOO"};
    struct oci_seccomp s = {.default_action = "SCMP_ACT_ALLOW"};
    struct ocirun_error err = {0};
    struct seccomp_program *p = NULL;

    s.architectures = arches;
    s.architectures_len = 2;
    CHECK(seccomp_compile(&s, &p, &err) < 0 && p == NULL);
    UNIT_CHECK_CONTAINS(err.msg,
                        "linux.seccomp.architectures[1]: unknown architecture \"SCMP_ARCH_FOO\"",
                        "a bad architecture is named");
    s.architectures_len = 0;
    s.flags = flags;
    s.flags_len = 1;
    CHECK(seccomp_compile(&s, &p, &err) < 0);
    UNIT_CHECK_CONTAINS(err.msg, "linux.seccomp.flags[0]: unknown flag", "a bad flag is named");
    s.flags_len = 0;
    s.syscalls = &sc;
    s.syscalls_len = 1;
    CHECK(seccomp_compile(&s, &p, &err) < 0);
    UNIT_CHECK_CONTAINS(err.msg,
                        "linux.seccomp.syscalls[0].action: unknown action \"SCMP_ACT_FOO\"",
                        "a bad action is named");
    sc.action = "SCMP_ACT_ERRNO";
    sc.args = &arg;
    sc.args_len = 1;
    CHECK(seccomp_compile(&s, &p, &err) < 0);
    UNIT_CHECK_CONTAINS(err.msg, "linux.seccomp.syscalls[0].args[0].op: unknown operator",
                        "a bad operator is named");
    s.default_action = "SCMP_ACT_MAYBE";
    CHECK(seccomp_compile(&s, &p, &err) < 0);
    UNIT_CHECK_CONTAINS(err.msg, "linux.seccomp.defaultAction: unknown action",
                        "a bad default action is named");
    error_clear(&err);
}

/* Through libocispec: the JSON path of a bad architecture. */
static void test_bad_arch_json(void)
{
    cleanup_free char *doc = xstrdup("{\"ociVersion\":\"1.3.0\",\"linux\":{\"seccomp\":"
                                     "{\"defaultAction\":\"SCMP_ACT_ALLOW\","
                                     "\"architectures\":[\"SCMP_ARCH_VAX\"]}}}");
    cleanup_free char *perr = NULL;
    struct oci_config *cfg = NULL;

    CHECK(oci_config_parse_data(doc, strlen(doc), &cfg, &perr) < 0);
    UNIT_CHECK_CONTAINS(perr, "linux.seccomp.architectures", "libocispec names the field");
    oci_config_free(cfg);
}

/* ---- the BPF cache and the agent's state document ------------------------ */

static const char cache_profile[] =
    "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"getppid\"],"
    "\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":33}]}";

static void child_cached_profile(const struct seccomp_program *p)
{
    (void)p;
    errno = 0;
    EXPECT(syscall(SYS_getppid) == -1 && errno == 33);
    EXPECT(getpid() > 0);
    _exit(0);
}

static bool same_program(const struct seccomp_program *a, const struct seccomp_program *b)
{
    return a->len == b->len && a->flags == b->flags && a->notify == b->notify &&
           memcmp(a->insns, b->insns, a->len * sizeof(*a->insns)) == 0;
}

/* Compiles through the cache in root; the program, or NULL. */
static struct seccomp_program *compile_cached(const char *root, const char *profile)
{
    struct oci_config *cfg = config_with_profile(profile);
    struct ocirun_error err = {0};
    struct seccomp_program *p = NULL;

    if (cfg == NULL)
        return NULL;
    if (seccomp_compile_cached(cfg->linux_->seccomp, root, &p, &err) < 0)
        printf("#   compile error: %s\n", err.msg);
    error_clear(&err);
    oci_config_free(cfg);
    return p;
}

static void corrupt_cache_file(const char *root, long offset_from_end)
{
    cleanup_free char *cmd =
        xasprintf("f=$(ls %s/" SECCOMP_CACHE_DIR "/*.bpf) && "
                  "printf '\\377' | dd of=\"$f\" bs=1 seek=$(( $(stat -c %%s \"$f\") - %ld )) "
                  "conv=notrunc status=none",
                  root, offset_from_end);
    CHECK(system(cmd) == 0);
}

static void test_cache(void)
{
    char root[] = "/tmp/ocirun-unit-cache.XXXXXX";
    struct seccomp_program *a, *b, *c;
    struct oci_config *cfg = config_with_profile(cache_profile);
    uint8_t k1[SHA256_DIGEST_LEN], k2[SHA256_DIGEST_LEN];

    if (!CHECK(mkdtemp(root) != NULL) || !CHECK(cfg != NULL))
        return;
    a = compile_cached(root, cache_profile); /* a miss: compiled and stored */
    b = compile_cached(root, cache_profile); /* a hit */
    if (!CHECK(a != NULL && b != NULL))
        return;
    UNIT_CHECK(same_program(a, b), "the cached program equals the compiled one");
    UNIT_CHECK(exited_ok(run_filtered(b, child_cached_profile)),
               "the program loaded from the cache filters");
    corrupt_cache_file(root, 40); /* inside the instructions */
    c = compile_cached(root, cache_profile);
    UNIT_CHECK(c != NULL && same_program(a, c), "a corrupted entry is recompiled, not used");
    seccomp_program_free(c);
    /* the key: stable, and any change to the profile changes it */
    seccomp_cache_key(cfg->linux_->seccomp, k1);
    seccomp_cache_key(cfg->linux_->seccomp, k2);
    CHECK(memcmp(k1, k2, sizeof(k1)) == 0);
    cfg->linux_->seccomp->syscalls[0].errno_ret = 34;
    seccomp_cache_key(cfg->linux_->seccomp, k2);
    UNIT_CHECK(memcmp(k1, k2, sizeof(k1)) != 0, "errnoRet is part of the key");
    cfg->linux_->seccomp->syscalls[0].errno_ret = 33;
    cfg->linux_->seccomp->listener_metadata = xstrdup("not in the key");
    seccomp_cache_key(cfg->linux_->seccomp, k2);
    UNIT_CHECK(memcmp(k1, k2, sizeof(k1)) == 0, "listenerMetadata is not part of the key");
    seccomp_program_free(a);
    seccomp_program_free(b);
    oci_config_free(cfg);
    cleanup_free char *rm = xasprintf("rm -rf %s", root);
    CHECK(system(rm) == 0);
}

static void test_process_state_document(void)
{
    char *fds[] = {(char *)"seccompFd"};
    struct oci_state st = {.oci_version = (char *)"1.3.0",
                           .id = (char *)"c1",
                           .status = (char *)"creating",
                           .pid = 42,
                           .pid_present = true,
                           .bundle = (char *)"/b"};
    struct oci_container_process_state ps = {.oci_version = (char *)"1.3.0",
                                             .fds = fds,
                                             .fds_len = 1,
                                             .pid = 42,
                                             .metadata = (char *)"m",
                                             .state = &st};
    static const char no_state[] = "{\"ociVersion\":\"1\",\"pid\":1}";
    struct oci_container_process_state *back = NULL;
    cleanup_free char *json = NULL, *perr = NULL;
    size_t len = 0;

    if (!CHECK(oci_container_process_state_generate(&ps, &json, &len, &perr) == 0))
        return;
    UNIT_CHECK(strcmp(json, "{\"ociVersion\":\"1.3.0\",\"fds\":[\"seccompFd\"],\"pid\":42,"
                            "\"metadata\":\"m\",\"state\":{\"ociVersion\":\"1.3.0\",\"id\":"
                            "\"c1\",\"pid\":42,\"status\":\"creating\",\"bundle\":\"/b\"}}") == 0,
               "containerProcessState JSON: %s", json);
    CHECK(oci_container_process_state_parse_data(json, len, &back, &perr) == 0 && back != NULL &&
          back->fds_len == 1 && back->state != NULL && back->state->pid == 42);
    oci_container_process_state_free(back);
    back = NULL;
    free(perr);
    perr = NULL;
    CHECK(oci_container_process_state_parse_data(no_state, strlen(no_state), &back, &perr) < 0);
    UNIT_CHECK_CONTAINS(perr, "state", "a document without `state` is refused");
}

#ifndef HAVE_SECCOMP
/* Built with --disable-seccomp: any profile is refused, clearly. */
static void test_disabled(void)
{
    cleanup_free char *msg = compile_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\"}");

    UNIT_CHECK_CONTAINS(msg, "linux.seccomp: ocirun was built without libseccomp",
                        "a profile is refused without libseccomp");
}
#endif

int main(void)
{
    test_null_profile();
    test_process_state_document();
#ifndef HAVE_SECCOMP
    test_disabled();
    return unit_finish();
#endif
    test_default_profile();
    test_actions();
    test_operators();
    test_unknown_names_and_default_rules();
    test_flags_and_arches();
    test_default_errno();
    test_notify();
    test_cache();
    test_install_needs_privilege();
    test_refused();
    test_bad_names_in_struct();
    test_bad_arch_json();
    return unit_finish();
}
