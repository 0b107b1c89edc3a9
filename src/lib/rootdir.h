/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The state directory (--root) when the caller gives none. */
#ifndef OCIRUN_ROOTDIR_H
#define OCIRUN_ROOTDIR_H

#include "error.h"

/* /run/ocirun for euid 0, $XDG_RUNTIME_DIR/ocirun for anyone else. Returns
 * a malloc'd path in *out, or < 0 when a non-root user's XDG_RUNTIME_DIR is
 * unset, relative, missing, not theirs or not writable. Creates nothing. */
int rootdir_default(char **out, struct ocirun_error *err);

/* Makes a relative --root absolute against the current directory, so the
 * path stays right after a chdir (e.g. into the bundle). */
int rootdir_absolute(const char *root, char **out, struct ocirun_error *err);

/* Creates root (and missing parents) with mode 0700. Called by the
 * commands that write state, never by --version, spec or features. */
int rootdir_ensure(const char *root, struct ocirun_error *err);

#endif
