/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "namespaces.h"
#include "util.h"

static const struct {
    const char *spec_name;
    const char *proc_name;
    int flag;
} ns_table[NS_COUNT] = {
    [NS_USER] = {"user", "user", CLONE_NEWUSER},
    [NS_MNT] = {"mount", "mnt", CLONE_NEWNS},
    [NS_PID] = {"pid", "pid", CLONE_NEWPID},
    [NS_NET] = {"network", "net", CLONE_NEWNET},
    [NS_IPC] = {"ipc", "ipc", CLONE_NEWIPC},
    [NS_UTS] = {"uts", "uts", CLONE_NEWUTS},
    [NS_CGROUP] = {"cgroup", "cgroup", CLONE_NEWCGROUP},
    [NS_TIME] = {"time", "time", CLONE_NEWTIME},
};

int ns_index_from_name(const char *name)
{
    if (name == NULL)
        return -1;
    for (int i = 0; i < NS_COUNT; i++)
        if (strcmp(ns_table[i].spec_name, name) == 0)
            return i;
    return -1;
}

int ns_clone_flag(enum ns_index i)
{
    return ns_table[i].flag;
}

const char *ns_proc_name(enum ns_index i)
{
    return ns_table[i].proc_name;
}

/* Opens a namespace path and checks it holds a namespace of type i. The
 * path comes from the config: it is opened O_PATH and checked to be on nsfs
 * first, so a FIFO or a device there is never really opened. */
