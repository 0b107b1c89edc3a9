/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Lists of small ids in the kernel's "0-3,7" syntax (cpuset.cpus,
 * process.execCPUAffinity, linux.memoryPolicy.nodes) as bitmaps. */
#ifndef OCIRUN_IDLIST_H
#define OCIRUN_IDLIST_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

/* Enough for the largest NR_CPUS and MAX_NUMNODES of mainline configs. */
#define IDLIST_BITS  8192
#define IDLIST_WORDS (IDLIST_BITS / (sizeof(unsigned long) * CHAR_BIT))

struct idlist {
    unsigned long bits[IDLIST_WORDS];
    unsigned count; /* ids set */
    unsigned max;   /* highest id set + 1; 0 when empty */
};

/* Parses s ("" is the empty set; whitespace around items is allowed, a
 * trailing newline too, as sysfs writes them). Every id must be < limit
 * (at most IDLIST_BITS). On failure returns -1 and *why says what is wrong
 * (a static string). */
int idlist_parse(const char *s, unsigned limit, struct idlist *out, const char **why);

bool idlist_has(const struct idlist *l, unsigned id);
/* Whether every id of a is in b. *missing: the first id that is not. */
bool idlist_subset(const struct idlist *a, const struct idlist *b, unsigned *missing);

#endif
