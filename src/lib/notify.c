/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "notify.h"
#include "util.h"

const char *notify_host_socket(void)
{
    const char *s = getenv("NOTIFY_SOCKET");

    return s != NULL && s[0] != '\0' ? s : NULL;
}

static void add_mount(struct oci_config *config, const char *source)
{
    struct oci_mount *m;

    config->mounts = xrealloc(config->mounts, sizeof(*m) * (config->mounts_len + 1));
    m = &config->mounts[config->mounts_len++];
    memset(m, 0, sizeof(*m));
    m->destination = xstrdup(NOTIFY_CONTAINER_DIR);
    m->source = xstrdup(source);
    m->type = xstrdup("bind");
    m->options = xzalloc(sizeof(char *) * 3);
    m->options[0] = xstrdup("bind");
    m->options[1] = xstrdup("nosuid");
    m->options_len = 2;
}

static void set_env(struct oci_process *p)
{
    const char *prefix = "NOTIFY_SOCKET=";

    for (size_t i = 0; i < p->env_len; i++)
        if (str_has_prefix(p->env[i], prefix)) {
            free(p->env[i]);
            p->env[i] = xstrdup("NOTIFY_SOCKET=" NOTIFY_CONTAINER_SOCKET);
            return;
        }
    p->env = xrealloc(p->env, sizeof(char *) * (p->env_len + 2));
    p->env[p->env_len++] = xstrdup("NOTIFY_SOCKET=" NOTIFY_CONTAINER_SOCKET);
    p->env[p->env_len] = NULL;
}

int notify_prepare(struct oci_config *config, const char *state_dir, struct ocirun_error *err)
{
    cleanup_free char *dir = xasprintf("%s/%s", state_dir, NOTIFY_DIR_NAME);

    if (mkdir(dir, 0755) < 0 && errno != EEXIST)
        return error_make(err, errno, "mkdir `%s`", dir);
    add_mount(config, dir);
    set_env(config->process);
    return 0;
}

static socklen_t make_addr(const char *path, struct sockaddr_un *sa)
{
    size_t len = strlen(path);

    memset(sa, 0, sizeof(*sa));
    sa->sun_family = AF_UNIX;
    if (len >= sizeof(sa->sun_path))
        return 0;
    memcpy(sa->sun_path, path, len);
    if (path[0] == '@') /* the abstract namespace */
        sa->sun_path[0] = '\0';
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + (path[0] == '@' ? 0 : 1));
}

int notify_listen(const char *state_dir, struct ocirun_error *err)
{
    cleanup_free char *path = xasprintf("%s/%s/notify.sock", state_dir, NOTIFY_DIR_NAME);
    cleanup_close int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un sa;
    socklen_t len = make_addr(path, &sa);

    if (fd < 0)
        return error_make(err, errno, "socket for NOTIFY_SOCKET");
    if (len == 0)
        return error_make(err, ENAMETOOLONG, "notify socket `%s`", path);
    unlink(path);
    if (bind(fd, (struct sockaddr *)&sa, len) < 0)
        return error_make(err, errno, "bind notify socket `%s`", path);
    /* The container's user may not be root. */
    if (chmod(path, 0777) < 0)
        return error_make(err, errno, "chmod `%s`", path);
    return steal_fd(&fd);
}

static int send_to_host(const char *msg, size_t n, struct ocirun_error *err)
{
    const char *host = notify_host_socket();
    cleanup_close int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un sa;
    socklen_t len;

    if (host == NULL)
        return 0;
    len = make_addr(host, &sa);
    if (fd < 0 || len == 0)
        return error_make(err, fd < 0 ? errno : ENAMETOOLONG, "NOTIFY_SOCKET `%s`", host);
    if (sendto(fd, msg, n, MSG_NOSIGNAL, (struct sockaddr *)&sa, len) < 0)
        return error_make(err, errno, "send to NOTIFY_SOCKET `%s`", host);
    return 0;
}

int notify_forward(int fd, pid_t pid, struct ocirun_error *err)
{
    char buf[4096];
    ssize_t n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
    cleanup_free char *msg = NULL;

    if (n < 0)
        return errno == EAGAIN || errno == EINTR ? 0 : error_make(err, errno, "notify socket");
    buf[n] = '\0';
    if (strstr(buf, "READY=1") == NULL)
        return 0;
    msg = xasprintf("MAINPID=%d\n%s", (int)pid, buf);
    if (send_to_host(msg, strlen(msg), err) < 0)
        return -1;
    return 1;
}

int notify_wait_ready(int fd, pid_t pid, bool (*alive)(void *), void *arg, struct ocirun_error *err)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};

    for (;;) {
        int n = poll(&p, 1, 100);
        if (n < 0 && errno != EINTR)
            return error_make(err, errno, "poll the notify socket");
        if (n > 0) {
            int r = notify_forward(fd, pid, err);
            if (r != 0)
                return r < 0 ? -1 : 0;
        }
        if (!alive(arg))
            return error_make(err, ESRCH, "the container exited before it sent READY=1");
    }
}
