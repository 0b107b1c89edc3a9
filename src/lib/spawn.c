/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <errno.h>
#include <linux/sched.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "spawn.h"
#include "util.h"

int spawn_socketpair(int sv[2], struct ocirun_error *err)
{
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
        return error_make(err, errno, "socketpair for the container init");
    return 0;
}

static int send_msg(int sock, const struct spawn_msg *m, int fd, struct ocirun_error *err)
{
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } control;
    struct iovec iov = {.iov_base = (void *)m, .iov_len = sizeof(*m)};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};

    if (fd >= 0) {
        memset(&control, 0, sizeof(control));
        mh.msg_control = control.buf;
        mh.msg_controllen = sizeof(control.buf);
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &fd, sizeof(int));
    }
    for (;;) {
        if (sendmsg(sock, &mh, MSG_NOSIGNAL) >= 0)
            return 0;
        if (errno != EINTR)
            return error_make(err, errno, "send to the container init channel");
    }
}

int spawn_send(int sock, enum spawn_msg_type type, int64_t value, struct ocirun_error *err)
{
    struct spawn_msg m = {.type = type, .value = value};

    return send_msg(sock, &m, -1, err);
}

int spawn_send_error(int sock, const struct ocirun_error *e)
{
    struct spawn_msg m = {.type = SPAWN_MSG_ERROR, .errnum = e->errnum};

    snprintf(m.text, sizeof(m.text), "%s", e->msg ? e->msg : "unknown error");
    return send_msg(sock, &m, -1, NULL);
}

int spawn_send_fd(int sock, int fd, struct ocirun_error *err)
{
    struct spawn_msg m = {.type = SPAWN_MSG_PTY_MASTER};

    return send_msg(sock, &m, fd, err);
}

static int wait_readable(int sock, int timeout_ms, struct ocirun_error *err)
{
    struct pollfd p = {.fd = sock, .events = POLLIN};

    for (;;) {
        int n = poll(&p, 1, timeout_ms);
        if (n > 0)
            return 0;
        if (n == 0)
            return error_make(err, ETIMEDOUT, "waiting for the container init");
        if (errno != EINTR)
            return error_make(err, errno, "poll the container init channel");
    }
}

static void take_fd(struct msghdr *mh, int *fd)
{
    for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        int got;
        memcpy(&got, CMSG_DATA(c), sizeof(int));
        if (fd != NULL && *fd < 0)
            *fd = got;
        else
            close(got);
    }
}

int spawn_recv(int sock, int timeout_ms, struct spawn_msg *m, int *fd, struct ocirun_error *err)
{
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } control;
    struct iovec iov = {.iov_base = m, .iov_len = sizeof(*m)};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
    ssize_t n;

    if (fd != NULL)
        *fd = -1;
    if (wait_readable(sock, timeout_ms, err) < 0)
        return -1;
    mh.msg_control = control.buf;
    mh.msg_controllen = sizeof(control.buf);
    do
        n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return error_make(err, errno, "receive from the container init channel");
    take_fd(&mh, fd);
    if (n == 0)
        return error_make(err, EPIPE, "the container init exited before it was ready");
    if ((size_t)n != sizeof(*m) || (mh.msg_flags & MSG_TRUNC))
        return error_make(err, EPROTO, "bad message on the container init channel");
    m->text[sizeof(m->text) - 1] = '\0';
    return 0;
}

int spawn_msg_to_error(const struct spawn_msg *m, struct ocirun_error *err)
{
    /* The child already formatted strerror into the text. */
    error_take(err, m->errnum, xstrdup(m->text));
    return -1;
}

int spawn_expect(int sock, enum spawn_msg_type type, int64_t *value, struct ocirun_error *err)
{
    struct spawn_msg m;

    /* No timeout: only the init waits this way, for a parent that bounds
     * its own work (hooks have timeouts) and whose death is EOF here. */
    if (spawn_recv(sock, -1, &m, NULL, err) < 0)
        return -1;
    if (m.type == SPAWN_MSG_ERROR)
        return spawn_msg_to_error(&m, err);
    if (m.type != type)
        return error_make(err, EPROTO, "container init channel: expected message %d, got %u",
                          (int)type, m.type);
    if (value != NULL)
        *value = m.value;
    return 0;
}

bool spawn_has_clone3(void)
{
    static int known = -1;

    /* A NULL, zero-sized argument: EINVAL where clone3 exists. */
    if (known < 0)
        known = !(syscall(SYS_clone3, NULL, 0) < 0 && errno == ENOSYS);
    return known;
}

static pid_t clone3_call(unsigned long flags, int cgroup_fd, int *pidfd)
{
    struct clone_args args;

    memset(&args, 0, sizeof(args));
    args.flags = flags | CLONE_PIDFD;
    args.pidfd = (uint64_t)(uintptr_t)pidfd;
    args.exit_signal = SIGCHLD;
    if (cgroup_fd >= 0) {
        args.flags |= CLONE_INTO_CGROUP;
        args.cgroup = (uint64_t)cgroup_fd;
    }
    return (pid_t)syscall(SYS_clone3, &args, sizeof(args));
}

pid_t spawn_clone(unsigned long flags, int cgroup_fd, int *pidfd, bool *into_cgroup,
                  struct ocirun_error *err)
{
    pid_t pid;

    *pidfd = -1;
    *into_cgroup = cgroup_fd >= 0 && spawn_has_clone3();
    if (spawn_has_clone3())
        pid = clone3_call(flags, cgroup_fd, pidfd);
    else /* old kernel, or a sandbox hiding clone3: clone(2) without a stack is fork */
        pid = (pid_t)syscall(SYS_clone, flags | CLONE_PIDFD | SIGCHLD, NULL, pidfd, NULL, NULL);
    if (pid < 0)
        return error_make(err, errno, "clone the container init (flags 0x%lx)", flags);
    return pid;
}
