/* SPDX-License-Identifier: GPL-2.0-or-later */
/* linux.seccomp (config-linux.md "Seccomp"): the profile is translated to
 * classic BPF with libseccomp in the parent, before clone; the container
 * init only hands the finished instructions to seccomp(2), as its last step
 * before execve.
 *
 * Beyond a plain libseccomp translation:
 * - syscall names this libseccomp does not know are skipped (as runc does);
 * - when the default action refuses (not ALLOW, LOG or TRACE, and not
 *   already ERRNO(ENOSYS)), a syscall numbered above the highest one the
 *   profile names, per architecture, fails with ENOSYS instead: it is newer
 *   than the profile, and ENOSYS is what makes libc fall back to an older
 *   call (runc's "-ENOSYS stub");
 * - a rule with several conditions on one argument is added as one rule per
 *   condition (libseccomp refuses them in one rule; runc and crun do the
 *   same);
 * - a rule whose action is the default action is dropped (it changes
 *   nothing, and libseccomp refuses it).
 *
 * Built with --disable-seccomp, seccomp_compile refuses any profile. */
#ifndef OCIRUN_SECCOMP_FILTER_H
#define OCIRUN_SECCOMP_FILTER_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "ocispec.h"

struct seccomp_program; /* a compiled filter: BPF instructions + flags */

/* Validates and compiles the profile in the PARENT before clone (so the
 * child does no libseccomp work): defaultAction, defaultErrnoRet,
 * architectures, flags, syscalls (names, action, errnoRet, args with
 * index/value/valueTwo/op). Unknown syscall names are skipped (as runc
 * does). Returns 0 and *out = NULL when s is NULL. */
int seccomp_compile(const struct oci_seccomp *s, struct seccomp_program **out,
                    struct ocirun_error *err);

/* seccomp_compile through the BPF cache under the state root cache_root
 * (seccomp_cache.c): a profile seen before on this kernel with this
 * libseccomp costs a file read, not a libseccomp compile. */
int seccomp_compile_cached(const struct oci_seccomp *s, const char *cache_root,
                           struct seccomp_program **out, struct ocirun_error *err);

/* In the container init, last step before execve (after no_new_privs and
 * caps): loads the program with seccomp(SECCOMP_SET_MODE_FILTER, flags).
 * Needs no_new_privs or CAP_SYS_ADMIN. When the profile uses
 * SCMP_ACT_NOTIFY, returns the listener fd in *notify_fd (else -1). Must not
 * allocate memory or call libseccomp (async-signal-safe-ish). */
int seccomp_install(const struct seccomp_program *p, int *notify_fd, struct ocirun_error *err);

/* seccomp_install for the container init and exec processes: with a
 * listener (SCMP_ACT_NOTIFY), the fd goes to the runtime parent over the
 * spawn channel sock as a SPAWN_MSG_SECCOMP_FD message and is closed here;
 * the parent hands it to listenerPath (seccomp_notify_forward). */
int seccomp_install_and_pass(const struct seccomp_program *p, int sock, struct ocirun_error *err);

/* In the runtime parent: connects to s->listenerPath and sends the
 * container process state (config-linux.md) as JSON with notify_fd in
 * SCM_RIGHTS. pid is the process the filter is on; state is the
 * container's state (its private "ocirun" member is not sent). */
int seccomp_notify_forward(const struct oci_seccomp *s, int notify_fd, pid_t pid,
                           const struct oci_state *state, struct ocirun_error *err);

bool seccomp_uses_notify(const struct seccomp_program *p);

void seccomp_program_free(struct seccomp_program *p);

#endif
