/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Flag parsing shared by main() and every command.
 *
 * Callers (containerd's shim, podman, scripts written for runc) use runc's
 * urfave/cli + Go `flag` syntax, so this parser follows it, not getopt:
 *   - `-name` and `--name` are the same flag; short names are just aliases
 *     (`-b DIR`, `--bundle DIR`, `-bundle=DIR`, `--bundle=DIR` all work);
 *   - short flags are never combined (`-dt` is a flag named "dt");
 *   - boolean flags take no separate argument but accept `--flag=false`;
 *   - parsing stops at the first non-flag argument or at `--`, so
 *     `exec ID ps -ef` keeps `-ef` for the process;
 *   - `-h`/`--help` prints the usage text to stdout.
 *
 * Typical use in a command file:
 *
 *   static const struct cli_flag flags[] = {
 *       {"bundle", 'b', "DIR", "path to the root of the bundle directory"},
 *       {"detach", 'd', NULL, "detach from the container's process"},
 *       {"pid-file", CLI_LONG_ONLY(1), "FILE", "write the init pid to FILE"},
 *       {NULL, 0, NULL, NULL},
 *   };
 *   static const struct cli_command command = {
 *       .name = "create", .args = "<container-id>",
 *       .summary = "create a container", .flags = flags,
 *   };
 *
 *   struct cli_parser p;
 *   const char *value;
 *   int id, r;
 *   cli_parser_init(&p, &command, argc, argv);
 *   while ((r = cli_next(&p, &id, &value, err)) > 0) {
 *       switch (id) {
 *       case 'b': bundle = value; break;
 *       case 'd': detach = cli_is_true(value); break;
 *       case CLI_LONG_ONLY(1): pid_file = value; break;
 *       }
 *   }
 *   if (r < 0)
 *       return r;
 *   if (p.help_shown)
 *       return 0;
 *   if (cli_container_id(&p, &container_id, err) < 0)
 *       return -1;
 */
#ifndef OCIRUN_CLI_OPTIONS_H
#define OCIRUN_CLI_OPTIONS_H

#include <stdbool.h>
#include <stdio.h>

#include "error.h"

/* Identifier for a flag without a one-letter alias; n >= 1. */
#define CLI_LONG_ONLY(n) (256 + (n))

struct cli_flag {
    const char *name; /* long name without dashes, e.g. "bundle" */
    int id;           /* returned by cli_next: the short letter ('b') or CLI_LONG_ONLY(n) */
    const char *arg;  /* argument name shown in usage ("DIR"); NULL: boolean flag */
    const char *help; /* one line for the usage text */
};

struct cli_command {
    const char *name;        /* "create" */
    const char *args;        /* positional arguments for the usage line, e.g. "<container-id>" */
    const char *summary;     /* one line: "create a container" */
    const char *description; /* optional longer text, may be NULL */
    const struct cli_flag *flags; /* terminated by an entry with name == NULL; may be NULL */
};

struct cli_parser {
    const struct cli_command *cmd;
    int argc;
    char **argv;     /* argv[0] is the command name */
    int optind;      /* after cli_next returned 0: first positional argument */
    bool help_shown; /* -h/--help was given; the usage went to stdout; return 0 */
};

/* argv[0] is the command name; parsing starts at argv[1]. */
void cli_parser_init(struct cli_parser *p, const struct cli_command *cmd, int argc, char **argv);

/* Returns 1 with *id and *value set for the next flag (for boolean flags
 * *value is "true" or "false"); 0 when the flags are done (or after
 * printing the help, with p->help_shown set); < 0 with *err set on
 * `flag provided but not defined: -x`, `flag needs an argument: -x` or a
 * bad boolean value. */
int cli_next(struct cli_parser *p, int *id, const char **value, struct ocirun_error *err);

/* For the value of a boolean flag. */
static inline bool cli_is_true(const char *value)
{
    return value != NULL && value[0] == 't';
}

/* Positional arguments left after cli_next returned 0. */
static inline int cli_nargs(const struct cli_parser *p)
{
    return p->argc - p->optind;
}
static inline char **cli_args(const struct cli_parser *p)
{
    return p->argv + p->optind;
}

/* runc's checkArgs: `ocirun: "state" requires exactly 1 argument(s)`,
 * `... requires a minimum of N argument(s)`, `... requires a maximum of N
 * argument(s)`. */
enum cli_nargs_check { CLI_EXACT, CLI_MIN, CLI_MAX };
int cli_check_nargs(const struct cli_parser *p, int n, enum cli_nargs_check how,
                    struct ocirun_error *err);

/* The common case: exactly one argument, a valid container id. */
int cli_container_id(const struct cli_parser *p, const char **id, struct ocirun_error *err);

/* A command with no flags of its own and one container id (start, state,
 * pause, resume): parses argv, prints the help when asked. Returns 1 with
 * *id set, 0 when the help was shown (the command returns 0), < 0 on a
 * usage error. */
int cli_parse_id_only(struct cli_parser *p, const struct cli_command *cmd, int argc, char **argv,
                      const char **id, struct ocirun_error *err);

/* runc's rule: non-empty, only [A-Za-z0-9_+.-], not "." or "..", at most
 * 1024 bytes. Error: `invalid container ID format` (runc's wording). */
int cli_validate_id(const char *id, struct ocirun_error *err);

/* Writes the usage text (NAME, USAGE, DESCRIPTION, OPTIONS) to f. */
void cli_print_usage(const struct cli_command *cmd, FILE *f);

/* For commands that are still to be written: parses --help, otherwise
 * fails with "<name>: not implemented yet". */
int cli_not_implemented(const struct cli_command *cmd, int argc, char **argv,
                        struct ocirun_error *err);

#endif
