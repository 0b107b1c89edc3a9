/* SPDX-License-Identifier: GPL-2.0-or-later */
/* process.terminal: the pty, the console socket, and the foreground tty. */
#ifndef OCIRUN_TERMINAL_H
#define OCIRUN_TERMINAL_H

#include <stdbool.h>

#include "error.h"
#include "ocispec.h"

/* runc's rules for process.terminal and --console-socket (create, run,
 * exec): a detached terminal needs a console socket, and a console socket
 * needs a detached terminal. */
int terminal_check_request(bool terminal, bool detached, const char *console_socket,
                           struct ocirun_error *err);

/* Opens a new pty pair through /dev/ptmx of the current mount namespace
 * (the container's devpts): master and slave both O_CLOEXEC, the slave
 * verified to be on devpts. */
int terminal_open_pty(int *master, int *slave, struct ocirun_error *err);

/* Applies process.consoleSize (no-op when size is NULL). */
int terminal_set_size(int fd, const struct oci_console_size *size, struct ocirun_error *err);

/* Makes slave the controlling terminal and fds 0, 1, 2 of the caller. */
int terminal_make_controlling(int slave, struct ocirun_error *err);

/* Connects to the --console-socket path and sends the master fd with
 * SCM_RIGHTS as runc does. */
int terminal_send_to_console_socket(const char *socket_path, int master, struct ocirun_error *err);

/* Copies the window size of our stdin, when it is a tty, to master. For a
 * foreground `run`: called before the process starts, its first
 * TIOCGWINSZ sees the caller's size (terminal_proxy does it again and on
 * every SIGWINCH). */
void terminal_inherit_size(int master);

/* Foreground `run` with a terminal and no console socket: puts our own
 * stdin in raw mode (when it is a tty), copies stdin->master and
 * master->stdout until the master hangs up or stop_fd becomes readable,
 * forwards SIGWINCH sizes, and restores the tty. */
int terminal_proxy(int master, int stop_fd, struct ocirun_error *err);

#endif
