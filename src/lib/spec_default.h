/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The starter config.json that `ocirun spec` writes. */
#ifndef OCIRUN_SPEC_DEFAULT_H
#define OCIRUN_SPEC_DEFAULT_H

#include <stdbool.h>
#include <sys/types.h>

#include "ocispec.h"

/* The same document as `runc spec` (hostname "ocirun", ociVersion 1.3.0).
 * With rootless, the same changes as `runc spec --rootless`: a user
 * namespace mapping container root to host_uid/host_gid, no network
 * namespace, /sys bind-mounted, no devpts gid=5, no device cgroup rules.
 * Everything is heap-allocated; release with oci_config_free(). */
struct oci_config *spec_default_config(bool rootless, uid_t host_uid, gid_t host_gid);

#endif
