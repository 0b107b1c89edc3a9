/* SPDX-License-Identifier: GPL-2.0-or-later */
/* --pidfd-socket (runc 1.2): a pidfd of the container's init (create, run)
 * or of the exec'd process, sent over an AF_UNIX socket with SCM_RIGHTS.
 * The message body is runc's: "standard" for an init, "setns" for exec. */
#ifndef OCIRUN_PIDFD_SOCKET_H
#define OCIRUN_PIDFD_SOCKET_H

#include "error.h"

#define PIDFD_SOCKET_INIT "standard"
#define PIDFD_SOCKET_EXEC "setns"

/* Connects (stream socket; a path longer than sun_path is reached through
 * its directory's /proc/self/fd). Returns the socket (O_CLOEXEC) or < 0.
 * Done before anything is created, so a bad path leaves nothing behind. */
int pidfd_socket_connect(const char *path, struct ocirun_error *err);
/* Sends pidfd with kind as the body. */
int pidfd_socket_send(int sock, const char *path, int pidfd, const char *kind,
                      struct ocirun_error *err);

#endif
