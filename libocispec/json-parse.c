/* SPDX-License-Identifier: Apache-2.0 */
/* JSON text -> struct json_value, through yajl's callback API.
 *
 * The builder keeps a stack of open containers; the stack doubles as the
 * JSON path of the value being parsed, so every error (ours or yajl's)
 * says where it happened. Checks beyond yajl's: nesting depth, duplicate
 * keys (sorted once per object when it closes: O(n log n), so a 100k-key
 * object is cheap), NUL characters (C strings cannot hold them), strict
 * UTF-8, empty input. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_parse.h>

#include "json.h"
#include "ocispec.h"

struct frame {
    struct json_value *v;
    bool have_key; /* object: the last key has no value yet */
};

struct builder {
    struct json_value *root;
    struct frame *stack;
    size_t depth;
    size_t cap;
    char *err;
};

/* The path of the current position. `inner` frames are containers that
 * sit in their parent at the parent's last slot; the innermost frame
 * points at the element being parsed (its next slot, or its pending key). */
static void builder_path(const struct builder *b, struct json_path *p, bool include_top)
{
    for (size_t i = 0; i < b->depth; i++) {
        const struct json_value *v = b->stack[i].v;
        bool top = i + 1 == b->depth;
        if (top && !include_top)
            break;
        if (v->type == JSON_OBJECT) {
            size_t n = v->u.object.len;
            if (n > 0 && (!top || b->stack[i].have_key))
                json_path_push_key(p, v->u.object.keys[n - 1], v->u.object.key_lens[n - 1]);
        } else {
            size_t n = v->u.array.len;
            json_path_push_index(p, top ? n : n - 1);
        }
    }
}

static int fail(struct builder *b, bool include_top, const char *msg)
{
    if (b->err != NULL)
        return 0;
    struct json_path p;
    json_path_init(&p);
    builder_path(b, &p, include_top);
    b->err = json_path_error(&p, "%s", msg);
    json_path_free(&p);
    return 0;
}

static struct json_value *new_value(enum json_type t)
{
    struct json_value *v = oci_xzalloc(sizeof(*v));
    v->type = t;
    return v;
}

/* Attaches v to the innermost container (or makes it the root). */
static void add_value(struct builder *b, struct json_value *v)
{
    if (b->depth == 0) {
        b->root = v;
        return;
    }
    struct frame *f = &b->stack[b->depth - 1];
    if (f->v->type == JSON_OBJECT) {
        f->v->u.object.values[f->v->u.object.len - 1] = v;
        f->have_key = false;
        return;
    }
    struct json_value *a = f->v;
    if (a->u.array.len == a->u.array.cap) {
        a->u.array.cap = a->u.array.cap ? a->u.array.cap * 2 : 4;
        a->u.array.items = oci_xreallocarray(a->u.array.items, a->u.array.cap, sizeof(void *));
    }
    a->u.array.items[a->u.array.len++] = v;
}

static int on_null(void *ctx)
{
    add_value(ctx, new_value(JSON_NULL));
    return 1;
}

static int on_boolean(void *ctx, int val)
{
    struct json_value *v = new_value(JSON_BOOL);
    v->u.boolean = val != 0;
    add_value(ctx, v);
    return 1;
}

static int on_number(void *ctx, const char *s, size_t len)
{
    struct json_value *v = new_value(JSON_NUMBER);
    v->u.number.text = oci_xstrndup(s, len);
    v->u.number.len = len;
    add_value(ctx, v);
    return 1;
}

static int check_text(struct builder *b, const unsigned char *s, size_t len, const char *what)
{
    char msg[64];
    if (memchr(s, '\0', len) != NULL) {
        snprintf(msg, sizeof(msg), "NUL character in %s", what);
        return fail(b, true, msg);
    }
    if (!oci_utf8_valid((const char *)s, len)) {
        snprintf(msg, sizeof(msg), "invalid UTF-8 in %s", what);
        return fail(b, true, msg);
    }
    return 1;
}

static int on_string(void *ctx, const unsigned char *s, size_t len)
{
    struct builder *b = ctx;
    if (!check_text(b, s, len, "string"))
        return 0;
    struct json_value *v = new_value(JSON_STRING);
    v->u.string.str = oci_xstrndup((const char *)s, len);
    v->u.string.len = len;
    add_value(b, v);
    return 1;
}

static int push_container(struct builder *b, enum json_type t)
{
    if (b->depth >= OCI_MAX_NESTING) {
        char msg[80];
        snprintf(msg, sizeof(msg), "nesting deeper than %d levels", OCI_MAX_NESTING);
        return fail(b, true, msg);
    }
    struct json_value *v = new_value(t);
    add_value(b, v);
    if (b->depth == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 8;
        b->stack = oci_xreallocarray(b->stack, b->cap, sizeof(*b->stack));
    }
    b->stack[b->depth++] = (struct frame){.v = v, .have_key = false};
    return 1;
}

