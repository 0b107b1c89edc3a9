/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libseccomp on demand, for the ocirun binary only (ocirun_SOURCES): the
 * libseccomp functions ocirun calls, each forwarding to libseccomp.so.2,
 * which is dlopen()ed at the first call. A run without linux.seccomp never
 * maps the library (its ~110 KiB were a fifth of ocirun's peak RSS); a run
 * with it loads the library once (for the cache key, and the compile on a
 * cache miss). The prototypes are libseccomp's own (seccomp.h), so the
 * compiler checks that these match. The unit tests link the real library. */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stddef.h>

#include "log.h"

#define SECCOMP_SONAME "libseccomp.so.2"

static void *lib;

/* The symbol, or NULL (with errno ELIBACC) when the library or the symbol
 * is missing: logged once, and the caller's own error names the step. */
static void *sym(const char *name)
{
    static bool failed;
    void *p;

    if (lib == NULL && !failed) {
        lib = dlopen(SECCOMP_SONAME, RTLD_NOW | RTLD_LOCAL);
        if (lib == NULL) {
            failed = true;
            log_warn("load %s: %s", SECCOMP_SONAME, dlerror());
        }
    }
    p = lib ? dlsym(lib, name) : NULL;
    if (p == NULL)
        errno = ELIBACC;
    return p;
}

/* Declares f, the pointer to name's libseccomp function of name's type. */
#define LOAD(name) __typeof__(name) *f = (__typeof__(name) *)sym(#name)

const struct scmp_version *seccomp_version(void)
{
    LOAD(seccomp_version);
    return f ? f() : NULL;
}

unsigned int seccomp_api_get(void)
{
    LOAD(seccomp_api_get);
    return f ? f() : 0;
}

scmp_filter_ctx seccomp_init(uint32_t def_action)
{
    LOAD(seccomp_init);
    return f ? f(def_action) : NULL;
}

void seccomp_release(scmp_filter_ctx ctx)
{
    LOAD(seccomp_release);
    if (f)
        f(ctx);
}

uint32_t seccomp_arch_resolve_name(const char *arch_name)
{
    LOAD(seccomp_arch_resolve_name);
    return f ? f(arch_name) : 0;
}

uint32_t seccomp_arch_native(void)
{
    LOAD(seccomp_arch_native);
    return f ? f() : 0;
}

int seccomp_arch_add(scmp_filter_ctx ctx, uint32_t arch_token)
{
    LOAD(seccomp_arch_add);
    return f ? f(ctx, arch_token) : -ELIBACC;
}

int seccomp_syscall_resolve_name(const char *name)
{
    LOAD(seccomp_syscall_resolve_name);
    return f ? f(name) : __NR_SCMP_ERROR;
}

int seccomp_syscall_resolve_name_arch(uint32_t arch_token, const char *name)
{
    LOAD(seccomp_syscall_resolve_name_arch);
    return f ? f(arch_token, name) : __NR_SCMP_ERROR;
}

int seccomp_rule_add_array(scmp_filter_ctx ctx, uint32_t action, int syscall, unsigned int arg_cnt,
                           const struct scmp_arg_cmp *arg_array)
{
    LOAD(seccomp_rule_add_array);
    return f ? f(ctx, action, syscall, arg_cnt, arg_array) : -ELIBACC;
}

int seccomp_export_bpf(const scmp_filter_ctx ctx, int fd)
{
    LOAD(seccomp_export_bpf);
    return f ? f(ctx, fd) : -ELIBACC;
}
