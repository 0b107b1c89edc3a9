/* SPDX-License-Identifier: Apache-2.0 */
/* Descriptor tables for features.json (features.md, features-linux.md,
 * schema/features-schema.json, features-linux.json). Field order follows
 * features.md, which is also runc's `features` output order. */
#include <stddef.h>
#include <string.h>

#include "oci_features.h"
#include "schema-fields.h"
#include "config_enums.h"

/* ^CAP_[A-Z_]+$ */
static bool check_capability_name(const char *s)
{
    return strncmp(s, "CAP_", 4) == 0 && s[4] != '\0' &&
           strspn(s + 4, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_") == strlen(s + 4);
}

#define S struct oci_feature_enabled
static const struct oci_field enabled_fields[] = {
    F_OPT("enabled", OCI_BOOL, enabled),
};
static const struct oci_field intel_rdt_fields[] = {
    F_OPT("enabled", OCI_BOOL, enabled),
    F_OPT("schemata", OCI_BOOL, schemata),
    F_OPT("monitoring", OCI_BOOL, monitoring),
};
#undef S
static const struct oci_type enabled_type =
    OCI_TYPE(struct oci_feature_enabled, "enabled", enabled_fields);
static const struct oci_type intel_rdt_type =
    OCI_TYPE(struct oci_feature_enabled, "intelRdt", intel_rdt_fields);

#define S struct oci_features_cgroup
static const struct oci_field cgroup_fields[] = {
    F_OPT("v1", OCI_BOOL, v1),           F_OPT("v2", OCI_BOOL, v2),
    F_OPT("systemd", OCI_BOOL, systemd), F_OPT("systemdUser", OCI_BOOL, systemd_user),
    F_OPT("rdma", OCI_BOOL, rdma),
};
#undef S
static const struct oci_type cgroup_type =
    OCI_TYPE(struct oci_features_cgroup, "cgroup", cgroup_fields);

#define S struct oci_features_seccomp
static const struct oci_field seccomp_fields[] = {
    F_OPT("enabled", OCI_BOOL, enabled),
    F_ARR("actions", OCI_ARRAY_STRING, actions, ENUM(oci_seccomp_actions)),
    F_ARR("operators", OCI_ARRAY_STRING, operators, ENUM(oci_seccomp_operators)),
    F_ARR("archs", OCI_ARRAY_STRING, archs, ENUM(oci_seccomp_archs)),
    F_ARR("knownFlags", OCI_ARRAY_STRING, known_flags, ENUM(oci_seccomp_flags)),
    F_ARR("supportedFlags", OCI_ARRAY_STRING, supported_flags, ENUM(oci_seccomp_flags)),
};
#undef S
static const struct oci_type seccomp_type =
    OCI_TYPE(struct oci_features_seccomp, "seccomp", seccomp_fields);

#define S struct oci_features_mount_extensions
static const struct oci_field mount_extensions_fields[] = {
    F_OBJ("idmap", idmap, enabled_type),
};
#undef S
static const struct oci_type mount_extensions_type =
    OCI_TYPE(struct oci_features_mount_extensions, "mountExtensions", mount_extensions_fields);

#define S struct oci_features_memory_policy
static const struct oci_field memory_policy_fields[] = {
    F_ARR("modes", OCI_ARRAY_STRING, modes, ENUM(oci_memory_policy_modes)),
    F_ARR("flags", OCI_ARRAY_STRING, flags, ENUM(oci_memory_policy_flags)),
};
#undef S
static const struct oci_type memory_policy_type =
    OCI_TYPE(struct oci_features_memory_policy, "memoryPolicy", memory_policy_fields);

#define S struct oci_features_linux
static const struct oci_field linux_fields[] = {
    F_ARR("namespaces", OCI_ARRAY_STRING, namespaces, ENUM(oci_namespace_types)),
    F_ARR("capabilities", OCI_ARRAY_STRING, capabilities,
          PATTERN(check_capability_name, "^CAP_[A-Z_]+$")),
    F_OBJ("cgroup", cgroup, cgroup_type),
    F_OBJ("seccomp", seccomp, seccomp_type),
    F_OBJ("apparmor", apparmor, enabled_type),
    F_OBJ("selinux", selinux, enabled_type),
    F_OBJ("intelRdt", intel_rdt, intel_rdt_type),
    F_OBJ("mountExtensions", mount_extensions, mount_extensions_type),
    F_OBJ("netDevices", net_devices, enabled_type),
    F_OBJ("memoryPolicy", memory_policy, memory_policy_type),
};
#undef S
static const struct oci_type linux_type =
    OCI_TYPE(struct oci_features_linux, "linux", linux_fields);

#define S struct oci_features
static const struct oci_field features_fields[] = {
    F_STR_REQ("ociVersionMin", oci_version_min),
    F_STR_REQ("ociVersionMax", oci_version_max),
    F_ARR("hooks", OCI_ARRAY_STRING, hooks),
    F_ARR("mountOptions", OCI_ARRAY_STRING, mount_options),
    F_MAP_STR("annotations", annotations),
    F_ARR("potentiallyUnsafeConfigAnnotations", OCI_ARRAY_STRING,
          potentially_unsafe_config_annotations),
    F_OBJ("linux", linux_, linux_type),
};
#undef S
const struct oci_type oci_features_type =
    OCI_TYPE(struct oci_features, "features", features_fields);
