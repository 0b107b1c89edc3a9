/* SPDX-License-Identifier: Apache-2.0 */
/* The generic decoder, encoder and destructor over the descriptor tables
 * of schema.h. Rules, applied the same way to every field:
 *   - unknown JSON members are ignored (forward compatibility, as the spec
 *     asks);
 *   - `null` for an optional member means absent (Go's encoding/json
 *     writes and reads it that way); for a required member it is missing;
 *   - integers must be JSON integers (no fraction, no exponent) within the
 *     range of their C type and of the schema;
 *   - enum strings must be one of the spec's values;
 *   - the encoder writes only what is present, so parse -> generate ->
 *     parse is lossless. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema.h"

/* Generic views of the three C layouts a field can have. */
struct generic_array {
    void *items;
    size_t len;
};
struct generic_map {
    char **keys;
    void *values;
    size_t len;
};

#define AT(obj, off, type)  ((type *)(void *)((char *)(obj) + (off)))
#define CAT(obj, off, type) ((const type *)(const void *)((const char *)(obj) + (off)))

static char *type_error(const struct json_path *p, const char *expected, const struct json_value *v)
{
    return json_path_error(p, "expected %s, got %s", expected, json_type_name(v->type));
}

/* ---- integers ---------------------------------------------------------- */

static const char *kind_description(enum oci_kind k)
{
    switch (k) {
    case OCI_INT32:
        return "signed 32-bit integer";
    case OCI_UINT16:
        return "unsigned 16-bit integer";
    case OCI_UINT32:
    case OCI_ARRAY_UINT32:
        return "unsigned 32-bit integer";
    case OCI_INT64:
        return "signed 64-bit integer";
    case OCI_UINT64:
        return "unsigned 64-bit integer";
    default:
        return "integer";
    }
}

static void kind_bounds(const struct oci_field *f, enum oci_kind k, int64_t *min, uint64_t *max)
{
    switch (k) {
    case OCI_INT32:
        *min = INT32_MIN;
        *max = INT32_MAX;
        break;
    case OCI_UINT16:
        *min = 0;
        *max = UINT16_MAX;
        break;
    case OCI_UINT32:
    case OCI_ARRAY_UINT32:
        *min = 0;
        *max = UINT32_MAX;
        break;
    case OCI_INT64:
        *min = INT64_MIN;
        *max = INT64_MAX;
        break;
    default:
        *min = 0;
        *max = UINT64_MAX;
        break;
    }
    if (f->has_range) {
        *min = f->min > *min ? f->min : *min;
        *max = f->max < *max ? f->max : *max;
    }
}

static bool text_is_integer(const char *t)
{
    return strpbrk(t, ".eE") == NULL;
}

static bool text_is_negative_nonzero(const char *t)
{
    if (t[0] != '-')
        return false;
    return strspn(t + 1, "0") != strlen(t + 1);
}

/* Decodes an integer within the field's bounds: *s holds it as signed,
 * *u as unsigned (0 for a negative value). */
static int decode_integer(const struct oci_field *f, enum oci_kind k, const struct json_value *v,
                          const struct json_path *p, int64_t *s, uint64_t *u, char **err)
{
    if (v->type != JSON_NUMBER) {
        *err = type_error(p, kind_description(k), v);
        return -1;
    }
    const char *t = v->u.number.text;
    int shown = (int)(v->u.number.len > 40 ? 40 : v->u.number.len);
    const char *ell = v->u.number.len > 40 ? "..." : "";
    if (!text_is_integer(t)) {
        *err = json_path_error(p, "expected %s, got %.*s%s (not an integer)", kind_description(k),
                               shown, t, ell);
        return -1;
    }
    int64_t min;
    uint64_t max;
    kind_bounds(f, k, &min, &max);
    bool ok;
    errno = 0;
    if (text_is_negative_nonzero(t)) {
        long long x = strtoll(t, NULL, 10);
        ok = errno == 0 && x >= min;
        *s = x;
        *u = 0;
    } else {
        unsigned long long x = strtoull(t[0] == '-' ? t + 1 : t, NULL, 10);
        ok = errno == 0 && x <= max && (min <= 0 || x >= (uint64_t)min);
        *u = x;
        *s = (int64_t)x;
    }
    if (!ok) {
        *err = json_path_error(p, "expected %s, got %.*s%s (out of range %" PRId64 "..%" PRIu64 ")",
                               kind_description(k), shown, t, ell, min, max);
        return -1;
    }
    return 0;
}