static int open_ns_path(const char *path, enum ns_index i, struct ocirun_error *err)
{
    cleanup_close int pfd = open(path, O_PATH | O_CLOEXEC);
    const char *name = ns_table[i].spec_name;
    struct statfs sfs;
    char proc[64];
    int type;

    if (pfd < 0)
        return error_make(err, errno, "open %s namespace `%s`", name, path);
    if (fstatfs(pfd, &sfs) < 0)
        return error_make(err, errno, "statfs %s namespace `%s`", name, path);
    if (sfs.f_type != NSFS_MAGIC)
        return error_make(err, EINVAL, "%s namespace `%s`: not a namespace file", name, path);
    snprintf(proc, sizeof(proc), "/proc/self/fd/%d", pfd);
    cleanup_close int fd = open(proc, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return error_make(err, errno, "open %s namespace `%s`", name, path);
    type = ioctl(fd, NS_GET_NSTYPE);
    if (type < 0)
        return error_make(err, errno, "%s namespace `%s`: NS_GET_NSTYPE", name, path);
    if (type != ns_table[i].flag)
        return error_make(err, 0, "%s namespace `%s`: the file is a namespace of another type",
                          name, path);
    return steal_fd(&fd);
}

int namespaces_validate(const struct oci_linux *linux_, struct ocirun_error *err)
{
    bool seen[NS_COUNT] = {false};

    if (linux_ == NULL)
        return 0;
    for (size_t k = 0; k < linux_->namespaces_len; k++) {
        const struct oci_namespace *ns = &linux_->namespaces[k];
        int i = ns_index_from_name(ns->type);

        if (i < 0)
            return error_make(err, 0, "linux.namespaces[%zu]: unknown namespace type `%s`", k,
                              ns->type ? ns->type : "");
        if (seen[i])
            return error_make(err, 0, "linux.namespaces: namespace type `%s` given twice",
                              ns->type);
        seen[i] = true;
        if (ns->path != NULL && ns->path[0] != '\0') {
            if (ns->path[0] != '/')
                return error_make(err, 0, "linux.namespaces[%zu]: path `%s` is not absolute", k,
                                  ns->path);
            cleanup_close int fd = open_ns_path(ns->path, i, err);
            if (fd < 0)
                return -1;
        }
    }
    return 0;
}

static bool any_joined_except(const struct ns_plan *plan, enum ns_index skip)
{
    for (int i = 0; i < NS_COUNT; i++)
        if (i != (int)skip && i != NS_PID && plan->join_fd[i] >= 0)
            return true;
    return false;
}

/* Decides what clone3 creates and what the init unshares. When the user
 * namespace is joined by path, or created while other namespaces are
 * joined, everything is done by the child in order (join, then create) so
 * that the new namespaces are owned by the right user namespace. */
static int split_flags(struct ns_plan *plan, bool clone_into_cgroup, struct ocirun_error *err)
{
    bool late =
        plan->join_fd[NS_USER] >= 0 || (plan->is_new[NS_USER] && any_joined_except(plan, NS_USER));

    for (int i = 0; i < NS_COUNT; i++) {
        if (!plan->is_new[i])
            continue;
        if (i == NS_TIME || (i == NS_CGROUP && !clone_into_cgroup && !late) || late)
            plan->unshare_flags |= ns_table[i].flag;
        else
            plan->clone_flags |= ns_table[i].flag;
    }
    if (late && plan->is_new[NS_PID])
        return error_make(err, 0,
                          "a new pid namespace together with a user namespace joined by "
                          "path (or with a new user namespace and other namespaces "
                          "joined by path) is not supported yet");
    return 0;
}

int namespaces_plan(const struct oci_linux *linux_, bool clone_into_cgroup, struct ns_plan *plan,
                    struct ocirun_error *err)
{
    memset(plan, 0, sizeof(*plan));
    plan->saved_pidns_fd = -1;
    for (int i = 0; i < NS_COUNT; i++)
        plan->join_fd[i] = -1;
    if (linux_ == NULL)
        return 0;
    for (size_t k = 0; k < linux_->namespaces_len; k++) {
        const struct oci_namespace *ns = &linux_->namespaces[k];
        int i = ns_index_from_name(ns->type);

        if (i < 0)
            return error_make(err, 0, "unknown namespace type `%s`", ns->type ? ns->type : "");
        if (ns->path == NULL || ns->path[0] == '\0') {
            plan->is_new[i] = true;
            continue;
        }
        plan->join_fd[i] = open_ns_path(ns->path, i, err);
        if (plan->join_fd[i] < 0)
            return -1;
    }
    return split_flags(plan, clone_into_cgroup, err);
}

void namespaces_plan_close(struct ns_plan *plan)
{
    for (int i = 0; i < NS_COUNT; i++) {
        if (plan->join_fd[i] >= 0)
            close(plan->join_fd[i]);
        plan->join_fd[i] = -1;
    }
    if (plan->saved_pidns_fd >= 0)
        close(plan->saved_pidns_fd);
    plan->saved_pidns_fd = -1;
}

int namespaces_parent_enter_pidns(struct ns_plan *plan, struct ocirun_error *err)
{
    if (plan->join_fd[NS_PID] < 0)
        return 0;
    plan->saved_pidns_fd = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
    if (plan->saved_pidns_fd < 0)
        return error_make(err, errno, "open `/proc/self/ns/pid`");
    if (setns(plan->join_fd[NS_PID], CLONE_NEWPID) < 0)
        return error_make(err, errno, "join pid namespace");
    return 0;
}

int namespaces_parent_leave_pidns(struct ns_plan *plan, struct ocirun_error *err)
{
    if (plan->saved_pidns_fd < 0)
        return 0;
    if (setns(plan->saved_pidns_fd, CLONE_NEWPID) < 0)
        return error_make(err, errno, "return to ocirun's pid namespace");
    close(plan->saved_pidns_fd);
    plan->saved_pidns_fd = -1;
    return 0;
}

/* The order after the user namespace does not matter for correctness (the
 * fds are already open); mount goes last so nothing else is resolved in it. */
static const enum ns_index join_order[] = {NS_USER,   NS_IPC,  NS_UTS, NS_NET,
                                           NS_CGROUP, NS_TIME, NS_MNT};

int namespaces_join(const struct ns_plan *plan, struct ocirun_error *err)
{
    for (size_t k = 0; k < ARRAY_SIZE(join_order); k++) {
        enum ns_index i = join_order[k];

        if (plan->join_fd[i] < 0)
            continue;
        if (setns(plan->join_fd[i], ns_table[i].flag) < 0)
            return error_make(err, errno, "join %s namespace", ns_table[i].spec_name);
    }
    return 0;
}

int namespaces_unshare(unsigned long flags, struct ocirun_error *err)
{
    if (flags == 0)
        return 0;
    if (unshare((int)flags) < 0)
        return error_make(err, errno, "unshare namespaces (flags 0x%lx)", flags);
    return 0;
}

int namespaces_enter_time_for_children(struct ocirun_error *err)
{
    cleanup_close int fd = open("/proc/self/ns/time_for_children", O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return error_make(err, errno, "open `/proc/self/ns/time_for_children`");
    if (setns(fd, CLONE_NEWTIME) < 0)
        return error_make(err, errno, "join the new time namespace");
    return 0;
}

int namespaces_write_time_offsets(pid_t pid, const struct oci_time_offsets *offs,
                                  struct ocirun_error *err)
{
    cleanup_free char *path = xasprintf("/proc/%d/timens_offsets", (int)pid);
    const struct {
        const char *name;
        const struct oci_time_offset *o;
    } clocks[] = {{"monotonic", offs ? offs->monotonic : NULL},
                  {"boottime", offs ? offs->boottime : NULL}};
    char buf[128];
    size_t len = 0;

    for (size_t k = 0; k < ARRAY_SIZE(clocks); k++) {
        if (clocks[k].o == NULL)
            continue;
        len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s %lld %u\n", clocks[k].name,
                                (long long)clocks[k].o->secs, clocks[k].o->nanosecs);
    }
    if (len == 0)
        return 0;
    /* One write per line: the kernel parses a single clock per write. */
    cleanup_close int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return error_make(err, errno, "open `%s`", path);
    for (char *line = buf; *line;) {
        char *nl = strchr(line, '\n');
        if (write(fd, line, (size_t)(nl - line + 1)) < 0)
            return error_make(err, errno, "write `%s`", path);
        line = nl + 1;
    }
    return 0;
}

char **namespaces_state_paths(const struct ns_plan *plan, pid_t pid, size_t *n)
{
    char **v = xzalloc(sizeof(char *) * (NS_COUNT + 1));

    *n = 0;
    for (int i = 0; i < NS_COUNT; i++)
        if (plan->is_new[i])
            v[(*n)++] = xasprintf("%s:/proc/%d/ns/%s", ns_table[i].spec_name, (int)pid,
                                  ns_table[i].proc_name);
    return v;
}
