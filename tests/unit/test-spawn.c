/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of the spawn area's pure parts: the parent<->init channel,
 * config validation (sysctl keys, process fields, namespaces, user maps). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "namespaces.h"
#include "process.h"
#include "spawn.h"
#include "sysctl.h"
#include "unit.h"
#include "userns.h"
#include "util.h"

/* ---- channel ---------------------------------------------------------- */

static void test_channel_roundtrip(void)
{
    struct ocirun_error err = {0};
    struct spawn_msg m;
    int sv[2], fd = -1, pipefd[2];
    int64_t value = 0;

    if (!UNIT_CHECK(spawn_socketpair(sv, &err) == 0, "socketpair"))
        return;
    UNIT_CHECK(fcntl(sv[0], F_GETFD) & FD_CLOEXEC, "channel is close-on-exec");
    UNIT_CHECK(spawn_send(sv[0], SPAWN_MSG_SYNC, 4242, &err) == 0, "send SYNC");
    UNIT_CHECK(spawn_expect(sv[1], SPAWN_MSG_SYNC, &value, &err) == 0 && value == 4242,
               "SYNC carries the pid");

    spawn_send(sv[0], SPAWN_MSG_READY, 0, &err);
    UNIT_CHECK(spawn_expect(sv[1], SPAWN_MSG_HOOKS_DONE, NULL, &err) < 0 && err.errnum == EPROTO,
               "unexpected type is a protocol error");
    error_clear(&err);

    struct ocirun_error child = {.errnum = ENOENT, .msg = xstrdup("open `/x`: No such file")};
    UNIT_CHECK(spawn_send_error(sv[1], &child) == 0, "send ERROR");
    UNIT_CHECK(spawn_expect(sv[0], SPAWN_MSG_READY, NULL, &err) < 0, "ERROR fails the expect");
    UNIT_CHECK(err.errnum == ENOENT, "ERROR keeps errno");
    UNIT_CHECK_CONTAINS(err.msg, "open `/x`: No such file", "ERROR keeps the text verbatim");
    error_clear(&err);
    error_clear(&child);

    if (pipe2(pipefd, O_CLOEXEC) == 0) {
        UNIT_CHECK(spawn_send_fd(sv[1], pipefd[1], &err) == 0, "send an fd");
        UNIT_CHECK(spawn_recv(sv[0], 1000, &m, &fd, &err) == 0 && m.type == SPAWN_MSG_PTY_MASTER &&
                       fd >= 0,
                   "PTY_MASTER arrives with its fd");
        UNIT_CHECK(fd >= 0 && (fcntl(fd, F_GETFD) & FD_CLOEXEC), "received fd is cloexec");
        UNIT_CHECK(fd >= 0 && write(fd, "x", 1) == 1, "received fd is the pipe");
        if (fd >= 0)
            close(fd);
        close(pipefd[0]);
        close(pipefd[1]);
    }
    close(sv[0]);
    close(sv[1]);
}

static void test_channel_timeout_and_eof(void)
{
    struct ocirun_error err = {0};
    struct spawn_msg m;
    struct timespec a, b;
    int sv[2];

    if (spawn_socketpair(sv, &err) < 0)
        return;
    clock_gettime(CLOCK_MONOTONIC, &a);
    UNIT_CHECK(spawn_recv(sv[0], 100, &m, NULL, &err) < 0 && err.errnum == ETIMEDOUT,
               "a silent peer times out");
    clock_gettime(CLOCK_MONOTONIC, &b);
    UNIT_CHECK(b.tv_sec - a.tv_sec < 2, "the timeout is bounded");
    error_clear(&err);
    close(sv[1]);
    UNIT_CHECK(spawn_recv(sv[0], 1000, &m, NULL, &err) < 0 && err.errnum == EPIPE,
               "a dead peer is EOF, not a hang");
    UNIT_CHECK_CONTAINS(err.msg, "exited before it was ready", "EOF message");
    error_clear(&err);
    UNIT_CHECK(spawn_send(sv[0], SPAWN_MSG_SYNC, 0, &err) < 0, "send to a dead peer fails");
    error_clear(&err);
    close(sv[0]);
}

/* ---- sysctl --------------------------------------------------------------- */

static int check_sysctl(const char *key, bool net, bool ipc, bool uts, struct ocirun_error *err)
{
    char *keys[] = {(char *)key, NULL};
    char *values[] = {"1", NULL};
    struct oci_string_map map = {.keys = keys, .values = values, .len = 1};

    return sysctl_validate(&map, net, ipc, uts, err);
}

