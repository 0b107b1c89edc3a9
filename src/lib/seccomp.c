/* SPDX-License-Identifier: GPL-2.0-or-later */
/* linux.seccomp: profile -> BPF with libseccomp (parent), BPF -> kernel
 * (container init). See seccomp.h for the rules beyond plain libseccomp. */
#include "config.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifdef HAVE_SECCOMP
#include <seccomp.h>
#endif

#include "fdpass.h"
#include "log.h"
#include "seccomp_filter.h"
#include "seccomp_internal.h"
#include "spawn.h"
#include "util.h"

#ifndef SECCOMP_FILTER_FLAG_TSYNC_ESRCH
#define SECCOMP_FILTER_FLAG_TSYNC_ESRCH (1UL << 4)
#endif
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

/* ---- loading (container init: no allocation, no libseccomp) ------------- */

int seccomp_install(const struct seccomp_program *p, int *notify_fd, struct ocirun_error *err)
{
    struct sock_fprog prog;
    unsigned long flags;
    long fd;

    *notify_fd = -1;
    if (p == NULL)
        return 0;
    prog.len = p->len;
    prog.filter = p->insns;
    flags = p->flags | (p->notify ? SECCOMP_FILTER_FLAG_NEW_LISTENER : 0);
    fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
    if (fd < 0 && errno == EACCES)
        return error_make(err, EACCES,
                          "load the seccomp filter: needs process.noNewPrivileges or "
                          "CAP_SYS_ADMIN");
    if (fd < 0)
        return error_make(err, errno, "load the seccomp filter (flags %#lx)", flags);
    if (p->notify)
        *notify_fd = (int)fd; /* the kernel opens it O_CLOEXEC */
    return 0;
}

int seccomp_install_and_pass(const struct seccomp_program *p, int sock, struct ocirun_error *err)
{
    struct spawn_msg m = {.type = SPAWN_MSG_SECCOMP_FD};
    cleanup_close int fd = -1;

    if (seccomp_install(p, &fd, err) < 0)
        return -1;
    if (fd < 0)
        return 0;
    /* The profile must allow sendmsg; a NOTIFY on it would wait for an
     * agent that only gets the fd through this very call. */
    if (fd_send(sock, fd, &m, sizeof(m), err) < 0)
        return error_wrap(err, "pass the seccomp listener fd to the runtime");
    return 0;
}

bool seccomp_uses_notify(const struct seccomp_program *p)
{
    return p != NULL && p->notify;
}

void seccomp_program_free(struct seccomp_program *p)
{
    if (p == NULL)
        return;
    free(p->insns);
    free(p);
}

#ifndef HAVE_SECCOMP

int seccomp_compile_cached(const struct oci_seccomp *s, const char *cache_root,
                           struct seccomp_program **out, struct ocirun_error *err)
{
    (void)cache_root;
    return seccomp_compile(s, out, err);
}

int seccomp_compile(const struct oci_seccomp *s, struct seccomp_program **out,
                    struct ocirun_error *err)
{
    *out = NULL;
    if (s == NULL)
        return 0;
    return error_make(err, ENOTSUP,
                      "linux.seccomp: ocirun was built without libseccomp "
                      "(configure --disable-seccomp)");
}

#else

/* ---- profile names -> values ---------------------------------------------- */

