/* SPDX-License-Identifier: GPL-2.0-or-later */
/* exec (exec.h). Three processes:
 *
 *   ocirun (P) --clone--> joiner (J): P puts J in the container's cgroup,
 *       then J joins every namespace of the init that differs from ours
 *       (one setns on the init's pidfd, user namespace first by the
 *       kernel's rules) and clones, with CLONE_PARENT, the process (X):
 *       a child of P, inside the container's pid namespace. J reports X's
 *       pid and exits.
 *   X: pty, rlimits, keyring, caps, user, no_new_privs, cwd, seccomp last,
 *       execve.
 *
 * The channel (spawn.h) is close-on-exec: EOF tells P that X has exec'd, an
 * ERROR message says why it could not. P, J and X stay non-dumpable until
 * execve (CVE-2019-5736); X closes every fd it does not hand over before it
 * changes directory (CVE-2024-21626). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "caps.h"
#include "cgroup.h"
#include "container_internal.h"
#include "cpu_affinity.h"
#include "exec.h"
#include "fault.h"
#include "intelrdt.h"
#include "log.h"
#include "lsm.h"
#include "mempolicy.h"
#include "namespaces.h"
#include "pidfd_socket.h"
#include "process.h"
#include "seccomp_filter.h"
#include "spawn.h"
#include "state.h"
#include "terminal.h"
#include "util.h"

struct exec_ctx {
    const struct exec_request *req;
    struct container *c;
    struct oci_config *config;
    struct oci_process *p; /* config->process, overrides applied */
    struct seccomp_program *seccomp;
    struct cgroup *cg;
    int init_pidfd;
    unsigned long ns_flags; /* the init's namespaces that are not ours */
    int sock[2];
    pid_t pid;      /* X, on the host */
    int pidfd;      /* of X */
    int master;     /* pty master kept for the foreground proxy */
    int seccomp_fd; /* X's seccomp listener until forwarded, else -1 */
    int pidfd_sock; /* --pidfd-socket, connected first, else -1 */
};

static int load_process(struct exec_ctx *ctx, struct ocirun_error *err)
{
    const struct exec_request *req = ctx->req;
    const struct oci_linux *l = ctx->config->linux_;
    struct oci_process *p = NULL;
    char *perr = NULL;

    if (req->process_path != NULL) {
        if (oci_process_parse_file(req->process_path, &p, &perr) < 0) {
            error_make(err, 0, "process `%s`: %s", req->process_path,
                       perr ? perr : "cannot be parsed");
            free(perr);
            return -1;
        }
        if (ctx->config->process != NULL)
            oci_process_free(ctx->config->process);
        ctx->config->process = p;
    } else if (ctx->config->process == NULL) {
        return error_make(err, 0, "config `%s`: no process", ctx->c->state->ocirun->config_path);
    }
    ctx->p = ctx->config->process;
    return exec_process_prepare(ctx->p, req, l ? l->personality : NULL, lsm_host(), err);
}

/* ---- the container --------------------------------------------------- */

static int check_status(struct exec_ctx *ctx, struct ocirun_error *err)
{
    const char *status = container_status(ctx->c);

    /* runc 1.1's wording, which clients match */
    if (strcmp(status, "stopped") == 0)
        return error_plain(err, 0, "cannot exec in a stopped container");
    if (strcmp(status, "paused") == 0 && !ctx->req->ignore_paused)
        return error_plain(err, 0,
                           "cannot exec in a paused container (use --ignore-paused to override)");
    ctx->init_pidfd = container_init_pidfd(ctx->c);
    if (ctx->init_pidfd < 0 && errno == ESRCH)
        return error_plain(err, 0, "cannot exec in a stopped container");
    if (ctx->init_pidfd < 0)
        return error_make(err, errno, "pidfd_open of the container init (pid %lld)",
                          (long long)ctx->c->state->pid);
    return 0;
}

