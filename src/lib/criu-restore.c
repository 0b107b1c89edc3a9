/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `ocirun restore`: the container comes back from a checkpoint as a normal
 * running container (state, cgroup) that start/kill/exec/delete handle.
 *
 * criu rebuilds the mount namespace from the images on top of --root, so
 * the rootfs is bind-mounted onto <state dir>/criu-root inside a private
 * mount namespace of the criu child (nothing appears on the host); the
 * external bind mounts get their host sources back from the config; the
 * init's stdio pipes are the caller's fds 0..2 (--inherit-fd, from
 * descriptors.json). criu runs inside the new cgroup, --restore-detached:
 * the restored init is reparented to ocirun (subreaper) in the foreground,
 * to the system's init with --detach. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "container.h"
#include "container_internal.h"
#include "criu-internal.h"
#include "state.h"
#include "util.h"

#define CRIU_ROOT    "criu-root"
#define CRIU_PIDFILE "criu-restore.pid"

struct restore_ctx {
    struct create_ctx cc;
    struct create_request creq;
    const struct restore_request *req;
    struct criu_flags f;
    char *state_dir;
    char *criu_root;
    int netns_fd; /* a joined network namespace, inherited by criu */
};

/* In the criu child: private mounts, the rootfs on criu-root, the cgroup. */
static int criu_child_setup(void *arg)
{
    struct restore_ctx *rc = arg;
    struct ocirun_error ignored = {0};

    if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_SLAVE | MS_REC, NULL) < 0)
        return -1;
    if (mount(rc->cc.rootfs, rc->criu_root, NULL, MS_BIND | MS_REC, NULL) < 0)
        return -1;
    if (rc->netns_fd >= 0 && fcntl(rc->netns_fd, F_SETFD, 0) < 0)
        return -1;
    if (cgroup_enter(rc->cc.cg, getpid(), &ignored) < 0) {
        errno = ignored.errnum ? ignored.errnum : EIO;
        return -1;
    }
    return 0;
}

static void add_external_mounts(struct criu_argv *a, const struct oci_config *config,
                                const char *bundle, const char *cgpath)
{
    cleanup_strv char **srcs = NULL;
    cleanup_strv char **dests = criu_bind_mounts(config, bundle, &srcs);
    cleanup_strv char **cgroups = criu_cgroup_mounts(config);

    for (size_t i = 0; dests[i]; i++)
        criu_argv_addf(a, "--external=mnt[%s]:%s", dests[i], srcs[i]);
    /* The new cgroup takes the old one's place (unified hierarchy only:
     * criu does not run on hybrid hosts' cgroup v1 mounts this way). */
    for (char **d = cgroups; cgpath && *d; d++)
        criu_argv_addf(a, "--external=mnt[%s]:/sys/fs/cgroup%s", *d, cgpath);
    /* Keys that the dump did not mark external are ignored by criu. */
    for (size_t i = 0; config->linux_ && i < config->linux_->masked_paths_len; i++)
        criu_argv_addf(a, "--external=mnt[%s]:/dev/null", config->linux_->masked_paths[i]);
}

/* The init's stdio pipes become our own fds 0..2, as runc does. */
static int add_inherited_fds(struct criu_argv *a, const char *image, struct ocirun_error *err)
{
    cleanup_strv char **fds = NULL;
    size_t n;

    if (criu_read_descriptors(image, &fds, &n, err) < 0)
        return -1;
    for (size_t i = 0; i < n && i < 3; i++)
        if (str_has_prefix(fds[i], "pipe:["))
            criu_argv_addf(a, "--inherit-fd=fd[%zu]:%s", i, fds[i]);
    return 0;
}

static int open_joined_netns(struct restore_ctx *rc, struct criu_argv *a, struct ocirun_error *err)
{
    const struct oci_linux *l = rc->cc.config->linux_;

    for (size_t i = 0; l && i < l->namespaces_len; i++) {
        const struct oci_namespace *n = &l->namespaces[i];
        if (strcmp(n->type, "network") != 0 || n->path == NULL || n->path[0] == '\0')
            continue;
        rc->netns_fd = open(n->path, O_RDONLY | O_CLOEXEC);
        if (rc->netns_fd < 0)
            return error_make(err, errno, "open network namespace `%s`", n->path);
        criu_argv_addf(a, "--inherit-fd=fd[%d]:extRootNetNS", rc->netns_fd);
    }
    return 0;
}

