/* SPDX-License-Identifier: GPL-2.0-or-later */
/* OCI hooks (config.md "POSIX-platform Hooks", runtime.md lifecycle). */
#ifndef OCIRUN_HOOKS_H
#define OCIRUN_HOOKS_H

#include <stddef.h>

#include "error.h"
#include "ocispec.h"

/* Runs each hook in order: path with args (args[0] is argv[0]; no args:
 * argv is [path]) and env (no env: ours, as runc's hooks inherit runc's),
 * the state JSON on stdin (a hook need not read it), stdout and stderr
 * captured like runc does, every other fd closed, signals at their
 * defaults; killed (SIGKILL) and reaped when its timeout (seconds) expires.
 * stage names the hook list for messages ("createRuntime"). Stops at and
 * returns the first failure, e.g. "createRuntime hook `/usr/bin/x`: exited
 * with status 3: <last line of its stderr>" or "... timed out after 1 s". */
int hooks_run(const struct oci_hook *hooks, size_t n, const char *stage, const char *state_json,
              struct ocirun_error *err);

#endif