static int load_config(struct exec_ctx *ctx, struct ocirun_error *err)
{
    const struct ocirun_private_state *s = ctx->c->state->ocirun;
    char *perr = NULL;

    if (s == NULL || s->config_path == NULL)
        return error_make(err, EINVAL, "state of `%s`: no config path recorded", ctx->c->id);
    if (oci_config_parse_file(s->config_path, &ctx->config, &perr) < 0) {
        error_make(err, 0, "config `%s`: %s", s->config_path, perr ? perr : "cannot be parsed");
        free(perr);
        return -1;
    }
    return 0;
}

static int compile_seccomp(struct exec_ctx *ctx, struct ocirun_error *err)
{
    const struct oci_linux *l = ctx->config->linux_;

    /* Most containers have no profile: no libseccomp work at all then. */
    if (l == NULL || l->seccomp == NULL)
        return 0;
    return seccomp_compile_cached(l->seccomp, ctx->req->root, &ctx->seccomp, err);
}

static int open_cgroup(struct exec_ctx *ctx, struct ocirun_error *err)
{
    const struct ocirun_private_state *s = ctx->c->state->ocirun;

    if (s->cgroup_path == NULL)
        return 0;
    return cgroup_open(s->cgroup_manager ? s->cgroup_manager : "cgroupfs", s->cgroup_path, &ctx->cg,
                       err);
}

/* The namespaces of the init that are not ours: joining our own user
 * namespace again is EINVAL, and the others would be no-ops. */
static int plan_namespaces(struct exec_ctx *ctx, struct ocirun_error *err)
{
    pid_t pid = (pid_t)ctx->c->state->pid;

    for (int i = 0; i < NS_COUNT; i++) {
        char path[64];
        struct stat mine, theirs;

        snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, ns_proc_name(i));
        if (stat(path, &theirs) < 0) {
            if (errno == ENOENT) /* a namespace type this kernel lacks */
                continue;
            return error_make(err, errno, "stat `%s`", path);
        }
        snprintf(path, sizeof(path), "/proc/self/ns/%s", ns_proc_name(i));
        if (stat(path, &mine) < 0 || mine.st_ino != theirs.st_ino || mine.st_dev != theirs.st_dev)
            ctx->ns_flags |= (unsigned long)ns_clone_flag(i);
    }
    return 0;
}

/* ---- J: joining the namespaces ------------------------------------- */

/* Kernels before 5.8 take no pidfd in setns: one /proc/PID/ns file each,
 * all opened before the first join, the user namespace joined first. */
static int join_by_path(struct exec_ctx *ctx, struct ocirun_error *err)
{
    int fds[NS_COUNT];
    int r = 0;

    for (int i = 0; i < NS_COUNT; i++) {
        char path[64];
        fds[i] = -1;
        if (!(ctx->ns_flags & (unsigned long)ns_clone_flag(i)))
            continue;
        snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)ctx->c->state->pid, ns_proc_name(i));
        fds[i] = open(path, O_RDONLY | O_CLOEXEC);
        if (fds[i] < 0 && r == 0)
            r = error_make(err, errno, "open `%s`", path);
    }
    for (int i = 0; r == 0 && i < NS_COUNT; i++) /* NS_USER is index 0 */
        if (fds[i] >= 0 && setns(fds[i], ns_clone_flag(i)) < 0)
            r = error_make(err, errno, "setns into the %s namespace of the container",
                           ns_proc_name(i));
    for (int i = 0; i < NS_COUNT; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    return r;
}

static int join_namespaces(struct exec_ctx *ctx, struct ocirun_error *err)
{
    if (ctx->ns_flags == 0)
        return 0;
    if (setns(ctx->init_pidfd, (int)ctx->ns_flags) < 0) {
        if (errno != EINVAL)
            return error_make(err, errno, "setns into the namespaces of the container init");
        if (join_by_path(ctx, err) < 0)
            return -1;
    }
    /* Inside a joined user namespace: become its root, so the process
     * setup below has the capabilities it needs there. */
    if (ctx->ns_flags & CLONE_NEWUSER) {
        if (setresgid(0, 0, 0) < 0)
            return error_make(err, errno, "setresgid 0 in the container's user namespace");
        if (setresuid(0, 0, 0) < 0)
            return error_make(err, errno, "setresuid 0 in the container's user namespace");
    }
    return 0;
}

