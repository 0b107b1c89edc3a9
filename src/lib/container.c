/* SPDX-License-Identifier: GPL-2.0-or-later */
/* create, start and run: the parent side of the container lifecycle.
 * The child side is init.c; the channel and the clone are spawn.c. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "config_validate.h"
#include "container.h"
#include "container_internal.h"
#include "fault.h"
#include "hooks.h"
#include "init.h"
#include "intelrdt.h"
#include "log.h"
#include "netdev.h"
#include "notify.h"
#include "pidfd_socket.h"
#include "process.h"
#include "spawn.h"
#include "state.h"
#include "terminal.h"
#include "userns.h"
#include "util.h"

#define FIFO_NAME "exec.fifo"

static int load_config(struct create_ctx *ctx, struct ocirun_error *err)
{
    const char *bundle = ctx->req->bundle ? ctx->req->bundle : ".";
    cleanup_free char *path = NULL;
    char *perr = NULL;
    char resolved[PATH_MAX];

    if (realpath(bundle, resolved) == NULL)
        return error_make(err, errno, "bundle `%s`", bundle);
    ctx->bundle = xstrdup(resolved);
    path = xasprintf("%s/config.json", ctx->bundle);
    if (oci_config_parse_file(path, &ctx->config, &perr) < 0) {
        error_make(err, 0, "config `%s`: %s", path, perr ? perr : "cannot be parsed");
        free(perr);
        return -1;
    }
    ctx->config_path = steal_ptr(&path);
    return 0;
}

static int make_fifo(struct create_ctx *ctx, struct ocirun_error *err)
{
    int dirfd = ctx->c->dirfd;

    if (mkfifoat(dirfd, FIFO_NAME, 0622) < 0)
        return error_make(err, errno, "mkfifo `%s/%s/%s`", ctx->req->root, ctx->req->id, FIFO_NAME);
    /* 0622 whatever the umask: the init may write it as an unprivileged user. */
    if (fchmodat(dirfd, FIFO_NAME, 0622, 0) < 0)
        return error_make(err, errno, "chmod `%s`", FIFO_NAME);
    ctx->fifo_fd = openat(dirfd, FIFO_NAME, O_PATH | O_CLOEXEC | O_NOFOLLOW);
    if (ctx->fifo_fd < 0)
        return error_make(err, errno, "open `%s`", FIFO_NAME);
    return 0;
}

