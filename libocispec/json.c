/* SPDX-License-Identifier: Apache-2.0 */
/* JSON text -> private tree, via yajl's callback parser. yajl itself is a
 * state machine with a heap stack, so deep input cannot overflow the C
 * stack; we still cap the depth (the tree is walked recursively later) and
 * the size, and we add the checks yajl does not do: duplicate keys, NUL
 * characters, strict UTF-8 (no overlong forms or surrogates), and an empty
 * document. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_parse.h>

#include "json.h"
#include "ocispec.h"

/* ---- memory ---------------------------------------------------------- */

static void oom(void)
{
    fputs("libocispec: out of memory\n", stderr);
    abort();
}

void *oci_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL)
        oom();
    return p;
}

void *oci_xzalloc(size_t n)
{
    void *p = calloc(1, n ? n : 1);
    if (p == NULL)
        oom();
    return p;
}

void *oci_xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (p == NULL)
        oom();
    return p;
}

void *oci_xreallocarray(void *p, size_t n, size_t size)
{
    if (size != 0 && n > SIZE_MAX / size)
        oom();
    return oci_xrealloc(p, n * size);
}

char *oci_xstrdup(const char *s)
{
    char *r = strdup(s);
    if (r == NULL)
        oom();
    return r;
}

char *oci_xstrndup(const char *s, size_t n)
{
    char *r = oci_xmalloc(n + 1);
    memcpy(r, s, n);
    r[n] = '\0';
    return r;
}

__attribute__((format(printf, 1, 0))) static char *xvasprintf(const char *fmt, va_list ap)
{
    char *r;
    if (vasprintf(&r, fmt, ap) < 0)
        oom();
    return r;
}

char *oci_xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *r = xvasprintf(fmt, ap);
    va_end(ap);
    return r;
}

/* Strict RFC 3629 UTF-8: no overlong forms, no surrogates, <= U+10FFFF. */
bool oci_utf8_valid(const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < len) {
        unsigned c = s[i];
        size_t n;
        unsigned cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xc2 && c <= 0xdf) {
            n = 1;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            n = 2;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (len - i <= n)
            return false;
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
            (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += n + 1;
    }
    return true;
}

/* ---- JSON path ------------------------------------------------------- */

void json_path_init(struct json_path *p)
{
    p->cap = 64;
    p->buf = oci_xmalloc(p->cap);
    p->buf[0] = '\0';
    p->len = 0;
}

void json_path_free(struct json_path *p)
{
    free(p->buf);
    p->buf = NULL;
    p->len = p->cap = 0;
}

static void path_append(struct json_path *p, const char *s, size_t n)
{
    if (p->len + n + 1 > p->cap) {
        while (p->len + n + 1 > p->cap)
            p->cap *= 2;
        p->buf = oci_xrealloc(p->buf, p->cap);
    }
    memcpy(p->buf + p->len, s, n);
    p->len += n;
    p->buf[p->len] = '\0';
}

static bool key_is_plain(const char *key, size_t len)
{
    if (len == 0)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = key[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-'))
            return false;
    }
    return true;
}

/* Keys come from hostile input: show at most 64 bytes, escape the rest. */
#define PATH_KEY_MAX 64

size_t json_path_push_key(struct json_path *p, const char *key, size_t key_len)
{
    size_t old = p->len;
    if (key_is_plain(key, key_len) && key_len <= PATH_KEY_MAX) {
        if (p->len > 0)
            path_append(p, ".", 1);
        path_append(p, key, key_len);
        return old;
    }
    path_append(p, "[\"", 2);
    size_t shown = key_len > PATH_KEY_MAX ? PATH_KEY_MAX : key_len;
    for (size_t i = 0; i < shown; i++) {
        unsigned char c = (unsigned char)key[i];
        char esc[8];
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            path_append(p, esc, 2);
        } else if (c < 0x20 || c == 0x7f) {
            snprintf(esc, sizeof(esc), "\\x%02x", c);
            path_append(p, esc, 4);
        } else {
            path_append(p, (const char *)&key[i], 1);
        }
    }
    if (shown < key_len)
        path_append(p, "...", 3);
    path_append(p, "\"]", 2);
    return old;
}