/* ---- X: the process ------------------------------------------------ */

/* A listener fd (SCMP_ACT_NOTIFY) goes to P, which forwards it. */
static int install_seccomp(struct exec_ctx *ctx, struct ocirun_error *err)
{
    return ctx->seccomp ? seccomp_install_and_pass(ctx->seccomp, ctx->sock[1], err) : 0;
}

static int setup_tty(struct exec_ctx *ctx, struct ocirun_error *err)
{
    cleanup_close int master = -1, slave = -1;

    if (!ctx->p->terminal)
        return 0;
    if (terminal_open_pty(&master, &slave, err) < 0 ||
        terminal_set_size(master, ctx->p->console_size, err) < 0 ||
        spawn_send_fd(ctx->sock[1], master, err) < 0 || terminal_make_controlling(slave, err) < 0)
        return -1;
    slave = -1; /* terminal_make_controlling closed it */
    return 0;
}

/* Everything but stdio, the preserved fds and the channel: what P had
 * open (state dir, cgroup dirs, pidfds, --log) must not be reachable, not
 * even through `cwd: /proc/self/fd/N` before execve. */
static int close_host_fds(struct exec_ctx *ctx, struct ocirun_error *err)
{
    unsigned int first = 3 + (unsigned int)ctx->req->preserve_fds;
    unsigned int keep = (unsigned int)ctx->sock[1];

    if (keep > first && syscall(SYS_close_range, first, keep - 1, 0) < 0)
        return error_make(err, errno, "close_range");
    if (syscall(SYS_close_range, keep < first ? first : keep + 1, ~0U, 0) < 0)
        return error_make(err, errno, "close_range");
    return 0;
}

/* The same order as the init (init.c): seccomp before the capabilities go
 * when it needs CAP_SYS_ADMIN, else last. */
static int setup_process(struct exec_ctx *ctx, struct ocirun_error *err)
{
    const struct oci_process *p = ctx->p;
    const struct oci_linux *l = ctx->config->linux_;

    /* execCPUAffinity.final: now that J put us in the cgroup (config.md). */
    if (setup_tty(ctx, err) < 0 || process_set_rlimits(p, err) < 0 ||
        process_set_personality(l ? l->personality : NULL, err) < 0 ||
        process_set_scheduler(p, err) < 0 || process_set_io_priority(p, err) < 0 ||
        mempolicy_apply(l ? l->memory_policy : NULL, err) < 0 ||
        cpu_affinity_apply(p->exec_cpu_affinity, "final", 0, err) < 0 ||
        process_join_session_keyring(err) < 0)
        return -1;
    if (!p->no_new_privileges && install_seccomp(ctx, err) < 0)
        return -1;
    if (caps_drop_bounding(p->capabilities, err) < 0 || process_set_user(p->user, err) < 0 ||
        caps_set(p->capabilities, err) < 0)
        return -1;
    if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return error_make(err, errno, "prctl(PR_SET_NO_NEW_PRIVS)");
    if (close_host_fds(ctx, err) < 0)
        return -1;
    return process_chdir(p->cwd, err);
}

__attribute__((noreturn)) static void process_main(struct exec_ctx *ctx)
{
    struct ocirun_error err = {0};
    char *exe = NULL, **env = NULL;

    if (setup_process(ctx, &err) < 0 || (exe = process_find_executable(ctx->p, &err)) == NULL)
        goto fail;
    env = process_build_env(ctx->p);
    if (process_prepare_fds(ctx->req->preserve_fds, &err) < 0 ||
        lsm_set_exec_labels(ctx->p, &err) < 0)
        goto fail;
    if (ctx->p->no_new_privileges && install_seccomp(ctx, &err) < 0)
        goto fail;
    process_exec(exe, ctx->p, env, &err);
fail:
    spawn_send_error(ctx->sock[1], &err);
    _exit(127);
}

