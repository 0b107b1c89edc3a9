/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Private to cgroup*.c and ebpf-devices.c: the hierarchies of the host,
 * the handle, the parsers (pure functions so unit tests can feed them text)
 * and the per-version resource writers. */
#ifndef OCIRUN_CGROUP_INTERNAL_H
#define OCIRUN_CGROUP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroup.h"
#include "error.h"
#include "ocispec.h"

/* One mounted cgroup hierarchy. */
struct cgroup_hierarchy {
    char *mountpoint;  /* e.g. /sys/fs/cgroup/memory */
    char *root;        /* mountinfo's root field: the cgroup the mount shows at mountpoint */
    char *controllers; /* "memory", "cpu,cpuacct", "name=systemd"; "" for cgroup2 */
    bool unified;      /* cgroup2 */
    /* Filled for a container handle: */
    char *path;       /* the container's cgroup, relative to the hierarchy root */
    char *dir;        /* mountpoint + path: the directory itself */
    int parents_made; /* ancestors of the leaf that this handle created */
    bool leaf_made;   /* cgroup_create made the leaf (else it existed, empty) */
};

struct cgroup_systemd;

struct cgroup {
    bool disabled;
    enum cgroup_mode mode;
    struct cgroup_hierarchy *h;
    size_t n;
    int clone_fd;     /* O_DIRECTORY of the unified leaf (unified mode), else -1 */
    char *recorded;   /* cgroup_path(): see cgroup_record_encode */
    int parents_made; /* min over hierarchies, recorded for destroy */
    bool skipped;     /* rootless: a hierarchy was not writable */
    /* the systemd manager (cgroup-systemd.c), NULL for cgroupfs */
    struct cgroup_systemd *sd;
};

/* ---- cgroup-mount.c: parsing /proc/self/mountinfo and /proc/self/cgroup ---- */

/* Parses mountinfo text into the cgroup hierarchies and the host mode.
 * A v1 hierarchy mounted twice is listed once (the first mount); in
 * unified mode only the cgroup2 mount on /sys/fs/cgroup is kept. Returns
 * < 0 when no usable hierarchy exists. */
int cgroup_parse_mountinfo(const char *text, struct cgroup_hierarchy **out, size_t *n,
                           enum cgroup_mode *mode, struct ocirun_error *err);

/* The caller's cgroup in the hierarchy with these controllers ("" for the
 * cgroup2 one) from /proc/self/cgroup text, malloc'd; NULL when absent. */
char *cgroup_parse_own(const char *proc_cgroup, const char *controllers);

/* Lexically resolves cgroupsPath against base ("/" for an absolute path):
 * collapses "//" and "."; refuses a ".." that climbs above base, control
 * characters and over-long paths. Returns a malloc'd absolute path. */
int cgroup_resolve_path(const char *base, const char *cgroups_path, char **out,
                        struct ocirun_error *err);

/* Maps a cgroup path (relative to the hierarchy root) to a directory under
 * the mount, honouring the mount's root (cgroup namespaces, bind mounts). */
int cgroup_hierarchy_dir(const struct cgroup_hierarchy *h, const char *path, char **out,
                         struct ocirun_error *err);

void cgroup_hierarchies_free(struct cgroup_hierarchy *h, size_t n);

/* ---- cgroup-record.c: the path saved in the state ---- */

/* "PATH" when every hierarchy has the same path and no parent was made;
 * otherwise "PATH;parents=N;CONTROLLERS:PATH2;..." (';' and '%' in paths
 * are %-escaped). */
char *cgroup_record_encode(const struct cgroup *cg);
/* Fills h[i].path and cg->parents_made from a recorded string. */
int cgroup_record_decode(struct cgroup *cg, const char *recorded, struct ocirun_error *err);

/* ---- cgroup-resources.c: what can be applied, value conversions ---- */

/* Refuses every field of linux.resources that cannot be applied, naming
 * it: unsupported fields, controllers the host lacks (v1: no hierarchy; v2:
 * not in cgroup.controllers), bad device rules. cg NULL means the
 * "disabled" manager: only device rules are accepted. */
int cgroup_resources_check(const struct oci_resources *r, const struct cgroup *cg,
                           struct ocirun_error *err);

bool cgroup_has_controller(const struct cgroup *cg, const char *controller);

/* The first field that needs a controller (not devices), or NULL. */
const char *cgroup_resources_limit_field(const struct oci_resources *r);

/* memory.swap (v1 meaning: memory+swap) -> memory.swap.max. Returns < 0 on
 * an inconsistent pair; *out = -1 means "max", 0 with *set=false means
 * leave it. */
int cgroup_swap_to_v2(int64_t swap, int64_t limit, int64_t *out, struct ocirun_error *err);
/* "max" for a negative value, else the decimal number. */
void cgroup_format_limit(int64_t v, char *buf, size_t len);

/* ---- cgroup-v2-format.c: pure conversions and lines for the v2 files ---- */

/* cpu.shares (2..262144) -> cpu.weight (1..10000) with the log-quadratic
 * mapping of runc >= 1.3.2 and crun >= 1.23 (1024 -> 100); 0 stays 0. */
