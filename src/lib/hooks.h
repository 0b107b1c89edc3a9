/* SPDX-License-Identifier: GPL-2.0-or-later */
/* OCI hooks (config.md "POSIX-platform Hooks", runtime.md lifecycle). */
#ifndef OCIRUN_HOOKS_H
#define OCIRUN_HOOKS_H

#include <stddef.h>

#include "error.h"
#include "ocispec.h"

/* Runs each hook in order: path with args and env, the state JSON on stdin,
 * killed (SIGKILL) when its timeout expires. stage names the hook list for
 * messages ("createRuntime"). Stops at and returns the first failure, e.g.
 * "createRuntime hook `/usr/bin/x`: exited with status 3". */
int hooks_run(const struct oci_hook *hooks, size_t n, const char *stage, const char *state_json,
              struct ocirun_error *err);

#endif
