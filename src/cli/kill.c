/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `ocirun kill [--all] ID [SIGNAL]`: signal the init, or every process of
 * the container's cgroup. */
#include "config.h"

#include <signal.h>

#include "cli.h"
#include "container.h"
#include "options.h"
#include "signals.h"
#include "state.h"
#include "util.h"

static const struct cli_flag flags[] = {
    {"all", 'a', NULL, "send the specified signal to all processes inside the container"},
    {NULL, 0, NULL, NULL},
};

static const struct cli_command command = {
    .name = "kill",
    .args = "<container-id> [signal]",
    .summary = "kill sends the specified signal (default: SIGTERM) to the container's init process",
    .description = "The signal is a number (9) or a name with or without the SIG prefix\n"
                   "   (KILL, SIGKILL), or a real-time signal (RTMIN+3). A container that is\n"
                   "   not running fails with \"container not running\".",
    .flags = flags,
};

int cmd_kill(struct global_options *g, int argc, char **argv, struct ocirun_error *err)
{
    struct cli_parser p;
    const char *value, *id;
    bool all = false;
    int opt, r, sig = SIGTERM;

    cli_parser_init(&p, &command, argc, argv);
    while ((r = cli_next(&p, &opt, &value, err)) > 0) {
        if (opt == 'a')
            all = cli_is_true(value);
    }
    if (r < 0)
        return r;
    if (p.help_shown)
        return 0;
    if (cli_check_nargs(&p, 1, CLI_MIN, err) < 0 || cli_check_nargs(&p, 2, CLI_MAX, err) < 0)
        return -1;
    id = cli_args(&p)[0];
    if (cli_validate_id(id, err) < 0)
        return -1;
    /* runc looks the container up before the signal: an unknown id wins. */
    if (cli_nargs(&p) == 2 && signal_parse(cli_args(&p)[1], &sig, err) < 0) {
        cleanup_container struct container *c = NULL;
        struct ocirun_error lerr = {0};
        if (container_load(g->root, id, false, &c, &lerr) < 0) {
            error_take(err, lerr.errnum, steal_ptr(&lerr.msg));
            return -1;
        }
        return -1;
    }
    if (container_kill(g->root, id, sig, all, err) < 0)
        return -1;
    return 0;
}
