/* SPDX-License-Identifier: GPL-2.0-or-later */
/* start (release the init waiting on exec.fifo, poststart hooks) and run
 * (create + start, then wait in the foreground, forwarding signals). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "container.h"
#include "container_internal.h"
#include "fault.h"
#include "hooks.h"
#include "log.h"
#include "notify.h"
#include "spawn.h"
#include "state.h"
#include "terminal.h"
#include "util.h"

#define FIFO_NAME "exec.fifo"

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for the init's byte on exec.fifo, then for EOF: the init keeps its
 * write end open until execve closes it, so returning means the workload
 * runs (or the init died). Checks the init is alive so a dead init does not
 * leave us waiting. The deadline applies to the byte only: after it, only
 * startContainer hooks (with their own timeouts) stand before execve. */
static int read_fifo(struct container *c, int fd, struct ocirun_error *err)
{
    int64_t deadline = now_ms() + SPAWN_TIMEOUT_MS;
    struct pollfd p = {.fd = fd, .events = POLLIN};
    bool released = false;
    char byte;

    for (;;) {
        int n = poll(&p, 1, 100);
        if (n < 0 && errno != EINTR)
            return error_make(err, errno, "poll exec.fifo");
        if (n > 0) {
            ssize_t r = read(fd, &byte, 1);
            if (r == 1)
                released = true;
            if (r < 0 && errno != EAGAIN && errno != EINTR)
                return error_make(err, errno, "read exec.fifo");
            if (r == 0 && (p.revents & POLLHUP))
                return released ? 0 : error_make(err, EPIPE, "the container init closed exec.fifo");
        }
        if (!container_init_alive(c))
            return released
                       ? 0
                       : error_make(err, ESRCH, "the container init exited before it could start");
        if (!released && now_ms() > deadline)
            return error_make(err, ETIMEDOUT, "waiting for the container init on exec.fifo");
    }
}

static int release_init(struct container *c, struct ocirun_error *err)
{
    cleanup_close int fd = openat(c->dirfd, FIFO_NAME, O_RDONLY | O_NONBLOCK | O_CLOEXEC);

    if (fd < 0)
        return error_make(err, errno, "open `%s/%s/%s`", c->root, c->id, FIFO_NAME);
    if (read_fifo(c, fd, err) < 0)
        return -1;
    if (unlinkat(c->dirfd, FIFO_NAME, 0) < 0 && errno != ENOENT)
        return error_make(err, errno, "remove `%s`", FIFO_NAME);
    return 0;
}

/* runtime.md: a failing poststart hook only warns. */
static void run_poststart(struct container *c, const struct oci_config *config)
{
    struct ocirun_error err = {0};
    cleanup_free char *json = NULL;

    if (config->hooks == NULL || config->hooks->poststart_len == 0)
        return;
    json = container_state_json(c, "running", &err);
    if (json == NULL || hooks_run(config->hooks->poststart, config->hooks->poststart_len,
                                  "poststart", json, &err) < 0)
        log_warn("%s", err.msg ? err.msg : "poststart hook failed");
    error_clear(&err);
}

static int start_created(struct container *c, const struct oci_config *config,
                         struct ocirun_error *err)
{
    fault_point("start.before-release");
    if (release_init(c, err) < 0)
        return -1;
    fault_point("start.after-release");
    free(c->state->status);
    c->state->status = xstrdup("running");
    if (container_save(c, err) < 0)
        return -1;
    run_poststart(c, config);
    return 0;
}

static int check_startable(struct container *c, struct ocirun_error *err)
{
    const char *status = container_status(c);

    if (strcmp(status, "created") == 0)
        return 0;
    if (strcmp(status, "stopped") == 0)
        return error_make(err, 0, "cannot start a container that has stopped");
    if (strcmp(status, "running") == 0)
        return error_make(err, 0, "cannot start an already running container");
    return error_make(err, 0, "cannot start a container in the %s state", status);
}

/* The socket for NOTIFY_SOCKET when the caller set it and the container
 * was created with it, else -1. */
