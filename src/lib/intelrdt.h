/* SPDX-License-Identifier: GPL-2.0-or-later */
/* linux.intelRdt: resctrl groups (config-linux.md "IntelRdt"). */
#ifndef OCIRUN_INTELRDT_H
#define OCIRUN_INTELRDT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "error.h"
#include "ocispec.h"

/* Pure: closID is a directory name (or `/`), memBwSchema starts with
 * `MB:`, no value holds a newline. */
int intelrdt_check_config(const struct oci_intel_rdt *r, struct ocirun_error *err);
/* Pure: one schemata line as the kernel prints it compared with one as a
 * config gives it ("L3:0=7f0;1=1f" matches "   L3:0=7f0;1=01f"). */
bool intelrdt_line_equal(const char *a, const char *b);

/* Where resctrl is mounted in our mount namespace, or NULL. Caller frees. */
char *intelrdt_mountpoint(void);
/* check_config plus: a resctrl filesystem is mounted (spec: else error). */
int intelrdt_validate(const struct oci_intel_rdt *r, struct ocirun_error *err);
/* Creates or checks the CLOS group, writes the schemata, moves pid in (and
 * into mon_groups/<id> with enableMonitoring). */
int intelrdt_apply(const struct oci_intel_rdt *r, const char *id, pid_t pid,
                   struct ocirun_error *err);
/* Puts pid (an exec'd process) into the container's groups. */
int intelrdt_join(const struct oci_intel_rdt *r, const char *id, pid_t pid,
                  struct ocirun_error *err);
/* On delete: removes what apply created (the <id> group when closID is
 * unset, the MON group); best effort. */
void intelrdt_remove(const struct oci_intel_rdt *r, const char *id);

#endif
