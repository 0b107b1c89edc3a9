/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Multi-range uid/gid maps for unprivileged callers, written by the setuid
 * helpers newuidmap/newgidmap (Debian's uidmap package), which check the
 * ranges against /etc/subuid and /etc/subgid. */
#ifndef OCIRUN_NEWUIDMAP_H
#define OCIRUN_NEWUIDMAP_H

#include <sys/types.h>

#include "error.h"
#include "ocispec.h"

/* Finds TOOL ("newuidmap" or "newgidmap") on $PATH (a default path when
 * unset) and returns its malloc'd path, or < 0 with "TOOL not found on
 * PATH: install uidmap ...". */
int idmap_helper_find(const char *tool, char **out, struct ocirun_error *err);

/* Runs `TOOL PID ctr host size ...` for the n mappings and waits for it;
 * a refusal (non-zero exit) becomes one line carrying the tool's stderr. */
int idmap_helper_run(const char *tool, pid_t pid, const struct oci_id_mapping *m, size_t n,
                     struct ocirun_error *err);

#endif