static int open_notify(struct container *c, int *fd, struct ocirun_error *err)
{
    cleanup_free char *dir = NULL, *sub = NULL;
    struct stat st;

    *fd = -1;
    if (notify_host_socket() == NULL)
        return 0;
    dir = container_state_dir(c->root, c->id);
    sub = xasprintf("%s/%s", dir, NOTIFY_DIR_NAME);
    if (stat(sub, &st) < 0)
        return 0;
    *fd = notify_listen(dir, err);
    return *fd < 0 ? -1 : 0;
}

static bool init_alive_cb(void *c)
{
    return container_init_alive(c);
}

/* start and run -d return once the container said READY=1 (systemd's
 * Type=notify), without holding the container's lock meanwhile. */
static int wait_notify(struct container *c, int fd, struct ocirun_error *err)
{
    if (fd < 0)
        return 0;
    if (c->lockfd >= 0)
        close(c->lockfd);
    c->lockfd = -1;
    return notify_wait_ready(fd, (pid_t)c->state->pid, init_alive_cb, c, err);
}

int container_start(const char *root, const char *id, struct ocirun_error *err)
{
    cleanup_container struct container *c = NULL;
    struct oci_config *config = NULL;
    cleanup_close int notify_fd = -1;
    char *perr = NULL;
    int r;

    if (container_load(root, id, true, &c, err) < 0 || check_startable(c, err) < 0)
        return -1;
    if (c->state->ocirun == NULL || c->state->ocirun->config_path == NULL)
        return error_make(err, EINVAL, "state of `%s`: no config path recorded", id);
    if (oci_config_parse_file(c->state->ocirun->config_path, &config, &perr) < 0) {
        error_make(err, 0, "config `%s`: %s", c->state->ocirun->config_path,
                   perr ? perr : "cannot be parsed");
        free(perr);
        return -1;
    }
    r = open_notify(c, &notify_fd, err);
    if (r == 0)
        r = start_created(c, config, err);
    oci_config_free(config);
    if (r == 0)
        r = wait_notify(c, notify_fd, err);
    return r;
}

/* ---- run in the foreground ------------------------------------------- */

static volatile pid_t forward_pid;

static void forward_signal(int sig)
{
    int saved = errno;

    if (forward_pid > 0)
        kill(forward_pid, sig);
    errno = saved;
}

static const int forwarded_signals[] = {SIGHUP,  SIGINT,  SIGQUIT, SIGUSR1, SIGUSR2,
                                        SIGTERM, SIGALRM, SIGCONT, SIGPWR,  SIGWINCH};

void run_forward_signals(pid_t pid, bool tty)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = forward_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    forward_pid = pid;
    for (size_t i = 0; i < ARRAY_SIZE(forwarded_signals); i++) {
        /* With a tty, the proxy applies window sizes itself. */
        if (tty && forwarded_signals[i] == SIGWINCH)
            continue;
        sigaction(forwarded_signals[i], &sa, NULL);
    }
}

void run_stop_forwarding(void)
{
    forward_pid = 0;
}

int run_exit_code(const siginfo_t *si)
{
    if (si->si_code == CLD_EXITED)
        return si->si_status;
    return 128 + si->si_status;
}

/* Reads what the init says after start: EOF means it exec'd (the channel
 * is close-on-exec), an ERROR is a late failure (startContainer, execve). */
static int read_late_message(struct create_ctx *ctx, struct ocirun_error *late)
{
    struct spawn_msg m;
    struct ocirun_error err = {0};

    if (spawn_recv(ctx->sock[0], 0, &m, NULL, &err) < 0) {
        error_clear(&err);
        return -1; /* EOF: stop watching */
    }
    if (m.type == SPAWN_MSG_ERROR)
        spawn_msg_to_error(&m, late);
    return 0;
}

static int forward_notify(struct create_ctx *ctx)
{
    struct ocirun_error err = {0};
    int r = notify_forward(ctx->notify_fd, ctx->pid, &err);

    if (r < 0)
        log_warn("%s", err.msg);
    error_clear(&err);
    return r;
}

