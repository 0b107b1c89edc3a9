/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef OCIRUN_COMPANION_H
#define OCIRUN_COMPANION_H

#include <stdbool.h>

#include "error.h"

/* The static ocirun and its dynamic companion (companion.c). */

/* True in the statically linked ocirun (src/build-static.c), false in a
 * dynamically linked one (src/lib/systemd-dl.c). */
bool ocirun_is_static(void);

/* libsystemd.so.0, dlopen()ed; NULL with *why set when it cannot be
 * (always, in the static build: it uses the companion instead). */
void *systemd_dlopen(const char **why);

/* Remembers main's argv, which the companion is started with. */
void companion_set_argv(char **argv);

/* When this static ocirun is asked for the systemd cgroup manager
 * (`manager` is "systemd"), becomes its companion by execv() with the
 * same arguments; does not return then. Returns 0 when there is nothing
 * to do, -1 with err set when the companion cannot be run. Called before
 * the command has done anything the companion would do again. */
int companion_exec_for(const char *manager, struct ocirun_error *err);

#endif
