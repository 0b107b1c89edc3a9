/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `ocirun update [flags] ID`: new limits for a live container, with runc
 * 1.1.5's flags and value forms (memory sizes like go-units' RAMInBytes:
 * "512m", "1.5GiB", binary multiples; "-1" for unlimited), or `-r FILE|-`
 * with a linux.resources JSON object (what containerd sends), in which case
 * the other flags are ignored as in runc. Kernel memory is ignored with
 * runc's warning. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "container_update.h"
#include "log.h"
#include "options.h"
#include "util.h"

enum {
    F_BLKIO = CLI_LONG_ONLY(1),
    F_CPU_PERIOD,
    F_CPU_QUOTA,
    F_CPU_RT_PERIOD,
    F_CPU_RT_RUNTIME,
    F_CPU_SHARE,
    F_CPUSET_CPUS,
    F_CPUSET_MEMS,
    F_KMEM,
    F_KMEM_TCP,
    F_MEMORY,
    F_CPU_IDLE,
    F_MEM_RESERVATION,
    F_MEM_SWAP,
    F_PIDS,
    F_L3,
    F_MEMBW,
};

static const struct cli_flag flags[] = {
    {"resources", 'r', "FILE",
     "path to the file containing the resources to update or '-' to read from stdin"},
    {"blkio-weight", F_BLKIO, "N", "specifies per cgroup weight, range is from 10 to 1000"},
    {"cpu-period", F_CPU_PERIOD, "N", "CPU CFS period to be used for hardcapping (in usecs)"},
    {"cpu-quota", F_CPU_QUOTA, "N",
     "CPU CFS hardcap limit (in usecs). Allowed cpu time in a given period"},
    {"cpu-rt-period", F_CPU_RT_PERIOD, "N",
     "CPU realtime period to be used for hardcapping (in usecs)"},
    {"cpu-rt-runtime", F_CPU_RT_RUNTIME, "N", "CPU realtime hardcap limit (in usecs)"},
    {"cpu-share", F_CPU_SHARE, "N", "CPU shares (relative weight vs. other containers)"},
    {"cpuset-cpus", F_CPUSET_CPUS, "LIST", "CPU(s) to use"},
    {"cpuset-mems", F_CPUSET_MEMS, "LIST", "memory node(s) to use"},
    {"kernel-memory", F_KMEM, "N", "kernel memory limit (in bytes), ignored"},
    {"kernel-memory-tcp", F_KMEM_TCP, "N",
     "kernel memory limit (in bytes) for tcp buffer, ignored"},
    {"memory", F_MEMORY, "N", "memory limit (in bytes)"},
    {"cpu-idle", F_CPU_IDLE, "N",
     "set cgroup SCHED_IDLE or not, 0: default behavior, 1: SCHED_IDLE"},
    {"memory-reservation", F_MEM_RESERVATION, "N", "memory reservation or soft_limit (in bytes)"},
    {"memory-swap", F_MEM_SWAP, "N",
     "total memory usage (memory + swap); set '-1' to enable unlimited swap"},
    {"pids-limit", F_PIDS, "N", "maximum number of pids allowed in the container"},
    {"l3-cache-schema", F_L3, "SCHEMA", "the string of Intel RDT/CAT L3 cache schema"},
    {"mem-bw-schema", F_MEMBW, "SCHEMA", "the string of Intel RDT/MBA memory bandwidth schema"},
    {NULL, 0, NULL, NULL},
};

static const struct cli_command command = {
    .name = "update",
    .args = "<container-id>",
    .summary = "update container resource constraints",
    .description = "Memory values take a size with an optional binary suffix (512m, 1.5g, 2GiB)\n"
                   "   or -1 for unlimited. With -r, the file (or stdin for '-') holds a\n"
                   "   linux.resources JSON object and the other flags are ignored.",
    .flags = flags,
};

/* go-units RAMInBytes: digits with an optional fraction, an optional
 * space, then k/m/g/t/p (any case) with an optional "i" and "b". */