static int wait_init(struct create_ctx *ctx, struct ocirun_error *late, struct ocirun_error *err)
{
    struct pollfd p[3] = {{.fd = ctx->pidfd, .events = POLLIN},
                          {.fd = ctx->sock[0], .events = POLLIN},
                          {.fd = ctx->notify_fd, .events = POLLIN}};
    siginfo_t si;

    if (ctx->pty_master >= 0 && terminal_proxy(ctx->pty_master, ctx->pidfd, err) < 0) {
        log_warn("%s", err->msg);
        error_clear(err);
    }
    while (!(p[0].revents & POLLIN)) {
        int n = poll(p, ARRAY_SIZE(p), -1);
        if (n < 0 && errno != EINTR)
            return error_make(err, errno, "poll the container init");
        if (n > 0 && (p[1].revents & (POLLIN | POLLHUP)) && read_late_message(ctx, late) < 0)
            p[1].fd = -1;
        if (n > 0 && (p[2].revents & POLLIN) && forward_notify(ctx) != 0)
            p[2].fd = -1; /* forwarded (or broken): stop listening */
    }
    memset(&si, 0, sizeof(si));
    while (waitid(P_PIDFD, (id_t)ctx->pidfd, &si, WEXITED) < 0)
        if (errno != EINTR)
            return error_make(err, errno, "wait for the container init");
    return run_exit_code(&si);
}

static void delete_after_run(const struct create_request *req, const struct oci_config *config)
{
    struct ocirun_error err = {0};

    if (container_delete_parsed(req->root, req->id, true, config, &err) < 0)
        log_warn("delete `%s` after run: %s", req->id, err.msg ? err.msg : "failed");
    error_clear(&err);
}

static int run_foreground(struct create_ctx *ctx, struct ocirun_error *err)
{
    struct ocirun_error late = {0};
    int code;

    /* Unlock: state, kill and exec must work while we wait. */
    container_free(ctx->c);
    ctx->c = NULL;
    code = wait_init(ctx, &late, err);
    forward_pid = 0;
    if (!ctx->req->keep)
        delete_after_run(ctx->req, ctx->config);
    if (late.msg != NULL) {
        error_take(err, late.errnum, steal_ptr(&late.msg));
        return -1;
    }
    return code;
}

/* When the init died during start, the reason it sent is the better
 * message. */
static void take_init_error(struct create_ctx *ctx, struct ocirun_error *err)
{
    struct ocirun_error late = {0};

    if (read_late_message(ctx, &late) == 0 && late.msg != NULL)
        error_take(err, late.errnum, steal_ptr(&late.msg));
    error_clear(&late);
}

int container_run(const struct create_request *req, struct ocirun_error *err)
{
    struct create_ctx ctx;
    int r;

    /* Not reachable through /proc/PID/exe by a container sharing our pid
     * namespace (CVE-2019-5736, docs/security.md). Rootless keeps it: the
     * init inherits the flag, and a non-dumpable child's uid_map would
     * belong to root, out of our reach. */
    if (geteuid() == 0)
        prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    if (create_ctx_spawn(&ctx, req, req->detach, err) < 0) {
        create_ctx_release(&ctx);
        return -1;
    }
    /* From here on a signal to us is meant for the container. */
    if (!req->detach)
        run_forward_signals(ctx.pid, ctx.pty_master >= 0);
    /* Our tty's size, before the workload first asks for it (unless the
     * config set one). */
    if (!req->detach && ctx.pty_master >= 0 && ctx.config->process->console_size == NULL)
        terminal_inherit_size(ctx.pty_master);
    if (open_notify(ctx.c, &ctx.notify_fd, err) < 0 || start_created(ctx.c, ctx.config, err) < 0 ||
        (req->detach && wait_notify(ctx.c, ctx.notify_fd, err) < 0)) {
        forward_pid = 0;
        take_init_error(&ctx, err);
        create_ctx_abort(&ctx);
        create_ctx_release(&ctx);
        return -1;
    }
    /* started: the init no longer needs exec.fifo (already unlinked) */
    if (ctx.fifo_fd >= 0) {
        close(ctx.fifo_fd);
        ctx.fifo_fd = -1;
    }
    r = req->detach ? 0 : run_foreground(&ctx, err);
    create_ctx_release(&ctx);
    return r;
}
