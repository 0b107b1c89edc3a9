/* SPDX-License-Identifier: GPL-2.0-or-later */
/* process.terminal: opening the pty inside the container's devpts, making
 * it the init's controlling terminal, handing the master to the caller over
 * --console-socket (runc's protocol), and the foreground proxy of `run`. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/vfs.h>
#include <termios.h>
#include <unistd.h>

#include "fdpass.h"
#include "terminal.h"
#include "util.h"

#ifndef DEVPTS_SUPER_MAGIC
#define DEVPTS_SUPER_MAGIC 0x1cd1
#endif
#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

/* What runc sends as the message payload: the name of the master. */
#define CONSOLE_NAME "/dev/ptmx"

int terminal_check_request(bool terminal, bool detached, const char *console_socket,
                           struct ocirun_error *err)
{
    if (terminal && detached && console_socket == NULL)
        return error_make(err, 0,
                          "cannot allocate tty if ocirun will detach without setting "
                          "console socket");
    if ((!detached || !terminal) && console_socket != NULL)
        return error_make(err, 0,
                          "cannot use console socket if ocirun will not detach or "
                          "allocate tty");
    return 0;
}

int terminal_open_pty(int *master, int *slave, struct ocirun_error *err)
{
    cleanup_close int m = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
    cleanup_close int s = -1;
    struct statfs sfs;
    int unlock = 0;

    if (m < 0)
        return error_make(err, errno, "open `/dev/ptmx`");
    if (ioctl(m, TIOCSPTLCK, &unlock) < 0)
        return error_make(err, errno, "unlock pty `/dev/ptmx`");
    /* TIOCGPTPEER opens the peer of this very master, with no path lookup
     * an attacker could redirect. */
    s = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (s < 0)
        return error_make(err, errno, "open pty peer of `/dev/ptmx`");
    if (fstatfs(s, &sfs) < 0)
        return error_make(err, errno, "statfs pty peer");
    if (sfs.f_type != DEVPTS_SUPER_MAGIC)
        return error_plain(err, EXDEV, "pty peer of `/dev/ptmx` is not on devpts");
    *master = steal_fd(&m);
    *slave = steal_fd(&s);
    return 0;
}

int terminal_set_size(int fd, const struct oci_console_size *size, struct ocirun_error *err)
{
    struct winsize ws = {0};

    if (size == NULL)
        return 0;
    if (size->height > USHRT_MAX || size->width > USHRT_MAX)
        return error_plain(err, EINVAL, "process.consoleSize %ux%u: too large",
                           (unsigned)size->height, (unsigned)size->width);
    ws.ws_row = (unsigned short)size->height;
    ws.ws_col = (unsigned short)size->width;
    if (ioctl(fd, TIOCSWINSZ, &ws) < 0)
        return error_make(err, errno, "set console size %ux%u", (unsigned)size->height,
                          (unsigned)size->width);
    return 0;
}

int terminal_make_controlling(int slave, struct ocirun_error *err)
{
    /* EPERM: already a session leader, which is fine. */
    if (setsid() < 0 && errno != EPERM)
        return error_make(err, errno, "setsid");
    if (ioctl(slave, TIOCSCTTY, 0) < 0)
        return error_make(err, errno, "set controlling terminal");
    for (int fd = 0; fd < 3; fd++) {
        if (slave != fd && dup2(slave, fd) < 0)
            return error_make(err, errno, "dup2 console to fd %d", fd);
    }
    if (slave > 2)
        close(slave);
    return 0;
}

/* Connects to an AF_UNIX stream socket; a path too long for sun_path is
 * reached through /proc/self/fd of its directory. */
static int unix_connect(const char *path, struct ocirun_error *err)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    cleanup_close int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    cleanup_close int dirfd = -1;
    const char *target = path;
    cleanup_free char *alt = NULL;

    if (sock < 0)
        return error_make(err, errno, "socket for console socket `%s`", path);
    if (strlen(path) >= sizeof(sa.sun_path)) {
        cleanup_free char *dir = xstrdup(path);
        char *slash = strrchr(dir, '/');
        if (slash == NULL || slash == dir)
            return error_make(err, ENAMETOOLONG, "connect to console socket `%s`", path);
        *slash = '\0';
        dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dirfd < 0)
            return error_make(err, errno, "open directory of console socket `%s`", path);
        alt = xasprintf("/proc/self/fd/%d/%s", dirfd, slash + 1);
        target = alt;
        if (strlen(target) >= sizeof(sa.sun_path))
            return error_make(err, ENAMETOOLONG, "connect to console socket `%s`", path);
    }
    memcpy(sa.sun_path, target, strlen(target) + 1);
    while (connect(sock, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        if (errno != EINTR)
            return error_make(err, errno, "connect to console socket `%s`", path);
    }
    return steal_fd(&sock);
}

int terminal_send_to_console_socket(const char *socket_path, int master, struct ocirun_error *err)
{
    cleanup_close int sock = unix_connect(socket_path, err);

    if (sock < 0)
        return -1;
    if (fd_send(sock, master, CONSOLE_NAME, strlen(CONSOLE_NAME), err) < 0)
        return error_wrap(err, "console socket `%s`", socket_path);
    return 0;
}

/* ---- the foreground proxy of `run` ---- */

/* One direction of the copy: bytes read from src wait here until dst takes
 * them, so a slow side never blocks the other direction. */
