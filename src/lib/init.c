/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "caps.h"
#include "hooks.h"
#include "init.h"
#include "log.h"
#include "lsm.h"
#include "mempolicy.h"
#include "process.h"
#include "spawn.h"
#include "sysctl.h"
#include "terminal.h"
#include "util.h"

/* After joining or creating a user namespace: become its root, so the
 * rest of the setup runs with its full capabilities. */
static int become_ns_root(struct ocirun_error *err)
{
    if (setresgid(0, 0, 0) < 0)
        return error_make(err, errno, "setresgid 0 in the user namespace (is 0 mapped?)");
    if (setresuid(0, 0, 0) < 0)
        return error_make(err, errno, "setresuid 0 in the user namespace (is 0 mapped?)");
    return 0;
}

static int enter_user_namespace(struct init_ctx *ctx, struct ocirun_error *err)
{
    const struct ns_plan *ns = ctx->ns;

    if (ns->unshare_flags & CLONE_NEWUSER)
        if (namespaces_unshare(CLONE_NEWUSER, err) < 0)
            return -1;
    if (ns->is_new[NS_USER]) {
        if (spawn_send(ctx->sock, SPAWN_MSG_USERMAP_REQ, 0, err) < 0 ||
            spawn_expect(ctx->sock, SPAWN_MSG_USERMAP_DONE, NULL, err) < 0)
            return -1;
    }
    if (ns->is_new[NS_USER] || ns->join_fd[NS_USER] >= 0)
        return become_ns_root(err);
    return 0;
}

static int enter_time_namespace(struct init_ctx *ctx, struct ocirun_error *err)
{
    const struct oci_linux *l = ctx->config->linux_;

    if (!ctx->ns->is_new[NS_TIME])
        return 0;
    if (l->time_offsets != NULL && (spawn_send(ctx->sock, SPAWN_MSG_TIMENS_REQ, 0, err) < 0 ||
                                    spawn_expect(ctx->sock, SPAWN_MSG_TIMENS_DONE, NULL, err) < 0))
        return -1;
    return namespaces_enter_time_for_children(err);
}

/* Joins and creates the namespaces in the order that gives each new one
 * the right owner (see namespaces.c). */
static int setup_namespaces(struct init_ctx *ctx, struct ocirun_error *err)
{
    unsigned long rest = ctx->ns->unshare_flags & ~(unsigned long)CLONE_NEWUSER;

    if (namespaces_join(ctx->ns, err) < 0 || enter_user_namespace(ctx, err) < 0)
        return -1;
    if (namespaces_unshare(rest, err) < 0)
        return -1;
    /* The init goes back to being unreachable through /proc/PID (and its
     * exe link: CVE-2019-5736) once the parent wrote the maps. */
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
        return error_make(err, errno, "prctl(PR_SET_DUMPABLE)");
    return enter_time_namespace(ctx, err);
}

static int run_container_hooks(struct init_ctx *ctx, const struct oci_hook *h, size_t n,
                               const char *stage, const char *status, struct ocirun_error *err)
{
    cleanup_free char *json = NULL;

    if (n == 0)
        return 0;
    json = container_state_json(ctx->container, status, err);
    if (json == NULL)
        return -1;
    return hooks_run(h, n, stage, json, err);
}

static int setup_console(struct init_ctx *ctx, struct ocirun_error *err)
{
    const struct oci_process *p = ctx->config->process;
    cleanup_close int master = -1, slave = -1;

    if (!p->terminal) {
        /* a session of its own, as runc's init: otherwise the session
         * leader is a process outside the container (criu refuses to
         * checkpoint such a tree) */
        if (setsid() < 0 && errno != EPERM)
            return error_make(err, errno, "setsid");
        return 0;
    }
    if (terminal_open_pty(&master, &slave, err) < 0 ||
        terminal_set_size(master, p->console_size, err) < 0 ||
        rootfs_bind_console(slave, err) < 0 || spawn_send_fd(ctx->sock, master, err) < 0)
        return -1;
    return terminal_make_controlling(slave, err);
}