static int on_start_map(void *ctx)
{
    return push_container(ctx, JSON_OBJECT);
}

static int on_start_array(void *ctx)
{
    return push_container(ctx, JSON_ARRAY);
}

static int on_map_key(void *ctx, const unsigned char *key, size_t len)
{
    struct builder *b = ctx;
    if (!check_text(b, key, len, "object key"))
        return 0;
    struct frame *f = &b->stack[b->depth - 1];
    struct json_value *o = f->v;
    if (o->u.object.len == o->u.object.cap) {
        size_t cap = o->u.object.cap ? o->u.object.cap * 2 : 4;
        o->u.object.keys = oci_xreallocarray(o->u.object.keys, cap, sizeof(char *));
        o->u.object.key_lens = oci_xreallocarray(o->u.object.key_lens, cap, sizeof(size_t));
        o->u.object.values = oci_xreallocarray(o->u.object.values, cap, sizeof(void *));
        o->u.object.cap = cap;
    }
    size_t i = o->u.object.len++;
    o->u.object.keys[i] = oci_xstrndup((const char *)key, len);
    o->u.object.key_lens[i] = len;
    o->u.object.values[i] = NULL;
    f->have_key = true;
    return 1;
}

struct key_ref {
    const char *key;
    size_t len;
    size_t index;
};

static int compare_keys(const void *a, const void *b)
{
    const struct key_ref *x = a, *y = b;
    if (x->len != y->len)
        return x->len < y->len ? -1 : 1;
    int c = memcmp(x->key, y->key, x->len);
    if (c != 0)
        return c;
    return x->index < y->index ? -1 : (x->index > y->index);
}

/* Returns the index of the later occurrence of the duplicate key that
 * comes first in the document, or (size_t)-1. */
static size_t find_duplicate_key(const struct json_value *o)
{
    size_t n = o->u.object.len;
    if (n < 2)
        return (size_t)-1;
    struct key_ref *refs = oci_xreallocarray(NULL, n, sizeof(*refs));
    for (size_t i = 0; i < n; i++)
        refs[i] = (struct key_ref){o->u.object.keys[i], o->u.object.key_lens[i], i};
    qsort(refs, n, sizeof(*refs), compare_keys);
    size_t best = (size_t)-1;
    for (size_t i = 1; i < n; i++) {
        if (refs[i].len == refs[i - 1].len &&
            memcmp(refs[i].key, refs[i - 1].key, refs[i].len) == 0 && refs[i].index < best)
            best = refs[i].index;
    }
    free(refs);
    return best;
}

static int on_end_map(void *ctx)
{
    struct builder *b = ctx;
    const struct json_value *o = b->stack[b->depth - 1].v;
    size_t dup = find_duplicate_key(o);
    if (dup != (size_t)-1) {
        struct json_path p;
        json_path_init(&p);
        builder_path(b, &p, false);
        /* the key may be long or contain quotes: show it the way a path would */
        struct json_path k;
        json_path_init(&k);
        json_path_push_key(&k, o->u.object.keys[dup], o->u.object.key_lens[dup]);
        const char *shown = k.buf;
        char *msg = oci_xasprintf("duplicate key %s%s%s", shown[0] == '[' ? "" : "\"", shown,
                                  shown[0] == '[' ? "" : "\"");
        b->err = json_path_error(&p, "%s", msg);
        free(msg);
        json_path_free(&k);
        json_path_free(&p);
        return 0;
    }
    b->depth--;
    return 1;
}

static int on_end_array(void *ctx)
{
    struct builder *b = ctx;
    b->depth--;
    return 1;
}

static const yajl_callbacks callbacks = {
    .yajl_null = on_null,
    .yajl_boolean = on_boolean,
    .yajl_number = on_number,
    .yajl_string = on_string,
    .yajl_start_map = on_start_map,
    .yajl_map_key = on_map_key,
    .yajl_end_map = on_end_map,
    .yajl_start_array = on_start_array,
    .yajl_end_array = on_end_array,
};

/* yajl's wording -> ours, for the messages users are likely to see. */
static const char *describe_yajl_error(const char *yerr, bool at_end)
{
    if (at_end || strstr(yerr, "premature EOF") != NULL)
        return "truncated document (unexpected end of input)";
    if (strstr(yerr, "trailing garbage") != NULL)
        return "trailing garbage after the document";
    if (strstr(yerr, "UTF8") != NULL)
        return "invalid UTF-8 in string";
    return NULL;
}

static void line_column(const char *data, size_t off, size_t *line, size_t *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < off; i++) {
        if (data[i] == '\n') {
            (*line)++;
            *col = 1;
        } else {
            (*col)++;
        }
    }
}

