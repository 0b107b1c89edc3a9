/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The one error type (GUIDE.md §4). Functions that can fail take a
 * `struct ocirun_error *err` out-parameter and return < 0; the error is
 * printed once, at the top, by the CLI. */
#ifndef OCIRUN_ERROR_H
#define OCIRUN_ERROR_H

#include <stdarg.h>

struct ocirun_error {
    int errnum; /* errno of the failing call, 0 when none applies */
    char *msg;  /* "operation `path`: reason" */
};

/* Sets *err from a printf format; appends ": strerror(errnum)" when errnum
 * is non-zero. Returns -1 (or -errnum if errnum > 0) so callers can write
 * `return error_make(err, errno, "open `%s`", path);`. */
int error_make(struct ocirun_error *err, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int error_makev(struct ocirun_error *err, int errnum, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/* Prefixes the existing message: "<context>: <old message>". */
int error_wrap(struct ocirun_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Takes ownership of a malloc'd message (e.g. from libocispec). */
int error_take(struct ocirun_error *err, int errnum, char *msg);

void error_clear(struct ocirun_error *err);

#endif
