/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Streaming JSON writer: tracks, per nesting level, whether a separator is
 * needed, and escapes strings so the output always parses, even for file
 * contents that are not valid UTF-8 (such bytes come out as \u00XX). */
#include "json-out.h"

#include <stdio.h>
#include <string.h>

#define MAX_DEPTH 32

static bool need_comma[MAX_DEPTH];
static int depth;
/* something was written since the last json_finish */
static bool pending;

/* Length of the valid UTF-8 sequence at s (at most avail bytes), or 0. */
static size_t utf8_sequence_len(const unsigned char *s, size_t avail)
{
    size_t n;
    unsigned int cp;

    if (s[0] < 0xC2 || s[0] > 0xF4)
        return 0;
    n = s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : 2;
    if (n > avail)
        return 0;
    cp = s[0] & (0x7F >> n);
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    /* reject overlong forms, surrogates and values above U+10FFFF */
    if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

static void put_escaped(const char *value, size_t len)
{
    const unsigned char *s = (const unsigned char *)value;

    putchar('"');
    for (size_t i = 0; i < len; i++) {
        unsigned char c = s[i];
        size_t n;

        if (c == '"' || c == '\\') {
            putchar('\\');
            putchar(c);
        } else if (c == '\n') {
            fputs("\\n", stdout);
        } else if (c == '\t') {
            fputs("\\t", stdout);
        } else if (c < 0x20 || c == 0x7F) {
            printf("\\u%04x", c);
        } else if (c < 0x80) {
            putchar(c);
        } else if ((n = utf8_sequence_len(s + i, len - i)) > 0) {
            fwrite(s + i, 1, n, stdout);
            i += n - 1;
        } else {
            printf("\\u%04x", c);
        }
    }
    putchar('"');
}

/* Writes the separator and "key": that precede every value. */
static void begin_value(const char *key)
{
    pending = true;
    if (depth > 0 && need_comma[depth - 1])
        putchar(',');
    if (depth > 0)
        need_comma[depth - 1] = true;
    if (key != NULL) {
        put_escaped(key, strlen(key));
        putchar(':');
    }
}

static void open_container(const char *key, char bracket)
{
    begin_value(key);
    putchar(bracket);
    if (depth < MAX_DEPTH)
        need_comma[depth] = false;
    depth++;
}

void json_object_begin(const char *key)
{
    open_container(key, '{');
}

void json_object_end(void)
{
    depth--;
    putchar('}');
}

void json_array_begin(const char *key)
{
    open_container(key, '[');
}

void json_array_end(void)
{
    depth--;
    putchar(']');
}

void json_string_len(const char *key, const char *value, size_t len)
{
    begin_value(key);
    put_escaped(value, len);
}

void json_string(const char *key, const char *value)
{
    if (value == NULL) {
        json_null(key);
        return;
    }
    json_string_len(key, value, strlen(value));
}

void json_int(const char *key, long long value)
{
    begin_value(key);
    printf("%lld", value);
}

void json_uint(const char *key, unsigned long long value)
{
    begin_value(key);
    printf("%llu", value);
}

void json_double(const char *key, double value)
{
    begin_value(key);
    printf("%.15g", value);
}

void json_bool(const char *key, bool value)
{
    begin_value(key);
    fputs(value ? "true" : "false", stdout);
}

void json_null(const char *key)
{
    begin_value(key);
    fputs("null", stdout);
}

int json_finish(void)
{
    if (pending)
        putchar('\n');
    pending = false;
    depth = 0;
    need_comma[0] = false;
    if (fflush(stdout) != 0 || ferror(stdout))
        return -1;
    return 0;
}
