/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `ocirun state ID`: the container's state JSON, status derived live. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "options.h"
#include "state.h"
#include "util.h"

static const struct cli_command command = {
    .name = "state",
    .args = "<container-id>",
    .summary = "output the state of a container",
    .description = "The state command outputs current state information for the instance of a\n"
                   "   container, as JSON: ociVersion, id, pid, status (created, running,\n"
                   "   paused or stopped, derived live), bundle, rootfs, created, owner and\n"
                   "   annotations.",
};

int cmd_state(struct global_options *g, int argc, char **argv, struct ocirun_error *err)
{
    cleanup_container struct container *c = NULL;
    cleanup_free char *json = NULL;
    const char *id;
    struct cli_parser p;
    size_t len;
    int r = cli_parse_id_only(&p, &command, argc, argv, &id, err);

    if (r <= 0)
        return r;
    if (container_load(g->root, id, false, &c, err) < 0)
        return -1;
    /* runc leaves owner empty here (list fills it in). */
    free(c->state->owner);
    c->state->owner = xstrdup("");
    json = container_state_json(c, container_status(c), err);
    if (json == NULL)
        return -1;
    /* No newline after the document: runc writes the bytes alone. */
    len = strlen(json);
    while (len > 0 && json[len - 1] == '\n')
        json[--len] = '\0';
    if (fputs(json, stdout) == EOF || fflush(stdout) == EOF)
        return error_make(err, 0, "write state to stdout");
    return 0;
}
