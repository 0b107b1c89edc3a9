/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Signal names <-> numbers, with the spellings callers of runc use. */
#ifndef OCIRUN_SIGNALS_H
#define OCIRUN_SIGNALS_H

#include "error.h"

/* Accepts a number ("9", 0..SIGRTMAX), a name with or without the SIG
 * prefix in any case ("KILL", "SIGKILL", "term"), and real-time signals
 * relative to RTMIN/RTMAX ("RTMIN", "RTMIN+3", "SIGRTMAX-1"; RTMIN is the C
 * library's SIGRTMIN, 34 with glibc and musl, as Docker and systemd count).
 * Error: `unknown signal "FOO"` (runc's wording). */
int signal_parse(const char *s, int *sig, struct ocirun_error *err);

/* "KILL", "RTMIN+3", or NULL for a number with no name. */
const char *signal_name(int sig, char *buf, unsigned long len);

#endif
