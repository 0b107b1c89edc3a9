/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The command table: src/ocirun.c parses the global options, then calls
 * one cmd_* function, each in its own src/cli/<command>.c.
 *
 * A command returns the process exit code (>= 0), or < 0 with *err set, in
 * which case main() prints err->msg once (stderr and --log) and exits 1. */
#ifndef OCIRUN_CLI_H
#define OCIRUN_CLI_H

#include <stdbool.h>

#include "error.h"

struct global_options {
    const char *root;           /* --root; resolved default when not given */
    const char *log_path;       /* --log */
    const char *log_format;     /* --log-format text|json */
    const char *log_level;      /* --log-level */
    bool debug;                 /* --debug */
    const char *cgroup_manager; /* cgroupfs (default), systemd, disabled */
    int rootless;               /* --rootless true|false|auto: 1, 0, -1 (auto) */
};

typedef int (*command_fn)(struct global_options *g, int argc, char **argv,
                          struct ocirun_error *err);

int cmd_checkpoint(struct global_options *g, int argc, char **argv, struct ocirun_error *err);
int cmd_create(struct global_options *g, int argc, char **argv, struct ocirun_error *err);
int cmd_delete(struct global_options *g, int argc, char **argv, struct ocirun_error *err);
int cmd_events(struct global_options *g, int argc, char **argv, struct ocirun_error *err);
int cmd_exec(struct global_options *g, int argc, char **argv, struct ocirun_error *err);
int cmd_features(struct global_options *g, int argc, char **argv, struct ocirun_error *err);
int cmd_kill(struct global_options *g, int argc, char **argv, struct ocirun_error *err);
int cmd_list(struct global_options *g, int argc, char **argv, struct ocirun_error *err);
int cmd_pause(struct global_options *g, int argc, char **argv, struct ocirun_error *err);
int cmd_ps(struct global_options *g, int argc, char **argv, struct ocirun_error *err);
int cmd_restore(struct global_options *g, int argc, char **argv, struct ocirun_error *err);
int cmd_resume(struct global_options *g, int argc, char **argv, struct ocirun_error *err);
int cmd_run(struct global_options *g, int argc, char **argv, struct ocirun_error *err);
int cmd_spec(struct global_options *g, int argc, char **argv, struct ocirun_error *err);
int cmd_start(struct global_options *g, int argc, char **argv, struct ocirun_error *err);
int cmd_state(struct global_options *g, int argc, char **argv, struct ocirun_error *err);
int cmd_update(struct global_options *g, int argc, char **argv, struct ocirun_error *err);

#endif
