/* SPDX-License-Identifier: Apache-2.0 */
/* C structs for the OCI runtime spec v1.3.0 config.json (config.md,
 * config-linux.md). Naming rules, so a reader can map JSON to C:
 *   - a JSON field `fooBar` is the C field `foo_bar`;
 *   - an optional scalar has a `bool foo_bar_present` next to it;
 *   - a string is `char *`, NULL when absent;
 *   - an object is a pointer to its struct, NULL when absent;
 *   - an array is `T *foo; size_t foo_len;` and the pointer is non-NULL
 *     whenever the array was present, even when empty;
 *   - a map (JSON object with free-form keys) is a `struct oci_*_map`
 *     whose `keys` pointer is non-NULL whenever it was present. */
#ifndef OCI_CONFIG_H
#define OCI_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct oci_string_map {
    char **keys;
    char **values;
    size_t len;
};

struct oci_id_mapping {
    uint32_t container_id;
    uint32_t host_id;
    uint32_t size;
};

struct oci_root {
    char *path;
    bool readonly;
    bool readonly_present;
};

struct oci_mount {
    char *destination;
    char *source;
    char *type;
    char **options;
    size_t options_len;
    struct oci_id_mapping *uid_mappings;
    size_t uid_mappings_len;
    struct oci_id_mapping *gid_mappings;
    size_t gid_mappings_len;
};

struct oci_console_size {
    uint32_t height;
    uint32_t width;
};

struct oci_rlimit {
    char *type;
    uint64_t soft;
    uint64_t hard;
};

struct oci_capabilities {
    char **bounding;
    size_t bounding_len;
    char **effective;
    size_t effective_len;
    char **inheritable;
    size_t inheritable_len;
    char **permitted;
    size_t permitted_len;
    char **ambient;
    size_t ambient_len;
};

struct oci_scheduler {
    char *policy;
    int32_t nice;
    bool nice_present;
    int32_t priority;
    bool priority_present;
    char **flags;
    size_t flags_len;
    uint64_t runtime;
    bool runtime_present;
    uint64_t deadline;
    bool deadline_present;
    uint64_t period;
    bool period_present;
};

struct oci_io_priority {
    char *class;
    int32_t priority;
    bool priority_present;
};

struct oci_exec_cpu_affinity {
    char *initial;
    char *final;
};

struct oci_user {
    uint32_t uid;
    uint32_t gid;
    uint32_t umask;
    bool umask_present;
    uint32_t *additional_gids;
    size_t additional_gids_len;
    char *username;
};

struct oci_process {
    bool terminal;
    bool terminal_present;
    struct oci_console_size *console_size;
    struct oci_user *user;
    char **args;
    size_t args_len;
    char *command_line;
    char **env;
    size_t env_len;
    char *cwd;
    struct oci_capabilities *capabilities;
    struct oci_rlimit *rlimits;
    size_t rlimits_len;
    bool no_new_privileges;
    bool no_new_privileges_present;
    char *apparmor_profile;
    int32_t oom_score_adj;
    bool oom_score_adj_present;
    struct oci_scheduler *scheduler;
    char *selinux_label;
    struct oci_io_priority *io_priority;
    struct oci_exec_cpu_affinity *exec_cpu_affinity;
};

struct oci_hook {
    char *path;
    char **args;
    size_t args_len;
    char **env;
    size_t env_len;
    int64_t timeout;
    bool timeout_present;
};

struct oci_hooks {
    struct oci_hook *prestart;
    size_t prestart_len;
    struct oci_hook *create_runtime;
    size_t create_runtime_len;
    struct oci_hook *create_container;
    size_t create_container_len;
    struct oci_hook *start_container;
    size_t start_container_len;
    struct oci_hook *poststart;
    size_t poststart_len;
    struct oci_hook *poststop;
    size_t poststop_len;
};

/* ---- linux ---- */

struct oci_namespace {
    char *type; /* pid network mount ipc uts user cgroup time */
    char *path;
};

struct oci_time_offset {
    int64_t secs;
    bool secs_present;
    uint32_t nanosecs;
    bool nanosecs_present;
};

struct oci_time_offsets {
    struct oci_time_offset *boottime;
    struct oci_time_offset *monotonic;
};

struct oci_device {
    char *type; /* c b u p */
    char *path;
    int64_t major;
    bool major_present;
    int64_t minor;
    bool minor_present;
    uint32_t file_mode;
    bool file_mode_present;
    uint32_t uid;
    bool uid_present;
    uint32_t gid;
    bool gid_present;
};

struct oci_net_device {
    char *name;
};

struct oci_net_device_map {
    char **keys;
    struct oci_net_device *values;
    size_t len;
};

struct oci_device_cgroup {
    bool allow;
    char *type;
    int64_t major;
    bool major_present;
    int64_t minor;
    bool minor_present;
    char *access;
};

