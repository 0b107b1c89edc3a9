/* SPDX-License-Identifier: GPL-2.0-or-later */
/* OCI hooks: each hook is spawned with the state JSON on stdin and its
 * stdout/stderr captured (as runc does: a hook's chatter must not end up in
 * the caller's stdout); a failure names the stage, the path, the status
 * and the last line the hook wrote to stderr. A pidfd bounds the wait by
 * the hook's timeout, and every hook is reaped: no zombie, no fd left. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hooks.h"
#include "util.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

extern char **environ;

/* Only the end of a hook's output is kept for the error message. */
#define TAIL_MAX 4096

struct tail {
    char buf[TAIL_MAX];
    size_t len;
};

struct hook_io {
    int in_fd; /* write end of the hook's stdin, -1 once done */
    const char *data;
    size_t len, off;
    int out_fd, err_fd; /* read ends of stdout/stderr, -1 at EOF */
    struct tail out, err;
};

static void tail_append(struct tail *t, const char *p, size_t n)
{
    if (n >= TAIL_MAX) {
        memcpy(t->buf, p + n - TAIL_MAX, TAIL_MAX);
        t->len = TAIL_MAX;
        return;
    }
    if (t->len + n > TAIL_MAX) {
        size_t drop = t->len + n - TAIL_MAX;
        memmove(t->buf, t->buf + drop, t->len - drop);
        t->len -= drop;
    }
    memcpy(t->buf + t->len, p, n);
    t->len += n;
}

/* The last non-empty line, or NULL. Returns a pointer into a copy. */
static char *tail_last_line(const struct tail *t)
{
    char *s = xmalloc(t->len + 1), *line;

    memcpy(s, t->buf, t->len);
    s[t->len] = '\0';
    for (size_t i = t->len; i > 0 && (s[i - 1] == '\n' || s[i - 1] == '\r'); i--)
        s[i - 1] = '\0';
    line = strrchr(s, '\n');
    line = line ? line + 1 : s;
    if (*line == '\0') {
        free(s);
        return NULL;
    }
    memmove(s, line, strlen(line) + 1);
    return s;
}

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

/* Reads what is available from *fd (non-blocking) into t; closes at EOF. */
static void drain(int *fd, struct tail *t)
{
    char buf[4096];

    while (*fd >= 0) {
        ssize_t n = read(*fd, buf, sizeof(buf));
        if (n > 0) {
            tail_append(t, buf, (size_t)n);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return;
        close_fd(fd);
    }
}

static void feed_stdin(struct hook_io *io)
{
    while (io->in_fd >= 0 && io->off < io->len) {
        ssize_t n = write(io->in_fd, io->data + io->off, io->len - io->off);
        if (n > 0) {
            io->off += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return;
        break; /* EPIPE: the hook does not read its stdin, which is fine */
    }
    close_fd(&io->in_fd);
}

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Pumps the hook's pipes until it exits or the deadline (-1: none) passes.
 * Returns 1 on exit, 0 on timeout, < 0 on a poll failure. */
static int hook_pump(int pidfd, struct hook_io *io, int64_t deadline)
{
    for (;;) {
        struct pollfd p[4];
        int n = 0, timeout = -1, r;

        p[n++] = (struct pollfd){.fd = pidfd, .events = POLLIN};
        p[n++] = (struct pollfd){.fd = io->in_fd, .events = POLLOUT};
        p[n++] = (struct pollfd){.fd = io->out_fd, .events = POLLIN};
        p[n++] = (struct pollfd){.fd = io->err_fd, .events = POLLIN};
        if (deadline >= 0) {
            int64_t left = deadline - now_ms();
            if (left <= 0)
                return 0;
            timeout = left > INT32_MAX ? INT32_MAX : (int)left;
        }
        r = poll(p, (nfds_t)n, timeout);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -errno;
        if (p[1].revents)
            feed_stdin(io);
        if (p[2].revents)
            drain(&io->out_fd, &io->out);
        if (p[3].revents)
            drain(&io->err_fd, &io->err);
        if (p[0].revents) {
            /* Exited: take what is already written; a grandchild holding
             * the pipes open must not keep us waiting. */
            drain(&io->out_fd, &io->out);
            drain(&io->err_fd, &io->err);
            return 1;
        }
    }
}

static int set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);

    return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* The child side of hook_spawn: only async-signal-safe calls. Reports an
 * exec failure's errno through report (CLOEXEC: closed by a good exec). */
static _Noreturn void hook_exec(const char *path, char **argv, char **envp, const int fds[3],
                                int report)
{
    sigset_t none;
    struct sigaction dfl = {.sa_handler = SIG_DFL};
    int high[3], e;

    for (int sig = 1; sig < NSIG; sig++)
        sigaction(sig, &dfl, NULL);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    /* Moved above 2 first, so no dup2 below clobbers another source (the
     * caller may run with 0, 1 or 2 closed). */
    if (report < 3) {
        int r = fcntl(report, F_DUPFD_CLOEXEC, 3);
        if (r < 0)
            _exit(127);
        report = r;
    }
    for (int i = 0; i < 3; i++) {
        if ((high[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 3)) < 0)
            goto fail;
    }
    for (int i = 0; i < 3; i++) {
        if (dup2(high[i], i) < 0)
            goto fail;
    }
    /* Nothing of ours reaches the hook, even fds the caller leaked to us. */
    if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
        for (int fd = 3; fd < 1024; fd++)
            if (fd != report)
                close(fd);
    }
    execve(path, argv, envp);
fail:
    e = errno;
    (void)!write(report, &e, sizeof(e));
    _exit(127);
}