__attribute__((noreturn)) static void joiner_main(struct exec_ctx *ctx)
{
    struct ocirun_error err = {0};
    pid_t pid;

    close(ctx->sock[0]);
    ctx->sock[0] = -1;
    if (spawn_expect(ctx->sock[1], SPAWN_MSG_SYNC, NULL, &err) < 0)
        _exit(1);
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) {
        error_make(&err, errno, "prctl(PR_SET_DUMPABLE)");
        goto fail;
    }
    if (join_namespaces(ctx, &err) < 0)
        goto fail;
    /* CLONE_PARENT: X is ocirun's child, so ocirun can wait for it. No
     * exit signal in the flags: with CLONE_PARENT it is our own. */
    pid = (pid_t)syscall(SYS_clone, CLONE_PARENT, NULL, NULL, NULL, NULL);
    if (pid == 0)
        process_main(ctx);
    if (pid < 0) {
        error_make(&err, errno, "clone the exec process");
        goto fail;
    }
    if (spawn_send(ctx->sock[1], SPAWN_MSG_READY, pid, &err) < 0)
        _exit(1);
    _exit(0);
fail:
    spawn_send_error(ctx->sock[1], &err);
    _exit(1);
}

/* ---- P: spawning and waiting ------------------------------------------ */

static void reap(int pidfd)
{
    siginfo_t si;

    while (waitid(P_PIDFD, (id_t)pidfd, &si, WEXITED) < 0 && errno == EINTR)
        ;
}

/* J in the cgroup and with the oom score, then released. J (and X, its
 * child) runs on execCPUAffinity.initial from before it joins the cgroup
 * (config.md; as runc 1.2), and in the resctrl group of the container. */
static int release_joiner(struct exec_ctx *ctx, pid_t joiner, struct ocirun_error *err)
{
    const struct oci_linux *l = ctx->config->linux_;

    if (cpu_affinity_apply(ctx->p->exec_cpu_affinity, "initial", joiner, err) < 0)
        return -1;
    if (cgroup_enter_sub(ctx->cg, joiner, ctx->req->cgroups, ctx->req->cgroups_len, err) < 0) {
        if ((geteuid() == 0 && !running_in_user_namespace()) || ctx->req->cgroups_len > 0)
            return error_wrap(err, "join the container's cgroup");
        error_clear(err); /* rootless (also root in a user namespace): a cgroup we may not write */
    }
    if (process_set_oom_score_adj(joiner, ctx->p, err) < 0 ||
        intelrdt_join(l ? l->intel_rdt : NULL, ctx->c->id, joiner, err) < 0)
        return -1;
    return spawn_send(ctx->sock[0], SPAWN_MSG_SYNC, 0, err);
}

static int take_pid(struct exec_ctx *ctx, int64_t pid, struct ocirun_error *err)
{
    if (pid <= 0 || pid > INT32_MAX || ctx->pid > 0)
        return error_make(err, EPROTO, "exec channel: bad pid %lld", (long long)pid);
    ctx->pid = (pid_t)pid;
    ctx->pidfd = (int)syscall(SYS_pidfd_open, ctx->pid, 0);
    if (ctx->pidfd < 0)
        return error_make(err, errno, "pidfd_open of the exec process %d", (int)ctx->pid);
    return 0;
}

static int handle_pty(struct exec_ctx *ctx, int fd, struct ocirun_error *err)
{
    int r = 0;

    if (fd < 0)
        return error_make(err, EPROTO, "the exec process sent no pty master");
    if (ctx->req->console_socket == NULL) {
        ctx->master = fd; /* the foreground proxy's */
        terminal_inherit_size(fd);
        return 0;
    }
    r = terminal_send_to_console_socket(ctx->req->console_socket, fd, err);
    close(fd);
    return r;
}

/* SCMP_ACT_NOTIFY: X's listener goes to the agent once X's pid is known
 * (J's READY and X's SECCOMP_FD come in any order). */
