/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `exec`: a new process in a running (or created) container.
 *
 * The process is the container's own config.json process with the
 * request's overrides applied (runc's semantics), or a whole process object
 * read from --process FILE (then the overrides are ignored, as in runc).
 * It joins every namespace of the init, its cgroup, and gets the
 * container's seccomp filter, with the capabilities, rlimits, user and
 * no_new_privs of the process object. */
#ifndef OCIRUN_EXEC_H
#define OCIRUN_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

struct exec_request {
    const char *root;
    const char *id;
    const char *process_path; /* --process: a full process object */
    char **args;              /* the command; ignored with --process */
    size_t args_len;
    bool tty;
    bool detach;
    const char *pid_file;
    const char *console_socket;
    const char *pidfd_socket; /* --pidfd-socket: gets a pidfd of the process */
    int preserve_fds;
    const char *cwd;
    char **env; /* NAME=VALUE: replaces NAME in process.env, else appended */
    size_t env_len;
    bool user_set, gid_set;
    uint32_t uid, gid;
    uint32_t *additional_gids;
    size_t additional_gids_len;
    char **caps; /* added to bounding, effective and permitted */
    size_t caps_len;
    bool no_new_privs;
    const char *process_label; /* SELinux */
    const char *apparmor;
    char **cgroups; /* [CONTROLLER:]PATH: existing sub-cgroups of the container's */
    size_t cgroups_len;
    bool ignore_paused;
};

/* Foreground: returns the process's exit code (128+signal when it was
 * killed); --detach: 0 once the process has exec'd. < 0 with *err set when
 * the process could not be started. */
int container_exec(const struct exec_request *req, struct ocirun_error *err);

/* exec_process.c: applies the request's flags over p (unless
 * req->process_path: then p is the whole --process object), then validates
 * it as create would (args, cwd, rlimits..., LSM labels against the host
 * mask lsm, terminal vs --detach/--console-socket). */
struct oci_process;
struct oci_personality;
int exec_process_prepare(struct oci_process *p, const struct exec_request *req,
                         const struct oci_personality *pers, unsigned lsm,
                         struct ocirun_error *err);

#endif
