/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ocitest: the static helper copied into integration-test rootfses.
 *
 * Report sections write their members into the JSON object that is open
 * (so `all` can nest them); actions print one whole object themselves and
 * return the exit code. */
#ifndef OCITEST_H
#define OCITEST_H

#include <stdbool.h>

/* Exit codes shared by all subcommands. */
#define OCITEST_EXIT_OK    0
#define OCITEST_EXIT_FAIL  1
#define OCITEST_EXIT_USAGE 2

/* report.c: the read-only inspection sections */
struct report_section {
    const char *name;
    void (*write)(void);
};
extern const struct report_section report_sections[];
const struct report_section *report_find(const char *name);
/* Writes {"error": ..., "errno": ..., "errno_name": ...} members. */
void report_errno(const char *op, const char *path, int errnum);

/* actions.c: subcommands that do something */
struct action {
    const char *name;
    int min_args;
    int max_args;
    const char *usage;
    int (*run)(char **args);
};
extern const struct action actions[];
const struct action *action_find(const char *name);

#endif