static int take_seccomp_fd(struct exec_ctx *ctx, int fd, struct ocirun_error *err)
{
    if (fd < 0 || ctx->seccomp_fd >= 0) {
        if (fd >= 0)
            close(fd);
        return error_make(err, EPROTO, "exec channel: bad seccomp listener message");
    }
    ctx->seccomp_fd = fd;
    return 0;
}

static int forward_seccomp(struct exec_ctx *ctx, struct ocirun_error *err)
{
    int r;

    if (ctx->seccomp_fd < 0 || ctx->pid <= 0)
        return 0;
    r = seccomp_notify_forward(ctx->config->linux_->seccomp, ctx->seccomp_fd, ctx->pid,
                               ctx->c->state, err);
    close(ctx->seccomp_fd);
    ctx->seccomp_fd = -1;
    return r;
}

/* Until X has exec'd (EOF: J has exited and the channel is close-on-exec in
 * X) or failed. J's READY (X's pid) and X's PTY_MASTER come in any order. */
static int wait_exec(struct exec_ctx *ctx, struct ocirun_error *err)
{
    struct spawn_msg m;
    int fd;

    for (;;) {
        struct ocirun_error e = {0};
        if (spawn_recv(ctx->sock[0], SPAWN_TIMEOUT_MS, &m, &fd, &e) < 0) {
            if (e.errnum == EPIPE && ctx->pid > 0) {
                error_clear(&e);
                return 0;
            }
            if (e.errnum == EPIPE) {
                error_clear(&e);
                return error_make(err, EPIPE, "the exec process exited before it was ready");
            }
            error_take(err, e.errnum, steal_ptr(&e.msg));
            return -1;
        }
        if (m.type == SPAWN_MSG_ERROR)
            return spawn_msg_to_error(&m, err);
        if (m.type == SPAWN_MSG_READY || m.type == SPAWN_MSG_SECCOMP_FD) {
            if (m.type == SPAWN_MSG_READY ? take_pid(ctx, m.value, err) < 0
                                          : take_seccomp_fd(ctx, fd, err) < 0)
                return -1;
            if (forward_seccomp(ctx, err) < 0)
                return -1;
            continue;
        }
        if (m.type != SPAWN_MSG_PTY_MASTER) {
            if (fd >= 0)
                close(fd);
            return error_make(err, EPROTO, "exec channel: unexpected message %u", m.type);
        }
        if (handle_pty(ctx, fd, err) < 0)
            return -1;
    }
}

static int spawn_process(struct exec_ctx *ctx, struct ocirun_error *err)
{
    cleanup_close int jpidfd = -1;
    bool into_cgroup;
    pid_t joiner;
    int r;

    if (spawn_socketpair(ctx->sock, err) < 0)
        return -1;
    joiner = spawn_clone(0, -1, &jpidfd, &into_cgroup, err);
    if (joiner < 0) {
        /* spawn_clone's message names the container init: say what failed */
        int errnum = err->errnum;

        error_clear(err);
        return error_make(err, errnum, "clone the exec process");
    }
    if (joiner == 0)
        joiner_main(ctx);
    close(ctx->sock[1]);
    ctx->sock[1] = -1;
    fault_point("exec.after-clone");
    r = release_joiner(ctx, joiner, err);
    if (r == 0)
        r = wait_exec(ctx, err);
    if (r < 0)
        syscall(SYS_pidfd_send_signal, jpidfd, SIGKILL, NULL, 0);
    reap(jpidfd);
    return r;
}

static int write_pid_file(const char *path, pid_t pid, struct ocirun_error *err)
{
    char buf[32];

    if (path == NULL)
        return 0;
    snprintf(buf, sizeof(buf), "%d", (int)pid);
    if (write_file_atomic_at(AT_FDCWD, path, buf, strlen(buf), 0644, err) < 0)
        return error_wrap(err, "pid file");
    return 0;
}