uint64_t cgroup_shares_to_weight(uint64_t shares);
/* blockIO weight (10..1000) -> io.weight (1..10000), as runc and crun. */
uint64_t cgroup_blkio_to_io_weight(uint64_t weight);
/* The cpu.max line for quota/period; current is cpu.max as read (NULL at
 * create), used to keep the quota when only the period changes. Returns 0
 * when neither is set (nothing to write), 1 with the line in buf. */
int cgroup_cpu_max_line(const struct oci_cpu *c, const char *current, char *buf, size_t len);
/* A valid MAJ:MIN (12/20 bits), or an error naming field. */
int cgroup_check_devnum(const char *field, int64_t major, int64_t minor, struct ocirun_error *err);
/* One io.max line: the throttle limits of one device, merged from the four
 * throttle*Device lists; field names the first entry for errors. */
struct cgroup_io_max {
    int64_t major, minor;
    bool set[4];       /* rbps wbps riops wiops */
    uint64_t value[4]; /* 0 (v1's "no limit") is written as max */
    char field[96];
};
int cgroup_io_max_build(const struct oci_block_io *b, struct cgroup_io_max **out, size_t *n,
                        struct ocirun_error *err);
void cgroup_io_max_line(const struct cgroup_io_max *e, char *buf, size_t len);
/* "2MB" -> the kernel's name ("2MB", "1GB", "64KB") and the size in KiB. */
int cgroup_hugetlb_name(const char *page_size, char *name, size_t len, uint64_t *kib,
                        struct ocirun_error *err);
/* The page size of limit i exists on the host (sysdir is normally
 * /sys/kernel/mm/hugepages). */
int cgroup_hugetlb_check(const char *sysdir, const struct oci_hugepage_limit *l, size_t i,
                         struct ocirun_error *err);
/* "DEV hca_handle=N hca_object=N" (only the fields given); the device name
 * is checked (printable, no blank, '/' or '=', < 64 bytes). */
int cgroup_rdma_line(const char *dev, const struct oci_rdma *r, char *buf, size_t len,
                     struct ocirun_error *err);
/* A `unified` key is a plain file name CONTROLLER.FILE (no '/', no ".."),
 * not a cgroup.* core file other than cgroup.max.descendants/max.depth;
 * the value has no control character but newline and tab. */
int cgroup_unified_check(const char *key, const char *value, struct ocirun_error *err);
/* The v2 controller a key belongs to ("memory" for memory.high), or NULL
 * (cgroup.*, unknown prefixes). */
const char *cgroup_unified_controller(const char *key);

/* ---- cgroup-v2-resources.c: blockIO, hugetlb, rdma, unified writers ---- */

/* Writes value to file in the directory dirfd (openat, O_NOFOLLOW); the
 * error names the config field and the file. */
int cgroup_v2_write_field(int dirfd, const char *field, const char *file, const char *value,
                          struct ocirun_error *err);
int cgroup_v2_apply_block_io(int dirfd, const struct oci_block_io *b, struct ocirun_error *err);
int cgroup_v2_apply_hugetlb(int dirfd, const struct oci_resources *r, struct ocirun_error *err);
int cgroup_v2_apply_rdma(int dirfd, const struct oci_rdma_map *m, struct ocirun_error *err);
int cgroup_v2_apply_unified(int dirfd, const struct oci_string_map *m, struct ocirun_error *err);

/* ---- cgroup-v1.c ---- */
/* A v1 directory just made: cpuset needs cpus/mems before it accepts tasks. */
int cgroup_v1_prepare_dir(const struct cgroup_hierarchy *h, const char *dir,
                          struct ocirun_error *err);
int cgroup_v1_apply(struct cgroup *cg, const struct oci_resources *r, struct ocirun_error *err);
bool cgroup_v1_is_frozen(const char *dir);
/* cgroup-v1-resources.c: blkio, hugetlb (v1, or cgroup2 on a hybrid host),
 * net_cls/net_prio, rdma and the `unified` map (into cgroup2). */
int cgroup_v1_apply_more(const struct cgroup *cg, const struct oci_resources *r,
                         struct ocirun_error *err);
int cgroup_v1_thaw(const char *dir);

/* ---- cgroup-v2.c ---- */
int cgroup_v2_enable_controllers(const struct cgroup_hierarchy *h, const struct oci_resources *r,
                                 struct ocirun_error *err);
int cgroup_v2_apply(struct cgroup *cg, const struct cgroup_hierarchy *h,
                    const struct oci_resources *r, struct ocirun_error *err);
int cgroup_v2_kill_all(const char *dir, struct ocirun_error *err);
bool cgroup_v2_is_frozen(const char *dir);
int cgroup_v2_thaw(const char *dir);

/* ---- ebpf-devices.c ---- */
/* Builds a BPF_PROG_TYPE_CGROUP_DEVICE program from the device rules (in
 * the order given, last match wins as on v1) and attaches it to dirfd. */
int ebpf_devices_attach(int dirfd, const struct oci_device_cgroup *rules, size_t n,
                        struct ocirun_error *err);

