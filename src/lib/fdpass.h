/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Passing fds over AF_UNIX sockets with SCM_RIGHTS. */
#ifndef OCIRUN_FDPASS_H
#define OCIRUN_FDPASS_H

#include <stddef.h>

#include "error.h"

/* Sends fd with `data` (len bytes; a single NUL byte when data is NULL or
 * len is 0, since a stream message needs a payload to carry an fd). */
int fd_send(int sock, int fd, const void *data, size_t len, struct ocirun_error *err);
/* Receives one fd (O_CLOEXEC set) and up to len payload bytes into data
 * (the rest of data zeroed). Returns the payload length received (>= 0);
 * a message without exactly one fd is an error and any fds it carried are
 * closed. */
int fd_recv(int sock, int *fd, void *data, size_t len, struct ocirun_error *err);

#endif
