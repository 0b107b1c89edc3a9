/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The dynamically linked ocirun's side of companion.h: libsystemd is
 * dlopen()ed by the systemd cgroup driver (cgroup-systemd.c) on its first
 * use. The static ocirun defines these two in src/build-static.c instead,
 * so this archive member, and dlopen(), never reach the static link. */
#include "config.h"

#include <dlfcn.h>
#include <stddef.h>

#include "companion.h"

bool ocirun_is_static(void)
{
    return false;
}

void *systemd_dlopen(const char **why)
{
    void *handle = dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);

    if (handle == NULL)
        *why = dlerror();
    return handle;
}