static int parse_size(const char *s, int64_t *out)
{
    static const char units[] = "kmgtp";
    char *end;
    double v;
    const char *u;
    int shift = 0;

    if (!isdigit((unsigned char)s[0]))
        return -1;
    errno = 0;
    v = strtod(s, &end);
    if (errno != 0 || end == s)
        return -1;
    if (*end == ' ')
        end++;
    if (*end && (u = strchr(units, tolower((unsigned char)*end))) != NULL) {
        shift = 10 * (int)(u - units + 1);
        end++;
    }
    if (*end == 'i' || *end == 'I')
        end++;
    if (*end == 'b' || *end == 'B')
        end++;
    if (*end != '\0')
        return -1;
    v = ldexp(v, shift);
    if (v >= 9223372036854775807.0)
        return -1;
    *out = (int64_t)v;
    return 0;
}

static int parse_memory(const char *flag, const char *value, int64_t *out, struct ocirun_error *err)
{
    if (strcmp(value, "-1") == 0) {
        *out = -1;
        return 0;
    }
    if (parse_size(value, out) < 0)
        return error_plain(err, EINVAL, "invalid value for %s: invalid size: '%s'", flag, value);
    return 0;
}

/* Go's strconv.ParseInt / ParseUint, base 10, with runc's message. */
static int parse_int(const char *flag, const char *value, bool is_unsigned, int64_t *out,
                     struct ocirun_error *err)
{
    char *end;

    errno = 0;
    if (is_unsigned) {
        uint64_t u = value[0] == '-' ? (errno = EINVAL, 0) : strtoull(value, &end, 10);
        *out = (int64_t)u;
        if (u > INT64_MAX)
            errno = ERANGE;
    } else {
        *out = strtoll(value, &end, 10);
    }
    if (errno != 0 || value[0] == '\0' || *end != '\0' || isspace((unsigned char)value[0]))
        return error_plain(err, EINVAL, "invalid value for %s: strconv.Parse%s: parsing \"%s\"",
                           flag, is_unsigned ? "Uint" : "Int", value);
    return 0;
}

/* The parts of the resources the flags fill, made on first use. */
static struct oci_memory *mem(struct oci_resources *r)
{
    if (r->memory == NULL)
        r->memory = xzalloc(sizeof(*r->memory));
    return r->memory;
}

static struct oci_cpu *cpu(struct oci_resources *r)
{
    if (r->cpu == NULL)
        r->cpu = xzalloc(sizeof(*r->cpu));
    return r->cpu;
}

/* A numeric flag: parsed, then stored in its field. */
static int set_number(struct oci_resources *r, const struct cli_flag *f, const char *value,
                      struct ocirun_error *err)
{
    bool is_memory = f->id == F_MEMORY || f->id == F_MEM_RESERVATION || f->id == F_MEM_SWAP ||
                     f->id == F_KMEM || f->id == F_KMEM_TCP;
    bool is_unsigned = f->id == F_CPU_PERIOD || f->id == F_CPU_RT_PERIOD || f->id == F_CPU_SHARE ||
                       f->id == F_BLKIO;
    int64_t v = 0;

    if ((is_memory ? parse_memory(f->name, value, &v, err)
                   : parse_int(f->name, value, is_unsigned, &v, err)) < 0)
        return -1;
    switch (f->id) {
    case F_MEMORY:
        mem(r)->limit = v, mem(r)->limit_present = true;
        break;
    case F_MEM_RESERVATION:
        mem(r)->reservation = v, mem(r)->reservation_present = true;
        break;
    case F_MEM_SWAP:
        mem(r)->swap = v, mem(r)->swap_present = true;
        break;
    case F_KMEM:
        mem(r)->kernel = v, mem(r)->kernel_present = true;
        break;
    case F_KMEM_TCP:
        mem(r)->kernel_tcp = v, mem(r)->kernel_tcp_present = true;
        break;
    case F_CPU_PERIOD:
        cpu(r)->period = (uint64_t)v, cpu(r)->period_present = true;
        break;
    case F_CPU_QUOTA:
        cpu(r)->quota = v, cpu(r)->quota_present = true;
        break;
    case F_CPU_RT_PERIOD:
        cpu(r)->realtime_period = (uint64_t)v, cpu(r)->realtime_period_present = true;
        break;
    case F_CPU_RT_RUNTIME:
        cpu(r)->realtime_runtime = v, cpu(r)->realtime_runtime_present = true;
        break;
    case F_CPU_SHARE:
        cpu(r)->shares = (uint64_t)v, cpu(r)->shares_present = true;
        break;
    case F_CPU_IDLE:
        cpu(r)->idle = v, cpu(r)->idle_present = true;
        break;
    case F_PIDS:
        if (r->pids == NULL)
            r->pids = xzalloc(sizeof(*r->pids));
        r->pids->limit = v, r->pids->limit_present = true;
        break;
    case F_BLKIO:
        if (v > UINT16_MAX)
            return error_plain(err, EINVAL, "invalid value for %s: %s", f->name, value);
        if (r->block_io == NULL)
            r->block_io = xzalloc(sizeof(*r->block_io));
        r->block_io->weight = (uint16_t)v, r->block_io->weight_present = true;
        break;
    }
    return 0;
}

