/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The device cgroup on the unified hierarchy is an eBPF program of type
 * BPF_PROG_TYPE_CGROUP_DEVICE. The rules are compiled to a chain of
 * checks, the last rule first, so that the last matching rule decides as
 * with v1's devices.allow/deny; with no match the access is allowed, v1's
 * initial state (a config starts with a deny-all rule to change that). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/bpf.h>

#include "cgroup-internal.h"
#include "util.h"

struct prog {
    struct bpf_insn *insns;
    size_t n;
};

static void emit(struct prog *p, uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
    p->insns = xrealloc(p->insns, sizeof(*p->insns) * (p->n + 1));
    p->insns[p->n] =
        (struct bpf_insn){.code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm};
    p->n++;
}

static uint32_t access_bits(const char *access)
{
    uint32_t bits = 0;

    if (access == NULL || access[0] == '\0')
        access = "rwm";
    for (const char *c = access; *c; c++) {
        if (*c == 'r')
            bits |= BPF_DEVCG_ACC_READ;
        else if (*c == 'w')
            bits |= BPF_DEVCG_ACC_WRITE;
        else if (*c == 'm')
            bits |= BPF_DEVCG_ACC_MKNOD;
    }
    return bits;
}

/* Registers after the prologue: r2 type, r3 access, r4 major, r5 minor. */
static void emit_prologue(struct prog *p)
{
    emit(p, BPF_LDX | BPF_MEM | BPF_W, BPF_REG_2, BPF_REG_1, 0, 0);
    emit(p, BPF_ALU | BPF_AND | BPF_K, BPF_REG_2, 0, 0, 0xffff);
    emit(p, BPF_LDX | BPF_MEM | BPF_W, BPF_REG_3, BPF_REG_1, 0, 0);
    emit(p, BPF_ALU | BPF_RSH | BPF_K, BPF_REG_3, 0, 0, 16);
    emit(p, BPF_LDX | BPF_MEM | BPF_W, BPF_REG_4, BPF_REG_1, 4, 0);
    emit(p, BPF_LDX | BPF_MEM | BPF_W, BPF_REG_5, BPF_REG_1, 8, 0);
}

/* One rule: each check jumps past the block when it does not match. An
 * allow rule must cover every requested access; a deny rule matches when
 * it covers any of them. Returns true when the rule matches everything:
 * what comes after it is unreachable, which the verifier refuses. */
static bool emit_rule(struct prog *p, const struct oci_device_cgroup *d)
{
    size_t start = p->n;
    uint32_t acc = access_bits(d->access);
    const char *type = d->type ? d->type : "a";

    if (strcmp(type, "a") != 0)
        emit(p, BPF_JMP32 | BPF_JNE | BPF_K, BPF_REG_2, 0, 0,
             type[0] == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR);
    if (acc != (BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD)) {
        emit(p, BPF_ALU | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_3, 0, 0);
        emit(p, BPF_ALU | BPF_AND | BPF_K, BPF_REG_1, 0, 0, (int32_t)(d->allow ? ~acc : acc));
        emit(p, BPF_JMP32 | (d->allow ? BPF_JNE : BPF_JEQ) | BPF_K, BPF_REG_1, 0, 0, 0);
    }
    if (d->major_present && d->major >= 0)
        emit(p, BPF_JMP32 | BPF_JNE | BPF_K, BPF_REG_4, 0, 0, (int32_t)d->major);
    if (d->minor_present && d->minor >= 0)
        emit(p, BPF_JMP32 | BPF_JNE | BPF_K, BPF_REG_5, 0, 0, (int32_t)d->minor);
    emit(p, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, d->allow ? 1 : 0);
    emit(p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
    for (size_t i = start; i < p->n; i++)
        if (BPF_CLASS(p->insns[i].code) == BPF_JMP32)
            p->insns[i].off = (int16_t)(p->n - i - 1);
    return p->n - start == 2;
}

static long bpf(int cmd, union bpf_attr *attr)
{
    return syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

int ebpf_devices_attach(int dirfd, const struct oci_device_cgroup *rules, size_t n,
                        struct ocirun_error *err)
{
    struct prog p = {0};
    union bpf_attr attr;
    cleanup_free struct bpf_insn *insns = NULL;
    cleanup_close int prog = -1;
    char log[1024] = "";

    emit_prologue(&p);
    bool catch_all = false;
    for (size_t i = n; i-- > 0 && !catch_all;)
        catch_all = emit_rule(&p, &rules[i]);
    if (!catch_all) {
        emit(&p, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 1);
        emit(&p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
    }
    insns = p.insns;

    memset(&attr, 0, sizeof(attr));
    attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
    attr.insns = (uint64_t)(uintptr_t)insns;
    attr.insn_cnt = (uint32_t)p.n;
    attr.license = (uint64_t)(uintptr_t) "GPL";
    prog = (int)bpf(BPF_PROG_LOAD, &attr); /* bpf fds are O_CLOEXEC */
    if (prog < 0 && (errno == EACCES || errno == EINVAL)) {
        /* again with the verifier's log, to say why */
        attr.log_buf = (uint64_t)(uintptr_t)log;
        attr.log_size = sizeof(log);
        attr.log_level = 1;
        prog = (int)bpf(BPF_PROG_LOAD, &attr);
    }
    if (prog < 0) {
        int saved = errno;
        log[strcspn(log, "\n")] = '\0';
        return error_make(err, saved, "load the eBPF device filter (%zu rules)%s%s", n,
                          log[0] ? ": " : "", log);
    }

    memset(&attr, 0, sizeof(attr));
    attr.target_fd = (uint32_t)dirfd;
    attr.attach_bpf_fd = (uint32_t)prog;
    attr.attach_type = BPF_CGROUP_DEVICE;
    attr.attach_flags = BPF_F_ALLOW_MULTI;
    if (bpf(BPF_PROG_ATTACH, &attr) < 0)
        return error_make(err, errno, "attach the eBPF device filter");
    return 0;
}
