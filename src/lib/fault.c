/* SPDX-License-Identifier: GPL-2.0-or-later */
/* See fault.h.  Kept out of normal builds entirely: a release binary has no
 * way to be told to kill itself. */
#include "config.h"
#include "fault.h"

#ifdef OCIRUN_FAULT_INJECTION
#include <signal.h>
#include <stdlib.h>
#include <string.h>

void fault_point(const char *step)
{
    const char *want = getenv("OCIRUN_FAULT");

    /* SIGKILL, not exit: no atexit handler, no cleanup path, no flush --
     * exactly what a timeout's kill -9 leaves behind. */
    if (want != NULL && strcmp(want, step) == 0)
        raise(SIGKILL);
}
#else
/* ISO C forbids an empty translation unit. */
typedef int fault_injection_disabled;
#endif
