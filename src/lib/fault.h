/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fault injection for the crash-safety tests (issue #14).
 *
 * fault_point("create.after-state-dir") marks a step where ocirun may be
 * killed by a timeout in real life.  In a build configured with
 * --enable-fault-injection, if the environment variable OCIRUN_FAULT names
 * that step, the process SIGKILLs itself there, so tests can check that
 * `state`, `list` and `delete -f` cope with whatever it left behind.  In a
 * normal build the call compiles to nothing. */
#ifndef OCIRUN_FAULT_H
#define OCIRUN_FAULT_H

#include "config.h"

#ifdef OCIRUN_FAULT_INJECTION
void fault_point(const char *step);
#else
static inline void fault_point(const char *step)
{
    (void)step;
}
#endif

#endif
