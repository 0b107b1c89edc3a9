/* SPDX-License-Identifier: GPL-2.0-or-later */
/* linux.netDevices: host network interfaces moved into the container's
 * network namespace, renamed as asked, with their permanent global
 * addresses and up (config-linux.md "Network Devices"). Raw rtnetlink. */
#ifndef OCIRUN_NETDEV_H
#define OCIRUN_NETDEV_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "ocispec.h"

/* Pure: a kernel-valid interface name (dev_valid_name: 1..15 bytes, not
 * `.`/`..`, no `/`, `:` or whitespace); with allow_template, one `%d` is
 * allowed (the kernel then picks the number). *why: static text. */
bool netdev_name_valid(const char *name, bool allow_template, const char **why);

/* Pure: names of the map, no two devices given the same name inside, and
 * a network namespace of the container's own (new or joined by path). */
int netdev_validate(const struct oci_net_device_map *m, bool has_netns, struct ocirun_error *err);

/* Parent, while the init waits (its network namespace exists): moves every
 * device into /proc/PID/ns/net. Must not run in a multithreaded process
 * (it enters the namespace for a moment to open a socket there). */
int netdev_move_all(const struct oci_net_device_map *m, pid_t pid, struct ocirun_error *err);

#endif
