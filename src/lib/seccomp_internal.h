/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared between seccomp.c (compile, install), seccomp_cache.c (the BPF
 * cache under the state root) and seccomp_notify.c (listenerPath). Not for
 * use outside the seccomp files: the rest of ocirun sees seccomp_filter.h. */
#ifndef OCIRUN_SECCOMP_INTERNAL_H
#define OCIRUN_SECCOMP_INTERNAL_H

#include <linux/filter.h>
#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "ocispec.h"
#include "sha256.h"

struct seccomp_program {
    struct sock_filter *insns;
    unsigned short len;
    unsigned long flags; /* SECCOMP_FILTER_FLAG_* for seccomp(2) */
    bool notify;         /* load with SECCOMP_FILTER_FLAG_NEW_LISTENER */
};

/* The cache key of a profile: SHA-256 over a canonical, length-prefixed
 * encoding of every member that changes the BPF (not listenerPath or
 * listenerMetadata), the native architecture, the libseccomp version and
 * API level, the kernel release and the cache format. */
void seccomp_cache_key(const struct oci_seccomp *s, uint8_t key[SHA256_DIGEST_LEN]);

/* The program cached under <root>/SECCOMP_CACHE_DIR for key: 1 and *out on
 * a hit, 0 on a miss. Anything unexpected (missing, wrong owner or mode,
 * bad size, magic, key or checksum) is a miss, never an error. */
int seccomp_cache_load(const char *root, const uint8_t key[SHA256_DIGEST_LEN],
                       struct seccomp_program **out);

/* Stores p for key, best effort (a failure is logged at debug level). */
void seccomp_cache_store(const char *root, const uint8_t key[SHA256_DIGEST_LEN],
                         const struct seccomp_program *p);

/* '@' is not allowed in a container ID, so the directory can never be
 * taken for (or clash with) a container's state directory. */
#define SECCOMP_CACHE_DIR ".seccomp-cache@v1"

#endif
