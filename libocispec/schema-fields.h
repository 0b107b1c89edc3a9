/* SPDX-License-Identifier: Apache-2.0 */
/* Shorthands for writing descriptor tables. `S` must be #defined to the
 * C struct the table describes before using them. */
#ifndef OCISPEC_SCHEMA_FIELDS_H
#define OCISPEC_SCHEMA_FIELDS_H

#include <stddef.h>

#include "schema.h"

#define F_BASE(json, k, member)                                                                    \
    .name = json, .kind = k, .offset = offsetof(S, member), .present_offset = OCI_NO_PRESENCE

/* string, optional / required; extra designated initialisers may follow */
#define F_STR(json, member, ...)                                                                   \
    {                                                                                              \
        F_BASE(json, OCI_STRING, member), __VA_ARGS__                                              \
    }
#define F_STR_REQ(json, member, ...)                                                               \
    {                                                                                              \
        F_BASE(json, OCI_STRING, member), .required = true, __VA_ARGS__                            \
    }

/* optional scalar with a `member_present` flag */
#define F_OPT(json, k, member, ...)                                                                \
    {                                                                                              \
        .name = json, .kind = k, .offset = offsetof(S, member),                                    \
        .present_offset = offsetof(S, member##_present), __VA_ARGS__                               \
    }
/* required scalar (no presence flag: always written) */
#define F_REQ(json, k, member, ...)                                                                \
    {                                                                                              \
        F_BASE(json, k, member), .required = true, __VA_ARGS__                                     \
    }
/* scalar without presence flag the schema does not require: a missing
 * value reads as 0 and is always written back */
#define F_PLAIN(json, k, member, ...)                                                              \
    {                                                                                              \
        F_BASE(json, k, member), __VA_ARGS__                                                       \
    }

#define F_OBJ(json, member, t, ...)                                                                \
    {                                                                                              \
        F_BASE(json, OCI_OBJECT, member), .type = &(t), __VA_ARGS__                                \
    }

#define F_ARR(json, k, member, ...)                                                                \
    {                                                                                              \
        F_BASE(json, k, member), .len_offset = offsetof(S, member##_len), __VA_ARGS__              \
    }
#define F_ARR_OBJ(json, member, t, ...)                                                            \
    {                                                                                              \
        F_BASE(json, OCI_ARRAY_OBJECT, member), .len_offset = offsetof(S, member##_len),           \
                                                .type = &(t), __VA_ARGS__                          \
    }

#define F_MAP_STR(json, member)                                                                    \
    {                                                                                              \
        F_BASE(json, OCI_MAP_STRING, member)                                                       \
    }
#define F_MAP_OBJ(json, member, t)                                                                 \
    {                                                                                              \
        F_BASE(json, OCI_MAP_OBJECT, member), .type = &(t)                                         \
    }

#define RANGE(lo, hi)     .has_range = true, .min = (lo), .max = (hi)
#define ENUM(values)      .enum_values = (values)
#define PATTERN(fn, text) .check = (fn), .pattern = (text)

#endif
