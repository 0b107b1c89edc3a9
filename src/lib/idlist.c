/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "idlist.h"

#define WORD_BITS (sizeof(unsigned long) * CHAR_BIT)

static void idlist_set(struct idlist *l, unsigned id)
{
    unsigned long bit = 1UL << (id % WORD_BITS);

    if (l->bits[id / WORD_BITS] & bit)
        return;
    l->bits[id / WORD_BITS] |= bit;
    l->count++;
    if (id + 1 > l->max)
        l->max = id + 1;
}

bool idlist_has(const struct idlist *l, unsigned id)
{
    return id < IDLIST_BITS && (l->bits[id / WORD_BITS] & (1UL << (id % WORD_BITS))) != 0;
}

bool idlist_subset(const struct idlist *a, const struct idlist *b, unsigned *missing)
{
    for (unsigned id = 0; id < a->max; id++)
        if (idlist_has(a, id) && !idlist_has(b, id)) {
            if (missing)
                *missing = id;
            return false;
        }
    return true;
}

/* One decimal id; strtoul alone would take signs and leading spaces. */
static int parse_id(const char **p, unsigned limit, unsigned *out, const char **why)
{
    unsigned long v;
    char *end;

    if (!isdigit((unsigned char)**p)) {
        *why = "expected a number";
        return -1;
    }
    errno = 0;
    v = strtoul(*p, &end, 10);
    if (errno != 0 || v >= limit) {
        *why = "id out of range";
        return -1;
    }
    *p = end;
    *out = (unsigned)v;
    return 0;
}

static void skip_spaces(const char **p)
{
    while (**p == ' ' || **p == '\t' || **p == '\n')
        (*p)++;
}

static int parse_item(const char **p, unsigned limit, struct idlist *out, const char **why)
{
    unsigned lo, hi;

    skip_spaces(p);
    if (parse_id(p, limit, &lo, why) < 0)
        return -1;
    hi = lo;
    if (**p == '-') {
        (*p)++;
        if (parse_id(p, limit, &hi, why) < 0)
            return -1;
        if (hi < lo) {
            *why = "range end below its start";
            return -1;
        }
    }
    for (unsigned id = lo; id <= hi; id++)
        idlist_set(out, id);
    skip_spaces(p);
    return 0;
}

int idlist_parse(const char *s, unsigned limit, struct idlist *out, const char **why)
{
    const char *p = s;

    memset(out, 0, sizeof(*out));
    if (limit > IDLIST_BITS)
        limit = IDLIST_BITS;
    skip_spaces(&p);
    if (*p == '\0')
        return 0;
    for (;;) {
        if (parse_item(&p, limit, out, why) < 0)
            return -1;
        if (*p == '\0')
            return 0;
        if (*p != ',') {
            *why = "unexpected character";
            return -1;
        }
        p++;
    }
}