static char *now_rfc3339(void)
{
    struct timespec ts;
    struct tm tm;

    clock_gettime(CLOCK_REALTIME, &ts);
    utc_fields(ts.tv_sec, &tm); /* not gmtime_r/strftime: see utc_fields */
    return xasprintf("%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec);
}

static void copy_string_map(struct oci_string_map *dst, const struct oci_string_map *src)
{
    memset(dst, 0, sizeof(*dst));
    if (src->keys == NULL)
        return;
    dst->keys = xzalloc(sizeof(char *) * (src->len + 1));
    dst->values = xzalloc(sizeof(char *) * (src->len + 1));
    for (size_t i = 0; i < src->len; i++) {
        dst->keys[i] = xstrdup(src->keys[i]);
        dst->values[i] = xstrdup(src->values[i]);
    }
    dst->len = src->len;
}

/* The state as hooks see it while creating (pid still unknown). */
static void state_fill_creating(struct create_ctx *ctx)
{
    struct oci_state *s = xzalloc(sizeof(*s));
    struct ocirun_private_state *p = xzalloc(sizeof(*p));

    s->oci_version = xstrdup(OCI_SPEC_VERSION);
    s->id = xstrdup(ctx->req->id);
    s->status = xstrdup("creating");
    s->bundle = xstrdup(ctx->bundle);
    s->rootfs = xstrdup(ctx->rootfs);
    s->created = now_rfc3339();
    s->owner = xstrdup("");
    copy_string_map(&s->annotations, &ctx->config->annotations);
    p->cgroup_path = xstrdup(cgroup_path(ctx->cg));
    p->cgroup_manager = xstrdup(ctx->req->cgroup_manager ? ctx->req->cgroup_manager : "cgroupfs");
    p->rootless = ctx->rootless;
    p->rootless_present = true;
    p->config_path = xstrdup(ctx->config_path);
    s->ocirun = p;
    if (ctx->c->state)
        oci_state_free(ctx->c->state);
    ctx->c->state = s;
}

static void state_fill_created(struct create_ctx *ctx)
{
    struct oci_state *s = ctx->c->state;

    free(s->status);
    s->status = xstrdup("created");
    s->pid = ctx->pid;
    s->pid_present = true;
    s->ocirun->init_start_time = proc_start_time(ctx->pid);
    s->ocirun->init_start_time_present = true;
    s->ocirun->namespace_paths =
        namespaces_state_paths(&ctx->ns, ctx->pid, &s->ocirun->namespace_paths_len);
}

static void rootfs_context_fill(struct create_ctx *ctx, struct rootfs_context *r)
{
    memset(r, 0, sizeof(*r));
    r->config = ctx->config;
    r->bundle = ctx->bundle;
    r->rootfs = ctx->rootfs;
    r->no_pivot = ctx->req->no_pivot;
    r->in_userns =
        ctx->ns.is_new[NS_USER] || ctx->ns.join_fd[NS_USER] >= 0 || running_in_user_namespace();
    r->has_new_pidns = ctx->ns.is_new[NS_PID];
    r->has_new_netns = ctx->ns.is_new[NS_NET];
}

/* Without clone3, the unified cgroup is joined the classic way. */
static int enter_cgroup_fd(int cgroup_fd, pid_t pid, struct ocirun_error *err)
{
    char buf[32];
    cleanup_close int fd = openat(cgroup_fd, "cgroup.procs", O_WRONLY | O_CLOEXEC);

    snprintf(buf, sizeof(buf), "%d", (int)pid);
    if (fd < 0 || write_all(fd, buf, strlen(buf)) < 0)
        return error_make(err, errno, "move the init into its cgroup (cgroup.procs)");
    return 0;
}

static int clone_init(struct create_ctx *ctx, struct ocirun_error *err)
{
    struct init_ctx ictx = {
        .config = ctx->config,
        .req = ctx->req,
        .container = ctx->c,
        .ns = &ctx->ns,
        .sock = ctx->sock[1],
        .fifo_fd = ctx->fifo_fd,
        .fd_dir = -1,
        .seccomp = ctx->seccomp,
    };
    bool into_cgroup;
    pid_t pid;

    rootfs_context_fill(ctx, &ictx.rootfs);
    /* Idmapped mounts inside a new user namespace need source trees opened
     * with host privileges, before the clone. */
    if (rootfs_open_mount_sources(&ictx.rootfs, err) < 0)
        return -1;
    if (namespaces_parent_enter_pidns(&ctx->ns, err) < 0) {
        rootfs_close_mount_sources(&ictx.rootfs);
        return -1;
    }
    pid =
        spawn_clone(ctx->ns.clone_flags, cgroup_clone_fd(ctx->cg), &ctx->pidfd, &into_cgroup, err);
    if (pid == 0) {
        close(ctx->sock[0]);
        /* The caller's --pidfd-socket must not stay open in a created
         * container until start; the parent sends the pidfd. */
        if (ctx->pidfd_sock >= 0)
            close(ctx->pidfd_sock);
        init_main(&ictx);
    }
    rootfs_close_mount_sources(&ictx.rootfs);
    if (namespaces_parent_leave_pidns(&ctx->ns, err) < 0 && pid < 0)
        return -1;
    close(ctx->sock[1]);
    ctx->sock[1] = -1;
    if (pid < 0)
        return -1;
    ctx->pid = pid;
    if (!into_cgroup && cgroup_clone_fd(ctx->cg) >= 0)
        return enter_cgroup_fd(cgroup_clone_fd(ctx->cg), pid, err);
    return 0;
}

static int run_parent_hooks(struct create_ctx *ctx, struct ocirun_error *err)
{
    const struct oci_hooks *h = ctx->config->hooks;
    cleanup_free char *json = NULL;

    if (h == NULL || (h->prestart_len == 0 && h->create_runtime_len == 0))
        return 0;
    json = container_state_json(ctx->c, "creating", err);
    if (json == NULL)
        return -1;
    /* prestart is deprecated but still called, before createRuntime. */
    if (hooks_run(h->prestart, h->prestart_len, "prestart", json, err) < 0)
        return -1;
    return hooks_run(h->create_runtime, h->create_runtime_len, "createRuntime", json, err);
}

static int handle_pty(struct create_ctx *ctx, int fd, struct ocirun_error *err)
{
    if (fd < 0)
        return error_make(err, EPROTO, "the container init sent no pty master");
    if (ctx->req->console_socket == NULL) {
        ctx->pty_master = fd; /* run in the foreground proxies it */
        return 0;
    }
    int r = terminal_send_to_console_socket(ctx->req->console_socket, fd, err);
    close(fd);
    return r;
}

/* The init runs the createContainer hooks between two messages. */
static int init_timeout_ms(const struct oci_config *config)
{
    int64_t ms = SPAWN_TIMEOUT_MS;
    const struct oci_hooks *h = config->hooks;

    for (size_t i = 0; h && i < h->create_container_len; i++) {
        int64_t t = h->create_container[i].timeout;
        if (!h->create_container[i].timeout_present || t <= 0)
            continue;
        if (t > INT_MAX / 1000)
            return INT_MAX;
        ms += t * 1000;
    }
    return ms > INT_MAX ? INT_MAX : (int)ms;
}

/* Serves the init's requests until it is READY. */
static int serve_init(struct create_ctx *ctx, struct ocirun_error *err)
{
    int timeout = init_timeout_ms(ctx->config);
    struct spawn_msg m;
    int fd, r = 0;

    for (;;) {
        if (spawn_recv(ctx->sock[0], timeout, &m, &fd, err) < 0)
            return -1;
        switch (m.type) {
        case SPAWN_MSG_USERMAP_REQ:
            r = userns_write_maps(ctx->pid, ctx->config->linux_, err);
            if (r == 0)
                r = spawn_send(ctx->sock[0], SPAWN_MSG_USERMAP_DONE, 0, err);
            break;
        case SPAWN_MSG_TIMENS_REQ:
            r = namespaces_write_time_offsets(ctx->pid, ctx->config->linux_->time_offsets, err);
            if (r == 0)
                r = spawn_send(ctx->sock[0], SPAWN_MSG_TIMENS_DONE, 0, err);
            break;
        case SPAWN_MSG_HOOKS_REQ:
            /* The init's network namespace exists now; the devices are
             * there before the prestart/createRuntime hooks run. */
            r = netdev_move_all(&ctx->config->linux_->net_devices, ctx->pid, err);
            if (r == 0)
                r = run_parent_hooks(ctx, err);
            if (r == 0)
                r = spawn_send(ctx->sock[0], SPAWN_MSG_HOOKS_DONE, 0, err);
            break;
        case SPAWN_MSG_PTY_MASTER:
            r = handle_pty(ctx, fd, err);
            fd = -1;
            break;
        case SPAWN_MSG_SECCOMP_FD:
            r = seccomp_notify_forward(ctx->config->linux_->seccomp, fd, ctx->pid, ctx->c->state,
                                       err);
            break;
        case SPAWN_MSG_READY:
            return 0;
        case SPAWN_MSG_ERROR:
            return spawn_msg_to_error(&m, err);
        default:
            r = error_make(err, EPROTO, "unexpected message %u from the container init", m.type);
        }
        if (fd >= 0)
            close(fd);
        if (r < 0)
            return -1;
    }
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

/* Through the BPF cache under the state root (seccomp_cache.c). */
static int compile_seccomp(struct create_ctx *ctx, struct ocirun_error *err)
{
    return seccomp_compile_cached(ctx->config->linux_->seccomp, ctx->req->root, &ctx->seccomp, err);
}

static int spawn_container(struct create_ctx *ctx, struct ocirun_error *err)
{
    if (cgroup_create(ctx->req->cgroup_manager, ctx->req->id, ctx->config->linux_->cgroups_path,
                      ctx->config->linux_->resources, ctx->rootless, &ctx->cg, err) < 0 ||
        cgroup_set_owner(ctx->cg, ctx->config, ctx->rootless, err) < 0)
        return -1;
    /* Saved at once, so that a create killed from here on leaves a state
     * naming the cgroup: delete -f finds and removes it. */
    state_fill_creating(ctx);
    if (container_save(ctx->c, err) < 0)
        return -1;
    fault_point("create.after-cgroup");
    if (namespaces_plan(ctx->config->linux_, cgroup_clone_fd(ctx->cg) >= 0 && spawn_has_clone3(),
                        &ctx->ns, err) < 0)
        return -1;
    if (spawn_socketpair(ctx->sock, err) < 0)
        return -1;
    if (clone_init(ctx, err) < 0)
        return -1;
    fault_point("create.after-clone");
    ctx->c->state->pid = ctx->pid;
    ctx->c->state->pid_present = true;
    ctx->rdt_applied = ctx->config->linux_->intel_rdt != NULL;
    /* With a clone fd (unified host, cgroupfs), clone_init has already
     * placed the init in its cgroup, the only hierarchy there is. */
    if ((cgroup_clone_fd(ctx->cg) < 0 && cgroup_enter(ctx->cg, ctx->pid, err) < 0) ||
        process_set_oom_score_adj(ctx->pid, ctx->config->process, err) < 0 ||
        intelrdt_apply(ctx->config->linux_->intel_rdt, ctx->req->id, ctx->pid, err) < 0 ||
        spawn_send(ctx->sock[0], SPAWN_MSG_SYNC, ctx->pid, err) < 0)
        return -1;
    if (serve_init(ctx, err) < 0)
        return -1;
    fault_point("create.after-mounts");
    if (ctx->pidfd_sock >= 0 && pidfd_socket_send(ctx->pidfd_sock, ctx->req->pidfd_socket,
                                                  ctx->pidfd, PIDFD_SOCKET_INIT, err) < 0)
        return -1;
    state_fill_created(ctx);
    if (container_save(ctx->c, err) < 0)
        return -1;
    fault_point("create.after-state");
    if (write_pid_file(ctx->req->pid_file, ctx->pid, err) < 0)
        return -1;
    fault_point("create.after-pid-file");
    return spawn_send(ctx->sock[0], SPAWN_MSG_COMMIT, 0, err);
}

char *container_state_dir(const char *root, const char *id)
{
    char resolved[PATH_MAX];

    if (realpath(root, resolved) == NULL)
        return xasprintf("%s/%s", root, id);
    return xasprintf("%s/%s", resolved, id);
}

static int prepare_notify(struct create_ctx *ctx, struct ocirun_error *err)
{
    cleanup_free char *dir = NULL;

    if (notify_host_socket() == NULL)
        return 0;
    dir = container_state_dir(ctx->req->root, ctx->req->id);
    return notify_prepare(ctx->config, dir, err);
}

/* Everything of `create` up to the init waiting on exec.fifo. On failure
 * nothing is left: the init is killed, the cgroup and state removed. */
int create_ctx_spawn(struct create_ctx *ctx, const struct create_request *req, bool detached,
                     struct ocirun_error *err)
{
    memset(ctx, 0, sizeof(*ctx));
    ctx->req = req;
    ctx->fifo_fd = ctx->pidfd = ctx->pty_master = ctx->notify_fd = ctx->pidfd_sock = -1;
    ctx->sock[0] = ctx->sock[1] = -1;
    for (int i = 0; i < NS_COUNT; i++)
        ctx->ns.join_fd[i] = -1;
    ctx->ns.saved_pidns_fd = -1;
    ctx->rootless = req->rootless == 1 ||
                    (req->rootless < 0 && (geteuid() != 0 || running_in_user_namespace()));
    if (process_check_preserved_fds(req->preserve_fds, log_fd(), err) < 0)
        return -1;
    if (req->pidfd_socket != NULL &&
        (ctx->pidfd_sock = pidfd_socket_connect(req->pidfd_socket, err)) < 0)
        return -1;
    if (load_config(ctx, err) < 0 || config_validate(ctx->config, ctx->bundle, err) < 0 ||
        terminal_check_request(ctx->config->process->terminal, detached, ctx->req->console_socket,
                               err) < 0 ||
        compile_seccomp(ctx, err) < 0)
        return -1;
    ctx->rootfs = config_rootfs_path(ctx->config, ctx->bundle);
    if (container_state_create(req->root, req->id, &ctx->c, err) < 0)
        return -1;
    ctx->own_state = true;
    fault_point("create.after-state-dir");
    if (make_fifo(ctx, err) < 0 || prepare_notify(ctx, err) < 0 || spawn_container(ctx, err) < 0) {
        create_ctx_abort(ctx);
        return -1;
    }
    return 0;
}

/* restore (criu-restore.c): the context as create sets it up, config
 * loaded and validated, nothing made yet. */
int create_ctx_load(struct create_ctx *ctx, const struct create_request *req,
                    struct ocirun_error *err)
{
    memset(ctx, 0, sizeof(*ctx));
    ctx->req = req;
    ctx->fifo_fd = ctx->pidfd = ctx->pty_master = ctx->notify_fd = ctx->pidfd_sock = -1;
    ctx->sock[0] = ctx->sock[1] = -1;
    for (int i = 0; i < NS_COUNT; i++)
        ctx->ns.join_fd[i] = -1;
    ctx->ns.saved_pidns_fd = -1;
    ctx->rootless = req->rootless == 1 ||
                    (req->rootless < 0 && (geteuid() != 0 || running_in_user_namespace()));
    if (load_config(ctx, err) < 0 || config_validate(ctx->config, ctx->bundle, err) < 0)
        return -1;
    ctx->rootfs = config_rootfs_path(ctx->config, ctx->bundle);
    return 0;
}

/* restore: the state of a running container whose init is ctx->pid. */
void create_ctx_fill_state(struct create_ctx *ctx)
{
    state_fill_creating(ctx);
    state_fill_created(ctx);
    free(ctx->c->state->status);
    ctx->c->state->status = xstrdup("running");
}

void create_ctx_abort(struct create_ctx *ctx)
{
    struct ocirun_error ignored = {0};

    if (ctx->pidfd >= 0) {
        syscall(SYS_pidfd_send_signal, ctx->pidfd, SIGKILL, NULL, 0);
        siginfo_t si;
        waitid(P_PIDFD, (id_t)ctx->pidfd, &si, WEXITED);
    }
    if (ctx->rdt_applied)
        intelrdt_remove(ctx->config->linux_->intel_rdt, ctx->req->id);
    if (ctx->cg != NULL)
        cgroup_destroy(ctx->cg, &ignored);
    error_clear(&ignored);
    if (ctx->c != NULL && ctx->own_state)
        container_state_remove(ctx->c, &ignored);
    error_clear(&ignored);
}

void create_ctx_release(struct create_ctx *ctx)
{
    namespaces_plan_close(&ctx->ns);
    for (int i = 0; i < 2; i++)
        if (ctx->sock[i] >= 0)
            close(ctx->sock[i]);
    if (ctx->fifo_fd >= 0)
        close(ctx->fifo_fd);
    if (ctx->pidfd >= 0)
        close(ctx->pidfd);
    if (ctx->pty_master >= 0)
        close(ctx->pty_master);
    if (ctx->notify_fd >= 0)
        close(ctx->notify_fd);
    if (ctx->pidfd_sock >= 0)
        close(ctx->pidfd_sock);
    if (ctx->cg)
        cgroup_free(ctx->cg);
    if (ctx->seccomp)
        seccomp_program_free(ctx->seccomp);
    container_free(ctx->c);
    if (ctx->config)
        oci_config_free(ctx->config);
    free(ctx->bundle);
    free(ctx->rootfs);
    free(ctx->config_path);
    memset(ctx, 0, sizeof(*ctx));
}

int container_create(const struct create_request *req, struct ocirun_error *err)
{
    struct create_ctx ctx;
    int r;

    r = create_ctx_spawn(&ctx, req, true, err);
    create_ctx_release(&ctx);
    return r;
}
