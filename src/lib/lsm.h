/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Linux security module labels: process.apparmorProfile,
 * process.selinuxLabel and linux.mountLabel.
 *
 * Host support is feature-detected once (lsm_host). What happens where the
 * host lacks the module (documented in docs/security.md):
 *   - apparmorProfile / selinuxLabel: create (and exec) fail before anything
 *     is cloned. runc 1.1 fails too (AppArmor: in the init, writing
 *     attr/exec; SELinux: "selinux label is specified in config, but selinux
 *     is disabled"); silently running a workload unconfined that asked for
 *     confinement is the one thing a runtime must not do.
 *   - mountLabel: ignored with a warning (as crun), since it only labels
 *     files and there is nothing to label them for.
 *
 * The exec labels are written through /proc/thread-self/attr of the
 * container's procfs, opened from a verified procfs root (fstatfs magic)
 * without crossing a mount (RESOLVE_NO_XDEV): a fake /proc or a file
 * bind-mounted over attr/exec (CVE-2019-16884) makes the write fail instead
 * of silently going nowhere. */
#ifndef OCIRUN_LSM_H
#define OCIRUN_LSM_H

#include <stdbool.h>

#include "error.h"
#include "ocispec.h"

#define LSM_APPARMOR 1u
#define LSM_SELINUX  2u

/* Bitmask of LSM_* the running kernel enforces (cached after the first
 * call). OCIRUN_LSM_HOST=apparmor|selinux|apparmor,selinux adds modules to
 * what was detected (never removes one), so the test suite can drive the
 * apply path on a host without them: the write then fails, loudly. */
unsigned lsm_host(void);

/* A label is one line of at most 4095 printable bytes (the kernel's attr
 * write limit is a page): no NUL, no control character, not empty. */
int lsm_check_label(const char *field, const char *label, struct ocirun_error *err);

/* The labels of p (and mount_label, may be NULL) against the host mask:
 * a clear error for a label the host cannot apply. Pure. */
int lsm_validate(const struct oci_process *p, const char *mount_label, unsigned host,
                 struct ocirun_error *err);

/* The mount data with `context="LABEL"` appended when mount_label is set,
 * the host has SELinux and fstype takes the option; else NULL (use data as
 * it is). Pure; the result is malloc'ed. */
char *lsm_mount_data(const char *data, const char *mount_label, const char *fstype, unsigned host);

/* Right before execve, in the process that will exec: sets the AppArmor
 * profile and/or SELinux label of the next execve through the procfs
 * mounted at /proc. Nothing to do (0) when p asks for neither. */
int lsm_set_exec_labels(const struct oci_process *p, struct ocirun_error *err);

#endif
