/* SPDX-License-Identifier: GPL-2.0-or-later */
/* linux.maskedPaths and linux.readonlyPaths, applied after pivot_root. */
#ifndef OCIRUN_PATHS_H
#define OCIRUN_PATHS_H

#include <stddef.h>

#include "error.h"

/* Hides each path: a file gets /dev/null (checked to be char 1:3) bound
 * over it, a directory an empty read-only tmpfs. A missing path is skipped;
 * any other failure is an error. Paths resolve inside rootfd. */
int paths_mask(int rootfd, char *const *paths, size_t n, struct ocirun_error *err);

/* Makes each path (and its submounts) read-only, nosuid, nodev, noexec by
 * binding it onto itself. A missing path is skipped. */
int paths_make_readonly(int rootfd, char *const *paths, size_t n, struct ocirun_error *err);

#endif
