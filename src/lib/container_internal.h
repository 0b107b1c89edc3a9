/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared between container.c (create) and container_run.c (start, run). */
#ifndef OCIRUN_CONTAINER_INTERNAL_H
#define OCIRUN_CONTAINER_INTERNAL_H

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

#include "cgroup.h"
#include "container.h"
#include "namespaces.h"
#include "ocispec.h"
#include "seccomp_filter.h"
#include "state.h"

struct create_ctx {
    const struct create_request *req;
    char *bundle;      /* absolute */
    char *rootfs;      /* absolute root.path */
    char *config_path; /* absolute config.json */
    struct oci_config *config;
    struct container *c; /* locked while creating */
    bool own_state;      /* we made the state dir: remove it on failure */
    bool rootless;
    struct cgroup *cg;
    struct ns_plan ns;
    int sock[2]; /* [0] the parent's end, [1] the child's */
    int fifo_fd;
    int pidfd;
    pid_t pid;
    int pty_master;                  /* process.terminal without --console-socket (run) */
    int notify_fd;                   /* our end of NOTIFY_SOCKET (run), else -1 */
    struct seccomp_program *seccomp; /* compiled before the clone, or NULL */
    int pidfd_sock;                  /* --pidfd-socket, connected first, else -1 */
    bool rdt_applied;                /* linux.intelRdt groups to undo on failure */
};

/* <root>/<id> as an absolute path. Caller frees. */
char *container_state_dir(const char *root, const char *id);

/* create up to the init blocked on exec.fifo, state saved, pid file
 * written; on failure everything is undone. detached: runc's terminal
 * rules for create and run -d. */
int create_ctx_spawn(struct create_ctx *ctx, const struct create_request *req, bool detached,
                     struct ocirun_error *err);
/* restore (criu-restore.c): the config loaded and validated as create
 * does it; then the state of the running, restored init ctx->pid. */
int create_ctx_load(struct create_ctx *ctx, const struct create_request *req,
                    struct ocirun_error *err);
void create_ctx_fill_state(struct create_ctx *ctx);
/* Kills the init, removes the cgroup and the state. */
void create_ctx_abort(struct create_ctx *ctx);
/* Frees and closes (the container itself stays). */
void create_ctx_release(struct create_ctx *ctx);

/* A pidfd of the container's init, or -1 (errno ESRCH) when the recorded
 * process is gone or its pid now belongs to someone else (start time). */
int container_init_pidfd(struct container *c);

/* Foreground run and exec: the signals ocirun receives go to pid (with a
 * tty, SIGWINCH is left to the terminal proxy) until run_stop_forwarding. */
void run_forward_signals(pid_t pid, bool tty);
void run_stop_forwarding(void);
/* The exit code of a waited child: its status, or 128+signal. */
int run_exit_code(const siginfo_t *si);

#endif