size_t json_path_push_index(struct json_path *p, size_t index)
{
    size_t old = p->len;
    char b[32];
    int n = snprintf(b, sizeof(b), "[%zu]", index);
    path_append(p, b, (size_t)n);
    return old;
}

void json_path_pop(struct json_path *p, size_t old_len)
{
    p->len = old_len;
    p->buf[old_len] = '\0';
}

char *json_path_error(const struct json_path *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = xvasprintf(fmt, ap);
    va_end(ap);
    if (p == NULL || p->len == 0)
        return msg;
    char *r = oci_xasprintf("%s: %s", p->buf, msg);
    free(msg);
    return r;
}

/* ---- tree ------------------------------------------------------------ */

const char *json_type_name(enum json_type t)
{
    switch (t) {
    case JSON_NULL:
        return "null";
    case JSON_BOOL:
        return "boolean";
    case JSON_NUMBER:
        return "number";
    case JSON_STRING:
        return "string";
    case JSON_ARRAY:
        return "array";
    case JSON_OBJECT:
        return "object";
    }
    return "unknown";
}

void json_free(struct json_value *v)
{
    if (v == NULL)
        return;
    switch (v->type) {
    case JSON_NUMBER:
        free(v->u.number.text);
        break;
    case JSON_STRING:
        free(v->u.string.str);
        break;
    case JSON_ARRAY:
        for (size_t i = 0; i < v->u.array.len; i++)
            json_free(v->u.array.items[i]);
        free(v->u.array.items);
        break;
    case JSON_OBJECT:
        for (size_t i = 0; i < v->u.object.len; i++) {
            free(v->u.object.keys[i]);
            json_free(v->u.object.values[i]);
        }
        free(v->u.object.keys);
        free(v->u.object.key_lens);
        free(v->u.object.values);
        break;
    default:
        break;
    }
    free(v);
}

const struct json_value *json_object_get(const struct json_value *obj, const char *key)
{
    if (obj == NULL || obj->type != JSON_OBJECT)
        return NULL;
    size_t klen = strlen(key);
    for (size_t i = 0; i < obj->u.object.len; i++) {
        if (obj->u.object.key_lens[i] == klen && memcmp(obj->u.object.keys[i], key, klen) == 0)
            return obj->u.object.values[i];
    }
    return NULL;
}

static bool numbers_equal(const struct json_value *a, const struct json_value *b)
{
    if (strcmp(a->u.number.text, b->u.number.text) == 0)
        return true;
    /* "-0" vs "0", "1.0" vs "1": compare as integers when both are, else as
     * long doubles. */
    errno = 0;
    char *ea, *eb;
    long long ia = strtoll(a->u.number.text, &ea, 10);
    long long ib = strtoll(b->u.number.text, &eb, 10);
    if (errno == 0 && *ea == '\0' && *eb == '\0')
        return ia == ib;
    return strtold(a->u.number.text, NULL) == strtold(b->u.number.text, NULL);
}

bool json_equal(const struct json_value *a, const struct json_value *b)
{
    if (a == NULL || b == NULL)
        return a == b;
    if (a->type != b->type)
        return false;
    switch (a->type) {
    case JSON_NULL:
        return true;
    case JSON_BOOL:
        return a->u.boolean == b->u.boolean;
    case JSON_NUMBER:
        return numbers_equal(a, b);
    case JSON_STRING:
        return a->u.string.len == b->u.string.len &&
               memcmp(a->u.string.str, b->u.string.str, a->u.string.len) == 0;
    case JSON_ARRAY:
        if (a->u.array.len != b->u.array.len)
            return false;
        for (size_t i = 0; i < a->u.array.len; i++) {
            if (!json_equal(a->u.array.items[i], b->u.array.items[i]))
                return false;
        }
        return true;
    case JSON_OBJECT:
        if (a->u.object.len != b->u.object.len)
            return false;
        for (size_t i = 0; i < a->u.object.len; i++) {
            const struct json_value *other = json_object_get(b, a->u.object.keys[i]);
            if (other == NULL || !json_equal(a->u.object.values[i], other))
                return false;
        }
        return true;
    }
    return false;
}
