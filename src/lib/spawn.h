/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The parent <-> init channel and the clone itself (GUIDE.md §3).
 *
 * One SOCK_SEQPACKET socketpair; every message is one struct spawn_msg.
 * The conversation, in order (-> parent to child, <- child to parent):
 *   -> SYNC          the child is in its cgroup; value = its pid on the host
 *   <- USERMAP_REQ   (new user ns) the child is in it; -> USERMAP_DONE
 *   <- TIMENS_REQ    (timeOffsets) new time ns unshared; -> TIMENS_DONE
 *   <- HOOKS_REQ     mounts done, before pivot_root; parent runs prestart
 *                    and createRuntime hooks; -> HOOKS_DONE
 *   <- PTY_MASTER    (process.terminal) the master fd, with SCM_RIGHTS
 *   <- SECCOMP_FD    (SCMP_ACT_NOTIFY) the listener fd, with SCM_RIGHTS;
 *                    the parent forwards it to linux.seccomp.listenerPath
 *   <- READY         about to block on exec.fifo
 *   <- ERROR         at any point: errnum + text; the child then exits
 *   <- EXEC_FAILED   after start (run only): errnum + text
 * The parent's receives have a timeout; a dead peer is noticed (EOF). */
#ifndef OCIRUN_SPAWN_H
#define OCIRUN_SPAWN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

enum spawn_msg_type {
    SPAWN_MSG_SYNC = 1,
    SPAWN_MSG_USERMAP_REQ,
    SPAWN_MSG_USERMAP_DONE,
    SPAWN_MSG_TIMENS_REQ,
    SPAWN_MSG_TIMENS_DONE,
    SPAWN_MSG_HOOKS_REQ,
    SPAWN_MSG_HOOKS_DONE,
    SPAWN_MSG_PTY_MASTER,
    SPAWN_MSG_READY,
    SPAWN_MSG_ERROR,
    SPAWN_MSG_COMMIT,     /* parent: state and pid file written, create is done */
    SPAWN_MSG_SECCOMP_FD, /* child: the seccomp listener fd (SCM_RIGHTS), for listenerPath */
};

#define SPAWN_MSG_TEXT 2048

struct spawn_msg {
    uint32_t type;
    int32_t errnum;
    int64_t value;
    char text[SPAWN_MSG_TEXT]; /* NUL-terminated (ERROR) */
};

/* How long the parent waits for the init's next message (plus the
 * timeouts of the createContainer hooks the init runs meanwhile). */
#define SPAWN_TIMEOUT_MS (120 * 1000)

int spawn_socketpair(int sv[2], struct ocirun_error *err);

int spawn_send(int sock, enum spawn_msg_type type, int64_t value, struct ocirun_error *err);
/* Sends an ERROR message carrying e; < 0 when the peer is gone. */
int spawn_send_error(int sock, const struct ocirun_error *e);
/* Sends the fd as a PTY_MASTER message. */
int spawn_send_fd(int sock, int fd, struct ocirun_error *err);

/* Receives one message within timeout_ms; EOF and timeouts are errors. */
int spawn_recv(int sock, int timeout_ms, struct spawn_msg *m, int *fd, struct ocirun_error *err);

/* For the init: receives (no timeout; a dead parent is EOF) and checks
 * the type; an ERROR message becomes *err. */
int spawn_expect(int sock, enum spawn_msg_type type, int64_t *value, struct ocirun_error *err);

/* Turns a received ERROR message into *err. */
int spawn_msg_to_error(const struct spawn_msg *m, struct ocirun_error *err);

/* Whether this kernel has clone3 (so CLONE_INTO_CGROUP can be used);
 * probed once. */
bool spawn_has_clone3(void);

/* clone3 (CLONE_PIDFD | flags, into the cgroup when cgroup_fd >= 0),
 * falling back to clone(2) without CLONE_INTO_CGROUP when clone3 is
 * missing. Returns 0 in the child, the pid in the parent (with *pidfd,
 * O_CLOEXEC), < 0 on failure. *into_cgroup tells whether CLONE_INTO_CGROUP
 * was used. */
pid_t spawn_clone(unsigned long flags, int cgroup_fd, int *pidfd, bool *into_cgroup,
                  struct ocirun_error *err);

#endif
