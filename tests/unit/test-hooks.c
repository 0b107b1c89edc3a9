/* SPDX-License-Identifier: GPL-2.0-or-later */
/* hooks_run: success, stdin, failure status, timeout, env/args, a hook that
 * ignores stdin, no fd or zombie left behind. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hooks.h"
#include "unit.h"
#include "util.h"

#define CHECK(cond) UNIT_CHECK((cond), "%s", #cond)

static char tmpdir[] = "/tmp/ocirun-test-hooks-XXXXXX";

static int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    int n = 0;

    while (d && readdir(d))
        n++;
    if (d)
        closedir(d);
    return n;
}

static bool no_children(void)
{
    return waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD;
}

static char *read_text(const char *name)
{
    cleanup_free char *path = xasprintf("%s/%s", tmpdir, name);
    char *data = NULL;

    if (read_file_at(AT_FDCWD, path, &data, NULL, NULL) < 0)
        return NULL;
    return data;
}

static int run_sh(const char *script, int64_t timeout, char **env, size_t env_len,
                  struct ocirun_error *err)
{
    char *args[] = {"sh", "-c", (char *)script, "hook-argv0"};
    struct oci_hook h = {.path = "/bin/sh", .args = args, .args_len = 4};

    if (timeout > 0) {
        h.timeout = timeout;
        h.timeout_present = true;
    }
    h.env = env;
    h.env_len = env_len;
    return hooks_run(&h, 1, "createRuntime", "{\"id\":\"x\"}", err);
}

static void test_success_and_stdin(void)
{
    struct ocirun_error err = {0};
    cleanup_free char *script = xasprintf("cat > %s/stdin", tmpdir);
    cleanup_free char *got = NULL;
    int fds = count_fds();

    CHECK(run_sh(script, 0, NULL, 0, &err) == 0);
    got = read_text("stdin");
    CHECK(got != NULL && strcmp(got, "{\"id\":\"x\"}") == 0);
    CHECK(count_fds() == fds);
    CHECK(no_children());
    error_clear(&err);
}

static void test_failure_status(void)
{
    struct ocirun_error err = {0};

    CHECK(run_sh("echo first >&2; echo 'bad thing' >&2; exit 3", 0, NULL, 0, &err) < 0);
    CHECK(err.msg && strstr(err.msg, "createRuntime hook `/bin/sh`"));
    CHECK(err.msg && strstr(err.msg, "exited with status 3"));
    CHECK(err.msg && strstr(err.msg, "bad thing"));
    CHECK(no_children());
    error_clear(&err);
}

static void test_signal(void)
{
    struct ocirun_error err = {0};

    CHECK(run_sh("kill -KILL $$", 0, NULL, 0, &err) < 0);
    CHECK(err.msg && strstr(err.msg, "killed by signal 9"));
    error_clear(&err);
}

static void test_timeout(void)
{
    struct ocirun_error err = {0};
    struct timespec a, b;
    double secs;
    int fds = count_fds();

    clock_gettime(CLOCK_MONOTONIC, &a);
    CHECK(run_sh("sleep 10", 1, NULL, 0, &err) < 0);
    clock_gettime(CLOCK_MONOTONIC, &b);
    secs = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
    CHECK(secs >= 0.9 && secs < 3.0);
    CHECK(err.msg && strstr(err.msg, "timed out after 1 s"));
    CHECK(count_fds() == fds);
    CHECK(no_children());
    error_clear(&err);
}

static void test_env_and_args(void)
{
    struct ocirun_error err = {0};
    char *env[] = {"HOOKVAR=hello", "OTHER=2"};
    cleanup_free char *script =
        xasprintf("echo \"$0 $HOOKVAR $OTHER ${HOME:-unset}\" > %s/env", tmpdir);
    cleanup_free char *got = NULL;

    CHECK(run_sh(script, 0, env, 2, &err) == 0);
    got = read_text("env");
    CHECK(got != NULL && strcmp(got, "hook-argv0 hello 2 unset\n") == 0);
    error_clear(&err);
}

/* Without args, argv is [path]; a state bigger than a pipe's buffer is
 * handed to a hook that never reads it without blocking us. */
static void test_no_args_and_unread_stdin(void)
{
    struct ocirun_error err = {0};
    struct oci_hook h = {.path = "/bin/true"};
    size_t big = 1 << 20;
    cleanup_free char *state = xmalloc(big + 1);

    memset(state, 'x', big);
    state[big] = '\0';
    CHECK(hooks_run(&h, 1, "poststart", state, &err) == 0);
    CHECK(no_children());
    error_clear(&err);
}

static void test_exec_failure_and_order(void)
{
    struct ocirun_error err = {0};
    cleanup_free char *s1 = xasprintf("echo one >> %s/order", tmpdir);
    cleanup_free char *s2 = xasprintf("echo two >> %s/order", tmpdir);
    char *a1[] = {"sh", "-c", s1}, *a2[] = {"sh", "-c", s2}, *a3[] = {"sh", "-c", "exit 1"};
    struct oci_hook hooks[] = {
        {.path = "/bin/sh", .args = a1, .args_len = 3},
        {.path = "/bin/sh", .args = a2, .args_len = 3},
        {.path = "/bin/sh", .args = a3, .args_len = 3},
        {.path = "/bin/sh", .args = a1, .args_len = 3},
    };
    cleanup_free char *got = NULL;
    struct oci_hook missing = {.path = "/nonexistent/hook"};
    struct oci_hook relative = {.path = "bin/true"};

    CHECK(hooks_run(hooks, 4, "prestart", "{}", &err) < 0);
    got = read_text("order");
    CHECK(got != NULL && strcmp(got, "one\ntwo\n") == 0);
    CHECK(hooks_run(&missing, 1, "poststop", "{}", &err) < 0);
    CHECK(err.msg && strstr(err.msg, "poststop hook `/nonexistent/hook`") &&
          strstr(err.msg, "No such file"));
    CHECK(hooks_run(&relative, 1, "poststop", "{}", &err) < 0);
    CHECK(hooks_run(NULL, 0, "poststop", "{}", &err) == 0);
    CHECK(no_children());
    error_clear(&err);
}

/* Our fds (even without CLOEXEC) do not reach the hook. */
static void test_fds_closed(void)
{
    struct ocirun_error err = {0};
    int leaked = open("/dev/null", O_RDONLY);
    cleanup_free char *script = xasprintf("ls /proc/self/fd > %s/fds", tmpdir);
    cleanup_free char *got = NULL;

    CHECK(run_sh(script, 0, NULL, 0, &err) == 0);
    got = read_text("fds");
    /* 0 1 2 and the fd ls uses to read the directory */
    CHECK(got != NULL && strcmp(got, "0\n1\n2\n3\n") == 0);
    close(leaked);
    error_clear(&err);
}

int main(void)
{
    if (mkdtemp(tmpdir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    test_success_and_stdin();
    test_failure_status();
    test_signal();
    test_timeout();
    test_env_and_args();
    test_no_args_and_unread_stdin();
    test_exec_failure_and_order();
    test_fds_closed();
    {
        cleanup_free char *cmd = xasprintf("rm -rf %s", tmpdir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", tmpdir);
    }
    return unit_finish();
}
