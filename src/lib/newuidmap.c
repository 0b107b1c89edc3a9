/* SPDX-License-Identifier: GPL-2.0-or-later */
/* newuidmap/newgidmap: the only way an unprivileged user may map more than
 * its own id. They are setuid root and check the ranges against
 * /etc/subuid and /etc/subgid, so ocirun itself needs no privilege. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "newuidmap.h"
#include "util.h"

/* What the helper may print before we stop reading: its errors are short. */
#define HELPER_OUTPUT_MAX 4096
/* The helper only checks a file and writes two proc files. */
#define HELPER_TIMEOUT_MS 10000

int idmap_helper_find(const char *tool, char **out, struct ocirun_error *err)
{
    const char *path = getenv("PATH");
    cleanup_free char *copy = NULL;
    char *save = NULL;

    /* the same default execvp uses when PATH is unset */
    copy = xstrdup(path != NULL ? path : "/bin:/usr/bin");
    for (char *dir = strtok_r(copy, ":", &save); dir != NULL; dir = strtok_r(NULL, ":", &save)) {
        /* an empty or relative PATH entry would run whatever the cwd holds */
        if (dir[0] != '/')
            continue;
        cleanup_free char *candidate = xasprintf("%s/%s", dir, tool);
        if (access(candidate, X_OK) == 0) {
            *out = candidate;
            candidate = NULL;
            return 0;
        }
    }
    return error_plain(err, ENOENT,
                       "%s not found on PATH: install uidmap (it provides newuidmap and "
                       "newgidmap) to map more than your own uid/gid, or map only your own "
                       "ids (`ocirun spec --rootless`)",
                       tool);
}

static char **build_argv(const char *path, pid_t pid, const struct oci_id_mapping *m, size_t n)
{
    char **argv = xzalloc((3 * n + 3) * sizeof(char *));
    size_t k = 0;

    argv[k++] = xstrdup(path);
    argv[k++] = xasprintf("%d", (int)pid);
    for (size_t i = 0; i < n; i++) {
        argv[k++] = xasprintf("%u", m[i].container_id);
        argv[k++] = xasprintf("%u", m[i].host_id);
        argv[k++] = xasprintf("%u", m[i].size);
    }
    return argv;
}

static int remaining_ms(const struct timespec *deadline)
{
    struct timespec now;
    long long ms;

    clock_gettime(CLOCK_MONOTONIC, &now);
    ms = (long long)(deadline->tv_sec - now.tv_sec) * 1000 +
         (deadline->tv_nsec - now.tv_nsec) / 1000000;
    return ms < 0 ? 0 : (int)ms;
}

/* Reads the helper's stdout+stderr until EOF (it exited) or the deadline;
 * returns 0 at EOF, -1 on timeout. */
static int collect_output(int fd, char *buf, size_t cap, size_t *len)
{
    struct timespec deadline;
    char scratch[256];

    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += HELPER_TIMEOUT_MS / 1000;
    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int r = poll(&p, 1, remaining_ms(&deadline));
        ssize_t got;

        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        got = read(fd, scratch, sizeof(scratch));
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return 0;
        for (ssize_t i = 0; i < got && *len + 1 < cap; i++)
            buf[(*len)++] = scratch[i];
        buf[*len] = '\0';
    }
}

/* One line: inner newlines become ';', trailing ones go. */
static void flatten(char *s)
{
    size_t n = strlen(s);

    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' ' || s[n - 1] == '\r'))
        s[--n] = '\0';
    for (char *p = s; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ';';
}

/* fork+exec, not posix_spawn: the project's own spawn.h shadows <spawn.h>. */
static int spawn_helper(char **argv, int out_fd, pid_t *pid, struct ocirun_error *err)
{
    int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);

    if (devnull < 0)
        return error_make(err, errno, "open `/dev/null`");
    *pid = fork();
    if (*pid < 0) {
        close(devnull);
        return error_make(err, errno, "fork for `%s`", argv[0]);
    }
    if (*pid == 0) {
        if (dup2(devnull, STDIN_FILENO) < 0 || dup2(out_fd, STDOUT_FILENO) < 0 ||
            dup2(out_fd, STDERR_FILENO) < 0)
            _exit(127);
        execv(argv[0], argv);
        dprintf(STDERR_FILENO, "exec `%s`: %s", argv[0], strerror(errno));
        _exit(127);
    }
    close(devnull);
    return 0;
}

static int helper_status(const char *tool, pid_t pid, int status, char *output,
                         struct ocirun_error *err)
{
    flatten(output);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    if (WIFEXITED(status))
        return error_plain(err, EPERM, "%s for pid %d refused (exit status %d): %s", tool, (int)pid,
                           WEXITSTATUS(status),
                           output[0] ? output : "(no message; check /etc/subuid and /etc/subgid)");
    return error_plain(err, EIO, "%s for pid %d: killed by signal %d%s%s", tool, (int)pid,
                       WIFSIGNALED(status) ? WTERMSIG(status) : 0, output[0] ? ": " : "", output);
}

int idmap_helper_run(const char *tool, pid_t pid, const struct oci_id_mapping *m, size_t n,
                     struct ocirun_error *err)
{
    cleanup_free char *path = NULL;
    cleanup_strv char **argv = NULL;
    char output[HELPER_OUTPUT_MAX] = "";
    size_t len = 0;
    int pipefd[2], status = 0, timed_out;
    pid_t child = -1;

    if (idmap_helper_find(tool, &path, err) < 0)
        return -1;
    argv = build_argv(path, pid, m, n);
    if (pipe2(pipefd, O_CLOEXEC) < 0)
        return error_make(err, errno, "pipe for %s", tool);
    if (spawn_helper(argv, pipefd[1], &child, err) < 0) {
        close(pipefd[0]);
        close(pipefd[1]);
        return -1;
    }
    close(pipefd[1]);
    timed_out = collect_output(pipefd[0], output, sizeof(output), &len) < 0;
    close(pipefd[0]);
    if (timed_out)
        kill(child, SIGKILL);
    while (waitpid(child, &status, 0) < 0)
        if (errno != EINTR)
            return error_make(err, errno, "wait for %s", tool);
    if (timed_out)
        return error_plain(err, ETIMEDOUT, "%s for pid %d: no answer in %d s", tool, (int)pid,
                           HELPER_TIMEOUT_MS / 1000);
    return helper_status(tool, pid, status, output, err);
}