/* ---- shared small helpers (cgroup.c) ---- */
int cgroup_write(const char *dir, const char *file, const char *value, struct ocirun_error *err);
int cgroup_read(const char *dir, const char *file, char **out, struct ocirun_error *err);
/* The hierarchy that lists the processes (ctrl "pids") or holds the
 * freezer state (ctrl "freezer"): that v1 controller's, else the unified
 * one, else any; NULL when the container has none. */
const struct cgroup_hierarchy *cgroup_main_hierarchy(const struct cgroup *cg, const char *ctrl);
/* The container's directory in the v1 hierarchy with this controller. */
const char *cgroup_v1_dir(const struct cgroup *cg, const char *controller);
/* The container's directory in the unified hierarchy, or NULL. */
const char *cgroup_v2_dir(const struct cgroup *cg);
/* SIGKILLs every pid listed in dir and its sub-cgroups until none is left
 * (bounded: about 2 s). */
int cgroup_kill_listed(const char *dir, struct ocirun_error *err);
/* ---- the systemd manager ---- */
/* cgroup-systemd-path.c (pure): cgroupsPath "slice:prefix:name". */
struct cgroup_systemd_names {
    char *slice;      /* the parent slice, e.g. "system.slice" */
    char *slice_path; /* its cgroup, "/system.slice" ("" for -.slice) */
    char *unit;       /* "prefix-name.scope", or a "*.slice" name */
    bool is_slice;    /* the unit is a slice (name ended in .slice) */
};
int cgroup_systemd_parse(const char *cgroups_path, const char *id, bool rootless,
                         struct cgroup_systemd_names *out, struct ocirun_error *err);
int cgroup_systemd_check_unit(const char *name, const char *suffix, struct ocirun_error *err);
int cgroup_systemd_expand_slice(const char *slice, char **out, struct ocirun_error *err);
/* The unit's cgroup relative to the cgroup2 root (user: under the user
 * manager of uid); NULL when the names are invalid. */
char *cgroup_systemd_unit_path(const struct cgroup_systemd_names *n, bool user, uid_t uid);
void cgroup_systemd_names_free(struct cgroup_systemd_names *n);

/* cgroup-systemd-props.c (pure): D-Bus (sv) properties. type: 't' u64,
 * 'b' bool (in u), 's' string, 'y' byte array (AllowedCPUs). */
struct cgroup_systemd_prop {
    const char *name;
    char type;
    uint64_t u;
    char *s;
    uint8_t *bytes;
    size_t nbytes;
};
struct cgroup_systemd_props {
    struct cgroup_systemd_prop *v;
    size_t n;
};
void cgroup_systemd_props_add_u64(struct cgroup_systemd_props *p, const char *name, uint64_t v);
void cgroup_systemd_props_add_bool(struct cgroup_systemd_props *p, const char *name, bool v);
void cgroup_systemd_props_add_str(struct cgroup_systemd_props *p, const char *name, const char *v);
/* The resources systemd has properties for, with the files' values. */
int cgroup_systemd_resource_props(const struct oci_resources *r, struct cgroup_systemd_props *p,
                                  struct ocirun_error *err);
/* "0-3,7" -> systemd's CPU/NUMA bitmask bytes. */
int cgroup_systemd_cpuset_mask(const char *list, const char *field, uint8_t **out, size_t *n,
                               struct ocirun_error *err);
void cgroup_systemd_props_free(struct cgroup_systemd_props *p);

/* cgroup-systemd.c: the bus side (libsystemd is dlopen'ed on first use). */
/* create: parses the names, connects to the manager (the user's when
 * rootless), sets the unified hierarchy's path; the unit starts later,
 * in cgroup_enter, when the init's pid is known. */
int cgroup_systemd_create(struct cgroup *cg, const char *id, const char *cgroups_path,
                          bool rootless, const struct oci_resources *r, struct ocirun_error *err);
/* Whether the unit still has to be started (a create handle). */
bool cgroup_systemd_pending(const struct cgroup *cg);
/* StartTransientUnit with pid, waits for the job; fills the dir. */
int cgroup_systemd_start(struct cgroup *cg, pid_t pid, struct ocirun_error *err);
/* The resources given at create (for the files after the start). */
const struct oci_resources *cgroup_systemd_resources(const struct cgroup *cg);
/* A handle re-opened from the recorded path (the unit is its last part). */
int cgroup_systemd_open(struct cgroup *cg, struct ocirun_error *err);
int cgroup_systemd_update(struct cgroup *cg, const struct oci_resources *r,
                          struct ocirun_error *err);
/* AttachProcessesToUnit: rootless exec, where the user may not move a
 * process across cgroups itself. */
int cgroup_systemd_attach(struct cgroup *cg, pid_t pid, struct ocirun_error *err);
/* StopUnit + ResetFailedUnit; a unit already gone is no error. */
int cgroup_systemd_stop(struct cgroup *cg, struct ocirun_error *err);
void cgroup_systemd_free(struct cgroup_systemd *sd);

/* The default device rules runc adds after the config's (runc 1.1.5). */
extern const struct oci_device_cgroup cgroup_default_devices[];
extern const size_t cgroup_default_devices_len;

#endif
