/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "caps.h"
#include "log.h"
#include "util.h"

/* Names are "CAP_CHOWN" in the spec; libcap's cap_from_name accepts
 * either case. Known means known to libcap AND to this kernel
 * (cap_max_bits is computed once, when libcap is loaded). */
static int cap_value(const char *name, cap_value_t *v)
{
    if (name == NULL || strncasecmp(name, "CAP_", 4) != 0)
        return -1;
    if (cap_from_name(name, v) < 0)
        return -1;
    if (*v < 0 || *v >= cap_max_bits() || *v >= 64)
        return -1;
    return 0;
}

static uint64_t cap_mask(char **names, size_t n)
{
    uint64_t mask = 0;

    for (size_t i = 0; i < n; i++) {
        cap_value_t v;
        if (cap_value(names[i], &v) == 0)
            mask |= UINT64_C(1) << v;
    }
    return mask;
}

static void warn_unknown(char **names, size_t n, const char *set)
{
    for (size_t i = 0; i < n; i++) {
        cap_value_t v;
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

    for (cap_value_t v = 0; v < cap_max_bits() && v < 64; v++) {
        if (keep & (UINT64_C(1) << v))
            continue;
        if (prctl(PR_CAPBSET_DROP, v, 0, 0, 0) < 0 && errno != EINVAL) {
            cleanup_free char *name = cap_to_name(v);
            return error_make(err, errno, "drop capability %s from the bounding set",
                              name ? name : "?");
        }
    }
    return 0;
}

static void fill_flag(cap_t caps, cap_flag_t flag, char **names, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        cap_value_t v;
        if (cap_value(names[i], &v) == 0)
            cap_set_flag(caps, flag, 1, &v, CAP_SET);
    }
}

static int set_ambient(const struct oci_capabilities *c, struct ocirun_error *err)
{
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
        return error_make(err, errno, "clear the ambient capabilities");
    if (c == NULL)
        return 0;
    for (size_t i = 0; i < c->ambient_len; i++) {
        cap_value_t v;
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
    cap_t caps;
    int ret;

    caps = cap_init();
    if (caps == NULL)
        return error_make(err, errno, "cap_init");
    if (c != NULL) {
        fill_flag(caps, CAP_EFFECTIVE, c->effective, c->effective_len);
        fill_flag(caps, CAP_PERMITTED, c->permitted, c->permitted_len);
        fill_flag(caps, CAP_INHERITABLE, c->inheritable, c->inheritable_len);
    }
    ret = cap_set_proc(caps);
    cap_free(caps);
    if (ret < 0)
        return error_make(err, errno, "set the process capabilities");
    return set_ambient(c, err);
}
