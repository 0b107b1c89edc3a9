/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "fdpass.h"
#include "pidfd_socket.h"
#include "util.h"

int pidfd_socket_connect(const char *path, struct ocirun_error *err)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    cleanup_close int sock = -1, dirfd = -1;
    cleanup_free char *alt = NULL;
    const char *target = path;

    if (path == NULL || path[0] == '\0')
        return error_make(err, EINVAL, "--pidfd-socket: empty path");
    if (strlen(path) >= sizeof(sa.sun_path)) {
        cleanup_free char *dir = xstrdup(path);
        char *slash = strrchr(dir, '/');
        if (slash == NULL || slash == dir)
            return error_make(err, ENAMETOOLONG, "connect to pidfd socket `%s`", path);
        *slash = '\0';
        dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dirfd < 0)
            return error_make(err, errno, "connect to pidfd socket `%s`: open its directory", path);
        alt = xasprintf("/proc/self/fd/%d/%s", dirfd, slash + 1);
        target = alt;
        if (strlen(target) >= sizeof(sa.sun_path))
            return error_make(err, ENAMETOOLONG, "connect to pidfd socket `%s`", path);
    }
    memcpy(sa.sun_path, target, strlen(target) + 1);
    sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (sock < 0)
        return error_make(err, errno, "socket for pidfd socket `%s`", path);
    while (connect(sock, (struct sockaddr *)&sa, sizeof(sa)) < 0)
        if (errno != EINTR)
            return error_make(err, errno, "connect to pidfd socket `%s`", path);
    return steal_fd(&sock);
}

int pidfd_socket_send(int sock, const char *path, int pidfd, const char *kind,
                      struct ocirun_error *err)
{
    if (fd_send(sock, pidfd, kind, strlen(kind), err) < 0)
        return error_wrap(err, "pidfd socket `%s`", path);
    return 0;
}