/* NULL-terminated copy of a libocispec string array. */
static char **strv_copy(char *const *v, size_t n)
{
    char **out = xmalloc((n + 1) * sizeof(*out));

    memcpy(out, v, n * sizeof(*out));
    out[n] = NULL;
    return out;
}

/* Forks the hook with stdin/stdout/stderr on the given fds and every other
 * fd closed, signals reset to their defaults. Returns 0 or an errno. */
static int hook_spawn(const struct oci_hook *h, const int fds[3], pid_t *pid)
{
    char *default_argv[2] = {h->path, NULL};
    cleanup_free char **argv = NULL;
    cleanup_free char **envp = NULL;
    int report[2], e = 0;
    ssize_t n;

    if (h->args != NULL && h->args_len > 0)
        argv = strv_copy(h->args, h->args_len);
    /* No env in the config: the hook inherits ours, as runc's (Go's) does. */
    if (h->env != NULL)
        envp = strv_copy(h->env, h->env_len);
    if (pipe2(report, O_CLOEXEC) < 0)
        return errno;
    *pid = fork();
    if (*pid < 0) {
        e = errno;
        close(report[0]);
        close(report[1]);
        return e;
    }
    if (*pid == 0)
        hook_exec(h->path, argv ? argv : default_argv, envp ? envp : environ, fds, report[1]);
    close(report[1]);
    do
        n = read(report[0], &e, sizeof(e));
    while (n < 0 && errno == EINTR);
    close(report[0]);
    if (n == (ssize_t)sizeof(e)) {
        while (waitpid(*pid, NULL, 0) < 0 && errno == EINTR)
            ;
        return e ? e : EIO;
    }
    return 0;
}

static int make_pipes(int p[3][2], struct ocirun_error *err)
{
    for (int i = 0; i < 3; i++) {
        if (pipe2(p[i], O_CLOEXEC) < 0)
            return error_make(err, errno, "pipe");
    }
    /* Our ends never block: the loop polls them. */
    if (set_nonblock(p[0][1]) < 0 || set_nonblock(p[1][0]) < 0 || set_nonblock(p[2][0]) < 0)
        return error_make(err, errno, "fcntl O_NONBLOCK");
    return 0;
}

static void close_pipes(int p[3][2])
{
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 2; j++)
            close_fd(&p[i][j]);
}

