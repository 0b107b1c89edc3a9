/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

static int error_result(int errnum)
{
    return errnum > 0 ? -errnum : -1;
}

int error_makev(struct ocirun_error *err, int errnum, const char *fmt, va_list ap)
{
    char *base = NULL;

    if (err == NULL)
        return error_result(errnum);
    free(err->msg);
    err->msg = NULL;
    err->errnum = errnum;
    if (vasprintf(&base, fmt, ap) < 0)
        base = NULL;
    if (base != NULL && errnum > 0) {
        if (asprintf(&err->msg, "%s: %s", base, strerror(errnum)) < 0)
            err->msg = NULL;
        free(base);
    } else {
        err->msg = base;
    }
    if (err->msg == NULL)
        err->msg = strdup("out of memory while reporting an error");
    return error_result(errnum);
}

int error_make(struct ocirun_error *err, int errnum, const char *fmt, ...)
{
    va_list ap;
    int ret;

    va_start(ap, fmt);
    ret = error_makev(err, errnum, fmt, ap);
    va_end(ap);
    return ret;
}

int error_wrap(struct ocirun_error *err, const char *fmt, ...)
{
    char *prefix = NULL, *msg = NULL;
    va_list ap;

    if (err == NULL)
        return -1;
    va_start(ap, fmt);
    if (vasprintf(&prefix, fmt, ap) < 0)
        prefix = NULL;
    va_end(ap);
    if (prefix == NULL)
        return error_result(err->errnum);
    if (asprintf(&msg, "%s: %s", prefix, err->msg ? err->msg : "unknown error") >= 0) {
        free(err->msg);
        err->msg = msg;
    }
    free(prefix);
    return error_result(err->errnum);
}

int error_take(struct ocirun_error *err, int errnum, char *msg)
{
    if (err == NULL) {
        free(msg);
        return error_result(errnum);
    }
    free(err->msg);
    err->errnum = errnum;
    err->msg = msg ? msg : strdup("unknown error");
    return error_result(errnum);
}

void error_clear(struct ocirun_error *err)
{
    if (err == NULL)
        return;
    free(err->msg);
    err->msg = NULL;
    err->errnum = 0;
}