/* Mounts, hooks, pivot_root, console and the namespaced kernel settings. */
static int setup_environment(struct init_ctx *ctx, struct ocirun_error *err)
{
    const struct oci_config *c = ctx->config;
    const struct oci_hooks *h = c->hooks;

    /* exec.fifo is reopened through this later: the container may have no
     * /proc of its own. Close-on-exec, and closed as soon as it served. */
    ctx->fd_dir = open("/proc/self/fd", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (ctx->fd_dir < 0)
        return error_make(err, errno, "open `/proc/self/fd`");
    if (rootfs_prepare(&ctx->rootfs, err) < 0)
        return -1;
    if (spawn_send(ctx->sock, SPAWN_MSG_HOOKS_REQ, 0, err) < 0 ||
        spawn_expect(ctx->sock, SPAWN_MSG_HOOKS_DONE, NULL, err) < 0)
        return -1;
    if (h && run_container_hooks(ctx, h->create_container, h->create_container_len,
                                 "createContainer", "creating", err) < 0)
        return -1;
    if (rootfs_pivot(&ctx->rootfs, err) < 0 || setup_console(ctx, err) < 0)
        return -1;
    if (uts_set_names(c->hostname, c->domainname, err) < 0 ||
        sysctl_apply(&c->linux_->sysctl, err) < 0)
        return -1;
    return rootfs_finalize(&ctx->rootfs, err);
}

/* A listener fd (SCMP_ACT_NOTIFY) goes to the parent, which can still
 * reach linux.seccomp.listenerPath on the host. */
static int install_seccomp(struct init_ctx *ctx, struct ocirun_error *err)
{
    if (ctx->seccomp == NULL)
        return 0;
    return seccomp_install_and_pass(ctx->seccomp, ctx->sock, err);
}

/* The process attributes, user and capabilities, in the order the kernel
 * needs: the bounding set needs CAP_SETPCAP, so it goes before the uid. */
static int setup_process(struct init_ctx *ctx, struct ocirun_error *err)
{
    const struct oci_process *p = ctx->config->process;

    if (process_set_rlimits(p, err) < 0 ||
        process_set_personality(ctx->config->linux_->personality, err) < 0 ||
        process_set_scheduler(p, err) < 0 || process_set_io_priority(p, err) < 0 ||
        mempolicy_apply(ctx->config->linux_->memory_policy, err) < 0)
        return -1;
    if (!ctx->req->no_new_keyring && process_join_session_keyring(err) < 0)
        return -1;
    /* Without no_new_privs, loading a filter needs CAP_SYS_ADMIN: before
     * the capabilities go (as runc; the profile then has to allow the rest
     * of the setup). */
    if (!p->no_new_privileges && install_seccomp(ctx, err) < 0)
        return -1;
    if (caps_drop_bounding(p->capabilities, err) < 0 || process_set_user(p->user, err) < 0 ||
        caps_set(p->capabilities, err) < 0)
        return -1;
    if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return error_make(err, errno, "prctl(PR_SET_NO_NEW_PRIVS)");
    return process_chdir(p->cwd, err);
}

static int init_setup(struct init_ctx *ctx, char **exe, char ***env, struct ocirun_error *err)
{
    int64_t host_pid = 0;

    if (spawn_expect(ctx->sock, SPAWN_MSG_SYNC, &host_pid, err) < 0)
        return -1;
    ctx->container->state->pid = host_pid;
    ctx->container->state->pid_present = true;
    if (setup_namespaces(ctx, err) < 0 || setup_environment(ctx, err) < 0 ||
        setup_process(ctx, err) < 0)
        return -1;
    *exe = process_find_executable(ctx->config->process, err);
    if (*exe == NULL)
        return -1;
    *env = process_build_env(ctx->config->process);
    if (process_prepare_fds(ctx->req->preserve_fds, err) < 0 ||
        lsm_set_exec_labels(ctx->config->process, err) < 0)
        return -1;
    /* With no_new_privs: last, as close to execve as the exec.fifo
     * handshake allows (as runc): the profile only has to allow what
     * follows (open, write, execve). */
    if (ctx->config->process->no_new_privileges && install_seccomp(ctx, err) < 0)
        return -1;
    return 0;
}

/* Opening exec.fifo for writing blocks until `start` opens it for reading.
 * It is reopened through our own O_PATH fd, in the /proc/self/fd held since
 * before pivot_root. The write end stays open (close-on-exec) on purpose:
 * `start` reads until EOF, which comes when execve succeeds or we die, so
 * poststart hooks run after the workload is executing (runtime.md). */
static int wait_for_start(struct init_ctx *ctx, struct ocirun_error *err)
{
    char name[16];
    int fd = -1;

    snprintf(name, sizeof(name), "%d", ctx->fifo_fd);
    do
        fd = openat(ctx->fd_dir, name, O_WRONLY | O_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    close(ctx->fd_dir);
    ctx->fd_dir = -1;
    if (fd < 0)
        return error_make(err, errno, "open exec.fifo through /proc/self/fd/%s", name);
    if (write_all(fd, "0", 1) < 0)
        return error_make(err, errno, "write exec.fifo");
    return 0;
}

/* After start: the parent of `create` is gone, a `run` parent listens. */
__attribute__((noreturn)) static void late_failure(struct init_ctx *ctx, struct ocirun_error *err)
{
    if (spawn_send_error(ctx->sock, err) < 0)
        log_error("%s", err->msg);
    _exit(127);
}

/* Until execve the init is an ocirun process that is pid 1 of its pid
 * namespace: the kernel drops signals it has no handler for, so `kill ID`
 * (SIGTERM) on a created container would do nothing. runc's init dies on
 * them; so does ours. execve resets these handlers for the workload. */
static void exit_on_signal(int sig)
{
    _exit(128 + sig);
}

static void init_exit_on_signals(void)
{
    static const int sigs[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGPIPE};
    struct sigaction sa = {.sa_handler = exit_on_signal};

    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
        sigaction(sigs[i], &sa, NULL);
}

/* Closes fd if it is at least `first`, not `dirfd` and not close-on-exec. */
static void close_if_inherited(const char *name, int first, int dirfd)
{
    char *end;
    long fd = strtol(name, &end, 10);
    int flags;

    if (*end != '\0' || fd < first || fd == dirfd || fd > INT_MAX)
        return;
    flags = fcntl((int)fd, F_GETFD);
    if (flags >= 0 && !(flags & FD_CLOEXEC))
        close((int)fd);
}

/* The caller's other fds must not stay open in a created container until
 * start (a caller reading a pipe to EOF would hang). Every fd ocirun opens
 * itself is close-on-exec, so what is not is the caller's: close those,
 * except stdio and the preserved fds. getdents64 into a buffer on the
 * stack rather than opendir(): its 32 KiB heap buffer made the init dirty
 * (copy) 4 more pages of the parent's memory, charged to the container. */
static void init_close_inherited_fds(struct init_ctx *ctx)
{
    int first = 3 + ctx->req->preserve_fds;
    cleanup_close int dir = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    char buf[1024] __attribute__((aligned(8)));
    ssize_t n;

    if (dir < 0)
        return;
    while ((n = syscall(SYS_getdents64, dir, buf, sizeof(buf))) > 0) {
        for (ssize_t off = 0; off < n;) {
            struct dirent64 *de = (struct dirent64 *)(buf + off);
            close_if_inherited(de->d_name, first, dir);
            off += de->d_reclen;
        }
    }
}

void init_main(struct init_ctx *ctx)
{
    struct ocirun_error err = {0};
    const struct oci_hooks *h = ctx->config->hooks;
    char *exe = NULL, **env = NULL;

    /* Our copy of the state lock's fd would keep the container locked
     * until execve; closing it (not LOCK_UN) leaves the parent's lock. */
    if (ctx->container->lockfd >= 0)
        close(ctx->container->lockfd);
    ctx->container->lockfd = -1;
    init_close_inherited_fds(ctx);
    init_exit_on_signals();
    if (init_setup(ctx, &exe, &env, &err) < 0) {
        spawn_send_error(ctx->sock, &err);
        _exit(1);
    }
    /* A create killed before it saved the state must not leave us blocked
     * on exec.fifo forever with no state pointing at us: its death is EOF
     * here, instead of COMMIT. */
    if (spawn_send(ctx->sock, SPAWN_MSG_READY, 0, &err) < 0 ||
        spawn_expect(ctx->sock, SPAWN_MSG_COMMIT, NULL, &err) < 0)
        _exit(1);
    if (wait_for_start(ctx, &err) < 0)
        late_failure(ctx, &err);
    if (h && run_container_hooks(ctx, h->start_container, h->start_container_len, "startContainer",
                                 "created", &err) < 0)
        late_failure(ctx, &err);
    process_exec(exe, ctx->config->process, env, &err);
    late_failure(ctx, &err);
}