static const struct cli_flag *flag_by_id(int id)
{
    for (const struct cli_flag *f = flags; f->name; f++)
        if (f->id == id)
            return f;
    return NULL;
}

static int set_flag(struct oci_resources *r, int id, const char *value, struct ocirun_error *err)
{
    switch (id) {
    case F_CPUSET_CPUS:
        free(cpu(r)->cpus);
        cpu(r)->cpus = xstrdup(value);
        return 0;
    case F_CPUSET_MEMS:
        free(cpu(r)->mems);
        cpu(r)->mems = xstrdup(value);
        return 0;
    case F_L3:
    case F_MEMBW:
        return error_plain(err, ENOTSUP, "--%s: Intel RDT is not supported by ocirun",
                           flag_by_id(id)->name);
    default:
        return set_number(r, flag_by_id(id), value, err);
    }
}

static int read_resources(const char *file, struct oci_resources **out, struct ocirun_error *err)
{
    cleanup_free char *data = NULL;
    char *perr = NULL;
    size_t len = 0;
    int r;

    if (strcmp(file, "-") == 0) {
        /* fd 0 itself: /dev/stdin may not exist (minimal systems) */
        if (read_fd_all(STDIN_FILENO, "stdin", 64u << 20, &data, &len, err) < 0)
            return error_wrap(err, "read the resources from stdin");
        r = oci_resources_parse_data(data, len, out, &perr);
    } else {
        r = oci_resources_parse_file(file, out, &perr);
    }
    if (r < 0) {
        error_plain(err, EINVAL, "decoding resources from `%s`: %s", file, perr ? perr : "invalid");
        free(perr);
        return -1;
    }
    return 0;
}

/* runc ignores kernel memory, with a warning. */
static void drop_kernel_memory(struct oci_resources *r)
{
    if (r->memory == NULL || !(r->memory->kernel_present || r->memory->kernel_tcp_present))
        return;
    log_warn("Kernel memory settings are ignored and will be removed");
    r->memory->kernel_present = r->memory->kernel_tcp_present = false;
}

static int parse_flags(struct cli_parser *p, const char **file, struct oci_resources *r,
                       struct ocirun_error *err)
{
    const char *value;
    int opt, ret;

    while ((ret = cli_next(p, &opt, &value, err)) > 0) {
        if (opt == 'r')
            *file = value;
        else if (set_flag(r, opt, value, err) < 0)
            return -1;
    }
    return ret;
}

int cmd_update(struct global_options *g, int argc, char **argv, struct ocirun_error *err)
{
    struct oci_resources *flag_res = xzalloc(sizeof(*flag_res)), *file_res = NULL;
    const char *file = NULL, *id;
    struct cli_parser p;
    int ret = -1;

    cli_parser_init(&p, &command, argc, argv);
    if (parse_flags(&p, &file, flag_res, err) < 0)
        goto out;
    if (p.help_shown) {
        ret = 0;
        goto out;
    }
    if (cli_container_id(&p, &id, err) < 0)
        goto out;
    if (file != NULL && read_resources(file, &file_res, err) < 0)
        goto out;
    drop_kernel_memory(file_res ? file_res : flag_res);
    ret = container_update(g->root, id, file_res ? file_res : flag_res, err);
out:
    oci_resources_free(flag_res);
    oci_resources_free(file_res);
    return ret < 0 ? -1 : 0;
}
