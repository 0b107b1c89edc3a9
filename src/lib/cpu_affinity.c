/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <errno.h>
#include <sched.h>
#include <string.h>

#include "cpu_affinity.h"
#include "idlist.h"

static const char *list_of(const struct oci_exec_cpu_affinity *a, const char *field)
{
    if (a == NULL)
        return NULL;
    return strcmp(field, "initial") == 0 ? a->initial : a->final;
}

static int parse_list(const char *field, const char *s, struct idlist *out,
                      struct ocirun_error *err)
{
    const char *why = NULL;

    if (idlist_parse(s, IDLIST_BITS, out, &why) < 0)
        return error_make(err, 0, "process.execCPUAffinity.%s `%s`: %s", field, s, why);
    return 0;
}

int cpu_affinity_validate(const struct oci_exec_cpu_affinity *a, struct ocirun_error *err)
{
    static const char *const fields[] = {"initial", "final"};
    struct idlist l;

    for (size_t i = 0; a != NULL && i < 2; i++) {
        const char *s = list_of(a, fields[i]);
        if (s != NULL && parse_list(fields[i], s, &l, err) < 0)
            return -1;
    }
    return 0;
}

int cpu_affinity_apply(const struct oci_exec_cpu_affinity *a, const char *field, pid_t pid,
                       struct ocirun_error *err)
{
    const char *s = list_of(a, field);
    struct idlist l;

    if (s == NULL || s[0] == '\0')
        return 0;
    if (parse_list(field, s, &l, err) < 0)
        return -1;
    if (l.count == 0)
        return 0;
    /* The bitmap has the kernel's cpumask layout (unsigned longs, CPU 0 in
     * bit 0 of word 0); glibc's cpu_set_t is too small for 8192 CPUs. */
    if (sched_setaffinity(pid, sizeof(l.bits), (const cpu_set_t *)(const void *)l.bits) < 0) {
        if (errno == EINVAL)
            return error_make(err, errno,
                              "process.execCPUAffinity.%s `%s`: no CPU of the list is online and "
                              "allowed (sched_setaffinity)",
                              field, s);
        return error_make(err, errno, "process.execCPUAffinity.%s `%s`: sched_setaffinity", field,
                          s);
    }
    return 0;
}
