/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One fd per message with SCM_RIGHTS (the console-socket protocol and the
 * parent/child socketpair). */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fdpass.h"

int fd_send(int sock, int fd, const void *data, size_t len, struct ocirun_error *err)
{
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u;
    char dummy = '\0';
    struct iovec iov = {.iov_base = (void *)data, .iov_len = len};
    struct msghdr msg = {0};
    struct cmsghdr *cm;
    ssize_t n;

    /* A message with no payload byte would carry no fd on SOCK_STREAM. */
    if (data == NULL || len == 0) {
        iov.iov_base = &dummy;
        iov.iov_len = 1;
    }
    memset(&u, 0, sizeof(u));
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = u.buf;
    msg.msg_controllen = sizeof(u.buf);
    cm = CMSG_FIRSTHDR(&msg);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &fd, sizeof(int));
    do
        n = sendmsg(sock, &msg, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return error_make(err, errno, "send fd %d over socket", fd);
    if ((size_t)n != iov.iov_len)
        return error_make(err, EMSGSIZE, "send fd %d over socket: short write", fd);
    return 0;
}

/* Closes every fd carried by msg (on error paths, so none leaks). */
static void close_passed_fds(struct msghdr *msg)
{
    for (struct cmsghdr *cm = CMSG_FIRSTHDR(msg); cm; cm = CMSG_NXTHDR(msg, cm)) {
        if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
            continue;
        size_t nfds = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < nfds; i++) {
            int fd;
            memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
            close(fd);
        }
    }
}

int fd_recv(int sock, int *fd, void *data, size_t len, struct ocirun_error *err)
{
    union {
        char buf[CMSG_SPACE(sizeof(int) * 4)];
        struct cmsghdr align;
    } u;
    char dummy;
    struct iovec iov = {.iov_base = data, .iov_len = len};
    struct msghdr msg = {0};
    struct cmsghdr *cm;
    ssize_t n;

    *fd = -1;
    if (data == NULL || len == 0) {
        iov.iov_base = &dummy;
        iov.iov_len = 1;
    }
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = u.buf;
    msg.msg_controllen = sizeof(u.buf);
    do
        n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return error_make(err, errno, "receive fd over socket");
    if (msg.msg_flags & MSG_CTRUNC) {
        close_passed_fds(&msg);
        return error_make(err, EMSGSIZE, "receive fd over socket: control data truncated");
    }
    cm = CMSG_FIRSTHDR(&msg);
    if (n == 0 && cm == NULL)
        return error_make(err, ECONNRESET, "receive fd over socket: peer closed the connection");
    if (cm == NULL || cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS ||
        cm->cmsg_len != CMSG_LEN(sizeof(int)) || CMSG_NXTHDR(&msg, cm) != NULL) {
        close_passed_fds(&msg);
        return error_make(err, EBADMSG, "receive fd over socket: expected exactly one fd");
    }
    memcpy(fd, CMSG_DATA(cm), sizeof(int));
    if (data != NULL && len > 0 && (size_t)n < len)
        memset((char *)data + n, 0, len - (size_t)n);
    return (int)n;
}
