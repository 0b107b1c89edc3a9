/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The state store, signal names, fd passing and the pty helpers: pure
 * parts and fake state directories (no container is started). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "fdpass.h"
#include "signals.h"
#include "state.h"
#include "terminal.h"
#include "unit.h"
#include "util.h"

#define CHECK(cond) UNIT_CHECK((cond), "%s", #cond)

static char root[] = "/tmp/ocirun-test-state-XXXXXX";

static void test_ids(void)
{
    char long_id[1026];

    CHECK(container_id_valid("abc"));
    CHECK(container_id_valid("a_b-c.d+e9"));
    CHECK(container_id_valid("..x"));
    CHECK(!container_id_valid(""));
    CHECK(!container_id_valid("."));
    CHECK(!container_id_valid(".."));
    CHECK(!container_id_valid("../x"));
    CHECK(!container_id_valid("a/b"));
    CHECK(!container_id_valid("a b"));
    CHECK(!container_id_valid("a\nb"));
    CHECK(!container_id_valid("é"));
    CHECK(!container_id_valid(NULL));
    memset(long_id, 'a', sizeof(long_id) - 2);
    long_id[1024] = '\0';
    CHECK(container_id_valid(long_id));
    long_id[1024] = 'a';
    long_id[1025] = '\0';
    CHECK(!container_id_valid(long_id));
}

static int parsed(const char *s)
{
    int sig = -1;

    return signal_parse(s, &sig, NULL) < 0 ? -1 : sig;
}

static void test_signals(void)
{
    struct ocirun_error err = {0};
    char buf[16];
    int sig;

    CHECK(parsed("KILL") == SIGKILL);
    CHECK(parsed("SIGKILL") == SIGKILL);
    CHECK(parsed("sigterm") == SIGTERM);
    CHECK(parsed("9") == 9);
    CHECK(parsed("0") == 0);
    CHECK(parsed("HUP") == SIGHUP);
    CHECK(parsed("USR1") == SIGUSR1);
    CHECK(parsed("WINCH") == SIGWINCH);
    CHECK(parsed("RTMIN") == SIGRTMIN);
    CHECK(parsed("RTMIN+3") == SIGRTMIN + 3);
    CHECK(parsed("SIGRTMIN+3") == SIGRTMIN + 3);
    CHECK(parsed("RTMAX") == SIGRTMAX);
    CHECK(parsed("RTMAX-1") == SIGRTMAX - 1);
    CHECK(parsed("RTMIN-1") == -1);
    CHECK(parsed("RTMIN+100") == -1);
    CHECK(parsed("65") == -1);
    CHECK(parsed("-1") == -1);
    CHECK(parsed("9x") == -1);
    CHECK(parsed("") == -1);
    CHECK(parsed("SIG") == -1);
    CHECK(signal_parse("FOO", &sig, &err) < 0);
    UNIT_CHECK_CONTAINS(err.msg, "unknown signal \"FOO\"", "runc's wording for a bad signal");
    CHECK(strcmp(err.msg, "unknown signal \"FOO\"") == 0);
    CHECK(strcmp(signal_name(SIGKILL, buf, sizeof(buf)), "KILL") == 0);
    CHECK(strcmp(signal_name(SIGRTMIN + 3, buf, sizeof(buf)), "RTMIN+3") == 0);
    error_clear(&err);
}

/* Writes <root>/<id>/state.json with the given pid and start time. */
static void fake_state(const char *id, long long pid, unsigned long long start, bool fifo)
{
    cleanup_free char *dir = xasprintf("%s/%s", root, id);
    cleanup_free char *file = xasprintf("%s/state.json", dir);
    cleanup_free char *json =
        xasprintf("{\"ociVersion\":\"1.3.0\",\"id\":\"%s\",\"status\":\"created\",\"pid\":%lld,"
                  "\"bundle\":\"/b\",\"rootfs\":\"/b/rootfs\",\"created\":\"2026-01-01T00:00:00Z\","
                  "\"owner\":\"\",\"ocirun\":{\"initStartTime\":%llu}}",
                  id, pid, start);

    mkdir(dir, 0700);
    write_file_at(AT_FDCWD, file, json, strlen(json), 0600, NULL);
    if (fifo) {
        cleanup_free char *f = xasprintf("%s/exec.fifo", dir);
        mkfifo(f, 0600);
    }
}

static const char *status_of(const char *id)
{
    static char buf[32];
    cleanup_container struct container *c = NULL;

    if (container_load(root, id, false, &c, NULL) < 0)
        return "error";
    snprintf(buf, sizeof(buf), "%s", container_status(c));
    return buf;
}

