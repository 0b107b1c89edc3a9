/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A tiny test harness for the C unit tests: one line per check
 * ("ok - ..." / "FAIL - ... (file:line)"), a final "N passed, N failed"
 * line, exit status 0 when everything passed and 1 otherwise (automake's
 * test driver reads the status). Header-only so each test program stays a
 * single file. */
#ifndef OCIRUN_UNIT_H
#define OCIRUN_UNIT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static unsigned unit_passed_count;
static unsigned unit_failed_count;

__attribute__((format(printf, 4, 5), unused)) static bool unit_check(bool ok, const char *file,
                                                                     int line, const char *fmt, ...)
{
    va_list ap;
    printf("%s - ", ok ? "ok" : "FAIL");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    if (!ok)
        printf(" (%s:%d)", file, line);
    printf("\n");
    fflush(stdout);
    if (ok)
        unit_passed_count++;
    else
        unit_failed_count++;
    return ok;
}

/* UNIT_CHECK(cond, "what is checked", ...): records and prints one check;
 * evaluates to cond so callers can stop a case early. */
#define UNIT_CHECK(cond, ...) unit_check((cond), __FILE__, __LINE__, __VA_ARGS__)

/* Checks that msg is non-NULL and contains want; prints msg on failure. */
__attribute__((unused)) static bool
unit_check_contains(const char *msg, const char *want, const char *file, int line, const char *what)
{
    bool ok = msg != NULL && want != NULL && strstr(msg, want) != NULL;
    if (!ok)
        printf("#   message: %s\n#   wanted:  %s\n", msg ? msg : "(none)", want ? want : "(none)");
    return unit_check(ok, file, line, "%s", what);
}
#define UNIT_CHECK_CONTAINS(msg, want, what)                                                       \
    unit_check_contains((msg), (want), __FILE__, __LINE__, (what))

/* Prints the summary line and returns the exit status for main(). */
__attribute__((unused)) static int unit_finish(void)
{
    printf("%u passed, %u failed\n", unit_passed_count, unit_failed_count);
    return unit_failed_count == 0 ? 0 : 1;
}

#endif
