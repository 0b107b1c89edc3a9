/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The whole config is checked before anything is cloned (GUIDE.md §5). */
#ifndef OCIRUN_CONFIG_VALIDATE_H
#define OCIRUN_CONFIG_VALIDATE_H

#include "error.h"
#include "ocispec.h"

/* bundle: absolute bundle directory (root.path is relative to it). */
int config_validate(const struct oci_config *config, const char *bundle, struct ocirun_error *err);

/* root.path made absolute against the bundle. Caller frees. */
char *config_rootfs_path(const struct oci_config *config, const char *bundle);

#endif