static int run_criu_restore(struct restore_ctx *rc, struct ocirun_error *err)
{
    struct criu_argv a = {0};
    const char *cgpath = cgroup_path(rc->cc.cg);
    int r = -1;

    criu_argv_common(&a, "restore", &rc->f, "restore.log");
    criu_argv_add(&a, "--restore-detached");
    criu_argv_add(&a, "--root");
    criu_argv_add(&a, rc->criu_root);
    criu_argv_add(&a, "--pidfile");
    criu_argv_addf(&a, "%s/%s", rc->state_dir, CRIU_PIDFILE);
    /* The recorded path is plain unless the hierarchies differ. */
    if (cgpath[0] != '/' || strchr(cgpath, ':') != NULL)
        cgpath = NULL;
    if (cgpath)
        criu_argv_addf(&a, "--cgroup-root=%s", cgpath);
    add_external_mounts(&a, rc->cc.config, rc->cc.bundle,
                        cgroup_mode() == CGROUP_MODE_UNIFIED ? cgpath : NULL);
    if (add_inherited_fds(&a, rc->f.image_path, err) == 0 && open_joined_netns(rc, &a, err) == 0)
        r = criu_run(&a, &rc->f, "restore.log", criu_child_setup, rc, err);
    criu_argv_free(&a);
    return r;
}

static int read_restored_pid(struct restore_ctx *rc, struct ocirun_error *err)
{
    cleanup_free char *path = xasprintf("%s/%s", rc->state_dir, CRIU_PIDFILE);
    cleanup_free char *data = NULL;
    size_t len;
    long pid;

    if (read_file_at(AT_FDCWD, path, &data, &len, err) < 0)
        return error_wrap(err, "criu restore wrote no pid");
    pid = strtol(data, NULL, 10);
    unlink(path);
    if (pid <= 0)
        return error_plain(err, EIO, "criu restore wrote a bad pid `%s`", data);
    rc->cc.pid = (pid_t)pid;
    /* From here on create_ctx_abort kills the restored init. */
    rc->cc.pidfd = (int)syscall(SYS_pidfd_open, rc->cc.pid, 0);
    return 0;
}

static int check_image(const struct restore_ctx *rc, struct ocirun_error *err)
{
    cleanup_free char *inv = xasprintf("%s/inventory.img", rc->f.image_path);
    struct stat st;

    if (stat(rc->f.image_path, &st) < 0)
        return error_make(err, errno, "image path `%s`", rc->f.image_path);
    if (stat(inv, &st) < 0)
        return error_plain(err, ENOENT, "image path `%s` holds no checkpoint (no inventory.img)",
                           rc->f.image_path);
    if (rc->cc.config->process && rc->cc.config->process->terminal)
        return error_plain(err, ENOTSUP, "restoring a container with a terminal is not supported");
    if (rc->cc.rootless)
        return error_plain(err, ENOTSUP, "rootless restore is not supported");
    return mkdir_p(rc->f.work_path, 0700, err);
}

/* State dir, cgroup and namespace plan, as create makes them. */
static int prepare(struct restore_ctx *rc, struct ocirun_error *err)
{
    struct create_ctx *cc = &rc->cc;
    const struct oci_linux *l = cc->config->linux_;

    if (container_state_create(rc->req->root, rc->req->id, &cc->c, err) < 0)
        return -1;
    cc->own_state = true;
    rc->state_dir = container_state_dir(rc->req->root, rc->req->id);
    rc->criu_root = xasprintf("%s/%s", rc->state_dir, CRIU_ROOT);
    if (mkdirat(cc->c->dirfd, CRIU_ROOT, 0700) < 0)
        return error_make(err, errno, "mkdir `%s`", rc->criu_root);
    if (cgroup_create(rc->creq.cgroup_manager, rc->req->id, l->cgroups_path, l->resources,
                      cc->rootless, &cc->cg, err) < 0 ||
        cgroup_set_owner(cc->cg, cc->config, cc->rootless, err) < 0)
        return -1;
    return namespaces_plan(l, false, &cc->ns, err);
}

