/* SPDX-License-Identifier: Apache-2.0 */
/* Descriptor tables for the state document (runtime.md "State",
 * schema/state-schema.json), with the extra fields runc prints (rootfs,
 * created, owner) and ocirun's private "ocirun" object. The field order is
 * runc's `state` output order. */
#include <stddef.h>

#include "oci_state.h"
#include "schema-fields.h"
#include "config_enums.h"

#define S struct ocirun_private_state
static const struct oci_field private_fields[] = {
    F_OPT("initStartTime", OCI_UINT64, init_start_time),
    F_STR("cgroupPath", cgroup_path),
    F_STR("cgroupManager", cgroup_manager),
    F_OPT("rootless", OCI_BOOL, rootless),
    F_STR("configPath", config_path),
    F_ARR("namespacePaths", OCI_ARRAY_STRING, namespace_paths),
    F_OPT("systemd", OCI_BOOL, systemd),
};
#undef S
static const struct oci_type private_type =
    OCI_TYPE(struct ocirun_private_state, "ocirun", private_fields);

#define S struct oci_state
static const struct oci_field state_fields[] = {
    F_STR_REQ("ociVersion", oci_version),
    F_STR_REQ("id", id),
    F_OPT("pid", OCI_INT64, pid, RANGE(0, INT64_MAX)),
    F_STR_REQ("status", status, ENUM(oci_state_statuses)),
    F_STR_REQ("bundle", bundle),
    F_STR("rootfs", rootfs),
    F_STR("created", created),
    F_STR("owner", owner),
    F_MAP_STR("annotations", annotations),
    F_OBJ("ocirun", ocirun, private_type),
};
#undef S
const struct oci_type oci_state_type = OCI_TYPE(struct oci_state, "state", state_fields);

#define S struct oci_container_process_state
static const struct oci_field container_process_state_fields[] = {
    F_STR_REQ("ociVersion", oci_version),
    F_ARR("fds", OCI_ARRAY_STRING, fds),
    F_REQ("pid", OCI_INT64, pid, RANGE(0, INT64_MAX)),
    F_STR("metadata", metadata),
    F_OBJ("state", state, oci_state_type, .required = true),
};
#undef S
const struct oci_type oci_container_process_state_type = OCI_TYPE(
    struct oci_container_process_state, "containerProcessState", container_process_state_fields);