static int decode_scalar_int(const struct oci_field *f, const struct json_value *v,
                             const struct json_path *p, void *dst, char **err)
{
    int64_t s;
    uint64_t u;
    if (decode_integer(f, f->kind, v, p, &s, &u, err) < 0)
        return -1;
    switch (f->kind) {
    case OCI_INT32:
        *(int32_t *)dst = (int32_t)s;
        break;
    case OCI_UINT16:
        *(uint16_t *)dst = (uint16_t)u;
        break;
    case OCI_UINT32:
        *(uint32_t *)dst = (uint32_t)u;
        break;
    case OCI_INT64:
        *(int64_t *)dst = s;
        break;
    default:
        *(uint64_t *)dst = u;
        break;
    }
    return 0;
}

/* ---- strings ----------------------------------------------------------- */

static char *enum_error(const struct json_path *p, const char *value, const char *const *values)
{
    size_t cap = 64, len = 0;
    char *list = oci_xmalloc(cap);
    list[0] = '\0';
    for (size_t i = 0; values[i] != NULL; i++) {
        size_t n = strlen(values[i]) + 2;
        if (len + n + 1 > cap) {
            cap = (len + n + 1) * 2;
            list = oci_xrealloc(list, cap);
        }
        len += (size_t)sprintf(list + len, "%s%s", i ? ", " : "", values[i]);
    }
    char *r = json_path_error(p, "unknown value \"%.64s%s\" (expected one of %s)", value,
                              strlen(value) > 64 ? "..." : "", list);
    free(list);
    return r;
}

static int decode_string(const struct oci_field *f, const struct json_value *v,
                         const struct json_path *p, char **dst, char **err)
{
    if (v->type != JSON_STRING) {
        *err = type_error(p, "string", v);
        return -1;
    }
    const char *s = v->u.string.str;
    if (f->enum_values != NULL) {
        bool found = false;
        for (size_t i = 0; f->enum_values[i] != NULL && !found; i++)
            found = strcmp(s, f->enum_values[i]) == 0;
        if (!found) {
            *err = enum_error(p, s, f->enum_values);
            return -1;
        }
    }
    if (f->check != NULL && !f->check(s)) {
        *err = json_path_error(p, "invalid value \"%.64s%s\" (must match %s)", s,
                               v->u.string.len > 64 ? "..." : "", f->pattern);
        return -1;
    }
    *dst = oci_xstrndup(s, v->u.string.len);
    return 0;
}

/* ---- arrays and maps ---------------------------------------------------- */

static size_t element_size(const struct oci_field *f)
{
    switch (f->kind) {
    case OCI_ARRAY_STRING:
        return sizeof(char *);
    case OCI_ARRAY_UINT32:
        return sizeof(uint32_t);
    default:
        return f->type->size;
    }
}

static int decode_fields(const struct oci_type *type, const struct json_value *v,
                         struct json_path *path, void *obj, char **err);

static int decode_element(const struct oci_field *f, const struct json_value *v,
                          struct json_path *p, void *dst, char **err)
{
    switch (f->kind) {
    case OCI_ARRAY_STRING:
        return decode_string(f, v, p, dst, err);
    case OCI_ARRAY_UINT32:
        return decode_scalar_int(&(struct oci_field){.kind = OCI_UINT32}, v, p, dst, err);
    case OCI_MAP_STRING: {
        struct oci_field plain = {.kind = OCI_STRING};
        return decode_string(&plain, v, p, dst, err);
    }
    default:
        return decode_fields(f->type, v, p, dst, err);
    }
}

static int decode_array(const struct oci_field *f, const struct json_value *v, struct json_path *p,
                        void *obj, char **err)
{
    if (v->type != JSON_ARRAY) {
        *err = type_error(p, "array", v);
        return -1;
    }
    size_t n = v->u.array.len;
    if (n < f->min_items) {
        *err = json_path_error(p, "expected at least %zu element%s, got %zu", f->min_items,
                               f->min_items == 1 ? "" : "s", n);
        return -1;
    }
    size_t esz = element_size(f);
    char *items = oci_xzalloc(n * esz);
    *AT(obj, f->offset, void *) = items;
    *AT(obj, f->len_offset, size_t) = n;
    for (size_t i = 0; i < n; i++) {
        size_t old = json_path_push_index(p, i);
        int r = decode_element(f, v->u.array.items[i], p, items + i * esz, err);
        if (r < 0)
            return -1;
        json_path_pop(p, old);
    }
    return 0;
}

