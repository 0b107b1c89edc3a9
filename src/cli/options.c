/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Go `flag`-style parsing (see options.h for why not getopt). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"

#define CLI_MAX_ID_LEN 1024

void cli_parser_init(struct cli_parser *p, const struct cli_command *cmd, int argc, char **argv)
{
    p->cmd = cmd;
    p->argc = argc;
    p->argv = argv;
    p->optind = 1;
    p->help_shown = false;
}

static const struct cli_flag *find_flag(const struct cli_command *cmd, const char *name, size_t len)
{
    const struct cli_flag *f;

    if (cmd->flags == NULL)
        return NULL;
    for (f = cmd->flags; f->name != NULL; f++) {
        if (strlen(f->name) == len && strncmp(f->name, name, len) == 0)
            return f;
        /* the one-letter alias, e.g. -b for --bundle */
        if (len == 1 && f->id > 0 && f->id < 256 && f->id == (unsigned char)name[0])
            return f;
    }
    return NULL;
}

static bool is_help(const char *name, size_t len)
{
    return (len == 1 && name[0] == 'h') || (len == 4 && strncmp(name, "help", 4) == 0);
}

/* Go's strconv.ParseBool, which urfave/cli uses for `--flag=value`. */
static const char *parse_bool(const char *s)
{
    static const char *const yes[] = {"1", "t", "T", "TRUE", "true", "True"};
    static const char *const no[] = {"0", "f", "F", "FALSE", "false", "False"};
    size_t i;

    for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        if (strcmp(s, yes[i]) == 0)
            return "true";
        if (strcmp(s, no[i]) == 0)
            return "false";
    }
    return NULL;
}

static int flag_value(struct cli_parser *p, const struct cli_flag *f, const char *inline_value,
                      const char **value, struct ocirun_error *err)
{
    if (f->arg == NULL) {
        if (inline_value == NULL) {
            *value = "true";
            return 0;
        }
        *value = parse_bool(inline_value);
        if (*value == NULL)
            return error_make(err, 0, "invalid boolean value \"%s\" for -%s: parse error",
                              inline_value, f->name);
        return 0;
    }
    if (inline_value != NULL) {
        *value = inline_value;
        return 0;
    }
    if (p->optind >= p->argc)
        return error_make(err, 0, "flag needs an argument: -%s", f->name);
    *value = p->argv[p->optind++];
    return 0;
}

int cli_next(struct cli_parser *p, int *id, const char **value, struct ocirun_error *err)
{
    const struct cli_flag *f;
    const char *arg, *name, *eq;
    size_t len;

    if (p->help_shown || p->optind >= p->argc)
        return 0;
    arg = p->argv[p->optind];
    if (arg[0] != '-' || arg[1] == '\0')
        return 0;
    if (strcmp(arg, "--") == 0) {
        p->optind++;
        return 0;
    }
    name = arg + (arg[1] == '-' ? 2 : 1);
    if (name[0] == '-' || name[0] == '=')
        return error_make(err, 0, "bad flag syntax: %s", arg);
    p->optind++;
    eq = strchr(name, '=');
    len = eq ? (size_t)(eq - name) : strlen(name);
    f = find_flag(p->cmd, name, len);
    if (f == NULL && is_help(name, len)) {
        cli_print_usage(p->cmd, stdout);
        p->help_shown = true;
        return 0;
    }
    if (f == NULL)
        return error_make(err, 0, "flag provided but not defined: -%.*s", (int)len, name);
    if (flag_value(p, f, eq ? eq + 1 : NULL, value, err) < 0)
        return -1;
    *id = f->id;
    return 1;
}

int cli_check_nargs(const struct cli_parser *p, int n, enum cli_nargs_check how,
                    struct ocirun_error *err)
{
    int have = cli_nargs(p);

    switch (how) {
    case CLI_EXACT:
        if (have != n)
            return error_make(err, 0, "ocirun: \"%s\" requires exactly %d argument(s)",
                              p->cmd->name, n);
        break;
    case CLI_MIN:
        if (have < n)
            return error_make(err, 0, "ocirun: \"%s\" requires a minimum of %d argument(s)",
                              p->cmd->name, n);
        break;
    case CLI_MAX:
        if (have > n)
            return error_make(err, 0, "ocirun: \"%s\" requires a maximum of %d argument(s)",
                              p->cmd->name, n);
        break;
    }
    return 0;
}

int cli_validate_id(const char *id, struct ocirun_error *err)
{
    size_t i, len = strlen(id);

    if (len == 0 || len > CLI_MAX_ID_LEN || strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
        return error_make(err, 0, "invalid container ID format");
    for (i = 0; i < len; i++) {
        char c = id[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '+' || c == '-' || c == '.';
        if (!ok)
            return error_make(err, 0, "invalid container ID format");
    }
    return 0;
}

int cli_container_id(const struct cli_parser *p, const char **id, struct ocirun_error *err)
{
    if (cli_check_nargs(p, 1, CLI_EXACT, err) < 0)
        return -1;
    if (cli_validate_id(cli_args(p)[0], err) < 0)
        return -1;
    *id = cli_args(p)[0];
    return 0;
}

int cli_parse_id_only(struct cli_parser *p, const struct cli_command *cmd, int argc, char **argv,
                      const char **id, struct ocirun_error *err)
{
    const char *value;
    int flag, r;

    cli_parser_init(p, cmd, argc, argv);
    while ((r = cli_next(p, &flag, &value, err)) > 0)
        ;
    if (r < 0)
        return r;
    if (p->help_shown)
        return 0;
    return cli_container_id(p, id, err) < 0 ? -1 : 1;
}

static void print_flag(const struct cli_flag *f, FILE *out)
{
    char left[128];
    int n;

    n = snprintf(left, sizeof(left), "--%s%s%s", f->name, f->arg ? " " : "", f->arg ? f->arg : "");
    if (f->id > 0 && f->id < 256 && n > 0 && (size_t)n < sizeof(left))
        snprintf(left + n, sizeof(left) - (size_t)n, ", -%c%s%s", f->id, f->arg ? " " : "",
                 f->arg ? f->arg : "");
    fprintf(out, "   %-30s %s\n", left, f->help ? f->help : "");
}

void cli_print_usage(const struct cli_command *cmd, FILE *out)
{
    const struct cli_flag *f;

    fprintf(out, "NAME:\n   ocirun %s - %s\n\n", cmd->name, cmd->summary);
    fprintf(out, "USAGE:\n   ocirun %s [command options]%s%s\n", cmd->name, cmd->args ? " " : "",
            cmd->args ? cmd->args : "");
    if (cmd->description != NULL)
        fprintf(out, "\nDESCRIPTION:\n   %s\n", cmd->description);
    fprintf(out, "\nOPTIONS:\n");
    if (cmd->flags != NULL)
        for (f = cmd->flags; f->name != NULL; f++)
            print_flag(f, out);
    fprintf(out, "   %-30s %s\n", "--help, -h", "show help");
}

int cli_not_implemented(const struct cli_command *cmd, int argc, char **argv,
                        struct ocirun_error *err)
{
    struct cli_parser p;
    const char *value;
    int id, r;

    cli_parser_init(&p, cmd, argc, argv);
    while ((r = cli_next(&p, &id, &value, err)) > 0)
        ;
    if (r < 0)
        return r;
    if (p.help_shown)
        return 0;
    return error_make(err, 0, "%s: not implemented yet", cmd->name);
}