static void test_status(void)
{
    pid_t child = fork();
    unsigned long long start;
    struct ocirun_error err = {0};
    cleanup_container struct container *c = NULL;

    if (child == 0) {
        pause();
        _exit(0);
    }
    start = proc_start_time(child);
    CHECK(start > 0);
    CHECK(proc_start_time(getpid()) > 0);
    CHECK(proc_start_time(0) == 0);

    fake_state("alive", child, start, false);
    CHECK(strcmp(status_of("alive"), "running") == 0);
    fake_state("created", child, start, true);
    CHECK(strcmp(status_of("created"), "created") == 0);
    fake_state("reused", child, start + 1, false);
    CHECK(strcmp(status_of("reused"), "stopped") == 0);

    /* The state JSON: live status, private object dropped, pid 0 stopped. */
    CHECK(container_load(root, "reused", false, &c, &err) == 0);
    {
        cleanup_free char *json = container_state_json(c, container_status(c), &err);
        CHECK(json && strstr(json, "\"stopped\"") && !strstr(json, "ocirun") &&
              !strstr(json, "initStartTime"));
        CHECK(json && strstr(json, "\"pid\": 0") != NULL);
    }

    kill(child, SIGKILL);
    /* Not reaped yet: a zombie counts as stopped. */
    usleep(100000);
    CHECK(strcmp(status_of("alive"), "stopped") == 0);
    waitpid(child, NULL, 0);
    CHECK(strcmp(status_of("alive"), "stopped") == 0);
    fake_state("nopid", 0, 0, false);
    CHECK(strcmp(status_of("nopid"), "stopped") == 0);
    error_clear(&err);
}

static void test_garbage(void)
{
    struct ocirun_error err = {0};
    cleanup_container struct container *c = NULL;
    cleanup_free char *dir = xasprintf("%s/garbage", root);
    cleanup_free char *file = xasprintf("%s/state.json", dir);

    mkdir(dir, 0700);
    write_file_at(AT_FDCWD, file, "{\"id\": [1,", 10, 0600, NULL);
    CHECK(container_load(root, "garbage", false, &c, &err) < 0);
    UNIT_CHECK_CONTAINS(err.msg, "garbage/state.json", "garbage state: error names the file");
    CHECK(container_load(root, "missing", false, &c, &err) < 0);
    CHECK(err.msg && strcmp(err.msg, "container does not exist") == 0);
    CHECK(container_load(root, "../etc", false, &c, &err) < 0);
    CHECK(err.msg && strcmp(err.msg, "invalid container ID format") == 0);
    CHECK(container_load("/nonexistent-root", "x", false, &c, &err) < 0);
    CHECK(err.msg && strcmp(err.msg, "container does not exist") == 0);
    error_clear(&err);
}

static void test_list(void)
{
    cleanup_strv char **ids = NULL;
    size_t n = 0;
    cleanup_free char *half = xasprintf("%s/half-created", root);
    cleanup_free char *file = xasprintf("%s/a-file", root);
    cleanup_free char *link = xasprintf("%s/a-link", root);
    cleanup_free char *bad = xasprintf("%s/bad name", root);

    mkdir(half, 0700);
    write_file_at(AT_FDCWD, file, "x", 1, 0600, NULL);
    symlink("/tmp", link);
    mkdir(bad, 0700);
    CHECK(state_list_ids(root, &ids, &n, NULL) == 0);
    /* sorted; half-created, files, symlinks and bad names skipped */
    CHECK(n == 6);
    CHECK(n == 6 && strcmp(ids[0], "alive") == 0 && strcmp(ids[1], "created") == 0 &&
          strcmp(ids[2], "garbage") == 0 && strcmp(ids[3], "nopid") == 0 &&
          strcmp(ids[4], "reused") == 0 && strcmp(ids[5], "stopped-saved") == 0);
    CHECK(n == 6 && ids[6] == NULL);
    {
        cleanup_strv char **none = NULL;
        size_t m = 1;
        CHECK(state_list_ids("/nonexistent-root", &none, &m, NULL) == 0 && m == 0);
    }
}

static void test_create_save_remove(void)
{
    struct ocirun_error err = {0};
    cleanup_container struct container *c = NULL;
    cleanup_container struct container *again = NULL;
    cleanup_free char *nested = xasprintf("%s/new-root/sub", root);
    struct stat st;

    CHECK(container_state_create(nested, "stopped-saved", &c, &err) == 0);
    CHECK(stat(nested, &st) == 0 && (st.st_mode & 0777) == 0700);
    CHECK(container_state_create(nested, "stopped-saved", &again, &err) < 0);
    CHECK(err.msg && strcmp(err.msg, "container with given ID already exists") == 0);
    CHECK(container_state_create(nested, "a/b", &again, &err) < 0);
    CHECK(err.msg && strcmp(err.msg, "invalid container ID format") == 0);
    /* A directory without state.json does not exist for readers. */
    CHECK(container_load(nested, "stopped-saved", false, &again, &err) < 0);
    c->state = xzalloc(sizeof(*c->state));
    c->state->oci_version = xstrdup("1.3.0");
    c->state->id = xstrdup("stopped-saved");
    c->state->status = xstrdup("created");
    c->state->bundle = xstrdup("/b");
    c->state->pid = 1;
    c->state->pid_present = true;
    CHECK(container_save(c, &err) == 0);
    CHECK(container_load(nested, "stopped-saved", false, &again, &err) == 0);
    CHECK(again && again->state->pid == 1 && strcmp(again->state->bundle, "/b") == 0);
    CHECK(container_state_remove(c, &err) == 0);
    CHECK(c->dirfd == -1);
    {
        cleanup_free char *gone = xasprintf("%s/stopped-saved", nested);
        CHECK(access(gone, F_OK) < 0 && errno == ENOENT);
    }
    /* Another copy for the list test, in the main root. */
    fake_state("stopped-saved", 0, 0, false);
    error_clear(&err);
}

