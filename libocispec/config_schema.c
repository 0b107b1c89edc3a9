/* SPDX-License-Identifier: Apache-2.0 */
/* Descriptor tables for config.json (config.md, config-linux.md, and
 * schema/config-schema.json, config-linux.json, defs*.json of runtime-spec
 * v1.3.0). Field order follows the reference Go types (specs-go), which is
 * the order runc and crun write, so generated files look familiar.
 * `required` follows the JSON schema's "required" lists. */
#include <stddef.h>
#include <string.h>

#include "oci_config.h"
#include "schema-fields.h"
#include "config_enums.h"

/* Every map struct must share the generic {keys, values, len} layout the
 * schema code walks. */
#define SAME_MAP_LAYOUT(t)                                                                         \
    _Static_assert(offsetof(t, keys) == 0 && offsetof(t, values) == sizeof(void *) &&              \
                       offsetof(t, len) == 2 * sizeof(void *),                                     \
                   #t " layout")
SAME_MAP_LAYOUT(struct oci_string_map);
SAME_MAP_LAYOUT(struct oci_rdma_map);
SAME_MAP_LAYOUT(struct oci_net_device_map);

/* ---- patterns from the schema ----------------------------------------- */

static bool all_of(const char *s, const char *set)
{
    return strspn(s, set) == strlen(s);
}

#define UPPER  "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
#define DIGITS "0123456789"

/* ^RLIMIT_[A-Z]+$ */
static bool check_rlimit_type(const char *s)
{
    return strncmp(s, "RLIMIT_", 7) == 0 && s[7] != '\0' && all_of(s + 7, UPPER);
}

/* ^[1-9][0-9]*[KMG]B$ */
static bool check_page_size(const char *s)
{
    size_t n = strlen(s);
    if (n < 3 || s[0] < '1' || s[0] > '9' || s[n - 1] != 'B' || strchr("KMG", s[n - 2]) == NULL)
        return false;
    return strspn(s, DIGITS) == n - 2;
}

/* ^[0-9, -]*$ */
static bool check_cpu_list(const char *s)
{
    return all_of(s, DIGITS ", -");
}

/* ^MB:[^\n]*$ */
static bool check_mem_bw_schema(const char *s)
{
    return strncmp(s, "MB:", 3) == 0 && strchr(s, '\n') == NULL;
}

/* ---- process ------------------------------------------------------------ */

#define S struct oci_console_size
static const struct oci_field console_size_fields[] = {
    F_REQ("height", OCI_UINT32, height),
    F_REQ("width", OCI_UINT32, width),
};
#undef S
static const struct oci_type console_size_type =
    OCI_TYPE(struct oci_console_size, "consoleSize", console_size_fields);

#define S struct oci_user
static const struct oci_field user_fields[] = {
    F_REQ("uid", OCI_UINT32, uid),     F_REQ("gid", OCI_UINT32, gid),
    F_OPT("umask", OCI_UINT32, umask), F_ARR("additionalGids", OCI_ARRAY_UINT32, additional_gids),
    F_STR("username", username),
};
#undef S
static const struct oci_type user_type = OCI_TYPE(struct oci_user, "user", user_fields);

/* Capability names are not checked: runtime-spec 1.3 asks runtimes to
 * warn about, not reject, names they do not know. */
#define S struct oci_capabilities
static const struct oci_field capabilities_fields[] = {
    F_ARR("bounding", OCI_ARRAY_STRING, bounding),
    F_ARR("effective", OCI_ARRAY_STRING, effective),
    F_ARR("inheritable", OCI_ARRAY_STRING, inheritable),
    F_ARR("permitted", OCI_ARRAY_STRING, permitted),
    F_ARR("ambient", OCI_ARRAY_STRING, ambient),
};
#undef S
static const struct oci_type capabilities_type =
    OCI_TYPE(struct oci_capabilities, "capabilities", capabilities_fields);

#define S struct oci_rlimit
static const struct oci_field rlimit_fields[] = {
    F_STR_REQ("type", type, PATTERN(check_rlimit_type, "^RLIMIT_[A-Z]+$")),
    F_REQ("hard", OCI_UINT64, hard),
    F_REQ("soft", OCI_UINT64, soft),
};
#undef S
static const struct oci_type rlimit_type = OCI_TYPE(struct oci_rlimit, "rlimit", rlimit_fields);

#define S struct oci_scheduler
static const struct oci_field scheduler_fields[] = {
    F_STR_REQ("policy", policy, ENUM(oci_scheduler_policies)),
    F_OPT("nice", OCI_INT32, nice),
    F_OPT("priority", OCI_INT32, priority),
    F_ARR("flags", OCI_ARRAY_STRING, flags, ENUM(oci_scheduler_flags)),
    F_OPT("runtime", OCI_UINT64, runtime),
    F_OPT("deadline", OCI_UINT64, deadline),
    F_OPT("period", OCI_UINT64, period),
};
#undef S
static const struct oci_type scheduler_type =
    OCI_TYPE(struct oci_scheduler, "scheduler", scheduler_fields);

#define S struct oci_io_priority
static const struct oci_field io_priority_fields[] = {
    F_STR_REQ("class", class, ENUM(oci_io_priority_classes)),
    F_OPT("priority", OCI_INT32, priority),
};
#undef S
static const struct oci_type io_priority_type =
    OCI_TYPE(struct oci_io_priority, "ioPriority", io_priority_fields);

#define S struct oci_exec_cpu_affinity
static const struct oci_field exec_cpu_affinity_fields[] = {
    F_STR("initial", initial, PATTERN(check_cpu_list, "^[0-9, -]*$")),
    F_STR("final", final, PATTERN(check_cpu_list, "^[0-9, -]*$")),
};
#undef S
static const struct oci_type exec_cpu_affinity_type =
    OCI_TYPE(struct oci_exec_cpu_affinity, "execCPUAffinity", exec_cpu_affinity_fields);

#define S struct oci_process
static const struct oci_field process_fields[] = {
    F_OPT("terminal", OCI_BOOL, terminal),
    F_OBJ("consoleSize", console_size, console_size_type),
    F_OBJ("user", user, user_type),
    F_ARR("args", OCI_ARRAY_STRING, args),
    F_STR("commandLine", command_line),
    F_ARR("env", OCI_ARRAY_STRING, env),
    F_STR_REQ("cwd", cwd),
    F_OBJ("capabilities", capabilities, capabilities_type),
    F_ARR_OBJ("rlimits", rlimits, rlimit_type),
    F_OPT("noNewPrivileges", OCI_BOOL, no_new_privileges),
    F_STR("apparmorProfile", apparmor_profile),
    F_OPT("oomScoreAdj", OCI_INT32, oom_score_adj),
    F_OBJ("scheduler", scheduler, scheduler_type),
    F_STR("selinuxLabel", selinux_label),
    F_OBJ("ioPriority", io_priority, io_priority_type),
    F_OBJ("execCPUAffinity", exec_cpu_affinity, exec_cpu_affinity_type),
};
#undef S
const struct oci_type oci_process_type = OCI_TYPE(struct oci_process, "process", process_fields);

/* ---- root, mounts, hooks ---------------------------------------------------- */

#define S struct oci_root
static const struct oci_field root_fields[] = {
    F_STR_REQ("path", path),
    F_OPT("readonly", OCI_BOOL, readonly),
};
#undef S
static const struct oci_type root_type = OCI_TYPE(struct oci_root, "root", root_fields);

#define S struct oci_id_mapping
static const struct oci_field id_mapping_fields[] = {
    F_REQ("containerID", OCI_UINT32, container_id),
    F_REQ("hostID", OCI_UINT32, host_id),
    F_REQ("size", OCI_UINT32, size),
};
#undef S
static const struct oci_type id_mapping_type =
    OCI_TYPE(struct oci_id_mapping, "idMapping", id_mapping_fields);

#define S struct oci_mount
static const struct oci_field mount_fields[] = {
    F_STR_REQ("destination", destination),
    F_STR("type", type),
    F_STR("source", source),
    F_ARR("options", OCI_ARRAY_STRING, options),
    F_ARR_OBJ("uidMappings", uid_mappings, id_mapping_type),
    F_ARR_OBJ("gidMappings", gid_mappings, id_mapping_type),
};
#undef S
static const struct oci_type mount_type = OCI_TYPE(struct oci_mount, "mount", mount_fields);

#define S struct oci_hook
static const struct oci_field hook_fields[] = {
    F_STR_REQ("path", path),
    F_ARR("args", OCI_ARRAY_STRING, args),
    F_ARR("env", OCI_ARRAY_STRING, env),
    F_OPT("timeout", OCI_INT64, timeout, RANGE(1, INT64_MAX)),
};
#undef S
static const struct oci_type hook_type = OCI_TYPE(struct oci_hook, "hook", hook_fields);

#define S struct oci_hooks
static const struct oci_field hooks_fields[] = {
    F_ARR_OBJ("prestart", prestart, hook_type),
    F_ARR_OBJ("createRuntime", create_runtime, hook_type),
    F_ARR_OBJ("createContainer", create_container, hook_type),
    F_ARR_OBJ("startContainer", start_container, hook_type),
    F_ARR_OBJ("poststart", poststart, hook_type),
    F_ARR_OBJ("poststop", poststop, hook_type),
};
#undef S
static const struct oci_type hooks_type = OCI_TYPE(struct oci_hooks, "hooks", hooks_fields);

/* ---- linux: namespaces, devices, time ---------------------------------------- */

#define S struct oci_namespace
static const struct oci_field namespace_fields[] = {
    F_STR_REQ("type", type, ENUM(oci_namespace_types)),
    F_STR("path", path),
};
#undef S
static const struct oci_type namespace_type =
    OCI_TYPE(struct oci_namespace, "namespace", namespace_fields);

#define S struct oci_device
static const struct oci_field device_fields[] = {
    F_STR_REQ("path", path),
    F_STR_REQ("type", type, ENUM(oci_device_types)),
    F_OPT("major", OCI_INT64, major),
    F_OPT("minor", OCI_INT64, minor),
    F_OPT("fileMode", OCI_UINT32, file_mode, RANGE(0, 0777)),
    F_OPT("uid", OCI_UINT32, uid),
    F_OPT("gid", OCI_UINT32, gid),
};
#undef S
static const struct oci_type device_type = OCI_TYPE(struct oci_device, "device", device_fields);

#define S struct oci_net_device
static const struct oci_field net_device_fields[] = {
    F_STR("name", name),
};
#undef S
static const struct oci_type net_device_type =
    OCI_TYPE(struct oci_net_device, "netDevice", net_device_fields);

#define S struct oci_time_offset
static const struct oci_field time_offset_fields[] = {
    F_OPT("secs", OCI_INT64, secs),
    F_OPT("nanosecs", OCI_UINT32, nanosecs),
};
#undef S
static const struct oci_type time_offset_type =
    OCI_TYPE(struct oci_time_offset, "timeOffset", time_offset_fields);

#define S struct oci_time_offsets
static const struct oci_field time_offsets_fields[] = {
    F_OBJ("boottime", boottime, time_offset_type),
    F_OBJ("monotonic", monotonic, time_offset_type),
};
#undef S
static const struct oci_type time_offsets_type =
    OCI_TYPE(struct oci_time_offsets, "timeOffsets", time_offsets_fields);

/* ---- linux.resources ------------------------------------------------------- */

#define S struct oci_device_cgroup
static const struct oci_field device_cgroup_fields[] = {
    F_REQ("allow", OCI_BOOL, allow),  F_STR("type", type, ENUM(oci_device_cgroup_types)),
    F_OPT("major", OCI_INT64, major), F_OPT("minor", OCI_INT64, minor),
    F_STR("access", access),
};
#undef S
static const struct oci_type device_cgroup_type =
    OCI_TYPE(struct oci_device_cgroup, "deviceCgroup", device_cgroup_fields);

#define S struct oci_memory
static const struct oci_field memory_fields[] = {
    F_OPT("limit", OCI_INT64, limit),
    F_OPT("reservation", OCI_INT64, reservation),
    F_OPT("swap", OCI_INT64, swap),
    F_OPT("kernel", OCI_INT64, kernel),
    F_OPT("kernelTCP", OCI_INT64, kernel_tcp),
    F_OPT("swappiness", OCI_UINT64, swappiness),
    F_OPT("disableOOMKiller", OCI_BOOL, disable_oom_killer),
    F_OPT("useHierarchy", OCI_BOOL, use_hierarchy),
    F_OPT("checkBeforeUpdate", OCI_BOOL, check_before_update),
};
#undef S
static const struct oci_type memory_type = OCI_TYPE(struct oci_memory, "memory", memory_fields);

#define S struct oci_cpu
static const struct oci_field cpu_fields[] = {
    F_OPT("shares", OCI_UINT64, shares),
    F_OPT("quota", OCI_INT64, quota),
    F_OPT("burst", OCI_UINT64, burst),
    F_OPT("period", OCI_UINT64, period),
    F_OPT("realtimeRuntime", OCI_INT64, realtime_runtime),
    F_OPT("realtimePeriod", OCI_UINT64, realtime_period),
    F_STR("cpus", cpus),
    F_STR("mems", mems),
    F_OPT("idle", OCI_INT64, idle),
};
#undef S
static const struct oci_type cpu_type = OCI_TYPE(struct oci_cpu, "cpu", cpu_fields);

#define S struct oci_pids
static const struct oci_field pids_fields[] = {
    /* required by the schema; the presence flag stays set after parsing */
    {.name = "limit",
     .kind = OCI_INT64,
     .offset = offsetof(S, limit),
     .present_offset = offsetof(S, limit_present),
     .required = true},
};
#undef S
static const struct oci_type pids_type = OCI_TYPE(struct oci_pids, "pids", pids_fields);

#define S struct oci_block_io_weight_device
static const struct oci_field weight_device_fields[] = {
    F_REQ("major", OCI_INT64, major),
    F_REQ("minor", OCI_INT64, minor),
    F_OPT("weight", OCI_UINT16, weight),
    F_OPT("leafWeight", OCI_UINT16, leaf_weight),
};
#undef S
static const struct oci_type weight_device_type =
    OCI_TYPE(struct oci_block_io_weight_device, "weightDevice", weight_device_fields);

#define S struct oci_block_io_throttle_device
static const struct oci_field throttle_device_fields[] = {
    F_REQ("major", OCI_INT64, major),
    F_REQ("minor", OCI_INT64, minor),
    F_PLAIN("rate", OCI_UINT64, rate),
};
#undef S
static const struct oci_type throttle_device_type =
    OCI_TYPE(struct oci_block_io_throttle_device, "throttleDevice", throttle_device_fields);

#define S struct oci_block_io
static const struct oci_field block_io_fields[] = {
    F_OPT("weight", OCI_UINT16, weight),
    F_OPT("leafWeight", OCI_UINT16, leaf_weight),
    F_ARR_OBJ("weightDevice", weight_device, weight_device_type),
    F_ARR_OBJ("throttleReadBpsDevice", throttle_read_bps_device, throttle_device_type),
    F_ARR_OBJ("throttleWriteBpsDevice", throttle_write_bps_device, throttle_device_type),
    F_ARR_OBJ("throttleReadIOPSDevice", throttle_read_iops_device, throttle_device_type),
    F_ARR_OBJ("throttleWriteIOPSDevice", throttle_write_iops_device, throttle_device_type),
};
#undef S
static const struct oci_type block_io_type =
    OCI_TYPE(struct oci_block_io, "blockIO", block_io_fields);

#define S struct oci_hugepage_limit
static const struct oci_field hugepage_limit_fields[] = {
    F_STR_REQ("pageSize", page_size, PATTERN(check_page_size, "^[1-9][0-9]*[KMG]B$")),
    F_REQ("limit", OCI_UINT64, limit),
};
#undef S
static const struct oci_type hugepage_limit_type =
    OCI_TYPE(struct oci_hugepage_limit, "hugepageLimit", hugepage_limit_fields);

#define S struct oci_interface_priority
static const struct oci_field interface_priority_fields[] = {
    F_STR_REQ("name", name),
    F_REQ("priority", OCI_UINT32, priority),
};
#undef S
static const struct oci_type interface_priority_type =
    OCI_TYPE(struct oci_interface_priority, "interfacePriority", interface_priority_fields);

#define S struct oci_network
static const struct oci_field network_fields[] = {
    F_OPT("classID", OCI_UINT32, class_id),
    F_ARR_OBJ("priorities", priorities, interface_priority_type),
};
#undef S
static const struct oci_type network_type = OCI_TYPE(struct oci_network, "network", network_fields);

#define S struct oci_rdma
static const struct oci_field rdma_fields[] = {
    F_OPT("hcaHandles", OCI_UINT32, hca_handles),
    F_OPT("hcaObjects", OCI_UINT32, hca_objects),
};
#undef S
static const struct oci_type rdma_type = OCI_TYPE(struct oci_rdma, "rdma", rdma_fields);

#define S struct oci_resources
static const struct oci_field resources_fields[] = {
    F_ARR_OBJ("devices", devices, device_cgroup_type),
    F_OBJ("memory", memory, memory_type),
    F_OBJ("cpu", cpu, cpu_type),
    F_OBJ("pids", pids, pids_type),
    F_OBJ("blockIO", block_io, block_io_type),
    F_ARR_OBJ("hugepageLimits", hugepage_limits, hugepage_limit_type),
    F_OBJ("network", network, network_type),
    F_MAP_OBJ("rdma", rdma, rdma_type),
    F_MAP_STR("unified", unified),
};
#undef S
const struct oci_type oci_resources_type =
    OCI_TYPE(struct oci_resources, "resources", resources_fields);

/* ---- linux: intelRdt, seccomp, personality, memoryPolicy -------------------- */

#define S struct oci_intel_rdt
static const struct oci_field intel_rdt_fields[] = {
    F_STR("closID", clos_id),
    F_ARR("schemata", OCI_ARRAY_STRING, schemata),
    F_STR("l3CacheSchema", l3_cache_schema),
    F_STR("memBwSchema", mem_bw_schema, PATTERN(check_mem_bw_schema, "^MB:[^\\n]*$")),
    F_OPT("enableMonitoring", OCI_BOOL, enable_monitoring),
};
#undef S
static const struct oci_type intel_rdt_type =
    OCI_TYPE(struct oci_intel_rdt, "intelRdt", intel_rdt_fields);

#define S struct oci_syscall_arg
static const struct oci_field syscall_arg_fields[] = {
    F_REQ("index", OCI_UINT32, index),
    F_REQ("value", OCI_UINT64, value),
    F_OPT("valueTwo", OCI_UINT64, value_two),
    F_STR_REQ("op", op, ENUM(oci_seccomp_operators)),
};
#undef S
static const struct oci_type syscall_arg_type =
    OCI_TYPE(struct oci_syscall_arg, "syscallArg", syscall_arg_fields);

#define S struct oci_syscall
static const struct oci_field syscall_fields[] = {
    {F_BASE("names", OCI_ARRAY_STRING, names), .len_offset = offsetof(S, names_len),
     .required = true, .min_items = 1},
    F_STR_REQ("action", action, ENUM(oci_seccomp_actions)),
    F_OPT("errnoRet", OCI_UINT32, errno_ret),
    F_ARR_OBJ("args", args, syscall_arg_type),
};
#undef S
static const struct oci_type syscall_type = OCI_TYPE(struct oci_syscall, "syscall", syscall_fields);

#define S struct oci_seccomp
static const struct oci_field seccomp_fields[] = {
    F_STR_REQ("defaultAction", default_action, ENUM(oci_seccomp_actions)),
    F_OPT("defaultErrnoRet", OCI_UINT32, default_errno_ret),
    F_ARR("architectures", OCI_ARRAY_STRING, architectures, ENUM(oci_seccomp_archs)),
    F_ARR("flags", OCI_ARRAY_STRING, flags, ENUM(oci_seccomp_flags)),
    F_STR("listenerPath", listener_path),
    F_STR("listenerMetadata", listener_metadata),
    F_ARR_OBJ("syscalls", syscalls, syscall_type),
};
#undef S
static const struct oci_type seccomp_type = OCI_TYPE(struct oci_seccomp, "seccomp", seccomp_fields);

#define S struct oci_personality
static const struct oci_field personality_fields[] = {
    F_STR("domain", domain, ENUM(oci_personality_domains)),
    F_ARR("flags", OCI_ARRAY_STRING, flags),
};
#undef S
static const struct oci_type personality_type =
    OCI_TYPE(struct oci_personality, "personality", personality_fields);

#define S struct oci_memory_policy
static const struct oci_field memory_policy_fields[] = {
    F_STR("mode", mode, ENUM(oci_memory_policy_modes)),
    F_STR("nodes", nodes),
    F_ARR("flags", OCI_ARRAY_STRING, flags, ENUM(oci_memory_policy_flags)),
};
#undef S
static const struct oci_type memory_policy_type =
    OCI_TYPE(struct oci_memory_policy, "memoryPolicy", memory_policy_fields);

#define S struct oci_linux
static const struct oci_field linux_fields[] = {
    F_ARR_OBJ("uidMappings", uid_mappings, id_mapping_type),
    F_ARR_OBJ("gidMappings", gid_mappings, id_mapping_type),
    F_MAP_STR("sysctl", sysctl),
    F_OBJ("resources", resources, oci_resources_type),
    F_STR("cgroupsPath", cgroups_path),
    F_ARR_OBJ("namespaces", namespaces, namespace_type),
    F_ARR_OBJ("devices", devices, device_type),
    F_MAP_OBJ("netDevices", net_devices, net_device_type),
    F_OBJ("seccomp", seccomp, seccomp_type),
    F_STR("rootfsPropagation", rootfs_propagation, ENUM(oci_rootfs_propagations)),
    F_ARR("maskedPaths", OCI_ARRAY_STRING, masked_paths),
    F_ARR("readonlyPaths", OCI_ARRAY_STRING, readonly_paths),
    F_STR("mountLabel", mount_label),
    F_OBJ("intelRdt", intel_rdt, intel_rdt_type),
    F_OBJ("memoryPolicy", memory_policy, memory_policy_type),
    F_OBJ("personality", personality, personality_type),
    F_OBJ("timeOffsets", time_offsets, time_offsets_type),
};
#undef S
static const struct oci_type linux_type = OCI_TYPE(struct oci_linux, "linux", linux_fields);

/* ---- the document -------------------------------------------------------- */

#define S struct oci_config
static const struct oci_field config_fields[] = {
    F_STR_REQ("ociVersion", oci_version), F_OBJ("process", process, oci_process_type),
    F_OBJ("root", root, root_type),       F_STR("hostname", hostname),
    F_STR("domainname", domainname),      F_ARR_OBJ("mounts", mounts, mount_type),
    F_OBJ("hooks", hooks, hooks_type),    F_MAP_STR("annotations", annotations),
    F_OBJ("linux", linux_, linux_type),
};
#undef S
const struct oci_type oci_config_type = OCI_TYPE(struct oci_config, "config", config_fields);
