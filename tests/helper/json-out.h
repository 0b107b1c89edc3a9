/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A tiny streaming JSON writer for the test helper (stdout only).
 *
 * The helper is linked statically and copied into hostile test rootfses, so
 * it carries its own few lines of JSON output instead of a library.  Every
 * call takes the member key when inside an object, NULL inside an array. */
#ifndef OCITEST_JSON_OUT_H
#define OCITEST_JSON_OUT_H

#include <stdbool.h>
#include <stddef.h>

void json_object_begin(const char *key);
void json_object_end(void);
void json_array_begin(const char *key);
void json_array_end(void);
void json_string(const char *key, const char *value);
/* A string of known length that may hold NUL or invalid UTF-8 bytes. */
void json_string_len(const char *key, const char *value, size_t len);
void json_int(const char *key, long long value);
void json_uint(const char *key, unsigned long long value);
void json_double(const char *key, double value);
void json_bool(const char *key, bool value);
void json_null(const char *key);
/* Ends the top-level value with a newline and flushes; < 0 on write error. */
int json_finish(void);

#endif