static int decode_map(const struct oci_field *f, const struct json_value *v, struct json_path *p,
                      void *obj, char **err)
{
    if (v->type != JSON_OBJECT) {
        *err = type_error(p, "object", v);
        return -1;
    }
    struct generic_map *m = AT(obj, f->offset, struct generic_map);
    size_t n = v->u.object.len;
    size_t esz = f->kind == OCI_MAP_STRING ? sizeof(char *) : f->type->size;
    m->keys = oci_xzalloc(n * sizeof(char *));
    m->values = oci_xzalloc(n * esz);
    m->len = n;
    for (size_t i = 0; i < n; i++) {
        m->keys[i] = oci_xstrndup(v->u.object.keys[i], v->u.object.key_lens[i]);
        size_t old = json_path_push_key(p, v->u.object.keys[i], v->u.object.key_lens[i]);
        if (decode_element(f, v->u.object.values[i], p, (char *)m->values + i * esz, err) < 0)
            return -1;
        json_path_pop(p, old);
    }
    return 0;
}

/* ---- objects ----------------------------------------------------------- */

static int decode_field(const struct oci_field *f, const struct json_value *v, struct json_path *p,
                        void *obj, char **err)
{
    switch (f->kind) {
    case OCI_STRING:
        return decode_string(f, v, p, AT(obj, f->offset, char *), err);
    case OCI_BOOL:
        if (v->type != JSON_BOOL) {
            *err = type_error(p, "boolean", v);
            return -1;
        }
        *AT(obj, f->offset, bool) = v->u.boolean;
        break;
    case OCI_INT32:
    case OCI_UINT16:
    case OCI_UINT32:
    case OCI_INT64:
    case OCI_UINT64:
        if (decode_scalar_int(f, v, p, AT(obj, f->offset, void), err) < 0)
            return -1;
        break;
    case OCI_OBJECT:
        return oci_decode_object(f->type, v, p, AT(obj, f->offset, void *), err);
    case OCI_ARRAY_STRING:
    case OCI_ARRAY_UINT32:
    case OCI_ARRAY_OBJECT:
        return decode_array(f, v, p, obj, err);
    case OCI_MAP_STRING:
    case OCI_MAP_OBJECT:
        return decode_map(f, v, p, obj, err);
    }
    if (f->present_offset != OCI_NO_PRESENCE)
        *AT(obj, f->present_offset, bool) = true;
    return 0;
}

static int decode_fields(const struct oci_type *type, const struct json_value *v,
                         struct json_path *p, void *obj, char **err)
{
    if (v->type != JSON_OBJECT) {
        *err = type_error(p, "object", v);
        return -1;
    }
    for (size_t i = 0; i < type->n_fields; i++) {
        const struct oci_field *f = &type->fields[i];
        const struct json_value *fv = json_object_get(v, f->name);
        size_t old = json_path_push_key(p, f->name, strlen(f->name));
        if (fv == NULL || fv->type == JSON_NULL) {
            if (f->required) {
                *err = json_path_error(p, "required field missing%s", fv != NULL ? " (null)" : "");
                return -1;
            }
        } else if (decode_field(f, fv, p, obj, err) < 0) {
            return -1;
        }
        json_path_pop(p, old);
    }
    return 0;
}

int oci_decode_object(const struct oci_type *type, const struct json_value *v,
                      struct json_path *path, void **out, char **err)
{
    void *obj = oci_xzalloc(type->size);
    /* store first, so a caller's cleanup frees a half-decoded object */
    *out = obj;
    return decode_fields(type, v, path, obj, err);
}

/* ---- encoder ----------------------------------------------------------- */

static int encode_string(const char *s, struct json_writer *w, const struct json_path *p,
                         char **err)
{
    if (s == NULL) {
        *err = json_path_error(p, "NULL string");
        return -1;
    }
    if (!oci_utf8_valid(s, strlen(s))) {
        *err = json_path_error(p, "invalid UTF-8 in string");
        return -1;
    }
    json_writer_string(w, s);
    return 0;
}

