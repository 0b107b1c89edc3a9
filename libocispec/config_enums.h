/* SPDX-License-Identifier: Apache-2.0 */
/* The spec's enumerations (schema/defs-linux.json and friends), shared by
 * the config, state and features tables. NULL-terminated. */
#ifndef OCISPEC_CONFIG_ENUMS_H
#define OCISPEC_CONFIG_ENUMS_H

extern const char *const oci_namespace_types[];
extern const char *const oci_rootfs_propagations[];
extern const char *const oci_seccomp_actions[];
extern const char *const oci_seccomp_archs[];
extern const char *const oci_seccomp_operators[];
extern const char *const oci_seccomp_flags[];
extern const char *const oci_personality_domains[];
extern const char *const oci_scheduler_policies[];
extern const char *const oci_scheduler_flags[];
extern const char *const oci_io_priority_classes[];
extern const char *const oci_memory_policy_modes[];
extern const char *const oci_memory_policy_flags[];
extern const char *const oci_device_types[];
extern const char *const oci_device_cgroup_types[];
extern const char *const oci_state_statuses[];

#endif
