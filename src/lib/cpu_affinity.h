/* SPDX-License-Identifier: GPL-2.0-or-later */
/* process.execCPUAffinity (config.md): the CPUs an exec'd process runs on
 * before (initial) and after (final) it joins the container's cgroup. Not
 * applied to the container's init (config.md). */
#ifndef OCIRUN_CPU_AFFINITY_H
#define OCIRUN_CPU_AFFINITY_H

#include <sys/types.h>

#include "error.h"
#include "ocispec.h"

/* Pure: both lists parse ("" and absent mean "leave it alone"). */
int cpu_affinity_validate(const struct oci_exec_cpu_affinity *a, struct ocirun_error *err);
/* sched_setaffinity(pid) to a->initial or a->final (field: "initial" or
 * "final"); a no-op when a or that list is absent or empty. */
int cpu_affinity_apply(const struct oci_exec_cpu_affinity *a, const char *field, pid_t pid,
                       struct ocirun_error *err);

#endif