static int hook_failed(const struct oci_hook *h, const char *stage, const siginfo_t *si,
                       const struct hook_io *io, struct ocirun_error *err)
{
    cleanup_free char *line = tail_last_line(&io->err);
    cleanup_free char *what = NULL;

    if (line == NULL)
        line = tail_last_line(&io->out);
    if (si->si_code == CLD_EXITED)
        what = xasprintf("exited with status %d", si->si_status);
    else
        what = xasprintf("killed by signal %d (%s)", si->si_status, strsignal(si->si_status));
    if (line)
        return error_make(err, 0, "%s hook `%s`: %s: %s", stage, h->path, what, line);
    return error_make(err, 0, "%s hook `%s`: %s", stage, h->path, what);
}

/* Waits for the hook, killing it at the deadline; always reaps it. */
static int hook_wait(const struct oci_hook *h, const char *stage, pid_t pid, struct hook_io *io,
                     struct ocirun_error *err)
{
    cleanup_close int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    /* Clamped so a silly timeout cannot overflow the deadline. */
    int64_t secs = h->timeout > 100000000 ? 100000000 : h->timeout;
    int64_t deadline = h->timeout_present ? now_ms() + secs * 1000 : -1;
    siginfo_t si = {0};
    int r;

    if (pidfd < 0) {
        int saved = errno;
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        return error_make(err, saved, "%s hook `%s`: pidfd_open", stage, h->path);
    }
    r = hook_pump(pidfd, io, deadline);
    if (r <= 0)
        syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
    while (waitid(P_PIDFD, (id_t)pidfd, &si, WEXITED) < 0 && errno == EINTR)
        ;
    if (r == 0)
        return error_plain(err, ETIMEDOUT, "%s hook `%s`: timed out after %lld s", stage, h->path,
                           (long long)h->timeout);
    if (r < 0)
        return error_make(err, -r, "%s hook `%s`: poll", stage, h->path);
    if (si.si_code == CLD_EXITED && si.si_status == 0)
        return 0;
    return hook_failed(h, stage, &si, io, err);
}

static int hook_run_one(const struct oci_hook *h, const char *stage, const char *state_json,
                        struct ocirun_error *err)
{
    int p[3][2] = {{-1, -1}, {-1, -1}, {-1, -1}};
    struct hook_io io = {.data = state_json, .len = state_json ? strlen(state_json) : 0};
    sigset_t pipe_set, old;
    pid_t pid = -1;
    int r;

    if (h->path == NULL || h->path[0] != '/')
        return error_plain(err, EINVAL, "%s hook `%s`: path must be absolute", stage,
                           h->path ? h->path : "");
    if (h->timeout_present && h->timeout <= 0)
        return error_plain(err, EINVAL, "%s hook `%s`: timeout must be positive, got %lld", stage,
                           h->path, (long long)h->timeout);
    if (make_pipes(p, err) < 0) {
        close_pipes(p);
        return error_wrap(err, "%s hook `%s`", stage, h->path);
    }
    r = hook_spawn(h, (const int[3]){p[0][0], p[1][1], p[2][1]}, &pid);
    close_fd(&p[0][0]);
    close_fd(&p[1][1]);
    close_fd(&p[2][1]);
    if (r != 0) {
        close_pipes(p);
        return error_make(err, r, "%s hook `%s`: exec", stage, h->path);
    }
    io.in_fd = steal_fd(&p[0][1]);
    io.out_fd = steal_fd(&p[1][0]);
    io.err_fd = steal_fd(&p[2][0]);
    /* A hook that exits without reading stdin makes our write fail with
     * EPIPE; the SIGPIPE that comes with it is blocked and discarded. */
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
    if (io.len == 0)
        close_fd(&io.in_fd);
    r = hook_wait(h, stage, pid, &io, err);
    close_fd(&io.in_fd);
    close_fd(&io.out_fd);
    close_fd(&io.err_fd);
    if (!sigismember(&old, SIGPIPE)) {
        sigset_t pending;
        struct timespec zero = {0, 0};
        if (sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE))
            sigtimedwait(&pipe_set, NULL, &zero);
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return r;
}

int hooks_run(const struct oci_hook *hooks, size_t n, const char *stage, const char *state_json,
              struct ocirun_error *err)
{
    for (size_t i = 0; i < n; i++) {
        if (hook_run_one(&hooks[i], stage, state_json, err) < 0)
            return -1;
    }
    return 0;
}