static int wait_foreground(struct exec_ctx *ctx, struct ocirun_error *err)
{
    siginfo_t si;

    run_forward_signals(ctx->pid, ctx->master >= 0);
    if (ctx->master >= 0 && terminal_proxy(ctx->master, ctx->pidfd, err) < 0) {
        log_warn("%s", err->msg);
        error_clear(err);
    }
    memset(&si, 0, sizeof(si));
    while (waitid(P_PIDFD, (id_t)ctx->pidfd, &si, WEXITED) < 0) {
        if (errno != EINTR) {
            run_stop_forwarding();
            return error_make(err, errno, "wait for the exec process");
        }
    }
    run_stop_forwarding();
    ctx->pid = 0;
    return run_exit_code(&si);
}

static int prepare(struct exec_ctx *ctx, struct ocirun_error *err)
{
    const struct exec_request *req = ctx->req;

    /* Before we open anything: the caller's fds 3.. must be there. */
    if (process_check_preserved_fds(req->preserve_fds, log_fd(), err) < 0)
        return -1;
    /* (a static ocirun becomes its companion before it connects anywhere) */
    if (container_load(req->root, req->id, false, &ctx->c, err) < 0 ||
        container_companion(ctx->c, err) < 0)
        return -1;
    if (req->pidfd_socket != NULL &&
        (ctx->pidfd_sock = pidfd_socket_connect(req->pidfd_socket, err)) < 0)
        return -1;
    if (check_status(ctx, err) < 0)
        return -1;
    if (load_config(ctx, err) < 0 || load_process(ctx, err) < 0 || compile_seccomp(ctx, err) < 0 ||
        open_cgroup(ctx, err) < 0)
        return -1;
    return plan_namespaces(ctx, err);
}

static void exec_ctx_release(struct exec_ctx *ctx)
{
    if (ctx->pid > 0 && ctx->pidfd >= 0) { /* failed before or at execve */
        syscall(SYS_pidfd_send_signal, ctx->pidfd, SIGKILL, NULL, 0);
        reap(ctx->pidfd);
    }
    for (int i = 0; i < 2; i++)
        if (ctx->sock[i] >= 0)
            close(ctx->sock[i]);
    if (ctx->pidfd >= 0)
        close(ctx->pidfd);
    if (ctx->init_pidfd >= 0)
        close(ctx->init_pidfd);
    if (ctx->master >= 0)
        close(ctx->master);
    if (ctx->seccomp_fd >= 0)
        close(ctx->seccomp_fd);
    if (ctx->pidfd_sock >= 0)
        close(ctx->pidfd_sock);
    if (ctx->seccomp)
        seccomp_program_free(ctx->seccomp);
    if (ctx->cg)
        cgroup_free(ctx->cg);
    if (ctx->config)
        oci_config_free(ctx->config);
    container_free(ctx->c);
}

int container_exec(const struct exec_request *req, struct ocirun_error *err)
{
    struct exec_ctx ctx = {
        .req = req,
        .init_pidfd = -1,
        .pidfd = -1,
        .master = -1,
        .seccomp_fd = -1,
        .pidfd_sock = -1,
    };
    int r;

    ctx.sock[0] = ctx.sock[1] = -1;
    /* Not reachable through /proc/PID/exe from the container (see
     * container_run); the children inherit it until execve. */
    if (geteuid() == 0)
        prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    r = prepare(&ctx, err);
    if (r == 0)
        r = spawn_process(&ctx, err);
    if (r == 0 && ctx.pidfd_sock >= 0)
        r = pidfd_socket_send(ctx.pidfd_sock, req->pidfd_socket, ctx.pidfd, PIDFD_SOCKET_EXEC, err);
    if (r == 0)
        fault_point("exec.before-pid-file");
    if (r == 0)
        r = write_pid_file(req->pid_file, ctx.pid, err);
    if (r == 0 && req->detach)
        ctx.pid = 0; /* running: not ours to kill */
    else if (r == 0)
        r = wait_foreground(&ctx, err);
    exec_ctx_release(&ctx);
    return r;
}
