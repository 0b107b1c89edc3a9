/* SPDX-License-Identifier: GPL-2.0-or-later */
/* NOTIFY_SOCKET passthrough (sd_notify), as runc does it: a socket of our
 * own in the state directory is bind-mounted into the container at
 * /run/notify/notify.sock and named by the container's NOTIFY_SOCKET; the
 * READY=1 it receives is forwarded to the caller's $NOTIFY_SOCKET. */
#ifndef OCIRUN_NOTIFY_H
#define OCIRUN_NOTIFY_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "ocispec.h"

#define NOTIFY_DIR_NAME         "notify"
#define NOTIFY_CONTAINER_DIR    "/run/notify"
#define NOTIFY_CONTAINER_SOCKET "/run/notify/notify.sock"

/* The caller's $NOTIFY_SOCKET, or NULL when it is not set. */
const char *notify_host_socket(void);

/* create: makes <state_dir>/notify, adds its bind mount and the env
 * variable to the config (before the init is cloned). */
int notify_prepare(struct oci_config *config, const char *state_dir, struct ocirun_error *err);

/* Binds (again) <state_dir>/notify/notify.sock and returns the socket. */
int notify_listen(const char *state_dir, struct ocirun_error *err);

/* Reads one datagram from fd; when it holds READY=1, forwards it to the
 * caller's socket (with MAINPID=pid) and returns 1; else 0; < 0 on error. */
int notify_forward(int fd, pid_t pid, struct ocirun_error *err);

/* start / run -d: waits for READY=1 while alive(pid_arg) holds, then
 * forwards it. */
int notify_wait_ready(int fd, pid_t pid, bool (*alive)(void *), void *arg,
                      struct ocirun_error *err);

#endif
