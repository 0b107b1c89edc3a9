/* SPDX-License-Identifier: GPL-2.0-or-later */
/* process.capabilities by the kernel's own interface (capset, prctl): no
 * libcap, whose constructor probes the bounding set in every process. */
#include "config.h"

#include <errno.h>
#include <linux/capability.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "caps.h"
#include "log.h"
#include "util.h"

/* The names this build knows: those of linux/capability.h, by value. */
#define CAP_NAME(c) [c] = #c
static const char *const cap_names[CAP_LAST_CAP + 1] = {
    CAP_NAME(CAP_CHOWN),
    CAP_NAME(CAP_DAC_OVERRIDE),
    CAP_NAME(CAP_DAC_READ_SEARCH),
    CAP_NAME(CAP_FOWNER),
    CAP_NAME(CAP_FSETID),
    CAP_NAME(CAP_KILL),
    CAP_NAME(CAP_SETGID),
    CAP_NAME(CAP_SETUID),
    CAP_NAME(CAP_SETPCAP),
    CAP_NAME(CAP_LINUX_IMMUTABLE),
    CAP_NAME(CAP_NET_BIND_SERVICE),
    CAP_NAME(CAP_NET_BROADCAST),
    CAP_NAME(CAP_NET_ADMIN),
    CAP_NAME(CAP_NET_RAW),
    CAP_NAME(CAP_IPC_LOCK),
    CAP_NAME(CAP_IPC_OWNER),
    CAP_NAME(CAP_SYS_MODULE),
    CAP_NAME(CAP_SYS_RAWIO),
    CAP_NAME(CAP_SYS_CHROOT),
    CAP_NAME(CAP_SYS_PTRACE),
    CAP_NAME(CAP_SYS_PACCT),
    CAP_NAME(CAP_SYS_ADMIN),
    CAP_NAME(CAP_SYS_BOOT),
    CAP_NAME(CAP_SYS_NICE),
    CAP_NAME(CAP_SYS_RESOURCE),
    CAP_NAME(CAP_SYS_TIME),
    CAP_NAME(CAP_SYS_TTY_CONFIG),
    CAP_NAME(CAP_MKNOD),
    CAP_NAME(CAP_LEASE),
    CAP_NAME(CAP_AUDIT_WRITE),
    CAP_NAME(CAP_AUDIT_CONTROL),
    CAP_NAME(CAP_SETFCAP),
    CAP_NAME(CAP_MAC_OVERRIDE),
    CAP_NAME(CAP_MAC_ADMIN),
    CAP_NAME(CAP_SYSLOG),
    CAP_NAME(CAP_WAKE_ALARM),
    CAP_NAME(CAP_BLOCK_SUSPEND),
    CAP_NAME(CAP_AUDIT_READ),
#ifdef CAP_PERFMON
    CAP_NAME(CAP_PERFMON),
#endif
#ifdef CAP_BPF
    CAP_NAME(CAP_BPF),
#endif
#ifdef CAP_CHECKPOINT_RESTORE
    CAP_NAME(CAP_CHECKPOINT_RESTORE),
#endif
};

/* The kernel's last capability, probed once (PR_CAPBSET_READ fails with
 * EINVAL past it), so 2 syscalls on a kernel matching the header. Not
 * capped to the table: the bounding set is dropped up to the kernel's. */
static int kernel_last = -1;

int caps_kernel_last(void)
{
    int v = CAP_LAST_CAP;

    if (kernel_last >= 0)
        return kernel_last;
    if (prctl(PR_CAPBSET_READ, v, 0, 0, 0) >= 0) {
        while (v < 63 && prctl(PR_CAPBSET_READ, v + 1, 0, 0, 0) >= 0)
            v++;
    } else {
        while (v > 0 && prctl(PR_CAPBSET_READ, v, 0, 0, 0) < 0)
            v--;
    }
    kernel_last = v;
    return v;
}

const char *caps_name(int v)
{
    if (v < 0 || v > CAP_LAST_CAP || v > caps_kernel_last())
        return NULL;
    return cap_names[v];
}

/* Names are "CAP_CHOWN" in the spec, accepted in either case. Known means
 * in the table AND known to this kernel. */
