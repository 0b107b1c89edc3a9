/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `ocirun list [--format table|json] [--quiet]`: the containers under
 * --root, laid out exactly as runc's (a Go tabwriter with min width 12 and
 * padding 3; json: one compact array, `null` when there is none). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "log.h"
#include "options.h"
#include "passwd.h"
#include "state.h"
#include "util.h"

#define COLUMNS      6
#define MIN_WIDTH    12
#define CELL_PADDING 3

static const struct cli_flag flags[] = {
    {"format", 'f', "FORMAT", "select one of: table or json (default: \"table\")"},
    {"quiet", 'q', NULL, "display only container IDs"},
    {NULL, 0, NULL, NULL},
};

static const struct cli_command command = {
    .name = "list",
    .args = NULL,
    .summary = "lists containers started by ocirun with the given root",
    .flags = flags,
};

struct row {
    char *cell[COLUMNS];
};

/* Display width as tabwriter counts it: UTF-8 code points. */
static size_t text_width(const char *s)
{
    size_t n = 0;

    for (; *s; s++)
        n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

/* The name of uid in the host's /etc/passwd, or NULL (read directly, not
 * through NSS, as runc's Go os/user does in a static build). */
static char *passwd_name(uid_t uid)
{
    char *name = passwd_field_of_uid(uid, PASSWD_NAME);

    if (name != NULL && name[0] == '\0') {
        free(name);
        return NULL;
    }
    return name;
}

/* The owner runc shows: the user owning the state directory. */
static char *dir_owner(const char *root, const char *id)
{
    cleanup_free char *path = xasprintf("%s/%s", root, id);
    struct stat st;

    /* One lookup for the usual case of a single owner: list of 200
     * containers must not read the passwd database 200 times. */
    static uid_t cached_uid = (uid_t)-1;
    static char *cached_name;

    if (stat(path, &st) < 0)
        return xstrdup("");
    if (cached_name == NULL || cached_uid != st.st_uid) {
        free(cached_name);
        cached_name = passwd_name(st.st_uid);
        if (cached_name == NULL)
            cached_name = xasprintf("#%u", (unsigned)st.st_uid);
        cached_uid = st.st_uid;
    }
    return xstrdup(cached_name);
}

static void print_table(struct row *rows, size_t n)
{
    size_t width[COLUMNS] = {0};

    for (size_t r = 0; r < n; r++) {
        for (int c = 0; c < COLUMNS - 1; c++) {
            size_t w = text_width(rows[r].cell[c]) + CELL_PADDING;
            if (w > width[c])
                width[c] = w;
        }
    }
    for (int c = 0; c < COLUMNS - 1; c++) {
        if (width[c] < MIN_WIDTH)
            width[c] = MIN_WIDTH;
    }
    for (size_t r = 0; r < n; r++) {
        for (int c = 0; c < COLUMNS - 1; c++)
            printf("%s%*s", rows[r].cell[c], (int)(width[c] - text_width(rows[r].cell[c])), "");
        printf("%s\n", rows[r].cell[COLUMNS - 1]);
    }
}

/* Drops the pretty-printing whitespace outside strings. */
static void json_compact(char *s)
{
    char *out = s;
    bool in_string = false;

    for (; *s; s++) {
        if (in_string) {
            *out++ = *s;
            if (*s == '\\' && s[1] != '\0')
                *out++ = *++s;
            else if (*s == '"')
                in_string = false;
        } else if (*s == '"') {
            in_string = true;
            *out++ = *s;
        } else if (*s != ' ' && *s != '\n' && *s != '\t' && *s != '\r') {
            *out++ = *s;
        }
    }
    *out = '\0';
}

static void row_free(struct row *r)
{
    for (int c = 0; c < COLUMNS; c++)
        free(r->cell[c]);
}

/* Loads one container into a table row and/or its json; false when it
 * cannot be read (runc warns and goes on). */
static bool load_one(const char *root, const char *id, struct row *row, char **json)
{
    cleanup_container struct container *c = NULL;
    struct ocirun_error err = {0};
    const char *status;

    if (container_load(root, id, false, &c, &err) < 0) {
        /* Deleted since the directory was read: simply gone. */
        if (err.errnum != ENOENT)
            log_warn("load container %s: %s", id, err.msg);
        error_clear(&err);
        return false;
    }
    if (row == NULL && json == NULL)
        return true;
    status = container_status(c);
    free(c->state->owner);
    c->state->owner = dir_owner(root, id);
    if (json != NULL) {
        *json = container_state_json(c, status, &err);
        if (*json == NULL) {
            log_warn("container %s: %s", id, err.msg);
            error_clear(&err);
            return false;
        }
        json_compact(*json);
        return true;
    }
    row->cell[0] = xstrdup(id);
    row->cell[1] =
        xasprintf("%lld", strcmp(status, "stopped") == 0 ? 0LL : (long long)c->state->pid);
    row->cell[2] = xstrdup(status);
    row->cell[3] = xstrdup(c->state->bundle ? c->state->bundle : "");
    row->cell[4] = xstrdup(c->state->created ? c->state->created : "");
    row->cell[5] = xstrdup(c->state->owner);
    return true;
}

static void list_json(const char *root, char **ids, size_t n)
{
    size_t shown = 0;

    for (size_t i = 0; i < n; i++) {
        cleanup_free char *json = NULL;
        if (!load_one(root, ids[i], NULL, &json))
            continue;
        fputs(shown++ == 0 ? "[" : ",", stdout);
        fputs(json, stdout);
    }
    puts(shown == 0 ? "null" : "]");
}

static void list_table(const char *root, char **ids, size_t n)
{
    struct row *rows = xzalloc((n + 1) * sizeof(*rows));
    const char *header[COLUMNS] = {"ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"};
    size_t used = 1;

    for (int c = 0; c < COLUMNS; c++)
        rows[0].cell[c] = xstrdup(header[c]);
    for (size_t i = 0; i < n; i++) {
        if (load_one(root, ids[i], &rows[used], NULL))
            used++;
    }
    print_table(rows, used);
    for (size_t i = 0; i < used; i++)
        row_free(&rows[i]);
    free(rows);
}

int cmd_list(struct global_options *g, int argc, char **argv, struct ocirun_error *err)
{
    cleanup_strv char **ids = NULL;
    const char *format = "table", *value;
    bool quiet = false;
    struct cli_parser p;
    size_t n = 0;
    int opt, r;

    cli_parser_init(&p, &command, argc, argv);
    while ((r = cli_next(&p, &opt, &value, err)) > 0) {
        if (opt == 'f')
            format = value;
        else if (opt == 'q')
            quiet = cli_is_true(value);
    }
    if (r < 0)
        return r;
    if (p.help_shown)
        return 0;
    if (cli_check_nargs(&p, 0, CLI_EXACT, err) < 0)
        return -1;
    if (strcmp(format, "table") != 0 && strcmp(format, "json") != 0)
        return error_plain(err, EINVAL, "invalid format option");
    if (state_list_ids(g->root, &ids, &n, err) < 0)
        return -1;
    if (quiet) {
        for (size_t i = 0; i < n; i++) {
            if (load_one(g->root, ids[i], NULL, NULL))
                puts(ids[i]);
        }
    } else if (strcmp(format, "json") == 0) {
        list_json(g->root, ids, n);
    } else {
        list_table(g->root, ids, n);
    }
    if (fflush(stdout) == EOF)
        return error_make(err, errno, "write to stdout");
    return 0;
}
