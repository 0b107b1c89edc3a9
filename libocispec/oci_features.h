/* SPDX-License-Identifier: Apache-2.0 */
/* features.json (features.md, features-linux.md); same naming rules as
 * oci_config.h. */
#ifndef OCI_FEATURES_H
#define OCI_FEATURES_H

#include <stdbool.h>
#include <stddef.h>

#include "oci_config.h"

struct oci_feature_enabled {
    bool enabled;
    bool enabled_present;
    /* intelRdt only (features-linux.md): support for linux.intelRdt.schemata
     * and linux.intelRdt.enableMonitoring; ignored for the other objects. */
    bool schemata;
    bool schemata_present;
    bool monitoring;
    bool monitoring_present;
};

struct oci_features_memory_policy {
    char **modes;
    size_t modes_len;
    char **flags;
    size_t flags_len;
};

struct oci_features_cgroup {
    bool v1;
    bool v1_present;
    bool v2;
    bool v2_present;
    bool systemd;
    bool systemd_present;
    bool systemd_user;
    bool systemd_user_present;
    bool rdma;
    bool rdma_present;
};

struct oci_features_seccomp {
    bool enabled;
    bool enabled_present;
    char **actions;
    size_t actions_len;
    char **operators;
    size_t operators_len;
    char **archs;
    size_t archs_len;
    char **known_flags;
    size_t known_flags_len;
    char **supported_flags;
    size_t supported_flags_len;
};

struct oci_features_mount_extensions {
    struct oci_feature_enabled *idmap;
};

struct oci_features_linux {
    char **namespaces;
    size_t namespaces_len;
    char **capabilities;
    size_t capabilities_len;
    struct oci_features_cgroup *cgroup;
    struct oci_features_seccomp *seccomp;
    struct oci_feature_enabled *apparmor;
    struct oci_feature_enabled *selinux;
    struct oci_feature_enabled *intel_rdt;
    struct oci_features_mount_extensions *mount_extensions;
    struct oci_feature_enabled *net_devices;
    struct oci_features_memory_policy *memory_policy;
};

struct oci_features {
    char *oci_version_min;
    char *oci_version_max;
    char **hooks;
    size_t hooks_len;
    char **mount_options;
    size_t mount_options_len;
    struct oci_string_map annotations;
    char **potentially_unsafe_config_annotations;
    size_t potentially_unsafe_config_annotations_len;
    struct oci_features_linux *linux_;
};

#endif
