/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The state store: one directory per container under --root,
 *   <root>/<id>/state.json   struct oci_state (with the private "ocirun" object)
 *   <root>/<id>/exec.fifo    exists while the container is "created"
 * Commands on one id are serialised with flock on <root>/<id>. */
#ifndef OCIRUN_STATE_H
#define OCIRUN_STATE_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "ocispec.h"

struct container {
    char *root; /* --root */
    char *id;
    int dirfd;               /* O_PATH|O_DIRECTORY of <root>/<id>, -1 once removed */
    int lockfd;              /* holds the flock, -1 when not locked */
    struct oci_state *state; /* as saved; status is recomputed by container_status */
};

/* runc's id rule: [A-Za-z0-9_+.-]+, not "." or "..", at most 1024 bytes. */
bool container_id_valid(const char *id);

/* Opens (and with create=true makes, 0700) the root directory. */
int state_root_open(const char *root, bool create, int *rootfd, struct ocirun_error *err);

/* Validates the id (runc's rule), makes <root>/<id> exclusively (error
 * "container with given ID already exists" (runc's wording) when taken)
 * and locks it. */
int container_state_create(const char *root, const char *id, struct container **out,
                           struct ocirun_error *err);

/* Loads <root>/<id>/state.json; error "container does not exist" (runc's
 * wording, errnum ENOENT) when missing, also while a create has made the
 * directory but not saved the state yet. With lock=true takes the exclusive
 * flock first (waiting for a concurrent command on the id); readers that
 * only print pass false: state.json is always replaced atomically.
 * The flock belongs to the open file: a process forked while holding it
 * (the container init) holds it too until it closes lockfd or execs. */
int container_load(const char *root, const char *id, bool lock, struct container **out,
                   struct ocirun_error *err);

/* A container created with the systemd cgroup manager: a static ocirun
 * execs its dynamic companion here (companion.h), before the command does
 * anything; 0 otherwise, -1 if the companion cannot be run. */
int container_companion(struct container *c, struct ocirun_error *err);

/* Opens and locks <root>/<id> without reading its state (c->state stays
 * NULL): for `delete --force` of a directory whose state.json is missing or
 * corrupt (a create that crashed). */
int container_open_locked(const char *root, const char *id, struct container **out,
                          struct ocirun_error *err);

/* Atomically writes state.json (temp file + rename). */
int container_save(struct container *c, struct ocirun_error *err);

/* The live status: "created", "running", "paused" or "stopped", derived from
 * the init pid (and its start time, against pid reuse), exec.fifo and the
 * cgroup freezer. Returns a static string. */
const char *container_status(struct container *c);

/* True when the init process recorded in the state still exists. */
bool container_init_alive(struct container *c);

/* The state JSON as `ocirun state` prints it and hooks receive it on stdin
 * (status filled in live, private fields dropped; pid 0 when the status is
 * "stopped", as runc prints it). Caller frees. */
char *container_state_json(struct container *c, const char *status, struct ocirun_error *err);

/* Removes <root>/<id> and everything in it. */
int container_state_remove(struct container *c, struct ocirun_error *err);

void container_free(struct container *c);
#define cleanup_container __attribute__((cleanup(container_freep)))
void container_freep(struct container **c);

/* Start time (clock ticks since boot, /proc/PID/stat field 22) or 0. */
unsigned long long proc_start_time(pid_t pid);

/* The container ids under root, sorted, NULL-terminated (cleanup_strv);
 * directories without a state.json and junk entries are skipped; a missing
 * root gives none. */
int state_list_ids(const char *root, char ***ids, size_t *n, struct ocirun_error *err);

#endif
