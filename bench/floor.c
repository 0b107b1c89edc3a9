/* SPDX-License-Identifier: GPL-2.0-or-later */
/* bench/floor: the kernel's floor for `run` of /bin/true, i.e. the least a
 * runtime must do for the bench's config, with nothing else (no state, no
 * cgroup, no config parsing, no devices, no masked paths):
 *
 *   floor ROOTFS [ARG...]   (default ARG: /bin/true)
 *
 * clone3 with the config's namespaces (mount, pid, ipc, uts, network); the
 * child makes / private, binds ROOTFS on itself, pivots into it, detaches
 * the old root, mounts a fresh /proc, and execs ARG; the parent waits and
 * exits with the child's status. Timed by bench/run.sh exactly like the
 * runtimes. Root only. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void die(const char *what)
{
    fprintf(stderr, "floor: %s: %s\n", what, strerror(errno));
    _exit(127);
}

static void child(const char *rootfs, char **argv)
{
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        die("make / private");
    if (mount(rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
        die("bind the rootfs");
    if (chdir(rootfs) < 0)
        die("chdir to the rootfs");
    if (syscall(SYS_pivot_root, ".", ".") < 0)
        die("pivot_root");
    if (umount2(".", MNT_DETACH) < 0)
        die("detach the old root");
    if (chdir("/") < 0)
        die("chdir /");
    if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
        die("mount /proc");
    char *envp[] = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", NULL};
    execve(argv[0], argv, envp);
    die("execve");
}

int main(int argc, char **argv)
{
    static char *dflt[] = {"/bin/true", NULL};
    struct clone_args args;
    int status;

    if (argc < 2) {
        fprintf(stderr, "usage: floor ROOTFS [ARG...]\n");
        return 2;
    }
    memset(&args, 0, sizeof(args));
    args.flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNET;
    args.exit_signal = SIGCHLD;
    pid_t pid = (pid_t)syscall(SYS_clone3, &args, sizeof(args));
    if (pid < 0)
        die("clone3");
    if (pid == 0)
        child(argv[1], argc > 2 ? argv + 2 : dflt);
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            die("waitpid");
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
