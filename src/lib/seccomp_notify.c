/* SPDX-License-Identifier: GPL-2.0-or-later */
/* linux.seccomp.listenerPath (config-linux.md "The Container Process
 * State"): the runtime parent, which still sees the host's paths (the
 * container init does not after pivot_root), connects to the agent's
 * AF_UNIX stream socket and sends, in one sendmsg, the container process
 * state as JSON with the listener fd in SCM_RIGHTS; then it closes the
 * connection (one state per connection, never reused). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "fdpass.h"
#include "seccomp_filter.h"
#include "util.h"

/* connect(2) to path; one too long for sun_path is reached through
 * /proc/self/fd/N/NAME with N an O_PATH fd of its directory. */
static int connect_agent(const char *path, struct ocirun_error *err)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    cleanup_close int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    cleanup_close int dirfd = -1;
    cleanup_free char *alt = NULL;
    const char *target = path;

    if (sock < 0)
        return error_make(err, errno, "socket for the seccomp agent `%s`", path);
    if (strlen(path) >= sizeof(sa.sun_path)) {
        cleanup_free char *dir = xstrdup(path);
        char *slash = strrchr(dir, '/');

        if (slash == NULL || slash == dir)
            return error_make(err, ENAMETOOLONG, "connect to the seccomp agent `%s`", path);
        *slash = '\0';
        dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dirfd < 0)
            return error_make(err, errno, "open the directory of the seccomp agent `%s`", path);
        alt = xasprintf("/proc/self/fd/%d/%s", dirfd, slash + 1);
        target = alt;
        if (strlen(target) >= sizeof(sa.sun_path))
            return error_make(err, ENAMETOOLONG, "connect to the seccomp agent `%s`", path);
    }
    memcpy(sa.sun_path, target, strlen(target) + 1);
    while (connect(sock, (struct sockaddr *)&sa, sizeof(sa)) < 0)
        if (errno != EINTR)
            return error_make(err, errno, "connect to the seccomp agent `%s`", path);
    return steal_fd(&sock);
}

static char *process_state_json(const struct oci_seccomp *s, pid_t pid,
                                const struct oci_state *state, size_t *len,
                                struct ocirun_error *err)
{
    static char seccomp_fd_name[] = "seccompFd";
    char *fds[] = {seccomp_fd_name};
    struct oci_state public_state = *state;
    struct oci_container_process_state ps = {
        .oci_version = state->oci_version,
        .fds = fds,
        .fds_len = 1,
        .pid = pid,
        .metadata = s->listener_metadata,
        .state = &public_state,
    };
    cleanup_free char *perr = NULL;
    char *json = NULL;

    public_state.ocirun = NULL; /* ocirun's own bookkeeping stays private */
    if (oci_container_process_state_generate(&ps, &json, len, &perr) < 0) {
        error_make(err, EINVAL, "seccomp agent: generate the container process state: %s",
                   perr ? perr : "unknown error");
        return NULL;
    }
    return json;
}

int seccomp_notify_forward(const struct oci_seccomp *s, int notify_fd, pid_t pid,
                           const struct oci_state *state, struct ocirun_error *err)
{
    cleanup_free char *json = NULL;
    cleanup_close int sock = -1;
    size_t len = 0;

    if (notify_fd < 0)
        return error_make(err, EPROTO, "the container sent no seccomp listener fd");
    if (s == NULL || s->listener_path == NULL)
        return error_make(err, EINVAL,
                          "linux.seccomp: a listener fd arrived but listenerPath is not set");
    json = process_state_json(s, pid, state, &len, err);
    if (json == NULL)
        return -1;
    sock = connect_agent(s->listener_path, err);
    if (sock < 0)
        return error_wrap(err, "linux.seccomp.listenerPath (SCMP_ACT_NOTIFY)");
    /* A blocking stream send: the whole document goes in this one call,
     * with the fd, or it is an error. */
    if (fd_send(sock, notify_fd, json, len, err) < 0)
        return error_wrap(err, "send the seccomp listener to `%s`", s->listener_path);
    return 0;
}
