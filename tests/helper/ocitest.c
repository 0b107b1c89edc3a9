/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ocitest: a small static program the integration tests copy into their
 * rootfses.  `ocitest SECTION` prints what the process sees (ids, caps,
 * fds, mounts, ...) as one JSON object on one line; `ocitest all` prints
 * every section nested under its name; action subcommands (sleep, exit,
 * cat, write, ...) do one thing and report it as JSON.  Usage errors exit 2.
 *
 * It is linked statically and without sanitizers so it runs in a rootfs
 * that holds nothing else. */
#include "ocitest.h"
#include "json-out.h"

#include <stdio.h>
#include <string.h>

static void usage(FILE *out)
{
    fputs("usage: ocitest SECTION | all | ACTION [ARGS...]\n"
          "sections (print one JSON object):",
          out);
    for (const struct report_section *s = report_sections; s->name != NULL; s++)
        fprintf(out, " %s", s->name);
    fputs("\nactions:\n", out);
    for (const struct action *a = actions; a->name != NULL; a++)
        fprintf(out, "  %s\n", a->usage);
}

static int run_all(void)
{
    json_object_begin(NULL);
    for (const struct report_section *s = report_sections; s->name != NULL; s++) {
        json_object_begin(s->name);
        s->write();
        json_object_end();
    }
    json_object_end();
    return OCITEST_EXIT_OK;
}

static int run_section(const struct report_section *s)
{
    json_object_begin(NULL);
    s->write();
    json_object_end();
    return OCITEST_EXIT_OK;
}

static int run_action(const struct action *a, int nargs, char **args)
{
    int ret;

    if (nargs < a->min_args || nargs > a->max_args) {
        fprintf(stderr, "usage: ocitest %s\n", a->usage);
        return OCITEST_EXIT_USAGE;
    }
    ret = a->run(args);
    if (ret == OCITEST_EXIT_USAGE)
        fprintf(stderr, "usage: ocitest %s\n", a->usage);
    return ret;
}

int main(int argc, char **argv)
{
    const struct report_section *section;
    const struct action *action;
    int ret;

    if (argc < 2) {
        usage(stderr);
        return OCITEST_EXIT_USAGE;
    }
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        usage(stdout);
        return OCITEST_EXIT_OK;
    }
    if (strcmp(argv[1], "all") == 0 && argc == 2) {
        ret = run_all();
    } else if ((section = report_find(argv[1])) != NULL && argc == 2) {
        ret = run_section(section);
    } else if ((action = action_find(argv[1])) != NULL) {
        ret = run_action(action, argc - 2, argv + 2);
    } else {
        fprintf(stderr, "ocitest: unknown or misused subcommand `%s`\n", argv[1]);
        usage(stderr);
        return OCITEST_EXIT_USAGE;
    }
    if (json_finish() < 0) {
        perror("ocitest: write stdout");
        return OCITEST_EXIT_FAIL;
    }
    return ret;
}
