/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Driver-neutral cgroup front. For this issue: cgroupfs on unified (v2),
 * hybrid and legacy (v1) hosts; the container is placed at cgroupsPath
 * (default "/ocirun/<id>"? see cgroup.c) and limits it cannot apply are
 * refused with a clear error, never ignored. */
#ifndef OCIRUN_CGROUP_H
#define OCIRUN_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "error.h"
#include "ocispec.h"

enum cgroup_mode { CGROUP_MODE_UNIFIED, CGROUP_MODE_HYBRID, CGROUP_MODE_LEGACY };

/* Detected once per process. */
enum cgroup_mode cgroup_mode(void);

struct cgroup;

/* Resolves the container's cgroup path (cgroupsPath or the default),
 * checks the resources can be applied, makes the directories.
 * manager: "cgroupfs" or "disabled" (a no-op handle). */
int cgroup_create(const char *manager, const char *id, const char *cgroups_path,
                  const struct oci_resources *resources, bool rootless, struct cgroup **out,
                  struct ocirun_error *err);

/* On a unified host an O_DIRECTORY fd of the leaf for CLONE_INTO_CGROUP,
 * else -1. Owned by the handle. */
int cgroup_clone_fd(struct cgroup *cg);

/* Moves pid into every hierarchy (skipped where CLONE_INTO_CGROUP did it)
 * and applies the resources. */
int cgroup_enter(struct cgroup *cg, pid_t pid, struct ocirun_error *err);

/* The path recorded in the state (relative to each hierarchy's root). */
const char *cgroup_path(struct cgroup *cg);

/* Re-opens a container's cgroup from its recorded path. */
int cgroup_open(const char *manager, const char *path, struct cgroup **out,
                struct ocirun_error *err);

/* The pids in the container's cgroup (for ps, kill --all, delete). */
int cgroup_pids(struct cgroup *cg, pid_t **pids, size_t *n, struct ocirun_error *err);

/* SIGKILLs every process left, waits for the cgroup to empty (bounded),
 * removes the directories. Idempotent. */
int cgroup_destroy(struct cgroup *cg, struct ocirun_error *err);

bool cgroup_is_frozen(struct cgroup *cg);

void cgroup_free(struct cgroup *cg);

#endif