static const struct {
    const char *name;
    uint32_t action; /* ERRNO and TRACE get their data added */
} action_table[] = {
    {"SCMP_ACT_KILL", SCMP_ACT_KILL},
    {"SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS},
    {"SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD},
    {"SCMP_ACT_TRAP", SCMP_ACT_TRAP},
    {"SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0)},
    {"SCMP_ACT_TRACE", SCMP_ACT_TRACE(0)},
    {"SCMP_ACT_ALLOW", SCMP_ACT_ALLOW},
    {"SCMP_ACT_LOG", SCMP_ACT_LOG},
    {"SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY},
};

static const struct {
    const char *name;
    enum scmp_compare op;
} operator_table[] = {
    {"SCMP_CMP_NE", SCMP_CMP_NE},
    {"SCMP_CMP_LT", SCMP_CMP_LT},
    {"SCMP_CMP_LE", SCMP_CMP_LE},
    {"SCMP_CMP_EQ", SCMP_CMP_EQ},
    {"SCMP_CMP_GE", SCMP_CMP_GE},
    {"SCMP_CMP_GT", SCMP_CMP_GT},
    {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
};

static const struct {
    const char *name;
    unsigned long flag;
} flag_table[] = {
    {"SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC},
    {"SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG},
    {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW},
    {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV},
};

/* The kernel caps an ERRNO return at MAX_ERRNO; a larger errnoRet would
 * silently become another error, so it is refused instead. */
#define SECCOMP_MAX_ERRNO  4095
/* x32 syscalls reach the filter with the x86_64 audit arch and this bit. */
#define X32_SYSCALL_BIT    0x40000000u
#define SECCOMP_MAX_ARCHES 32

/* The action value of a profile action, with errnoRet applied. The
 * fields are the JSON paths of the two members, for messages. */
static int parse_action(const char *name, bool has_errno, uint32_t errno_ret,
                        const char *action_field, const char *errno_field, uint32_t *action,
                        struct ocirun_error *err)
{
    size_t i;

    for (i = 0; i < ARRAY_SIZE(action_table); i++)
        if (strcmp(action_table[i].name, name) == 0)
            break;
    if (i == ARRAY_SIZE(action_table))
        return error_make(err, EINVAL, "%s: unknown action \"%s\"", action_field, name);
    *action = action_table[i].action;
    if (*action == SCMP_ACT_ERRNO(0) || *action == SCMP_ACT_TRACE(0)) {
        uint32_t data = has_errno ? errno_ret : EPERM;
        uint32_t max = *action == SCMP_ACT_ERRNO(0) ? SECCOMP_MAX_ERRNO : 0xffff;

        if (data > max)
            return error_make(err, EINVAL, "%s: %u is out of range (at most %u for %s)",
                              errno_field, data, max, name);
        *action |= data;
    } else if (has_errno) {
        return error_make(err, EINVAL,
                          "%s: %s takes no errno (only SCMP_ACT_ERRNO and SCMP_ACT_TRACE do)",
                          errno_field, name);
    }
    return 0;
}

/* "SCMP_ARCH_X86_64" -> libseccomp's token, 0 when unknown. */
static uint32_t resolve_arch(const char *name)
{
    char lower[32];
    size_t i, n;

    if (name == NULL || !str_has_prefix(name, "SCMP_ARCH_"))
        return 0;
    name += strlen("SCMP_ARCH_");
    n = strlen(name);
    if (n == 0 || n >= sizeof(lower))
        return 0;
    for (i = 0; i <= n; i++)
        lower[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] - 'A' + 'a' : name[i]);
    return seccomp_arch_resolve_name(lower);
}

/* ---- the compile context ----------------------------------------------- */

struct compile_ctx {
    const struct oci_seccomp *s;
    scmp_filter_ctx filter;
    uint32_t default_action;
    uint32_t arches[SECCOMP_MAX_ARCHES]; /* native first, then the listed ones */
    size_t arches_len;
    unsigned long flags;
    bool notify;
};

static void compile_ctx_release(struct compile_ctx *c)
{
    if (c->filter != NULL)
        seccomp_release(c->filter);
}

static int add_architectures(struct compile_ctx *c, struct ocirun_error *err)
{
    const struct oci_seccomp *s = c->s;
    size_t i, j;

    c->arches[c->arches_len++] = seccomp_arch_native();
    for (i = 0; i < s->architectures_len; i++) {
        uint32_t token = resolve_arch(s->architectures[i]);
        int r;

        if (token == 0)
            return error_make(err, EINVAL,
                              "linux.seccomp.architectures[%zu]: unknown architecture \"%s\"", i,
                              s->architectures[i]);
        for (j = 0; j < c->arches_len && c->arches[j] != token; j++)
            ;
        if (j < c->arches_len)
            continue; /* the native one, or listed twice */
        if (c->arches_len == SECCOMP_MAX_ARCHES)
            return error_make(err, EINVAL, "linux.seccomp.architectures: too many entries");
        r = seccomp_arch_add(c->filter, token);
        if (r < 0 && r != -EEXIST)
            return error_make(err, -r, "linux.seccomp.architectures[%zu]: add \"%s\"", i,
                              s->architectures[i]);
        c->arches[c->arches_len++] = token;
    }
    return 0;
}

/* seccomp(2) with a NULL program fails with EFAULT only after the flags
 * passed the kernel's checks (EINVAL when it does not know one). Returns 0
 * when accepted, else the errno. */
static int kernel_flags_errno(unsigned long flags)
{
    long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, NULL);

    if (r < 0 && errno == EFAULT)
        return 0;
    return r < 0 ? errno : EINVAL;
}

static int check_kernel_flags(unsigned long flags, const char *what, struct ocirun_error *err)
{
    int e = kernel_flags_errno(flags);

    if (e == EINVAL)
        return error_make(err, ENOTSUP, "%s: not supported by the running kernel", what);
    if (e != 0)
        return error_make(err, e, "%s: probe the kernel with seccomp(2)", what);
    return 0;
}

static int parse_flags(struct compile_ctx *c, struct ocirun_error *err)
{
    const struct oci_seccomp *s = c->s;
    size_t i, j;

    for (i = 0; i < s->flags_len; i++) {
        const char *name = s->flags[i] ? s->flags[i] : "";
        unsigned long probe;
        char what[96];

        for (j = 0; j < ARRAY_SIZE(flag_table); j++)
            if (strcmp(flag_table[j].name, name) == 0)
                break;
        if (j == ARRAY_SIZE(flag_table))
            return error_make(err, EINVAL, "linux.seccomp.flags[%zu]: unknown flag \"%s\"", i,
                              name);
        probe = flag_table[j].flag;
        /* WAIT_KILLABLE_RECV is only valid together with a listener. */
        if (probe == SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV)
            probe |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
        snprintf(what, sizeof(what), "linux.seccomp.flags[%zu]: %s", i, name);
        if (check_kernel_flags(probe, what, err) < 0)
            return -1;
        c->flags |= flag_table[j].flag;
    }
    return 0;
}

/* The seccomp(2) flags once we know whether there is a listener: a
 * killable wait means nothing without one (the kernel refuses it), and
 * TSYNC next to a listener needs TSYNC_ESRCH. */
static int final_flags(struct compile_ctx *c, struct ocirun_error *err)
{
    if (!c->notify)
        c->flags &= ~SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
    if (c->notify && (c->flags & SECCOMP_FILTER_FLAG_TSYNC)) {
        c->flags |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
        if (check_kernel_flags(c->flags | SECCOMP_FILTER_FLAG_NEW_LISTENER,
                               "linux.seccomp.flags: SECCOMP_FILTER_FLAG_TSYNC with "
                               "SCMP_ACT_NOTIFY",
                               err) < 0)
            return -1;
    }
    return 0;
}

/* ---- rules ---------------------------------------------------------------- */

static int build_conditions(const struct oci_syscall *sc, size_t idx, struct scmp_arg_cmp *cmp,
                            bool *same_arg, struct ocirun_error *err)
{
    unsigned seen = 0;
    size_t k, o;

    *same_arg = false;
    for (k = 0; k < sc->args_len; k++) {
        const struct oci_syscall_arg *a = &sc->args[k];

        if (a->index >= 6)
            return error_make(err, EINVAL,
                              "linux.seccomp.syscalls[%zu].args[%zu].index: %u is out of range "
                              "(a syscall has 6 arguments, 0 to 5)",
                              idx, k, a->index);
        for (o = 0; o < ARRAY_SIZE(operator_table); o++)
            if (a->op != NULL && strcmp(operator_table[o].name, a->op) == 0)
                break;
        if (o == ARRAY_SIZE(operator_table))
            return error_make(err, EINVAL,
                              "linux.seccomp.syscalls[%zu].args[%zu].op: unknown operator \"%s\"",
                              idx, k, a->op ? a->op : "");
        if (seen & (1u << a->index))
            *same_arg = true;
        seen |= 1u << a->index;
        cmp[k].arg = a->index;
        cmp[k].op = operator_table[o].op;
        /* MASKED_EQ: (arg & value) == valueTwo, libseccomp's (mask, datum). */
        cmp[k].datum_a = a->value;
        cmp[k].datum_b = operator_table[o].op == SCMP_CMP_MASKED_EQ ? a->value_two : 0;
    }
    return 0;
}

static int add_rule_for_name(struct compile_ctx *c, size_t idx, const char *name, uint32_t action,
                             const struct scmp_arg_cmp *cmp, size_t ncmp, bool same_arg,
                             struct ocirun_error *err)
{
    int nr = name ? seccomp_syscall_resolve_name(name) : __NR_SCMP_ERROR;
    int r = 0;
    size_t k;

    if (nr == __NR_SCMP_ERROR) {
        log_debug("seccomp: skipping syscall `%s` (unknown to libseccomp)", name ? name : "");
        return 0;
    }
    if (!same_arg) {
        r = seccomp_rule_add_array(c->filter, action, nr, (unsigned)ncmp, cmp);
    } else {
        /* One rule per condition: they match as alternatives. */
        for (k = 0; k < ncmp && r == 0; k++)
            r = seccomp_rule_add_array(c->filter, action, nr, 1, &cmp[k]);
    }
    if (r < 0)
        return error_make(err, -r, "linux.seccomp.syscalls[%zu]: add the rule for `%s`", idx, name);
    return 0;
}

static int add_syscall_rule(struct compile_ctx *c, size_t idx, struct ocirun_error *err)
{
    const struct oci_syscall *sc = &c->s->syscalls[idx];
    struct scmp_arg_cmp cmp[64];
    char action_field[64], errno_field[64];
    uint32_t action;
    bool same_arg;
    size_t j;

    snprintf(action_field, sizeof(action_field), "linux.seccomp.syscalls[%zu].action", idx);
    snprintf(errno_field, sizeof(errno_field), "linux.seccomp.syscalls[%zu].errnoRet", idx);
    if (parse_action(sc->action ? sc->action : "", sc->errno_ret_present, sc->errno_ret,
                     action_field, errno_field, &action, err) < 0)
        return -1;
    if (sc->args_len > ARRAY_SIZE(cmp))
        return error_make(err, EINVAL,
                          "linux.seccomp.syscalls[%zu].args: too many conditions (%zu, at most "
                          "%zu)",
                          idx, sc->args_len, ARRAY_SIZE(cmp));
    if (build_conditions(sc, idx, cmp, &same_arg, err) < 0)
        return -1;
    if (action == SCMP_ACT_NOTIFY)
        c->notify = true;
    if (action == c->default_action)
        return 0; /* no effect, and libseccomp refuses it */
    for (j = 0; j < sc->names_len; j++)
        if (add_rule_for_name(c, idx, sc->names[j], action, cmp, sc->args_len, same_arg, err) < 0)
            return -1;
    return 0;
}

/* ---- the -ENOSYS stub ------------------------------------------------------- */

/* Why: a profile lists the syscalls known when it was written. A newer
 * syscall (clone3, openat2, faccessat2, ...) falls to the default action,
 * usually ERRNO(EPERM); libc reads EPERM as "forbidden" and fails, while
 * ENOSYS makes it fall back to the older call the profile allows.
 *
 * How: the syscall numbers are dense and grow with time, so "newer than
 * the profile" is "numbered above the highest syscall the profile names on
 * this architecture". A short classic-BPF prefix, put in front of
 * libseccomp's exported program, checks seccomp_data.arch and returns
 * ERRNO(ENOSYS) for nr > max; everything else jumps to libseccomp's
 * program unchanged. runc generates the same kind of stub (a per-arch
 * "nr > max" check, patched into the program), and crun has a similar
 * mechanism. A prefix keeps libseccomp's program untouched and
 * makes the stub easy to check: the fuzz target verifies every jump of the
 * result. Syscalls below the maximum that the profile does not name still
 * get the default action, as in runc. */

/* Whether syscalls newer than the profile should get ENOSYS rather than the
 * default action: not when the default lets them run (ALLOW, LOG), not for
 * TRACE (a tracer handles unknown syscalls itself), not when the default
 * already is ENOSYS. */
static bool wants_enosys_stub(uint32_t def)
{
    return def != SCMP_ACT_ALLOW && def != SCMP_ACT_LOG &&
           (def & 0xffff0000u) != SCMP_ACT_TRACE(0) && def != SCMP_ACT_ERRNO(ENOSYS);
}

/* The highest syscall number the profile names for one architecture; -1
 * when it names none there. */
static long highest_syscall(const struct oci_seccomp *s, uint32_t arch)
{
    long max = -1;
    size_t i, j;

    for (i = 0; i < s->syscalls_len; i++)
        for (j = 0; j < s->syscalls[i].names_len; j++) {
            const char *name = s->syscalls[i].names[j];
            int nr = name ? seccomp_syscall_resolve_name_arch(arch, name) : -1;
            if (nr >= 0 && nr > max)
                max = nr;
        }
    return max;
}

struct bpf_buf {
    struct sock_filter *v;
    size_t len, cap;
};

static void bpf_emit(struct bpf_buf *b, uint16_t code, uint32_t k, uint8_t jt, uint8_t jf)
{
    if (b->len == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 64;
        b->v = xrealloc(b->v, b->cap * sizeof(*b->v));
    }
    b->v[b->len++] = (struct sock_filter){code, jt, jf, k};
}

/* "nr > max -> ENOSYS, else go to the profile": 3 instructions; the jump
 * to the profile gets its offset when the stub's length is known. A max of
 * UINT32_MAX never matches. */
static void emit_above_check(struct bpf_buf *b, uint32_t max)
{
    bpf_emit(b, BPF_JMP | BPF_JGT | BPF_K, max, 0, 1);
    bpf_emit(b, BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA), 0, 0);
    bpf_emit(b, BPF_JMP | BPF_JA, 0, 0, 0); /* fixed up: to the profile */
}

/* One block per architecture: if seccomp_data.arch matches, compare nr
 * with the architecture's maximum. x86_64 and x32 share an audit arch; x32
 * numbers carry X32_SYSCALL_BIT and have their own maximum. */
static void emit_arch_block(struct bpf_buf *b, uint32_t audit_arch, uint32_t max, bool x86_64,
                            uint32_t max_x32)
{
    uint8_t skip = x86_64 ? 8 : 4;

    bpf_emit(b, BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch), 0, 0);
    bpf_emit(b, BPF_JMP | BPF_JEQ | BPF_K, audit_arch, 0, skip);
    bpf_emit(b, BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr), 0, 0);
    if (x86_64)
        bpf_emit(b, BPF_JMP | BPF_JSET | BPF_K, X32_SYSCALL_BIT, 3, 0);
    emit_above_check(b, max);
    if (x86_64)
        emit_above_check(b, max_x32);
}

static uint32_t stub_max(long max)
{
    return max < 0 ? UINT32_MAX : (uint32_t)max;
}

static void build_enosys_stub(const struct compile_ctx *c, struct bpf_buf *b)
{
    long max_x32 = -1, max_x86_64 = -1;
    bool have_x86_64 = false, have_x32 = false;
    size_t i;

    for (i = 0; i < c->arches_len; i++) {
        uint32_t a = c->arches[i];
        long max = highest_syscall(c->s, a);

        if (a == SCMP_ARCH_X32) {
            have_x32 = true;
            max_x32 = max;
        } else if (a == SCMP_ARCH_X86_64) {
            have_x86_64 = true;
            max_x86_64 = max;
        } else if (max >= 0) {
            emit_arch_block(b, a, (uint32_t)max, false, 0);
        }
    }
    if ((have_x86_64 && max_x86_64 >= 0) || (have_x32 && max_x32 >= 0))
        emit_arch_block(b, AUDIT_ARCH_X86_64, stub_max(max_x86_64), true, stub_max(max_x32));
    /* Every "ja" goes to the first instruction after the stub. */
    for (i = 0; i < b->len; i++)
        if (b->v[i].code == (BPF_JMP | BPF_JA))
            b->v[i].k = (uint32_t)(b->len - i - 1);
}

/* ---- export --------------------------------------------------------------- */

/* libseccomp 2.5 exports only to an fd: a memfd, read back whole. */
static int export_bpf(struct compile_ctx *c, struct bpf_buf *b, struct ocirun_error *err)
{
    cleanup_close int fd = memfd_create("ocirun-seccomp", MFD_CLOEXEC);
    struct stat st;
    size_t n;
    int r;

    if (fd < 0)
        return error_make(err, errno, "seccomp: memfd_create");
    r = seccomp_export_bpf(c->filter, fd);
    if (r < 0)
        return error_make(err, -r, "seccomp: export the BPF program");
    if (fstat(fd, &st) < 0)
        return error_make(err, errno, "seccomp: fstat the exported program");
    if (st.st_size <= 0 || st.st_size % sizeof(struct sock_filter) != 0)
        return error_make(err, EINVAL, "seccomp: exported program has a bad size %lld",
                          (long long)st.st_size);
    n = (size_t)st.st_size / sizeof(struct sock_filter);
    if (b->len + n > BPF_MAXINSNS)
        return error_make(err, E2BIG,
                          "linux.seccomp: the filter needs %zu BPF instructions, the kernel takes "
                          "at most %d",
                          b->len + n, BPF_MAXINSNS);
    b->v = xrealloc(b->v, (b->len + n) * sizeof(*b->v));
    b->cap = b->len + n;
    if (pread(fd, b->v + b->len, (size_t)st.st_size, 0) != st.st_size)
        return error_make(err, errno ? errno : EIO, "seccomp: read the exported program back");
    b->len += n;
    return 0;
}

/* ---- compile ---------------------------------------------------------------- */

static int compile_filter(struct compile_ctx *c, struct ocirun_error *err)
{
    const struct oci_seccomp *s = c->s;
    size_t i;

    if (parse_action(s->default_action ? s->default_action : "", s->default_errno_ret_present,
                     s->default_errno_ret, "linux.seccomp.defaultAction",
                     "linux.seccomp.defaultErrnoRet", &c->default_action, err) < 0)
        return -1;
    /* The init would wait on its own next syscall for an agent that has
     * not received the listener yet (runc refuses it too). */
    if (c->default_action == SCMP_ACT_NOTIFY)
        return error_make(err, EINVAL,
                          "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default "
                          "action");
    c->filter = seccomp_init(c->default_action);
    if (c->filter == NULL)
        return error_make(err, EINVAL, "linux.seccomp: libseccomp refused the default action %s",
                          s->default_action);
    if (add_architectures(c, err) < 0 || parse_flags(c, err) < 0)
        return -1;
    for (i = 0; i < s->syscalls_len; i++)
        if (add_syscall_rule(c, i, err) < 0)
            return -1;
    return final_flags(c, err);
}

static int compile_program(const struct oci_seccomp *s, struct seccomp_program **out,
                           struct ocirun_error *err)
{
    struct compile_ctx c = {.s = s};
    struct bpf_buf b = {0};
    struct seccomp_program *p;
    int ret = -1;

    if (compile_filter(&c, err) < 0)
        goto out;
    if (wants_enosys_stub(c.default_action))
        build_enosys_stub(&c, &b);
    if (export_bpf(&c, &b, err) < 0)
        goto out;
    p = xzalloc(sizeof(*p));
    p->insns = steal_ptr(&b.v);
    p->len = (unsigned short)b.len;
    p->flags = c.flags;
    p->notify = c.notify;
    *out = p;
    ret = 0;
out:
    free(b.v);
    compile_ctx_release(&c);
    return ret;
}

/* config-linux.md: the agent socket is where the listener goes, so a
 * NOTIFY rule without one could only hang the container; metadata without
 * a socket "MUST NOT be set". */
static int check_listener(const struct oci_seccomp *s, bool notify, struct ocirun_error *err)
{
    bool has_path = s->listener_path != NULL && s->listener_path[0] != '\0';

    if (s->listener_metadata != NULL && !has_path)
        return error_make(err, EINVAL, "linux.seccomp.listenerMetadata: set without listenerPath");
    if (notify && !has_path)
        return error_make(err, EINVAL,
                          "linux.seccomp: SCMP_ACT_NOTIFY needs listenerPath (the seccomp agent's "
                          "socket)");
    return 0;
}

static int compile_with_cache(const struct oci_seccomp *s, const char *cache_root,
                              struct seccomp_program **out, struct ocirun_error *err)
{
    uint8_t key[SHA256_DIGEST_LEN];

    *out = NULL;
    if (s == NULL)
        return 0;
    if (cache_root != NULL) {
        seccomp_cache_key(s, key);
        if (seccomp_cache_load(cache_root, key, out) == 1) {
            log_debug("seccomp: compiled program taken from the cache");
            goto check;
        }
    }
    if (compile_program(s, out, err) < 0)
        return -1;
    if (cache_root != NULL)
        seccomp_cache_store(cache_root, key, *out);
check:
    if (check_listener(s, (*out)->notify, err) < 0) {
        seccomp_program_free(*out);
        *out = NULL;
        return -1;
    }
    return 0;
}

int seccomp_compile(const struct oci_seccomp *s, struct seccomp_program **out,
                    struct ocirun_error *err)
{
    return compile_with_cache(s, NULL, out, err);
}

int seccomp_compile_cached(const struct oci_seccomp *s, const char *cache_root,
                           struct seccomp_program **out, struct ocirun_error *err)
{
    return compile_with_cache(s, cache_root, out, err);
}

#endif /* HAVE_SECCOMP */
