/* SPDX-License-Identifier: GPL-2.0-or-later */
/* uid/gid maps of a new user namespace, written by the parent. */
#ifndef OCIRUN_USERNS_H
#define OCIRUN_USERNS_H

#include <sys/types.h>

#include "error.h"
#include "ocispec.h"

/* Checks linux.uidMappings/gidMappings (present, non-empty, no overflow)
 * and, for an unprivileged caller with more than its own ids, that
 * newuidmap and newgidmap are on $PATH. */
int userns_validate(const struct oci_linux *linux_, struct ocirun_error *err);

/* Writes /proc/PID/uid_map and gid_map. As root the maps are written
 * directly; without privileges a single mapping of our own uid and gid is
 * written directly (with setgroups denied), anything else through
 * newuidmap/newgidmap found on $PATH. */
int userns_write_maps(pid_t pid, const struct oci_linux *linux_, struct ocirun_error *err);

#endif
