/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The lifecycle operations the CLI calls. */
#ifndef OCIRUN_CONTAINER_H
#define OCIRUN_CONTAINER_H

#include <stdbool.h>

#include "error.h"

struct oci_config;

struct create_request {
    const char *root;
    const char *id;
    const char *bundle; /* default: cwd */
    const char *pid_file;
    const char *console_socket;
    const char *pidfd_socket; /* --pidfd-socket: gets a pidfd of the init */
    int preserve_fds;
    bool no_pivot;
    bool no_new_keyring;
    const char *cgroup_manager; /* cgroupfs, systemd, disabled */
    int rootless;               /* 1, 0, -1 auto */
    bool detach;                /* run -d */
    bool keep;                  /* run --keep */
};

int container_create(const struct create_request *req, struct ocirun_error *err);
int container_start(const char *root, const char *id, struct ocirun_error *err);
/* Returns the container's exit code (128+signal when killed), or < 0. */
int container_run(const struct create_request *req, struct ocirun_error *err);

int container_kill(const char *root, const char *id, int signal, bool all,
                   struct ocirun_error *err);
int container_delete(const char *root, const char *id, bool force, struct ocirun_error *err);
/* The same, with the config the caller has already parsed (run's own):
 * the poststop hooks and the resctrl group come from it instead of a
 * second read of the bundle's config.json. */
int container_delete_parsed(const char *root, const char *id, bool force,
                            const struct oci_config *parsed, struct ocirun_error *err);

#endif