static int record_state(struct restore_ctx *rc, struct ocirun_error *err)
{
    char buf[32];

    unlinkat(rc->cc.c->dirfd, CRIU_ROOT, AT_REMOVEDIR);
    create_ctx_fill_state(&rc->cc);
    if (container_save(rc->cc.c, err) < 0)
        return -1;
    if (rc->req->pid_file == NULL)
        return 0;
    snprintf(buf, sizeof(buf), "%d", (int)rc->cc.pid);
    if (write_file_atomic_at(AT_FDCWD, rc->req->pid_file, buf, strlen(buf), 0644, err) < 0)
        return error_wrap(err, "pid file");
    return 0;
}

/* Foreground: wait for the restored init like `run`, then delete. */
static int wait_restored(const struct restore_request *req, pid_t pid, struct ocirun_error *err)
{
    siginfo_t si = {0};
    int code = 0;

    if (req->no_subreaper) {
        /* Not our child: a pidfd tells when it ends, not how. */
        cleanup_close int fd = (int)syscall(SYS_pidfd_open, pid, 0);
        struct pollfd p = {.fd = fd, .events = POLLIN};
        while (fd >= 0 && poll(&p, 1, -1) < 0 && errno == EINTR)
            ;
    } else {
        run_forward_signals(pid, false);
        while (waitid(P_PID, (id_t)pid, &si, WEXITED) < 0 && errno == EINTR)
            ;
        run_stop_forwarding();
        code = run_exit_code(&si);
    }
    if (container_delete(req->root, req->id, true, err) < 0)
        return -1;
    return code;
}

static void restore_ctx_init(struct restore_ctx *rc, const struct restore_request *req)
{
    memset(rc, 0, sizeof(*rc));
    rc->req = req;
    rc->f = req->criu;
    rc->netns_fd = -1;
    rc->creq.root = req->root;
    rc->creq.id = req->id;
    rc->creq.bundle = req->bundle;
    rc->creq.pid_file = req->pid_file;
    rc->creq.no_pivot = req->no_pivot;
    rc->creq.cgroup_manager = req->cgroup_manager;
    rc->creq.rootless = req->rootless;
    rc->creq.detach = req->detach;
}

static void restore_ctx_release(struct restore_ctx *rc)
{
    if (rc->netns_fd >= 0)
        close(rc->netns_fd);
    create_ctx_release(&rc->cc);
    free(rc->state_dir);
    free(rc->criu_root);
}

static int restore_steps(struct restore_ctx *rc, struct ocirun_error *err)
{
    if (prepare(rc, err) < 0 || run_criu_restore(rc, err) < 0 || read_restored_pid(rc, err) < 0 ||
        record_state(rc, err) < 0) {
        if (rc->cc.c)
            unlinkat(rc->cc.c->dirfd, CRIU_ROOT, AT_REMOVEDIR);
        create_ctx_abort(&rc->cc);
        return -1;
    }
    return 0;
}

int container_restore(const struct restore_request *req, struct ocirun_error *err)
{
    struct restore_ctx rc;
    pid_t pid;
    int r;

    if (req->console_socket)
        return error_plain(err, ENOTSUP,
                           "--console-socket: restoring a container with a terminal is not "
                           "supported");
    restore_ctx_init(&rc, req);
    if (criu_flags_check(&rc.f, err) < 0 || create_ctx_load(&rc.cc, &rc.creq, err) < 0 ||
        check_image(&rc, err) < 0) {
        restore_ctx_release(&rc);
        return -1;
    }
    /* Set before criu runs: its restored child must land on us. */
    if (!req->detach && !req->no_subreaper)
        prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    r = restore_steps(&rc, err);
    pid = rc.cc.pid;
    restore_ctx_release(&rc); /* drops the lock: delete takes it again */
    if (r < 0 || req->detach)
        return r;
    return wait_restored(req, pid, err);
}