static int cap_value(const char *name, int *v)
{
    if (name == NULL || strncasecmp(name, "CAP_", 4) != 0)
        return -1;
    for (int i = 0; i <= CAP_LAST_CAP; i++) {
        if (cap_names[i] != NULL && strcasecmp(name, cap_names[i]) == 0) {
            *v = i;
            return i <= caps_kernel_last() ? 0 : -1;
        }
    }
    return -1;
}

static uint64_t cap_mask(char **names, size_t n)
{
    uint64_t mask = 0;

    for (size_t i = 0; i < n; i++) {
        int v;
        if (cap_value(names[i], &v) == 0)
            mask |= UINT64_C(1) << v;
    }
    return mask;
}

static void warn_unknown(char **names, size_t n, const char *set)
{
    for (size_t i = 0; i < n; i++) {
        int v;
        if (cap_value(names[i], &v) < 0)
            log_warn("process.capabilities.%s: unknown capability `%s` ignored", set,
                     names[i] ? names[i] : "");
    }
}

void caps_validate(const struct oci_capabilities *c)
{
    if (c == NULL)
        return;
    warn_unknown(c->bounding, c->bounding_len, "bounding");
    warn_unknown(c->effective, c->effective_len, "effective");
    warn_unknown(c->inheritable, c->inheritable_len, "inheritable");
    warn_unknown(c->permitted, c->permitted_len, "permitted");
    warn_unknown(c->ambient, c->ambient_len, "ambient");
}

int caps_keep_across_setuid(struct ocirun_error *err)
{
    if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
        return error_make(err, errno, "prctl(PR_SET_KEEPCAPS)");
    return 0;
}

int caps_drop_bounding(const struct oci_capabilities *c, struct ocirun_error *err)
{
    uint64_t keep = c ? cap_mask(c->bounding, c->bounding_len) : 0;
    int last = caps_kernel_last();

    for (int v = 0; v <= last; v++) {
        if (keep & (UINT64_C(1) << v))
            continue;
        if (prctl(PR_CAPBSET_DROP, v, 0, 0, 0) < 0 && errno != EINVAL) {
            const char *name = v <= CAP_LAST_CAP ? cap_names[v] : NULL;
            return error_make(err, errno, "drop capability %s (%d) from the bounding set",
                              name ? name : "?", v);
        }
    }
    return 0;
}

static void fill_flag(uint32_t set[2], char **names, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int v;
        if (cap_value(names[i], &v) == 0)
            set[v / 32] |= UINT32_C(1) << (v % 32);
    }
}

static int set_ambient(const struct oci_capabilities *c, struct ocirun_error *err)
{
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
        return error_make(err, errno, "clear the ambient capabilities");
    if (c == NULL)
        return 0;
    for (size_t i = 0; i < c->ambient_len; i++) {
        int v;
        if (cap_value(c->ambient[i], &v) < 0)
            continue;
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, v, 0, 0) == 0)
            continue;
        /* EPERM: not in permitted+inheritable. runc's default spec asks
         * for such ambient caps, and runc skips them silently; so do we. */
        if (errno != EPERM)
            return error_make(err, errno, "raise ambient capability %s", c->ambient[i]);
        log_debug("ambient capability %s skipped: not in the permitted and inheritable sets",
                  c->ambient[i]);
    }
    return 0;
}

int caps_set(const struct oci_capabilities *c, struct ocirun_error *err)
{
    struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
    uint32_t eff[2] = {0, 0}, perm[2] = {0, 0}, inh[2] = {0, 0};

    if (c != NULL) {
        fill_flag(eff, c->effective, c->effective_len);
        fill_flag(perm, c->permitted, c->permitted_len);
        fill_flag(inh, c->inheritable, c->inheritable_len);
    }
    for (int i = 0; i < _LINUX_CAPABILITY_U32S_3; i++)
        data[i] = (struct __user_cap_data_struct){
            .effective = eff[i], .permitted = perm[i], .inheritable = inh[i]};
    if (syscall(SYS_capset, &hdr, data) < 0)
        return error_make(err, errno, "set the process capabilities");
    return set_ambient(c, err);
}
