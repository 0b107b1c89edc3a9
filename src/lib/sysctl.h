/* SPDX-License-Identifier: GPL-2.0-or-later */
/* linux.sysctl, hostname and domainname: the kernel settings a container
 * may change because they live in its own namespaces. */
#ifndef OCIRUN_SYSCTL_H
#define OCIRUN_SYSCTL_H

#include <stdbool.h>

#include "error.h"
#include "ocispec.h"

/* Refuses keys that are not namespaced by a namespace the container owns
 * (as runc does): net.* needs a network namespace of its own, the IPC keys
 * (kernel.msg*, kernel.sem, kernel.shm*, fs.mqueue.*) an IPC namespace,
 * kernel.hostname/domainname a UTS namespace. */
int sysctl_validate(const struct oci_string_map *sysctl, bool own_net, bool own_ipc, bool own_uts,
                    struct ocirun_error *err);

/* Writes every key under /proc/sys, after checking /proc is procfs. */
int sysctl_apply(const struct oci_string_map *sysctl, struct ocirun_error *err);

/* sethostname/setdomainname when given. */
int uts_set_names(const char *hostname, const char *domainname, struct ocirun_error *err);

#endif