static void test_sysctl_rules(void)
{
    struct ocirun_error err = {0};
    const struct {
        const char *key;
        bool net, ipc, uts;
        bool ok;
        const char *want;
    } cases[] = {
        {"net.ipv4.ip_forward", true, false, false, true, NULL},
        {"net.ipv4.ip_forward", false, true, true, false, "network namespace"},
        {"kernel.shmmax", false, true, false, true, NULL},
        {"kernel.shmmax", true, false, true, false, "ipc namespace"},
        {"fs.mqueue.msg_max", false, true, false, true, NULL},
        {"fs.mqueue.msg_max", true, false, false, false, "ipc namespace"},
        {"kernel.hostname", false, false, true, true, NULL},
        {"kernel.domainname", true, true, false, false, "uts namespace"},
        {"vm.swappiness", true, true, true, false, "not in a separate kernel namespace"},
        {"kernel.panic", true, true, true, false, "not in a separate kernel namespace"},
        {"net..ipv4", true, true, true, false, "malformed"},
        {"net.ipv4/../../x", true, true, true, false, "malformed"},
        {".net.x", true, true, true, false, "malformed"},
        {"net.x.", true, true, true, false, "malformed"},
        {"", true, true, true, false, "malformed"},
    };

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        int r = check_sysctl(cases[i].key, cases[i].net, cases[i].ipc, cases[i].uts, &err);
        UNIT_CHECK((r == 0) == cases[i].ok, "sysctl `%s` (net %d ipc %d uts %d) %s", cases[i].key,
                   cases[i].net, cases[i].ipc, cases[i].uts, cases[i].ok ? "accepted" : "refused");
        if (!cases[i].ok)
            UNIT_CHECK_CONTAINS(err.msg, cases[i].want, "sysctl message");
        error_clear(&err);
    }
}

/* ---- process ---------------------------------------------------------------- */

static void base_process(struct oci_process *p, char **args)
{
    memset(p, 0, sizeof(*p));
    p->args = args;
    p->args_len = 1;
    p->cwd = "/";
}

static void expect_invalid(const struct oci_process *p, const struct oci_personality *pers,
                           const char *want)
{
    struct ocirun_error err = {0};

    UNIT_CHECK(process_validate(p, pers, &err) < 0, "refused: %s", want);
    UNIT_CHECK_CONTAINS(err.msg, want, "message names the problem");
    error_clear(&err);
}

static void test_process_validation(void)
{
    struct ocirun_error err = {0};
    char *args[] = {"/bin/true", NULL};
    char *empty[] = {"", NULL};
    struct oci_rlimit rl[2] = {{"RLIMIT_NOFILE", 10, 20}, {"RLIMIT_NOFILE", 1, 1}};
    struct oci_scheduler sched = {.policy = "SCHED_OTHER"};
    struct oci_io_priority io = {.class = "IOPRIO_CLASS_BE", .priority = 4};
    struct oci_personality pers = {.domain = "LINUX32"};
    struct oci_process p;

    base_process(&p, args);
    UNIT_CHECK(process_validate(&p, NULL, &err) == 0, "minimal process is valid");
    expect_invalid(NULL, NULL, "process");

    p.args_len = 0;
    expect_invalid(&p, NULL, "args must not be empty");
    p.args = empty;
    p.args_len = 1;
    expect_invalid(&p, NULL, "args must not be empty");

    base_process(&p, args);
    p.cwd = "relative";
    expect_invalid(&p, NULL, "process.cwd");

    base_process(&p, args);
    p.rlimits = rl;
    p.rlimits_len = 1;
    UNIT_CHECK(process_validate(&p, NULL, &err) == 0, "one rlimit is valid");
    p.rlimits_len = 2;
    expect_invalid(&p, NULL, "given twice");
    rl[1].type = "RLIMIT_NOPE";
    expect_invalid(&p, NULL, "RLIMIT_NOPE");
    rl[0].soft = 30;
    p.rlimits_len = 1;
    expect_invalid(&p, NULL, "soft limit");

    base_process(&p, args);
    p.oom_score_adj_present = true;
    p.oom_score_adj = 1001;
    expect_invalid(&p, NULL, "oomScoreAdj");
    p.oom_score_adj = -1000;
    UNIT_CHECK(process_validate(&p, NULL, &err) == 0, "oomScoreAdj -1000 is valid");

    base_process(&p, args);
    p.scheduler = &sched;
    p.io_priority = &io;
    UNIT_CHECK(process_validate(&p, &pers, &err) == 0, "scheduler, ioPriority, LINUX32");
    sched.nice_present = true;
    sched.nice = 20;
    expect_invalid(&p, NULL, "nice");
    sched.nice = 0;
    sched.policy = "SCHED_FOO";
    expect_invalid(&p, NULL, "SCHED_FOO");
    sched.policy = "SCHED_FIFO";
    expect_invalid(&p, NULL, "0 is outside 1..99 for SCHED_FIFO");
    sched.priority_present = true;
    sched.priority = 10;
    UNIT_CHECK(process_validate(&p, NULL, &err) == 0, "SCHED_FIFO priority 10 is valid");
    io.priority = 8;
    expect_invalid(&p, NULL, "ioPriority.priority");
    io.priority = 0;
    io.class = "IOPRIO_CLASS_NONE";
    expect_invalid(&p, NULL, "IOPRIO_CLASS_NONE");
    io.class = "IOPRIO_CLASS_IDLE";
    pers.domain = "PER_SVR4";
    expect_invalid(&p, &pers, "personality");
    error_clear(&err);
}