/* A second locker waits until the first handle is freed. */
static void test_lock(void)
{
    cleanup_container struct container *c = NULL;
    int p[2];
    pid_t child;
    char byte;
    struct timespec a, b;

    CHECK(container_load(root, "alive", true, &c, NULL) == 0);
    if (pipe(p) < 0)
        return;
    clock_gettime(CLOCK_MONOTONIC, &a);
    child = fork();
    if (child == 0) {
        struct container *other = NULL;
        /* flock belongs to the open file: our inherited copy would hold it. */
        close(c->lockfd);
        close(p[0]);
        int r = container_load(root, "alive", true, &other, NULL);
        (void)!write(p[1], r == 0 ? "y" : "n", 1);
        container_free(other);
        _exit(0);
    }
    close(p[1]);
    usleep(300000);
    container_free(steal_ptr(&c));
    CHECK(read(p[0], &byte, 1) == 1 && byte == 'y');
    clock_gettime(CLOCK_MONOTONIC, &b);
    CHECK((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000 >= 250);
    close(p[0]);
    waitpid(child, NULL, 0);
}

static void test_fdpass(void)
{
    struct ocirun_error err = {0};
    int sv[2], fd = -1, null = open("/dev/null", O_RDONLY | O_CLOEXEC);
    char name[32];
    struct stat a, b;

    CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
    CHECK(fd_send(sv[0], null, "hello", 5, &err) == 0);
    CHECK(fd_recv(sv[1], &fd, name, sizeof(name), &err) == 5);
    CHECK(strcmp(name, "hello") == 0);
    CHECK(fd >= 0 && fstat(fd, &a) == 0 && fstat(null, &b) == 0 && a.st_rdev == b.st_rdev);
    CHECK(fd >= 0 && (fcntl(fd, F_GETFD) & FD_CLOEXEC));
    close(fd);
    /* A payload without fd is refused. */
    CHECK(write(sv[0], "x", 1) == 1);
    CHECK(fd_recv(sv[1], &fd, name, sizeof(name), &err) < 0 && fd == -1);
    close(sv[0]);
    CHECK(fd_recv(sv[1], &fd, name, sizeof(name), &err) < 0);
    UNIT_CHECK_CONTAINS(err.msg, "peer closed", "fd_recv at EOF");
    close(sv[1]);
    close(null);
    error_clear(&err);
}

/* The pty pair and runc's console-socket protocol. */
static void test_console_socket(void)
{
    struct ocirun_error err = {0};
    cleanup_free char *path = xasprintf("%s/console.sock", root);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    struct oci_console_size size = {.height = 33, .width = 77};
    struct winsize ws;
    int master = -1, slave = -1, srv, conn, got = -1;
    char name[64];

    CHECK(terminal_open_pty(&master, &slave, &err) == 0);
    CHECK(terminal_set_size(slave, &size, &err) == 0);
    CHECK(ioctl(master, TIOCGWINSZ, &ws) == 0 && ws.ws_row == 33 && ws.ws_col == 77);
    CHECK(terminal_set_size(slave, NULL, &err) == 0);
    srv = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    CHECK(bind(srv, (struct sockaddr *)&sa, sizeof(sa)) == 0 && listen(srv, 1) == 0);
    CHECK(terminal_send_to_console_socket(path, master, &err) == 0);
    conn = accept4(srv, NULL, NULL, SOCK_CLOEXEC);
    CHECK(fd_recv(conn, &got, name, sizeof(name), &err) == 9);
    CHECK(strcmp(name, "/dev/ptmx") == 0);
    /* The received master drives the same pty: what the slave writes
     * comes out of it. */
    CHECK(write(slave, "hi\n", 3) == 3);
    {
        char buf[16] = {0};
        CHECK(got >= 0 && read(got, buf, sizeof(buf) - 1) > 0 && strncmp(buf, "hi", 2) == 0);
    }
    CHECK(terminal_send_to_console_socket("/nonexistent/sock", master, &err) < 0);
    UNIT_CHECK_CONTAINS(err.msg, "connect to console socket `/nonexistent/sock`",
                        "console socket error names the path");
    close(got);
    close(conn);
    close(srv);
    close(master);
    close(slave);
    error_clear(&err);
}

int main(void)
{
    if (mkdtemp(root) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    test_ids();
    test_signals();
    test_status();
    test_garbage();
    test_create_save_remove();
    test_list();
    test_lock();
    test_fdpass();
    test_console_socket();
    {
        cleanup_free char *cmd = xasprintf("rm -rf '%s'", root);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", root);
    }
    return unit_finish();
}