static void encode_scalar_int(enum oci_kind k, const void *src, struct json_writer *w)
{
    switch (k) {
    case OCI_INT32:
        json_writer_int(w, *(const int32_t *)src);
        break;
    case OCI_UINT16:
        json_writer_uint(w, *(const uint16_t *)src);
        break;
    case OCI_UINT32:
    case OCI_ARRAY_UINT32:
        json_writer_uint(w, *(const uint32_t *)src);
        break;
    case OCI_INT64:
        json_writer_int(w, *(const int64_t *)src);
        break;
    default:
        json_writer_uint(w, *(const uint64_t *)src);
        break;
    }
}

static int encode_element(const struct oci_field *f, const void *src, struct json_writer *w,
                          struct json_path *p, char **err)
{
    switch (f->kind) {
    case OCI_ARRAY_STRING:
    case OCI_MAP_STRING:
        return encode_string(*(char *const *)src, w, p, err);
    case OCI_ARRAY_UINT32:
        encode_scalar_int(f->kind, src, w);
        return 0;
    default:
        return oci_encode_object(f->type, src, w, p, err);
    }
}

static int encode_array(const struct oci_field *f, const void *obj, struct json_writer *w,
                        struct json_path *p, char **err)
{
    const char *items = *CAT(obj, f->offset, char *);
    size_t n = *CAT(obj, f->len_offset, size_t);
    size_t esz = element_size(f);
    json_writer_begin_array(w);
    for (size_t i = 0; i < n; i++) {
        size_t old = json_path_push_index(p, i);
        if (encode_element(f, items + i * esz, w, p, err) < 0)
            return -1;
        json_path_pop(p, old);
    }
    json_writer_end_array(w);
    return 0;
}

static int encode_map(const struct oci_field *f, const void *obj, struct json_writer *w,
                      struct json_path *p, char **err)
{
    const struct generic_map *m = CAT(obj, f->offset, struct generic_map);
    size_t esz = f->kind == OCI_MAP_STRING ? sizeof(char *) : f->type->size;
    json_writer_begin_object(w);
    for (size_t i = 0; i < m->len; i++) {
        const char *key = m->keys[i];
        if (key == NULL || !oci_utf8_valid(key, strlen(key))) {
            size_t old = json_path_push_index(p, i);
            *err = json_path_error(p, "%s map key", key ? "invalid UTF-8 in" : "NULL");
            json_path_pop(p, old);
            return -1;
        }
        size_t old = json_path_push_key(p, key, strlen(key));
        json_writer_key(w, key);
        if (encode_element(f, (const char *)m->values + i * esz, w, p, err) < 0)
            return -1;
        json_path_pop(p, old);
    }
    json_writer_end_object(w);
    return 0;
}

/* Is the field there? Pointers and arrays: non-NULL; scalars: their
 * presence flag, or always when they have none (required scalars). */
static bool field_present(const struct oci_field *f, const void *obj)
{
    switch (f->kind) {
    case OCI_STRING:
    case OCI_OBJECT:
    case OCI_ARRAY_STRING:
    case OCI_ARRAY_UINT32:
    case OCI_ARRAY_OBJECT:
        return *CAT(obj, f->offset, void *) != NULL;
    case OCI_MAP_STRING:
    case OCI_MAP_OBJECT:
        return CAT(obj, f->offset, struct generic_map)->keys != NULL;
    default:
        /* a required scalar is always written, whatever its flag says */
        return f->required || f->present_offset == OCI_NO_PRESENCE ||
               *CAT(obj, f->present_offset, bool);
    }
}

static int encode_field(const struct oci_field *f, const void *obj, struct json_writer *w,
                        struct json_path *p, char **err)
{
    switch (f->kind) {
    case OCI_STRING:
        return encode_string(*CAT(obj, f->offset, char *), w, p, err);
    case OCI_BOOL:
        json_writer_bool(w, *CAT(obj, f->offset, bool));
        return 0;
    case OCI_INT32:
    case OCI_UINT16:
    case OCI_UINT32:
    case OCI_INT64:
    case OCI_UINT64:
        encode_scalar_int(f->kind, CAT(obj, f->offset, void), w);
        return 0;
    case OCI_OBJECT:
        return oci_encode_object(f->type, *CAT(obj, f->offset, void *), w, p, err);
    case OCI_ARRAY_STRING:
    case OCI_ARRAY_UINT32:
    case OCI_ARRAY_OBJECT:
        return encode_array(f, obj, w, p, err);
    case OCI_MAP_STRING:
    case OCI_MAP_OBJECT:
        return encode_map(f, obj, w, p, err);
    }
    return 0;
}

