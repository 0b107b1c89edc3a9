/* SPDX-License-Identifier: GPL-2.0-or-later */
/* rootfs-probe: runs the rootfs steps (rootfs_prepare, rootfs_pivot,
 * rootfs_finalize) of a bundle in fresh namespaces, then execs the config's
 * process.args, so the filesystem work can be tested on its own.
 *
 *   rootfs-probe [--no-pivot] [--userns] [--console] BUNDLE
 *
 * --userns   also a new user namespace with linux.uidMappings/gidMappings
 *            (devices are then bind-mounted from the host)
 * --console  open a pty in the container's devpts after pivot and bind its
 *            slave to /dev/console
 * Exit status: the process's, or 125 with a message when a step fails. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ocispec.h"
#include "rootfs.h"
#include "util.h"

struct probe {
    struct oci_config *config;
    struct rootfs_context ctx;
    bool userns, console;
};

static _Noreturn void die(const char *step, struct ocirun_error *err)
{
    fprintf(stderr, "rootfs-probe: %s: %s\n", step, err && err->msg ? err->msg : strerror(errno));
    _exit(125);
}

static int wait_status(pid_t pid)
{
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return 125;
    if (WIFEXITED(st))
        return WEXITSTATUS(st);
    return 128 + WTERMSIG(st);
}

static void bind_console(void)
{
    struct ocirun_error err = {0};
    int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0)
        die("open /dev/ptmx", NULL);
    int slave = open(ptsname(master), O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (slave < 0)
        die("open the pty slave", NULL);
    if (rootfs_bind_console(slave, &err) < 0)
        die("rootfs_bind_console", &err);
}

static _Noreturn void container_init(struct probe *p)
{
    struct ocirun_error err = {0};
    const struct oci_process *proc = p->config->process;

    if (rootfs_prepare(&p->ctx, &err) < 0)
        die("rootfs_prepare", &err);
    if (rootfs_pivot(&p->ctx, &err) < 0)
        die("rootfs_pivot", &err);
    if (p->console)
        bind_console();
    if (rootfs_finalize(&p->ctx, &err) < 0)
        die("rootfs_finalize", &err);
    if (proc == NULL || proc->args_len == 0)
        die("process.args is empty", NULL);
    /* libocispec arrays carry a length, not a NULL terminator. */
    char **argv = xzalloc((proc->args_len + 1) * sizeof(char *));
    char **envp = xzalloc((proc->env_len + 1) * sizeof(char *));
    memcpy(argv, proc->args, proc->args_len * sizeof(char *));
    if (proc->env_len)
        memcpy(envp, proc->env, proc->env_len * sizeof(char *));
    execve(argv[0], argv, envp);
    die(proc->args[0], NULL);
}

static void write_map(pid_t pid, const char *file, const struct oci_id_mapping *m, size_t n)
{
    cleanup_free char *path = xasprintf("/proc/%d/%s", (int)pid, file);
    char buf[4096] = "";
    size_t len = 0;

    for (size_t i = 0; i < n && len < sizeof(buf) - 40; i++)
        len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%u %u %u\n", m[i].container_id,
                                m[i].host_id, m[i].size);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, buf, len) != (ssize_t)len)
        die(path, NULL);
    close(fd);
}

/* The middle process: new namespaces, then pid 1 of the new pid ns. */
static _Noreturn void namespaces_child(struct probe *p, int ready_fd, int go_fd)
{
    char c = 0;

    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (p->userns) {
        if (unshare(CLONE_NEWUSER) < 0)
            die("unshare user", NULL);
        if (write(ready_fd, &c, 1) != 1 || read(go_fd, &c, 1) != 1)
            die("sync with the parent", NULL);
        if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
            die("become root in the user namespace", NULL);
    }
    if (unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET |
                CLONE_NEWCGROUP) < 0)
        die("unshare", NULL);
    pid_t init = fork();
    if (init < 0)
        die("fork", NULL);
    if (init == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        container_init(p);
    }
    _exit(wait_status(init));
}

static int load(struct probe *p, const char *bundle)
{
    cleanup_free char *cfg = xasprintf("%s/config.json", bundle);
    char *msg = NULL;

    if (oci_config_parse_file(cfg, &p->config, &msg) < 0) {
        fprintf(stderr, "rootfs-probe: %s: %s\n", cfg, msg ? msg : "parse error");
        return -1;
    }
    if (p->config->root == NULL || p->config->root->path == NULL) {
        fprintf(stderr, "rootfs-probe: root.path missing\n");
        return -1;
    }
    p->ctx.config = p->config;
    p->ctx.bundle = bundle;
    p->ctx.rootfs = p->config->root->path[0] == '/'
                        ? p->config->root->path
                        : xasprintf("%s/%s", bundle, p->config->root->path);
    p->ctx.in_userns = p->userns;
    p->ctx.has_new_pidns = true;
    p->ctx.has_new_netns = true;
    return 0;
}

int main(int argc, char **argv)
{
    struct probe p = {0};
    struct ocirun_error err = {0};
    int i = 1;

    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--no-pivot") == 0)
            p.ctx.no_pivot = true;
        else if (strcmp(argv[i], "--userns") == 0)
            p.userns = true;
        else if (strcmp(argv[i], "--console") == 0)
            p.console = true;
        else
            break;
    }
    if (i != argc - 1) {
        fprintf(stderr, "usage: rootfs-probe [--no-pivot] [--userns] [--console] BUNDLE\n");
        return 2;
    }
    char *bundle = realpath(argv[i], NULL);
    if (bundle == NULL || load(&p, bundle) < 0)
        return 125;
    if (rootfs_validate(p.config, &err) < 0) {
        fprintf(stderr, "rootfs-probe: invalid config: %s\n", err.msg);
        return 125;
    }
    /* What a real parent does before cloning: idmapped sources are prepared
     * with host privileges and inherited by the child. */
    if (rootfs_open_mount_sources(&p.ctx, &err) < 0) {
        fprintf(stderr, "rootfs-probe: rootfs_open_mount_sources: %s\n", err.msg);
        return 125;
    }
    int ready[2], go[2];
    if (pipe2(ready, O_CLOEXEC) < 0 || pipe2(go, O_CLOEXEC) < 0)
        die("pipe", NULL);
    pid_t child = fork();
    if (child < 0)
        die("fork", NULL);
    if (child == 0)
        namespaces_child(&p, ready[1], go[0]);
    if (p.userns) {
        char c;
        const struct oci_linux *lx = p.config->linux_;
        if (read(ready[0], &c, 1) != 1 || lx == NULL)
            die("--userns needs linux.uidMappings and gidMappings", NULL);
        write_map(child, "uid_map", lx->uid_mappings, lx->uid_mappings_len);
        write_map(child, "gid_map", lx->gid_mappings, lx->gid_mappings_len);
        if (write(go[1], &c, 1) != 1)
            die("sync with the child", NULL);
    }
    int status = wait_status(child);
    rootfs_close_mount_sources(&p.ctx);
    if (p.ctx.rootfs != p.config->root->path)
        free((char *)p.ctx.rootfs);
    oci_config_free(p.config);
    free(bundle);
    return status;
}