struct oci_memory {
    int64_t limit;
    bool limit_present;
    int64_t reservation;
    bool reservation_present;
    int64_t swap;
    bool swap_present;
    int64_t kernel;
    bool kernel_present;
    int64_t kernel_tcp;
    bool kernel_tcp_present;
    uint64_t swappiness;
    bool swappiness_present;
    bool disable_oom_killer;
    bool disable_oom_killer_present;
    bool use_hierarchy;
    bool use_hierarchy_present;
    bool check_before_update;
    bool check_before_update_present;
};

struct oci_cpu {
    uint64_t shares;
    bool shares_present;
    int64_t quota;
    bool quota_present;
    uint64_t burst;
    bool burst_present;
    uint64_t period;
    bool period_present;
    int64_t realtime_runtime;
    bool realtime_runtime_present;
    uint64_t realtime_period;
    bool realtime_period_present;
    char *cpus;
    char *mems;
    int64_t idle;
    bool idle_present;
};

struct oci_block_io_weight_device {
    int64_t major;
    int64_t minor;
    uint16_t weight;
    bool weight_present;
    uint16_t leaf_weight;
    bool leaf_weight_present;
};

struct oci_block_io_throttle_device {
    int64_t major;
    int64_t minor;
    uint64_t rate;
};

struct oci_block_io {
    uint16_t weight;
    bool weight_present;
    uint16_t leaf_weight;
    bool leaf_weight_present;
    struct oci_block_io_weight_device *weight_device;
    size_t weight_device_len;
    struct oci_block_io_throttle_device *throttle_read_bps_device;
    size_t throttle_read_bps_device_len;
    struct oci_block_io_throttle_device *throttle_write_bps_device;
    size_t throttle_write_bps_device_len;
    struct oci_block_io_throttle_device *throttle_read_iops_device;
    size_t throttle_read_iops_device_len;
    struct oci_block_io_throttle_device *throttle_write_iops_device;
    size_t throttle_write_iops_device_len;
};

struct oci_hugepage_limit {
    char *page_size;
    uint64_t limit;
};

struct oci_interface_priority {
    char *name;
    uint32_t priority;
};

struct oci_network {
    uint32_t class_id;
    bool class_id_present;
    struct oci_interface_priority *priorities;
    size_t priorities_len;
};

struct oci_pids {
    int64_t limit;
    bool limit_present;
};

struct oci_rdma {
    uint32_t hca_handles;
    bool hca_handles_present;
    uint32_t hca_objects;
    bool hca_objects_present;
};

struct oci_rdma_map {
    char **keys;
    struct oci_rdma *values;
    size_t len;
};

struct oci_resources {
    struct oci_device_cgroup *devices;
    size_t devices_len;
    struct oci_memory *memory;
    struct oci_cpu *cpu;
    struct oci_block_io *block_io;
    struct oci_hugepage_limit *hugepage_limits;
    size_t hugepage_limits_len;
    struct oci_network *network;
    struct oci_pids *pids;
    struct oci_rdma_map rdma;
    struct oci_string_map unified;
};

struct oci_intel_rdt {
    char *clos_id;
    char *l3_cache_schema;
    char *mem_bw_schema;
    char **schemata;
    size_t schemata_len;
    bool enable_monitoring;
    bool enable_monitoring_present;
};

struct oci_memory_policy {
    char *mode;
    char *nodes;
    char **flags;
    size_t flags_len;
};

struct oci_syscall_arg {
    uint32_t index;
    uint64_t value;
    uint64_t value_two;
    bool value_two_present;
    char *op;
};

struct oci_syscall {
    char **names;
    size_t names_len;
    char *action;
    uint32_t errno_ret;
    bool errno_ret_present;
    struct oci_syscall_arg *args;
    size_t args_len;
};

struct oci_seccomp {
    char *default_action;
    uint32_t default_errno_ret;
    bool default_errno_ret_present;
    char **architectures;
    size_t architectures_len;
    char **flags;
    size_t flags_len;
    char *listener_path;
    char *listener_metadata;
    struct oci_syscall *syscalls;
    size_t syscalls_len;
};

struct oci_personality {
    char *domain;
    char **flags;
    size_t flags_len;
};

struct oci_linux {
    struct oci_namespace *namespaces;
    size_t namespaces_len;
    struct oci_id_mapping *uid_mappings;
    size_t uid_mappings_len;
    struct oci_id_mapping *gid_mappings;
    size_t gid_mappings_len;
    struct oci_time_offsets *time_offsets;
    struct oci_device *devices;
    size_t devices_len;
    struct oci_net_device_map net_devices;
    char *cgroups_path;
    struct oci_resources *resources;
    struct oci_intel_rdt *intel_rdt;
    struct oci_string_map sysctl;
    struct oci_seccomp *seccomp;
    char *rootfs_propagation;
    char **masked_paths;
    size_t masked_paths_len;
    char **readonly_paths;
    size_t readonly_paths_len;
    char *mount_label;
    struct oci_personality *personality;
    struct oci_memory_policy *memory_policy;
};

struct oci_config {
    char *oci_version;
    struct oci_root *root;
    struct oci_mount *mounts;
    size_t mounts_len;
    struct oci_process *process;
    char *hostname;
    char *domainname;
    struct oci_hooks *hooks;
    struct oci_string_map annotations;
    struct oci_linux *linux_;
};

#endif
