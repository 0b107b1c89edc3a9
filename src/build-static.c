/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Linked into the static ocirun only (configure --enable-static-binary):
 * marks the build static, and keeps dlopen() out of it. glibc's dlopen()
 * in a static program needs the shared libraries of the very glibc it was
 * linked with, so the systemd cgroup driver, which needs libsystemd.so, is
 * run by the dynamic companion `ocirun-systemd` (src/lib/companion.c). */
#include "config.h"

#include <stddef.h>

#include "lib/companion.h"

bool ocirun_is_static(void)
{
    return true;
}

void *systemd_dlopen(const char **why)
{
    *why = "a static ocirun does not load libsystemd (its companion ocirun-systemd does)";
    return NULL;
}
