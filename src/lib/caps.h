/* SPDX-License-Identifier: GPL-2.0-or-later */
/* process.capabilities: the five sets. */
#ifndef OCIRUN_CAPS_H
#define OCIRUN_CAPS_H

#include "error.h"
#include "ocispec.h"

/* Warns (log_warn) about names this kernel or libcap does not know; they
 * are skipped later (spec 1.3: not an error). Never fails on names. */
void caps_validate(const struct oci_capabilities *caps);

/* Called before changing uid: keeps the permitted set across setresuid. */
int caps_keep_across_setuid(struct ocirun_error *err);

/* Drops the bounding set to caps->bounding; needs CAP_SETPCAP, so it runs
 * before the uid changes. caps NULL: everything dropped. */
int caps_drop_bounding(const struct oci_capabilities *caps, struct ocirun_error *err);

/* After the uid change: sets effective, permitted, inheritable (empty
 * unless asked) and ambient. caps NULL: everything cleared. */
int caps_set(const struct oci_capabilities *caps, struct ocirun_error *err);

#endif
