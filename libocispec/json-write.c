/* SPDX-License-Identifier: Apache-2.0 */
/* A small JSON writer. Pretty output puts one member per line, indents
 * with the given string and writes empty containers as {} and [];
 * compact output has no whitespace at all. Strings are escaped minimally
 * (", \, control characters); the caller validates UTF-8 first. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

static void reserve(struct json_writer *w, size_t n)
{
    if (w->len + n + 1 <= w->cap)
        return;
    size_t cap = w->cap ? w->cap : 256;
    while (w->len + n + 1 > cap)
        cap *= 2;
    w->buf = oci_xrealloc(w->buf, cap);
    w->cap = cap;
}

static void put(struct json_writer *w, const char *s, size_t n)
{
    reserve(w, n);
    memcpy(w->buf + w->len, s, n);
    w->len += n;
}

static void puts_(struct json_writer *w, const char *s)
{
    put(w, s, strlen(s));
}

void json_writer_init(struct json_writer *w, const char *indent)
{
    memset(w, 0, sizeof(*w));
    w->indent = indent;
    reserve(w, 0);
}

static void newline_indent(struct json_writer *w, size_t depth)
{
    if (w->indent == NULL)
        return;
    put(w, "\n", 1);
    for (size_t i = 0; i < depth; i++)
        puts_(w, w->indent);
}

/* Called before every value and key: separators and indentation. */
static void before_item(struct json_writer *w)
{
    if (w->after_key) {
        w->after_key = false;
        return;
    }
    if (w->depth == 0)
        return;
    if (w->has_member[w->depth - 1])
        put(w, ",", 1);
    w->has_member[w->depth - 1] = true;
    newline_indent(w, w->depth);
}

static void open_container(struct json_writer *w, const char *c)
{
    before_item(w);
    put(w, c, 1);
    if (w->depth >= JSON_WRITER_MAX_DEPTH)
        abort(); /* unreachable: trees are at most OCI_MAX_NESTING deep */
    w->has_member[w->depth] = false;
    w->depth++;
}

static void close_container(struct json_writer *w, const char *c)
{
    w->depth--;
    if (w->has_member[w->depth])
        newline_indent(w, w->depth);
    put(w, c, 1);
}

void json_writer_begin_object(struct json_writer *w)
{
    open_container(w, "{");
}

void json_writer_end_object(struct json_writer *w)
{
    close_container(w, "}");
}

void json_writer_begin_array(struct json_writer *w)
{
    open_container(w, "[");
}

void json_writer_end_array(struct json_writer *w)
{
    close_container(w, "]");
}

static void write_quoted(struct json_writer *w, const char *s, size_t len)
{
    put(w, "\"", 1);
    size_t start = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *esc = NULL;
        char buf[8];
        switch (c) {
        case '"':
            esc = "\\\"";
            break;
        case '\\':
            esc = "\\\\";
            break;
        case '\n':
            esc = "\\n";
            break;
        case '\t':
            esc = "\\t";
            break;
        case '\r':
            esc = "\\r";
            break;
        case '\b':
            esc = "\\b";
            break;
        case '\f':
            esc = "\\f";
            break;
        default:
            if (c < 0x20 || c == 0x7f) {
                snprintf(buf, sizeof(buf), "\\u%04x", c);
                esc = buf;
            }
        }
        if (esc != NULL) {
            put(w, s + start, i - start);
            puts_(w, esc);
            start = i + 1;
        }
    }
    put(w, s + start, len - start);
    put(w, "\"", 1);
}

void json_writer_key(struct json_writer *w, const char *key)
{
    before_item(w);
    write_quoted(w, key, strlen(key));
    puts_(w, w->indent ? ": " : ":");
    w->after_key = true;
}

void json_writer_string(struct json_writer *w, const char *s)
{
    before_item(w);
    write_quoted(w, s, strlen(s));
}

void json_writer_raw_number(struct json_writer *w, const char *text)
{
    before_item(w);
    puts_(w, text);
}

void json_writer_bool(struct json_writer *w, bool b)
{
    before_item(w);
    puts_(w, b ? "true" : "false");
}

void json_writer_null(struct json_writer *w)
{
    before_item(w);
    puts_(w, "null");
}

void json_writer_int(struct json_writer *w, int64_t v)
{
    char b[32];
    snprintf(b, sizeof(b), "%" PRId64, v);
    json_writer_raw_number(w, b);
}

void json_writer_uint(struct json_writer *w, uint64_t v)
{
    char b[32];
    snprintf(b, sizeof(b), "%" PRIu64, v);
    json_writer_raw_number(w, b);
}

char *json_writer_finish(struct json_writer *w, size_t *len)
{
    if (w->indent != NULL)
        put(w, "\n", 1);
    w->buf[w->len] = '\0';
    char *r = w->buf;
    if (len != NULL)
        *len = w->len;
    w->buf = NULL;
    w->len = w->cap = 0;
    return r;
}

void json_writer_discard(struct json_writer *w)
{
    free(w->buf);
    w->buf = NULL;
    w->len = w->cap = 0;
}

void json_writer_value(struct json_writer *w, const struct json_value *v)
{
    switch (v->type) {
    case JSON_NULL:
        json_writer_null(w);
        break;
    case JSON_BOOL:
        json_writer_bool(w, v->u.boolean);
        break;
    case JSON_NUMBER:
        json_writer_raw_number(w, v->u.number.text);
        break;
    case JSON_STRING:
        before_item(w);
        write_quoted(w, v->u.string.str, v->u.string.len);
        break;
    case JSON_ARRAY:
        json_writer_begin_array(w);
        for (size_t i = 0; i < v->u.array.len; i++)
            json_writer_value(w, v->u.array.items[i]);
        json_writer_end_array(w);
        break;
    case JSON_OBJECT:
        json_writer_begin_object(w);
        for (size_t i = 0; i < v->u.object.len; i++) {
            json_writer_key(w, v->u.object.keys[i]);
            json_writer_value(w, v->u.object.values[i]);
        }
        json_writer_end_object(w);
        break;
    }
}
