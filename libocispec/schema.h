/* SPDX-License-Identifier: Apache-2.0 */
/* Table-driven decode/encode/free of the OCI structs. Each C struct has an
 * `oci_type` listing its fields in the order of the spec documents; one
 * generic decoder, encoder and destructor walk those tables, so adding a
 * field to the spec is one line in a table, and every field gets the same
 * checks (types, ranges, enums, required, null = absent). */
#ifndef OCISPEC_SCHEMA_H
#define OCISPEC_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "json.h"

enum oci_kind {
    OCI_STRING,
    OCI_BOOL,
    OCI_INT32,
    OCI_UINT16,
    OCI_UINT32,
    OCI_INT64,
    OCI_UINT64,
    OCI_OBJECT,       /* T *field, NULL when absent */
    OCI_ARRAY_STRING, /* char **field; size_t field_len */
    OCI_ARRAY_UINT32, /* uint32_t *field; size_t field_len */
    OCI_ARRAY_OBJECT, /* T *field (contiguous structs); size_t field_len */
    OCI_MAP_STRING,   /* struct oci_string_map */
    OCI_MAP_OBJECT,   /* struct { char **keys; T *values; size_t len; } */
};

/* Extra check for a string (or each string of an array): returns true if
 * the value is acceptable. `pattern` describes the rule in messages. */
typedef bool (*oci_string_check)(const char *s);

struct oci_type;

struct oci_field {
    const char *name; /* JSON name */
    enum oci_kind kind;
    size_t offset;
    /* offset of the `_present` bool for optional scalars, or OCI_NO_PRESENCE */
    size_t present_offset;
    /* offset of the `_len` member for arrays */
    size_t len_offset;
    const struct oci_type *type;    /* element type of OBJECT / ARRAY_OBJECT / MAP_OBJECT */
    const char *const *enum_values; /* NULL-terminated; for strings and string arrays */
    oci_string_check check;
    const char *pattern;
    bool required;
    bool has_range; /* integers: tighter bounds than the C type */
    int64_t min;
    uint64_t max;
    size_t min_items; /* arrays */
};

#define OCI_NO_PRESENCE ((size_t)-1)

struct oci_type {
    const char *name;
    size_t size;
    const struct oci_field *fields;
    size_t n_fields;
};

/* Decodes a JSON object into a freshly allocated struct of `type`.
 * `path` is the position of `v` in the document (for messages). */
int oci_decode_object(const struct oci_type *type, const struct json_value *v,
                      struct json_path *path, void **out, char **err);
/* Writes a struct as a JSON object; fails (with the JSON path) on a
 * required field that is NULL or a string that is not valid UTF-8. */
int oci_encode_object(const struct oci_type *type, const void *obj, struct json_writer *w,
                      struct json_path *path, char **err);
/* Frees everything a struct owns, then the struct. */
void oci_free_object(const struct oci_type *type, void *obj);

/* Helpers shared by the public entry points in ocispec.c. */
int oci_parse_document(const struct oci_type *type, const char *data, size_t len, void **out,
                       char **err);
int oci_generate_document(const struct oci_type *type, const void *obj, const char *indent,
                          char **json, size_t *len, char **err);

/* The tables. */
extern const struct oci_type oci_config_type;
extern const struct oci_type oci_process_type;
extern const struct oci_type oci_resources_type;
extern const struct oci_type oci_state_type;
extern const struct oci_type oci_container_process_state_type;
extern const struct oci_type oci_features_type;

/* Helpers to write the tables compactly. */
#define OCI_FIELD_COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define OCI_TYPE(cname, json_name, fields_array)                                                   \
    {                                                                                              \
        .name = json_name, .size = sizeof(cname), .fields = fields_array,                          \
        .n_fields = OCI_FIELD_COUNT(fields_array)                                                  \
    }

#endif
