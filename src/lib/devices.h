/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Device nodes and the /dev symlinks inside the container root. */
#ifndef OCIRUN_DEVICES_H
#define OCIRUN_DEVICES_H

#include <stdbool.h>

#include "error.h"
#include "ocispec.h"
#include "rootfs.h"

/* False when the config bind-mounts /dev: it then comes as it is, without
 * the default devices and links (runc's rule). */
bool devices_need_default_setup(const struct oci_config *config);

/* The default devices (null zero full random urandom tty), linux.devices
 * (mknod, or a bind of the host node when ctx->in_userns) and the links
 * fd, stdin, stdout, stderr, core, ptmx. Paths resolve inside rootfd. */
int devices_setup(const struct rootfs_context *ctx, int rootfd, struct ocirun_error *err);

/* Semantic checks of linux.devices (type, major/minor, absolute path). */
int devices_validate(const struct oci_config *config, struct ocirun_error *err);

#endif