int oci_encode_object(const struct oci_type *type, const void *obj, struct json_writer *w,
                      struct json_path *p, char **err)
{
    json_writer_begin_object(w);
    for (size_t i = 0; i < type->n_fields; i++) {
        const struct oci_field *f = &type->fields[i];
        size_t old = json_path_push_key(p, f->name, strlen(f->name));
        if (!field_present(f, obj)) {
            if (f->required) {
                *err = json_path_error(p, "required field missing");
                return -1;
            }
        } else {
            json_writer_key(w, f->name);
            if (encode_field(f, obj, w, p, err) < 0)
                return -1;
        }
        json_path_pop(p, old);
    }
    json_writer_end_object(w);
    return 0;
}

/* ---- destructor -------------------------------------------------------- */

static void free_fields(const struct oci_type *type, void *obj);

static void free_element(const struct oci_field *f, void *e)
{
    switch (f->kind) {
    case OCI_ARRAY_STRING:
    case OCI_MAP_STRING:
        free(*(char **)e);
        break;
    case OCI_ARRAY_OBJECT:
    case OCI_MAP_OBJECT:
        free_fields(f->type, e);
        break;
    default:
        break;
    }
}

static void free_field(const struct oci_field *f, void *obj)
{
    switch (f->kind) {
    case OCI_STRING:
        free(*AT(obj, f->offset, char *));
        break;
    case OCI_OBJECT:
        oci_free_object(f->type, *AT(obj, f->offset, void *));
        break;
    case OCI_ARRAY_STRING:
    case OCI_ARRAY_UINT32:
    case OCI_ARRAY_OBJECT: {
        char *items = *AT(obj, f->offset, char *);
        size_t n = *AT(obj, f->len_offset, size_t);
        for (size_t i = 0; items != NULL && i < n; i++)
            free_element(f, items + i * element_size(f));
        free(items);
        break;
    }
    case OCI_MAP_STRING:
    case OCI_MAP_OBJECT: {
        struct generic_map *m = AT(obj, f->offset, struct generic_map);
        size_t esz = f->kind == OCI_MAP_STRING ? sizeof(char *) : f->type->size;
        for (size_t i = 0; i < m->len; i++) {
            if (m->keys != NULL)
                free(m->keys[i]);
            if (m->values != NULL)
                free_element(f, (char *)m->values + i * esz);
        }
        free(m->keys);
        free(m->values);
        break;
    }
    default:
        break;
    }
}

static void free_fields(const struct oci_type *type, void *obj)
{
    for (size_t i = 0; i < type->n_fields; i++)
        free_field(&type->fields[i], obj);
}

void oci_free_object(const struct oci_type *type, void *obj)
{
    if (obj == NULL)
        return;
    free_fields(type, obj);
    free(obj);
}

/* ---- documents --------------------------------------------------------- */

int oci_parse_document(const struct oci_type *type, const char *data, size_t len, void **out,
                       char **err)
{
    struct json_value *root;
    *out = NULL;
    *err = NULL;
    if (json_parse(data, len, &root, err) < 0)
        return -1;
    if (root->type != JSON_OBJECT) {
        *err = oci_xasprintf("expected a JSON object at the top level, got %s",
                             json_type_name(root->type));
        json_free(root);
        return -1;
    }
    struct json_path p;
    json_path_init(&p);
    void *obj = NULL;
    int r = oci_decode_object(type, root, &p, &obj, err);
    json_path_free(&p);
    json_free(root);
    if (r < 0) {
        oci_free_object(type, obj);
        return -1;
    }
    *out = obj;
    return 0;
}

int oci_generate_document(const struct oci_type *type, const void *obj, const char *indent,
                          char **json, size_t *len, char **err)
{
    *json = NULL;
    *err = NULL;
    if (len != NULL)
        *len = 0;
    if (obj == NULL) {
        *err = oci_xasprintf("no %s document to generate (NULL)", type->name);
        return -1;
    }
    struct json_writer w;
    struct json_path p;
    json_writer_init(&w, indent);
    json_path_init(&p);
    int r = oci_encode_object(type, obj, &w, &p, err);
    json_path_free(&p);
    if (r < 0) {
        json_writer_discard(&w);
        return -1;
    }
    *json = json_writer_finish(&w, len);
    return 0;
}
