/* SPDX-License-Identifier: Apache-2.0 */
/* A small private JSON document model for libocispec. Parsing goes through
 * yajl's callback API; the tree keeps numbers as their raw text so 64-bit
 * integers stay exact and floats can be told apart from integers. The
 * writer is our own so the output format (indent, empty containers, key
 * order) is fully under our control and invalid UTF-8 from a caller's
 * struct is reported with its JSON path. Nothing here is exported beyond
 * libocispec and the unit tests. */
#ifndef OCISPEC_JSON_H
#define OCISPEC_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum json_type {
    JSON_NULL,
    JSON_BOOL,
    JSON_NUMBER,
    JSON_STRING,
    JSON_ARRAY,
    JSON_OBJECT,
};

struct json_value {
    enum json_type type;
    union {
        bool boolean;
        struct {
            char *text; /* NUL-terminated raw number text, e.g. "-12", "1.5e3" */
            size_t len;
        } number;
        struct {
            char *str; /* NUL-terminated; never contains an embedded NUL */
            size_t len;
        } string;
        struct {
            struct json_value **items;
            size_t len;
            size_t cap;
        } array;
        struct {
            char **keys; /* in document order, unique */
            size_t *key_lens;
            struct json_value **values;
            size_t len;
            size_t cap;
        } object;
    } u;
};

/* Parses a complete document. Refuses: more than OCI_MAX_DOCUMENT_SIZE
 * bytes, nesting deeper than OCI_MAX_NESTING, duplicate keys in one object,
 * invalid UTF-8, NUL characters in strings or keys, trailing garbage and an
 * empty document. On failure *err is "<json path>: <problem>" (malloc'd). */
int json_parse(const char *data, size_t len, struct json_value **out, char **err);
void json_free(struct json_value *v);

const char *json_type_name(enum json_type t);
/* The value of `key` in an object, or NULL. */
const struct json_value *json_object_get(const struct json_value *obj, const char *key);
/* Semantic equality: objects compare as unordered sets of key/value pairs,
 * numbers by value. */
bool json_equal(const struct json_value *a, const struct json_value *b);

/* ---- memory helpers (abort on allocation failure, as the rest of ocirun) */
void *oci_xmalloc(size_t n);
void *oci_xzalloc(size_t n);
void *oci_xrealloc(void *p, size_t n);
void *oci_xreallocarray(void *p, size_t n, size_t size);
char *oci_xstrdup(const char *s);
char *oci_xstrndup(const char *s, size_t n);
char *oci_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

bool oci_utf8_valid(const char *s, size_t len);

/* ---- JSON path, for error messages: "process.env[3]" ---------------- */
struct json_path {
    char *buf;
    size_t len;
    size_t cap;
};
void json_path_init(struct json_path *p);
void json_path_free(struct json_path *p);
/* Both push functions return the old length, to be given to json_path_pop. */
size_t json_path_push_key(struct json_path *p, const char *key, size_t key_len);
size_t json_path_push_index(struct json_path *p, size_t index);
void json_path_pop(struct json_path *p, size_t old_len);
/* "<path>: <message>" or just "<message>" at the top level; malloc'd. */
char *json_path_error(const struct json_path *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ---- writer -------------------------------------------------------- */
/* Generated trees are shallow; parsed ones are at most OCI_MAX_NESTING. */
#define JSON_WRITER_MAX_DEPTH 128

struct json_writer {
    char *buf;
    size_t len;
    size_t cap;
    const char *indent; /* NULL: compact output */
    size_t depth;
    bool after_key;                         /* the next value belongs to a key */
    bool has_member[JSON_WRITER_MAX_DEPTH]; /* per open container */
};
void json_writer_init(struct json_writer *w, const char *indent);
void json_writer_begin_object(struct json_writer *w);
void json_writer_end_object(struct json_writer *w);
void json_writer_begin_array(struct json_writer *w);
void json_writer_end_array(struct json_writer *w);
/* Writes a key inside an object; the next write is its value. */
void json_writer_key(struct json_writer *w, const char *key);
void json_writer_string(struct json_writer *w, const char *s);
void json_writer_raw_number(struct json_writer *w, const char *text);
void json_writer_bool(struct json_writer *w, bool b);
void json_writer_null(struct json_writer *w);
void json_writer_int(struct json_writer *w, int64_t v);
void json_writer_uint(struct json_writer *w, uint64_t v);
/* Terminates the text with "\n" (pretty) and hands the buffer over. */
char *json_writer_finish(struct json_writer *w, size_t *len);
void json_writer_discard(struct json_writer *w);
/* Writes a whole tree (used by tests and the fuzzer). */
void json_writer_value(struct json_writer *w, const struct json_value *v);

#endif
