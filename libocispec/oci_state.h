/* SPDX-License-Identifier: Apache-2.0 */
/* state.json (runtime.md "State"); same naming rules as oci_config.h.
 * Besides the spec's fields it carries the extra ones runc prints
 * (rootfs, created, owner) and an optional "ocirun" object with what the
 * runtime itself needs to find the container again; `ocirun state` drops
 * that object before printing. */
#ifndef OCI_STATE_H
#define OCI_STATE_H

#include <stdbool.h>
#include <stdint.h>

#include "oci_config.h"

struct ocirun_private_state {
    uint64_t init_start_time; /* /proc/PID/stat field 22, guards against pid reuse */
    bool init_start_time_present;
    char *cgroup_path;    /* the container's cgroup, relative to the hierarchy root */
    char *cgroup_manager; /* cgroupfs, systemd, disabled */
    bool rootless;
    bool rootless_present;
    char *config_path;      /* absolute path of the config.json used */
    char **namespace_paths; /* "type:/proc/PID/ns/x" of the namespaces the container owns */
    size_t namespace_paths_len;
    bool systemd;
    bool systemd_present;
};

struct oci_state {
    char *oci_version;
    char *id;
    char *status; /* creating created running stopped (and runc's "paused") */
    int64_t pid;
    bool pid_present;
    char *bundle;
    char *rootfs;
    char *created; /* RFC 3339 with nanoseconds, as runc prints it */
    char *owner;
    struct oci_string_map annotations;
    struct ocirun_private_state *ocirun;
};

/* config-linux.md "The Container Process State": what the runtime sends to
 * a seccomp agent at linux.seccomp.listenerPath, next to the fds named in
 * `fds` (SCM_RIGHTS, same order). `state` is the container's state as
 * above, without the private "ocirun" object. */
struct oci_container_process_state {
    char *oci_version;
    char **fds;
    size_t fds_len;
    int64_t pid;
    char *metadata;
    struct oci_state *state;
};

#endif
