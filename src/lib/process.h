/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The process attributes the init applies to itself before execve. */
#ifndef OCIRUN_PROCESS_H
#define OCIRUN_PROCESS_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "ocispec.h"

/* Checks process (args, cwd, rlimits, oomScoreAdj, scheduler, ioPriority)
 * and linux.personality, before anything is cloned. */
int process_validate(const struct oci_process *p, const struct oci_personality *pers,
                     struct ocirun_error *err);

int process_set_rlimits(const struct oci_process *p, struct ocirun_error *err);
/* Written by the parent into /proc/PID/oom_score_adj: the init is not
 * dumpable, so inside a user namespace its own /proc files are out of its
 * reach. */
int process_set_oom_score_adj(pid_t pid, const struct oci_process *p, struct ocirun_error *err);
int process_set_personality(const struct oci_personality *pers, struct ocirun_error *err);
int process_set_io_priority(const struct oci_process *p, struct ocirun_error *err);
int process_set_scheduler(const struct oci_process *p, struct ocirun_error *err);
/* A new anonymous session keyring (skipped where keyrings are unavailable). */
int process_join_session_keyring(struct ocirun_error *err);

/* umask, additionalGids, gid and uid (caps kept with PR_SET_KEEPCAPS). */
int process_set_user(const struct oci_user *u, struct ocirun_error *err);

/* chdir, then checks the result is inside the container root
 * (CVE-2024-21626: an fd leaked from the host would show "(unreachable)"). */
int process_chdir(const char *cwd, struct ocirun_error *err);

/* args[0] resolved like execvp with process.env's PATH, in the current
 * root; runc's messages on failure. Caller frees. */
char *process_find_executable(const struct oci_process *p, struct ocirun_error *err);

/* In the parent, before it opens anything: fds 3..3+n-1 must exist and be
 * the caller's (not our --log file), else our own fds could take their
 * numbers and leak into the container. */
int process_check_preserved_fds(int preserve_fds, int log_fd, struct ocirun_error *err);

/* In the init: fds 3..3+n-1 stay open (close-on-exec cleared); everything
 * above is marked close-on-exec. */
int process_prepare_fds(int preserve_fds, struct ocirun_error *err);

/* process.env, plus HOME (as runc) when it is missing: the home of
 * process.user.uid in the container's /etc/passwd, else "/". Reads the
 * container's file: call after pivot_root and the user switch. */
char **process_build_env(const struct oci_process *p);

/* execve(path, process.args, env); returns only on failure. */
int process_exec(const char *path, const struct oci_process *p, char **env,
                 struct ocirun_error *err);

#endif
