/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "lifecycle_flags.h"

enum {
    FLAG_PID_FILE = CLI_LONG_ONLY(1),
    FLAG_CONSOLE_SOCKET,
    FLAG_PRESERVE_FDS,
    FLAG_NO_PIVOT,
    FLAG_NO_NEW_KEYRING,
    FLAG_KEEP,
    FLAG_PIDFD_SOCKET,
};

#define COMMON_FLAGS                                                                               \
    {"bundle", 'b', "DIR",                                                                         \
     "path to the root of the bundle directory, defaults to the current "                          \
     "directory"},                                                                                 \
        {"console-socket", FLAG_CONSOLE_SOCKET, "PATH",                                            \
         "path to an AF_UNIX socket which will receive a file descriptor referencing the master "  \
         "end of the console's pseudoterminal"},                                                   \
        {"pid-file", FLAG_PID_FILE, "FILE", "specify the file to write the process id to"},        \
        {"pidfd-socket", FLAG_PIDFD_SOCKET, "PATH",                                                \
         "path to an AF_UNIX socket which will receive a file descriptor referencing the init "    \
         "process"},                                                                               \
        {"no-pivot", FLAG_NO_PIVOT, NULL,                                                          \
         "do not use pivot root to jail process inside rootfs (MS_MOVE + chroot instead)"},        \
        {"no-new-keyring", FLAG_NO_NEW_KEYRING, NULL,                                              \
         "do not create a new session keyring for the container"},                                 \
    {                                                                                              \
        "preserve-fds", FLAG_PRESERVE_FDS, "N",                                                    \
            "pass N additional file descriptors to the container (fds 3 to 3+N-1)"                 \
    }

const struct cli_flag lifecycle_flags[] = {
    COMMON_FLAGS,
    {NULL, 0, NULL, NULL},
};

const struct cli_flag run_flags[] = {
    COMMON_FLAGS,
    {"detach", 'd', NULL, "detach from the container's process"},
    {"keep", FLAG_KEEP, NULL, "do not delete the container after it exits"},
    {NULL, 0, NULL, NULL},
};

void lifecycle_request_init(struct create_request *req, const struct global_options *g)
{
    memset(req, 0, sizeof(*req));
    req->root = g->root;
    req->cgroup_manager = g->cgroup_manager;
    req->rootless = g->rootless;
}

static int parse_preserve_fds(const char *value, int *out, struct ocirun_error *err)
{
    char *end;
    long n;

    errno = 0;
    n = strtol(value, &end, 10);
    if (errno != 0 || end == value || *end != '\0' || n < 0 || n > INT_MAX - 3)
        return error_make(err, 0, "invalid value \"%s\" for flag -preserve-fds", value);
    *out = (int)n;
    return 0;
}

static int apply_flag(struct create_request *req, int id, const char *value,
                      struct ocirun_error *err)
{
    switch (id) {
    case 'b':
        req->bundle = value;
        break;
    case FLAG_PID_FILE:
        req->pid_file = value;
        break;
    case FLAG_CONSOLE_SOCKET:
        req->console_socket = value;
        break;
    case FLAG_PIDFD_SOCKET:
        req->pidfd_socket = value;
        break;
    case FLAG_PRESERVE_FDS:
        return parse_preserve_fds(value, &req->preserve_fds, err);
    case FLAG_NO_PIVOT:
        req->no_pivot = cli_is_true(value);
        break;
    case FLAG_NO_NEW_KEYRING:
        req->no_new_keyring = cli_is_true(value);
        break;
    case 'd':
        req->detach = cli_is_true(value);
        break;
    case FLAG_KEEP:
        req->keep = cli_is_true(value);
        break;
    }
    return 0;
}

int lifecycle_parse_flags(struct cli_parser *p, struct create_request *req,
                          struct ocirun_error *err)
{
    const char *value;
    int id, r;

    while ((r = cli_next(p, &id, &value, err)) > 0)
        if (apply_flag(req, id, value, err) < 0)
            return -1;
    return r;
}