struct relay {
    int src, dst;
    char buf[PIPE_BUF];
    size_t off, len;
    bool eof;
};

static void copy_winsize(int from, int to)
{
    struct winsize ws;

    if (ioctl(from, TIOCGWINSZ, &ws) == 0)
        (void)ioctl(to, TIOCSWINSZ, &ws);
}

void terminal_inherit_size(int master)
{
    if (isatty(0))
        copy_winsize(0, master);
}

/* Reads into an empty relay. Returns < 0 at EOF or a hangup. */
static int relay_fill(struct relay *r)
{
    ssize_t n;

    do
        n = read(r->src, r->buf, sizeof(r->buf));
    while (n < 0 && errno == EINTR);
    if (n < 0 && errno == EAGAIN)
        return 0;
    if (n <= 0) {
        r->eof = true;
        return -1;
    }
    r->off = 0;
    r->len = (size_t)n;
    return 0;
}

/* Writes what the relay holds; at most PIPE_BUF, so it cannot block once
 * poll said POLLOUT. */
static int relay_flush(struct relay *r)
{
    ssize_t n;

    do
        n = write(r->dst, r->buf + r->off, r->len - r->off);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return errno == EAGAIN ? 0 : -1;
    r->off += (size_t)n;
    if (r->off == r->len)
        r->off = r->len = 0;
    return 0;
}

/* Copies what the container already wrote, after it is gone. */
static void relay_drain(struct relay *out)
{
    for (int i = 0; i < 1024; i++) {
        if (out->len > 0 && write_all(out->dst, out->buf + out->off, out->len - out->off) < 0)
            return;
        out->off = out->len = 0;
        if (out->eof || relay_fill(out) < 0 || out->len == 0)
            return;
    }
}

struct proxy {
    struct relay in, out; /* stdin -> master, master -> stdout */
    int master, stop_fd, sigfd;
};

/* One round of poll. Returns 1 when the proxy is done, 0 to go on. */
static int proxy_step(struct proxy *p, struct ocirun_error *err)
{
    struct pollfd fds[4];
    int r;

    fds[0] = (struct pollfd){.fd = p->stop_fd, .events = POLLIN};
    fds[1] = (struct pollfd){.fd = p->sigfd, .events = POLLIN};
    if (p->in.len > 0)
        fds[2] = (struct pollfd){.fd = p->master, .events = POLLOUT};
    else
        fds[2] = (struct pollfd){.fd = p->in.eof ? -1 : 0, .events = POLLIN};
    if (p->out.len > 0)
        fds[3] = (struct pollfd){.fd = p->out.dst, .events = POLLOUT};
    else
        fds[3] = (struct pollfd){.fd = p->master, .events = POLLIN};
    r = poll(fds, 4, -1);
    if (r < 0)
        return errno == EINTR ? 0 : error_make(err, errno, "terminal proxy: poll");
    if (fds[1].revents) {
        struct signalfd_siginfo si;
        while (read(p->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
            ;
        copy_winsize(0, p->master);
    }
    if (fds[2].revents && p->in.len > 0) {
        if (relay_flush(&p->in) < 0)
            p->in.len = 0;
    } else if (fds[2].revents && relay_fill(&p->in) < 0) {
        /* Our stdin ended: pass an end-of-file to the container. */
        static const char eof = 4;
        (void)!write(p->master, &eof, 1);
    }
    if (fds[3].revents && p->out.len > 0) {
        if (relay_flush(&p->out) < 0)
            return 1; /* nobody reads our stdout any more */
    } else if (fds[3].revents && relay_fill(&p->out) < 0) {
        return 1; /* EIO: every slave fd is closed */
    }
    if (fds[0].revents) {
        relay_drain(&p->out);
        return 1;
    }
    return 0;
}

int terminal_proxy(int master, int stop_fd, struct ocirun_error *err)
{
    struct proxy p = {.master = master, .stop_fd = stop_fd, .sigfd = -1};
    struct termios saved, raw;
    bool tty = isatty(0) && tcgetattr(0, &saved) == 0;
    sigset_t winch, old;
    int r = 0, fl;

    p.in = (struct relay){.src = 0, .dst = master};
    p.out = (struct relay){.src = master, .dst = 1};
    fl = fcntl(master, F_GETFL);
    if (fl < 0 || fcntl(master, F_SETFL, fl | O_NONBLOCK) < 0)
        return error_make(err, errno, "terminal proxy: fcntl");
    sigemptyset(&winch);
    sigaddset(&winch, SIGWINCH);
    pthread_sigmask(SIG_BLOCK, &winch, &old);
    p.sigfd = signalfd(-1, &winch, SFD_CLOEXEC | SFD_NONBLOCK);
    if (p.sigfd < 0) {
        r = error_make(err, errno, "terminal proxy: signalfd");
        goto out;
    }
    if (tty) {
        raw = saved;
        cfmakeraw(&raw);
        if (tcsetattr(0, TCSANOW, &raw) < 0) {
            r = error_make(err, errno, "terminal proxy: set raw mode");
            tty = false;
            goto out;
        }
        copy_winsize(0, master);
    }
    while ((r = proxy_step(&p, err)) == 0)
        ;
    r = r < 0 ? r : 0;
out:
    if (tty)
        tcsetattr(0, TCSANOW, &saved);
    if (p.sigfd >= 0)
        close(p.sigfd);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return r;
}