static void set_syntax_error(struct builder *b, yajl_handle h, const char *data, size_t len,
                             size_t off, bool at_end)
{
    unsigned char *yerr = yajl_get_error(h, 0, (const unsigned char *)data, len);
    char reason[256];
    /* yajl says "parse error: <what>\n"; keep only <what> */
    const char *r = yerr ? (const char *)yerr : "invalid JSON";
    const char *colon = strstr(r, "error: ");
    if (colon != NULL)
        r = colon + strlen("error: ");
    snprintf(reason, sizeof(reason), "%s", r);
    size_t n = strlen(reason);
    while (n > 0 && (reason[n - 1] == '\n' || reason[n - 1] == ' ' || reason[n - 1] == '.'))
        reason[--n] = '\0';
    if (yerr)
        yajl_free_error(h, yerr);
    const char *nice = describe_yajl_error(reason, at_end);
    size_t line, col;
    line_column(data, off, &line, &col);
    char *msg = oci_xasprintf("%s%s (line %zu, column %zu, byte %zu)",
                              nice ? "" : "syntax error: ", nice ? nice : reason, line, col, off);
    fail(b, true, msg);
    free(msg);
}

static unsigned hex4(const char *s)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        v = v * 16 + (unsigned)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
    }
    return v;
}

/* yajl turns a lone "\ud800" into "?" and pairs a high surrogate with any
 * following escape, silently changing the text. Runs on syntactically
 * valid input only, so every escape is complete. Returns the offset of a
 * bad escape, or (size_t)-1. */
static size_t find_bad_surrogate(const char *data, size_t len)
{
    bool in_string = false;
    for (size_t i = 0; i < len; i++) {
        if (data[i] == '"') {
            in_string = !in_string;
        } else if (in_string && data[i] == '\\') {
            if (data[i + 1] != 'u') {
                i++;
                continue;
            }
            unsigned u = hex4(data + i + 2);
            if (u >= 0xdc00 && u <= 0xdfff)
                return i;
            if (u >= 0xd800 && u <= 0xdbff) {
                if (i + 11 >= len || data[i + 6] != '\\' || data[i + 7] != 'u')
                    return i;
                unsigned lo = hex4(data + i + 8);
                if (lo < 0xdc00 || lo > 0xdfff)
                    return i;
                i += 6;
            }
            i += 5;
        }
    }
    return (size_t)-1;
}

static bool only_whitespace(const char *data, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (!strchr(" \t\r\n", data[i]) || data[i] == '\0')
            return false;
    }
    return true;
}

int json_parse(const char *data, size_t len, struct json_value **out, char **err)
{
    struct builder b = {0};
    *out = NULL;
    *err = NULL;
    if (len > OCI_MAX_DOCUMENT_SIZE) {
        *err = oci_xasprintf("document too large (%zu bytes, limit %u)", len,
                             (unsigned)OCI_MAX_DOCUMENT_SIZE);
        return -1;
    }
    if (only_whitespace(data, len)) {
        *err = oci_xstrdup("empty document (no JSON value)");
        return -1;
    }
    yajl_handle h = yajl_alloc(&callbacks, NULL, &b);
    if (h == NULL) {
        *err = oci_xstrdup("cannot allocate the JSON parser");
        return -1;
    }
    yajl_status st = yajl_parse(h, (const unsigned char *)data, len);
    if (st == yajl_status_error && b.err == NULL)
        set_syntax_error(&b, h, data, len, yajl_get_bytes_consumed(h), false);
    if (st == yajl_status_ok) {
        st = yajl_complete_parse(h);
        if (st == yajl_status_error && b.err == NULL)
            set_syntax_error(&b, h, data, len, len, b.root != NULL && b.depth > 0);
    }
    if (st == yajl_status_ok && b.err == NULL && b.root == NULL)
        b.err = oci_xstrdup("empty document (no JSON value)");
    if (st == yajl_status_ok && b.err == NULL && b.depth != 0)
        fail(&b, true, "truncated document (unexpected end of input)");
    if (st == yajl_status_ok && b.err == NULL) {
        size_t bad = find_bad_surrogate(data, len);
        if (bad != (size_t)-1) {
            size_t line, col;
            line_column(data, bad, &line, &col);
            b.err = oci_xasprintf("invalid UTF-8 in string: unpaired UTF-16 surrogate escape "
                                  "\"%.6s\" (line %zu, column %zu, byte %zu)",
                                  data + bad, line, col, bad);
        }
    }
    yajl_free(h);
    free(b.stack);
    if (b.err != NULL) {
        json_free(b.root);
        *err = b.err;
        return -1;
    }
    *out = b.root;
    return 0;
}