static void test_preserved_fds_check(void)
{
    struct ocirun_error err = {0};
    int hi = fcntl(0, F_DUPFD_CLOEXEC, 100);

    UNIT_CHECK(process_check_preserved_fds(0, -1, &err) == 0, "--preserve-fds 0");
    /* find the first closed fd above 2 and ask for one more than exists */
    int first_closed = 3;
    while (fcntl(first_closed, F_GETFD) >= 0)
        first_closed++;
    UNIT_CHECK(process_check_preserved_fds(first_closed - 3 + 1, -1, &err) < 0,
               "a missing preserved fd is an error");
    UNIT_CHECK_CONTAINS(err.msg, "preserved fd", "message names the fd");
    error_clear(&err);
    if (first_closed > 3) {
        UNIT_CHECK(process_check_preserved_fds(1, 3, &err) < 0, "the --log fd is refused");
        error_clear(&err);
    }
    if (hi >= 0)
        close(hi);
}

/* ---- namespaces, user maps ---------------------------------------------------- */

static void test_namespaces(void)
{
    struct ocirun_error err = {0};
    struct oci_namespace ns[3] = {{"pid", NULL}, {"network", NULL}, {"pid", NULL}};
    struct oci_linux l = {.namespaces = ns, .namespaces_len = 2};
    struct ns_plan plan;

    UNIT_CHECK(ns_index_from_name("network") == NS_NET && ns_index_from_name("net") < 0,
               "spec names of namespaces");
    UNIT_CHECK(namespaces_validate(&l, &err) == 0, "pid + network");
    l.namespaces_len = 3;
    UNIT_CHECK(namespaces_validate(&l, &err) < 0, "duplicate type refused");
    UNIT_CHECK_CONTAINS(err.msg, "given twice", "duplicate message");
    error_clear(&err);

    ns[2] = (struct oci_namespace){"ipc", "/proc/self/ns/net"};
    UNIT_CHECK(namespaces_validate(&l, &err) < 0, "path of the wrong type refused");
    UNIT_CHECK_CONTAINS(err.msg, "another type", "wrong type message");
    error_clear(&err);
    ns[2] = (struct oci_namespace){"ipc", "/etc/passwd"};
    UNIT_CHECK(namespaces_validate(&l, &err) < 0, "a plain file is not a namespace");
    error_clear(&err);
    ns[2] = (struct oci_namespace){"ipc", "relative/ns"};
    UNIT_CHECK(namespaces_validate(&l, &err) < 0, "relative path refused");
    error_clear(&err);
    ns[2] = (struct oci_namespace){"ipc", "/proc/self/ns/ipc"};
    UNIT_CHECK(namespaces_validate(&l, &err) == 0, "joining by path");

    if (UNIT_CHECK(namespaces_plan(&l, false, &plan, &err) == 0, "plan")) {
        UNIT_CHECK(plan.clone_flags == (CLONE_NEWPID | CLONE_NEWNET), "new ones by clone3");
        UNIT_CHECK(plan.join_fd[NS_IPC] >= 0 && plan.unshare_flags == 0, "ipc joined");
        namespaces_plan_close(&plan);
        UNIT_CHECK(plan.join_fd[NS_IPC] == -1, "plan closed");
    }
    ns[0] = (struct oci_namespace){"cgroup", NULL};
    if (namespaces_plan(&l, false, &plan, &err) == 0) {
        UNIT_CHECK(plan.unshare_flags == CLONE_NEWCGROUP,
                   "cgroup ns unshared after placement without CLONE_INTO_CGROUP");
        namespaces_plan_close(&plan);
    }
    if (namespaces_plan(&l, true, &plan, &err) == 0) {
        UNIT_CHECK(plan.clone_flags & CLONE_NEWCGROUP, "cgroup ns by clone3 into the cgroup");
        namespaces_plan_close(&plan);
    }
    error_clear(&err);
}

static void test_user_maps(void)
{
    struct ocirun_error err = {0};
    struct oci_id_mapping ok = {0, 100000, 65536}, zero = {0, 1, 0}, wrap = {0, 0xffffff00, 512};
    struct oci_linux l = {0};

    UNIT_CHECK(userns_validate(&l, &err) < 0, "a new user ns needs maps");
    UNIT_CHECK_CONTAINS(err.msg, "uidMappings", "message names uidMappings");
    error_clear(&err);
    l.uid_mappings = &ok;
    l.uid_mappings_len = 1;
    l.gid_mappings = &ok;
    l.gid_mappings_len = 1;
    UNIT_CHECK(userns_validate(&l, &err) == 0, "valid maps");
    l.gid_mappings = &zero;
    UNIT_CHECK(userns_validate(&l, &err) < 0, "size 0 refused");
    error_clear(&err);
    l.gid_mappings = &wrap;
    UNIT_CHECK(userns_validate(&l, &err) < 0, "32-bit overflow refused");
    error_clear(&err);
}

int main(void)
{
    test_channel_roundtrip();
    test_channel_timeout_and_eof();
    test_sysctl_rules();
    test_process_validation();
    test_preserved_fds_check();
    test_namespaces();
    test_user_maps();
    return unit_finish();
}
