/* SPDX-License-Identifier: GPL-2.0-or-later */
/* linux.memoryPolicy: set_mempolicy(2) for the container's processes. */
#ifndef OCIRUN_MEMPOLICY_H
#define OCIRUN_MEMPOLICY_H

#include "error.h"
#include "idlist.h"
#include "ocispec.h"

struct mempolicy {
    int mode;  /* MPOL_* */
    int flags; /* MPOL_F_* mode flags */
    struct idlist nodes;
};

/* The names config-linux.md lists, for `ocirun features`. */
extern const char *const mempolicy_mode_names[];
extern const char *const mempolicy_flag_names[];
extern const size_t mempolicy_mode_count, mempolicy_flag_count;

/* Pure: modes, flags, node syntax and the mode/node/flag rules of
 * set_mempolicy(2). */
int mempolicy_parse(const struct oci_memory_policy *mp, struct mempolicy *out,
                    struct ocirun_error *err);
/* Pure: the nodes against the host's ("0-1" strings as in
 * /sys/devices/system/node/online and possible). */
int mempolicy_check_nodes(const struct mempolicy *m, const char *online, const char *possible,
                          struct ocirun_error *err);
/* Both of the above, reading sysfs; no-op when mp is NULL. */
int mempolicy_validate(const struct oci_memory_policy *mp, struct ocirun_error *err);
/* set_mempolicy for the calling thread (inherited across fork and execve). */
int mempolicy_apply(const struct oci_memory_policy *mp, struct ocirun_error *err);

#endif
