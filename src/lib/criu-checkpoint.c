/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `ocirun checkpoint`: `criu dump` (or pre-dump) of the container's init
 * tree, with the mounts that come from the host marked external (the
 * config's bind mounts, masked files) and the init's stdio recorded in
 * descriptors.json for restore (runc's format, which podman reads). After
 * a dump without --leave-running the processes are gone and the container
 * is destroyed (cgroup, state), as runc does. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "container.h"
#include "criu-internal.h"
#include "state.h"
#include "util.h"

static int refuse_unsupported(const struct checkpoint_request *req, struct ocirun_error *err)
{
    if (req->page_server)
        return error_plain(err, ENOTSUP, "--page-server is not supported by ocirun");
    if (req->status_fd >= 0)
        return error_plain(err, ENOTSUP,
                           "--status-fd is only used with --lazy-pages, which ocirun does not "
                           "support");
    return 0;
}

/* mkdir -p and the absolute path, so criu's log names it unambiguously. */
static char *make_dir(const char *path, struct ocirun_error *err)
{
    char resolved[PATH_MAX];

    if (mkdir_p(path, 0700, err) < 0)
        return NULL;
    if (realpath(path, resolved) == NULL) {
        error_make(err, errno, "image directory `%s`", path);
        return NULL;
    }
    return xstrdup(resolved);
}

/* Whether path is a mount point in the init's mount namespace (field 5
 * of /proc/PID/mountinfo, relative to the init's root). */
static bool is_mount_point(pid_t pid, const char *path)
{
    cleanup_free char *file = xasprintf("/proc/%d/mountinfo", (int)pid);
    cleanup_fclose FILE *f = fopen(file, "re");
    char *line = NULL;
    size_t cap = 0;
    bool found = false;

    while (f && !found && getline(&line, &cap, f) > 0) {
        char mnt[PATH_MAX];
        if (sscanf(line, "%*s %*s %*s %*s %4095s", mnt) == 1)
            found = strcmp(mnt, path) == 0;
    }
    free(line);
    return found;
}

static void add_external_mounts(struct criu_argv *a, const struct oci_config *config,
                                const char *bundle, pid_t pid)
{
    cleanup_strv char **dests = criu_bind_mounts(config, bundle, NULL);

    /* The key is the destination: restore maps it back to a host path. */
    for (char **d = dests; *d; d++)
        criu_argv_addf(a, "--external=mnt[%s]:%s", *d, *d);
    /* The cgroup mount shows the container's cgroup as its root. */
    cleanup_strv char **cgroups = criu_cgroup_mounts(config);
    for (char **d = cgroups; *d; d++)
        if (is_mount_point(pid, *d))
            criu_argv_addf(a, "--external=mnt[%s]:%s", *d, *d);
    /* Masked files are /dev/null bind mounts; directories are tmpfs,
     * which criu dumps itself. */
    for (size_t i = 0; config->linux_ && i < config->linux_->masked_paths_len; i++) {
        const char *p = config->linux_->masked_paths[i];
        cleanup_free char *in_root = xasprintf("/proc/%d/root%s", (int)pid, p);
        struct stat st;
        /* stat through the init's root: a link under it stays inside. */
        if (is_mount_point(pid, p) && stat(in_root, &st) == 0 && !S_ISDIR(st.st_mode))
            criu_argv_addf(a, "--external=mnt[%s]:%s", p, p);
    }
}

/* A network namespace the container joined belongs to the host: criu
 * leaves it out under the key restore hands back (runc's extRootNetNS). */
static int add_external_netns(struct criu_argv *a, const struct oci_config *config, pid_t pid,
                              struct ocirun_error *err)
{
    cleanup_free char *ns = xasprintf("/proc/%d/ns/net", (int)pid);
    struct stat st;

    for (size_t i = 0; config->linux_ && i < config->linux_->namespaces_len; i++) {
        const struct oci_namespace *n = &config->linux_->namespaces[i];
        if (strcmp(n->type, "network") != 0 || n->path == NULL || n->path[0] == '\0')
            continue;
        if (stat(ns, &st) < 0)
            return error_make(err, errno, "stat `%s`", ns);
        criu_argv_addf(a, "--external=net[%lu]:extRootNetNS", (unsigned long)st.st_ino);
    }
    return 0;
}

static int load_config(struct container *c, struct oci_config **config, struct ocirun_error *err)
{
    const char *path = c->state->ocirun ? c->state->ocirun->config_path : NULL;
    char *perr = NULL;

    if (path == NULL)
        return error_plain(err, EINVAL, "container %s: the state names no config.json", c->id);
    if (oci_config_parse_file(path, config, &perr) < 0) {
        error_make(err, 0, "config `%s`: %s", path, perr ? perr : "cannot be parsed");
        free(perr);
        return -1;
    }
    return 0;
}

static int dump(const struct checkpoint_request *req, struct criu_flags *f, struct container *c,
                const struct oci_config *config, struct ocirun_error *err)
{
    pid_t pid = (pid_t)c->state->pid;
    struct criu_argv a = {0};
    const char *log = req->pre_dump ? "pre-dump.log" : "dump.log";
    int r = -1;

    criu_argv_common(&a, req->pre_dump ? "pre-dump" : "dump", f, log);
    criu_argv_add(&a, "--tree");
    criu_argv_addf(&a, "%d", (int)pid);
    criu_argv_add(&a, "--root");
    criu_argv_add(&a, c->state->rootfs);
    if (req->leave_running && !req->pre_dump)
        criu_argv_add(&a, "--leave-running");
    if (req->parent_path) {
        criu_argv_add(&a, "--prev-images-dir");
        criu_argv_add(&a, req->parent_path);
    }
    if (req->pre_dump || req->parent_path)
        criu_argv_add(&a, "--track-mem");
    add_external_mounts(&a, config, c->state->bundle, pid);
    if (add_external_netns(&a, config, pid, err) == 0 &&
        criu_write_descriptors(pid, f->image_path, err) == 0)
        r = criu_run(&a, f, log, NULL, NULL, err);
    criu_argv_free(&a);
    return r;
}

static int check_container(struct container *c, const struct oci_config *config, bool shell_job,
                           struct ocirun_error *err)
{
    if (strcmp(container_status(c), "running") != 0)
        return error_plain(err, EINVAL, "container %s is not running", c->id);
    if (c->state->ocirun && c->state->ocirun->rootless)
        return error_plain(err, ENOTSUP, "rootless checkpoint is not supported");
    if (config->process && config->process->terminal && !shell_job)
        return error_plain(err, ENOTSUP,
                           "container %s has a terminal: checkpointing it is not supported "
                           "(only with --shell-job)",
                           c->id);
    return 0;
}

int container_checkpoint(const struct checkpoint_request *req, struct ocirun_error *err)
{
    cleanup_container struct container *c = NULL;
    struct criu_flags f = req->criu;
    cleanup_free char *image = NULL, *work = NULL;
    struct oci_config *config = NULL;
    bool destroy = !req->leave_running && !req->pre_dump;
    int r;

    if (criu_flags_check(&f, err) < 0 || refuse_unsupported(req, err) < 0 ||
        container_load(req->root, req->id, true, &c, err) < 0 || container_companion(c, err) < 0 ||
        load_config(c, &config, err) < 0)
        return -1;
    r = check_container(c, config, f.shell_job, err);
    if (r == 0 && (image = make_dir(f.image_path, err)) != NULL &&
        (work = make_dir(f.work_path, err)) != NULL) {
        f.image_path = image;
        f.work_path = work;
        r = dump(req, &f, c, config, err);
    } else {
        r = -1;
    }
    oci_config_free(config);
    if (r < 0 || !destroy)
        return r;
    /* The tree is gone: tear the container down like runc (cgroup, state,
     * poststop hooks). delete takes the lock itself. */
    container_free(steal_ptr(&c));
    return container_delete(req->root, req->id, true, err);
}
