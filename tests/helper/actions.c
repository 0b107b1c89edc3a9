/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Action subcommands of the test helper.  Each prints one JSON object
 * ({"ok": true, ...} or {"ok": false, "errno_name": "EROFS", ...}) unless
 * its job is to end the process (exit, kill-self), and returns the exit code. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "ocitest.h"
#include "json-out.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int fail(const char *op, const char *path, int errnum)
{
    json_object_begin(NULL);
    json_bool("ok", false);
    report_errno(op, path, errnum);
    json_object_end();
    return OCITEST_EXIT_FAIL;
}

/* Parses a non-negative decimal number; false on junk. */
static bool parse_number(const char *s, double *out)
{
    char *end;

    errno = 0;
    *out = strtod(s, &end);
    return errno == 0 && end != s && *end == '\0' && *out >= 0 && *out < 1e9;
}

static void sleep_seconds(double seconds)
{
    struct timespec ts = {.tv_sec = (time_t)seconds,
                          .tv_nsec = (long)((seconds - (double)(time_t)seconds) * 1e9)};

    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

static int do_sleep(char **args)
{
    double s;

    if (!parse_number(args[0], &s))
        return OCITEST_EXIT_USAGE;
    sleep_seconds(s);
    json_object_begin(NULL);
    json_bool("ok", true);
    json_double("slept", s);
    json_object_end();
    return OCITEST_EXIT_OK;
}

static int do_exit(char **args)
{
    char *end;
    long code = strtol(args[0], &end, 10);

    if (*end != '\0' || end == args[0] || code < 0 || code > 255)
        return OCITEST_EXIT_USAGE;
    exit((int)code);
}

/* "TERM", "SIGTERM" or a number. */
static int parse_signal(const char *s)
{
    char *end;
    long n = strtol(s, &end, 10);

    if (*end == '\0' && end != s)
        return n > 0 && n < NSIG ? (int)n : -1;
    if (strncmp(s, "SIG", 3) == 0)
        s += 3;
    for (int sig = 1; sig < NSIG; sig++) {
        const char *abbrev = sigabbrev_np(sig);
        if (abbrev != NULL && strcmp(abbrev, s) == 0)
            return sig;
    }
    return -1;
}

static int do_kill_self(char **args)
{
    int sig = parse_signal(args[0]);
    sigset_t set;

    if (sig < 0)
        return OCITEST_EXIT_USAGE;
    signal(sig, SIG_DFL);
    sigemptyset(&set);
    sigaddset(&set, sig);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    fflush(stdout);
    raise(sig);
    /* Still here: the signal is ignored by default (SIGCHLD...), or we are
     * pid 1 of a pid namespace, which the kernel protects from its own
     * default-action signals. Say so instead of exiting quietly. */
    json_object_begin(NULL);
    json_bool("ok", false);
    json_string("error", "still alive after raising the signal");
    json_int("signal", sig);
    json_int("pid", getpid());
    json_object_end();
    return 3;
}

static int do_cat(char **args)
{
    int fd = open(args[0], O_RDONLY | O_CLOEXEC | O_NOCTTY);
    char *buf = NULL;
    size_t len = 0, cap = 0;
    ssize_t n;

    if (fd < 0)
        return fail("open", args[0], errno);
    for (;;) {
        if (cap - len < 4096) {
            cap = cap * 2 + 65536;
            buf = realloc(buf, cap);
            if (buf == NULL)
                abort();
        }
        n = read(fd, buf + len, cap - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    if (n < 0) {
        int e = errno;
        close(fd);
        free(buf);
        return fail("read", args[0], e);
    }
    close(fd);
    json_object_begin(NULL);
    json_bool("ok", true);
    json_string("path", args[0]);
    json_string_len("content", buf != NULL ? buf : "", len);
    json_object_end();
    free(buf);
    return OCITEST_EXIT_OK;
}

static int do_write(char **args)
{
    int fd = open(args[0], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0644);
    size_t len = strlen(args[1]), done = 0;

    if (fd < 0)
        return fail("open", args[0], errno);
    while (done < len) {
        ssize_t n = write(fd, args[1] + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = errno;
            close(fd);
            return fail("write", args[0], e);
        }
        done += (size_t)n;
    }
    if (close(fd) < 0)
        return fail("close", args[0], errno);
    json_object_begin(NULL);
    json_bool("ok", true);
    json_string("path", args[0]);
    json_uint("bytes", done);
    json_object_end();
    return OCITEST_EXIT_OK;
}

static const char *file_type(mode_t mode)
{
    switch (mode & S_IFMT) {
    case S_IFREG:
        return "file";
    case S_IFDIR:
        return "dir";
    case S_IFLNK:
        return "symlink";
    case S_IFCHR:
        return "char";
    case S_IFBLK:
        return "block";
    case S_IFIFO:
        return "fifo";
    case S_IFSOCK:
        return "socket";
    default:
        return "unknown";
    }
}

/* lstat: a symlink is reported as such, with its target. */
static int do_stat(char **args)
{
    struct stat st;
    char mode[8], target[PATH_MAX];

    if (lstat(args[0], &st) < 0)
        return fail("lstat", args[0], errno);
    snprintf(mode, sizeof(mode), "%04o", (unsigned int)(st.st_mode & 07777));
    json_object_begin(NULL);
    json_bool("ok", true);
    json_string("path", args[0]);
    json_string("type", file_type(st.st_mode));
    json_uint("mode", st.st_mode & 07777);
    json_string("mode_octal", mode);
    json_uint("uid", st.st_uid);
    json_uint("gid", st.st_gid);
    json_uint("size", (unsigned long long)st.st_size);
    json_uint("ino", st.st_ino);
    json_uint("nlink", st.st_nlink);
    json_uint("major", major(st.st_rdev));
    json_uint("minor", minor(st.st_rdev));
    json_uint("dev_major", major(st.st_dev));
    json_uint("dev_minor", minor(st.st_dev));
    if (S_ISLNK(st.st_mode)) {
        ssize_t n = readlink(args[0], target, sizeof(target));
        if (n >= 0)
            json_string_len("target", target, (size_t)n);
    }
    json_object_end();
    return OCITEST_EXIT_OK;
}

/* sd_notify's wire format: one datagram on the unix socket named by
 * $NOTIFY_SOCKET; a leading '@' means the abstract namespace. */
static int do_notify_ready(char **args)
{
    const char *path = getenv("NOTIFY_SOCKET");
    const char *msg = args[0] != NULL ? args[0] : "READY=1";
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    socklen_t salen;
    int fd;

    if (path == NULL || path[0] == '\0')
        return fail("getenv", "NOTIFY_SOCKET", ENOENT);
    if (strlen(path) >= sizeof(sa.sun_path))
        return fail("connect", path, ENAMETOOLONG);
    memcpy(sa.sun_path, path, strlen(path));
    if (path[0] == '@')
        sa.sun_path[0] = '\0';
    salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path));
    fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return fail("socket", NULL, errno);
    if (sendto(fd, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&sa, salen) < 0) {
        int e = errno;
        close(fd);
        return fail("sendto", path, e);
    }
    close(fd);
    json_object_begin(NULL);
    json_bool("ok", true);
    json_string("socket", path);
    json_string("sent", msg);
    json_object_end();
    return OCITEST_EXIT_OK;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int do_ls(char **args)
{
    DIR *d = opendir(args[0]);
    char **names = NULL;
    size_t n = 0;
    struct dirent *de;

    if (d == NULL)
        return fail("opendir", args[0], errno);
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        names = realloc(names, (n + 1) * sizeof(char *));
        if (names == NULL || (names[n] = strdup(de->d_name)) == NULL)
            abort();
        n++;
    }
    closedir(d);
    if (n > 0)
        qsort(names, n, sizeof(char *), compare_names);
    json_object_begin(NULL);
    json_bool("ok", true);
    json_string("path", args[0]);
    json_array_begin("entries");
    for (size_t i = 0; i < n; i++)
        json_string(NULL, names[i]);
    json_array_end();
    json_object_end();
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return OCITEST_EXIT_OK;
}

static volatile sig_atomic_t got_sigterm;

static void on_sigterm(int sig)
{
    got_sigterm = sig;
}

/* Waits for SIGTERM with a handler, so it works as pid 1 too. */
static int do_pause(char **args)
{
    struct sigaction sa = {.sa_handler = on_sigterm};
    sigset_t block, old;

    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigprocmask(SIG_BLOCK, &block, &old);
    sigaction(SIGTERM, &sa, NULL);
    sigdelset(&old, SIGTERM);
    while (!got_sigterm)
        sigsuspend(&old);
    json_object_begin(NULL);
    json_bool("ok", true);
    json_string("received", "SIGTERM");
    json_object_end();
    return OCITEST_EXIT_OK;
}

static int do_fork_sleep(char **args)
{
    double count, seconds;
    pid_t pids[4096];
    size_t forked = 0;
    int fork_errno = 0;

    if (!parse_number(args[0], &count) || count > 4096 || !parse_number(args[1], &seconds))
        return OCITEST_EXIT_USAGE;
    fflush(stdout);
    for (size_t i = 0; i < (size_t)count; i++) {
        pid_t pid = fork();
        if (pid < 0) {
            fork_errno = errno;
            break;
        }
        if (pid == 0) {
            sleep_seconds(seconds);
            _exit(0);
        }
        pids[forked++] = pid;
    }
    json_object_begin(NULL);
    json_bool("ok", fork_errno == 0);
    json_array_begin("children");
    for (size_t i = 0; i < forked; i++)
        json_int(NULL, pids[i]);
    json_array_end();
    json_uint("forked", forked);
    if (fork_errno != 0)
        report_errno("fork", NULL, fork_errno);
    json_object_end();
    /* print before waiting, so a reader sees the pids while they sleep */
    json_finish();
    for (size_t i = 0; i < forked; i++)
        while (waitpid(pids[i], NULL, 0) < 0 && errno == EINTR)
            ;
    return fork_errno == 0 ? OCITEST_EXIT_OK : OCITEST_EXIT_FAIL;
}

/* Allocates and touches MiB of memory (for memory limit / OOM tests),
 * then holds it for SECONDS (default 0) so a limit can be lowered under it. */
static int do_alloc(char **args)
{
    double mib, hold = 0;
    size_t len;
    char *p;

    if (!parse_number(args[0], &mib) || (args[1] != NULL && !parse_number(args[1], &hold)))
        return OCITEST_EXIT_USAGE;
    len = (size_t)(mib * 1024 * 1024);
    p = mmap(NULL, len ? len : 1, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return fail("mmap", NULL, errno);
    for (size_t off = 0; off < len; off += 4096)
        p[off] = 1;
    json_object_begin(NULL);
    json_bool("ok", true);
    json_uint("allocated_bytes", len);
    json_object_end();
    if (hold > 0) {
        /* print before holding, so a reader knows the memory is in use */
        json_finish();
        sleep_seconds(hold);
    }
    return OCITEST_EXIT_OK;
}

/* Opens a path with r, w or rw access (device cgroup tests: the kernel
 * checks the device filter at open). */
static int do_open(char **args)
{
    int flags, fd;

    if (strcmp(args[1], "r") == 0)
        flags = O_RDONLY;
    else if (strcmp(args[1], "w") == 0)
        flags = O_WRONLY;
    else if (strcmp(args[1], "rw") == 0)
        flags = O_RDWR;
    else
        return OCITEST_EXIT_USAGE;
    fd = open(args[0], flags | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return fail("open", args[0], errno);
    close(fd);
    json_object_begin(NULL);
    json_bool("ok", true);
    json_string("path", args[0]);
    json_string("mode", args[1]);
    json_object_end();
    return OCITEST_EXIT_OK;
}

/* mknod PATH c|b MAJOR MINOR (mode 0600). */
static int do_mknod(char **args)
{
    double maj, min;
    mode_t type;

    if (strcmp(args[1], "c") == 0)
        type = S_IFCHR;
    else if (strcmp(args[1], "b") == 0)
        type = S_IFBLK;
    else
        return OCITEST_EXIT_USAGE;
    if (!parse_number(args[2], &maj) || !parse_number(args[3], &min))
        return OCITEST_EXIT_USAGE;
    if (mknod(args[0], type | 0600, makedev((unsigned)maj, (unsigned)min)) < 0)
        return fail("mknod", args[0], errno);
    json_object_begin(NULL);
    json_bool("ok", true);
    json_string("path", args[0]);
    json_object_end();
    return OCITEST_EXIT_OK;
}

const struct action actions[] = {
    {"sleep", 1, 1, "sleep SECONDS", do_sleep},
    {"exit", 1, 1, "exit CODE", do_exit},
    {"kill-self", 1, 1, "kill-self SIGNAME", do_kill_self},
    {"cat", 1, 1, "cat PATH", do_cat},
    {"write", 2, 2, "write PATH TEXT", do_write},
    {"stat", 1, 1, "stat PATH", do_stat},
    {"notify-ready", 0, 1, "notify-ready [MESSAGE]", do_notify_ready},
    {"ls", 1, 1, "ls DIR", do_ls},
    {"pause", 0, 0, "pause", do_pause},
    {"fork-sleep", 2, 2, "fork-sleep N SECONDS", do_fork_sleep},
    {"alloc", 1, 2, "alloc MIB [HOLD_SECONDS]", do_alloc},
    {"open", 2, 2, "open PATH r|w|rw", do_open},
    {"mknod", 4, 4, "mknod PATH c|b MAJOR MINOR", do_mknod},
    {NULL, 0, 0, NULL, NULL},
};

const struct action *action_find(const char *name)
{
    for (const struct action *a = actions; a->name != NULL; a++)
        if (strcmp(a->name, name) == 0)
            return a;
    return NULL;
}
