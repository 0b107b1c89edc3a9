/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Driver-neutral cgroup front. For this issue: the cgroupfs manager on
 * unified (v2), hybrid and legacy (v1) hosts, and "disabled". The container
 * is placed at linux.cgroupsPath with runc 1.1.5's rules: an absolute path
 * is relative to each hierarchy's root, a relative one to the caller's own
 * cgroup (unified host: its parent), and no cgroupsPath means "<id>",
 * relative. Limits that cannot be applied are refused with an error naming
 * the field, never ignored. See docs/cgroups.md. */
#ifndef OCIRUN_CGROUP_H
#define OCIRUN_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"
#include "ocispec.h"

enum cgroup_mode { CGROUP_MODE_UNIFIED, CGROUP_MODE_HYBRID, CGROUP_MODE_LEGACY };

/* Detected once per process. */
enum cgroup_mode cgroup_mode(void);

struct cgroup;

/* Resolves the container's cgroup path (cgroupsPath or the default),
 * checks the resources can be applied, makes the directories and writes
 * the limits (before any process is inside, so they hold from the first
 * instruction, CLONE_INTO_CGROUP included). On failure nothing is left.
 * manager: NULL or "cgroupfs", or "disabled" (a no-op handle, which refuses
 * every limit but the device rules), or "systemd" (cgroup-systemd.c: a
 * transient scope, started by cgroup_enter once the init's pid is known;
 * cgroup_clone_fd is then -1). */
int cgroup_create(const char *manager, const char *id, const char *cgroups_path,
                  const struct oci_resources *resources, bool rootless, struct cgroup **out,
                  struct ocirun_error *err);

/* On a unified host an O_DIRECTORY fd of the leaf for CLONE_INTO_CGROUP,
 * else -1. Owned by the handle. */
int cgroup_clone_fd(struct cgroup *cg);

/* Moves pid into every hierarchy (harmless where CLONE_INTO_CGROUP already
 * did it; needed after the plain clone(2) fallback). */
int cgroup_enter(struct cgroup *cg, pid_t pid, struct ocirun_error *err);

/* exec --cgroup: like cgroup_enter, but into existing sub-cgroups given as
 * "PATH" (every hierarchy) or "CONTROLLER:PATH" (that v1 hierarchy);
 * see cgroup-exec.c. n == 0 is cgroup_enter. */
int cgroup_enter_sub(struct cgroup *cg, pid_t pid, char *const *specs, size_t n,
                     struct ocirun_error *err);

/* The path recorded in the state (relative to each hierarchy's root), ""
 * for "disabled". Usually one path; when it differs between hierarchies or
 * ocirun made parent directories, an encoded form only cgroup_open reads
 * (see cgroup-record.c). */
const char *cgroup_path(struct cgroup *cg);

/* Re-opens a container's cgroup from its recorded path. */
int cgroup_open(const char *manager, const char *path, struct cgroup **out,
                struct ocirun_error *err);

/* The pids in the container's cgroup (for ps, kill --all, delete). */
int cgroup_pids(struct cgroup *cg, pid_t **pids, size_t *n, struct ocirun_error *err);

/* Thaws, SIGKILLs every process left (v2: cgroup.kill), waits for the
 * cgroup to empty (bounded), removes the directories, sub-cgroups and the
 * parents ocirun made. Idempotent; err may be NULL. */
int cgroup_destroy(struct cgroup *cg, struct ocirun_error *err);

bool cgroup_is_frozen(struct cgroup *cg);

/* Thaws a frozen cgroup (v2 cgroup.freeze, v1 freezer.state): a frozen
 * process cannot die, so call it before SIGKILLing the init. */
int cgroup_thaw(struct cgroup *cg, struct ocirun_error *err);

/* pause/resume (cgroup-freeze.c): v1 freezer.state or v2 cgroup.freeze in
 * the hierarchy cgroup_is_frozen reads, waiting (bounded) until the kernel
 * reports the new state; a freeze that does not complete is undone. */
int cgroup_freeze(struct cgroup *cg, struct ocirun_error *err);
int cgroup_resume(struct cgroup *cg, struct ocirun_error *err);

/* `update`: checks and writes new limits into a live container's cgroup
 * with the code create uses (device rules are not touched: pass none). */
int cgroup_update(struct cgroup *cg, const struct oci_resources *r, struct ocirun_error *err);

/* `events --stats` (cgroup-stats.c): the "data" object of runc's stats
 * event, as compact JSON (malloc'd). */
int cgroup_stats_json(struct cgroup *cg, char **json, struct ocirun_error *err);

/* OOM notifications (cgroup-oom.c): an fd that becomes readable when the
 * kernel reports an OOM in the container's cgroup (v1: an eventfd on
 * memory.oom_control; v2: inotify on memory.events), or -1 in *fd when the
 * host offers neither. cgroup_oom_count drains it and returns how many new
 * OOM events happened since the last call. */
struct cgroup_oom;
int cgroup_oom_open(struct cgroup *cg, struct cgroup_oom **out, struct ocirun_error *err);
int cgroup_oom_fd(const struct cgroup_oom *w);
unsigned cgroup_oom_count(struct cgroup_oom *w);
void cgroup_oom_free(struct cgroup_oom *w);

/* kill --all (cgroup-kill.c): signals every process of the cgroup and its
 * sub-cgroups. SIGKILL on v2 is one write to cgroup.kill; any other signal
 * is sent to the listed pids with the cgroup frozen meanwhile, so no fork
 * escapes (as runc's signalAllProcesses). A paused container stays paused
 * unless the signal is SIGKILL (then it is thawed after, so the processes
 * die). A cgroup that no longer exists is not an error. */
int cgroup_signal_all(struct cgroup *cg, int sig, struct ocirun_error *err);

/* cgroup ownership (cgroup-owner.c, config-linux.md): on a unified host,
 * when config has a new user namespace, a new cgroup namespace and a
 * writable cgroup mount on /sys/fs/cgroup, chowns the container's cgroup
 * directory and the files in /sys/kernel/cgroup/delegate to the host ids
 * process.user maps to; a no-op otherwise (also when the uid is unmapped).
 * Call before any process is in the cgroup. */
int cgroup_set_owner(struct cgroup *cg, const struct oci_config *config, bool rootless,
                     struct ocirun_error *err);

/* Pure parts of cgroup-owner.c, for the unit tests. */
/* The host id that id maps to through m (0 found, -1 unmapped). */
int cgroup_owner_map_id(const struct oci_id_mapping *m, size_t n, uint32_t id, uint32_t *host);
/* Whether config asks for a delegated cgroup (see cgroup_set_owner). */
bool cgroup_owner_wanted(const struct oci_config *config);
/* The host uid/gid of process.user (gid -1 when unmapped); < 0 when the
 * uid is not mapped. */
int cgroup_owner_ids(const struct oci_config *config, uid_t *uid, gid_t *gid);
/* The file names of /sys/kernel/cgroup/delegate text (NULL or empty: the
 * spec's fallback list), a NULL-terminated malloc'd array. */
char **cgroup_owner_parse_delegate(const char *text, size_t *n);

void cgroup_free(struct cgroup *cg);

#endif
