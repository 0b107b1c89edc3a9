/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `ocirun events [--stats] [--interval D] ID`: runc's event stream, one
 * JSON object per line: a stats event every interval (Go duration syntax,
 * default 5s) and an oom event whenever the kernel reports one, until the
 * container stops; with --stats one stats event, then exit
 * (container_events.c). */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "container_update.h"
#include "options.h"
#include "util.h"

static const struct cli_flag flags[] = {
    {"interval", CLI_LONG_ONLY(1), "DURATION", "set the stats collection interval (default: 5s)"},
    {"stats", CLI_LONG_ONLY(2), NULL, "display the container's stats then exit"},
    {NULL, 0, NULL, NULL},
};

static const struct cli_command command = {
    .name = "events",
    .args = "<container-id>",
    .summary =
        "display container events such as OOM notifications, cpu, memory, and IO usage statistics",
    .flags = flags,
};

/* Go's time.ParseDuration, to milliseconds: "5s", "1.5s", "500ms", "1m30s". */
static int parse_duration(const char *s, long *ms)
{
    static const struct {
        const char *unit;
        double ms;
    } units[] = {{"ns", 1e-6}, {"us", 1e-3}, {"\xc2\xb5s", 1e-3}, {"ms", 1},
                 {"s", 1000},  {"m", 60000}, {"h", 3600000}};
    double total = 0;

    if (*s == '\0')
        return -1;
    while (*s) {
        char *end;
        double v = strtod(s, &end);
        size_t best = 0, i, found = SIZE_MAX;
        if (end == s || *s == '-' || *s == '+' || *s == ' ')
            return -1;
        for (i = 0; i < ARRAY_SIZE(units); i++) {
            size_t l = strlen(units[i].unit);
            if (strncmp(end, units[i].unit, l) == 0 && l > best)
                best = l, found = i;
        }
        if (found == SIZE_MAX)
            return -1;
        total += v * units[found].ms;
        s = end + best;
    }
    if (total > 86400000.0 * 365)
        return -1;
    *ms = (long)total;
    return 0;
}

int cmd_events(struct global_options *g, int argc, char **argv, struct ocirun_error *err)
{
    struct cli_parser p;
    const char *value, *id, *interval = "5s";
    bool stats = false;
    long ms = 0;
    int opt, r;

    cli_parser_init(&p, &command, argc, argv);
    while ((r = cli_next(&p, &opt, &value, err)) > 0) {
        if (opt == CLI_LONG_ONLY(1))
            interval = value;
        else if (opt == CLI_LONG_ONLY(2))
            stats = cli_is_true(value);
    }
    if (r < 0)
        return r;
    if (p.help_shown)
        return 0;
    if (cli_container_id(&p, &id, err) < 0)
        return -1;
    if (parse_duration(interval, &ms) < 0)
        return error_plain(err, EINVAL, "invalid value \"%s\" for flag -interval: parse error",
                           interval);
    if (ms <= 0)
        return error_plain(err, EINVAL, "duration interval must be greater than 0");
    return container_events(g->root, id, stats, ms, stdout, err) < 0 ? -1 : 0;
}
