/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `ocirun spec [--bundle DIR] [--rootless]`: write a starter config.json. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli.h"
#include "options.h"
#include "spec_default.h"
#include "util.h"

enum { OPT_ROOTLESS = CLI_LONG_ONLY(1) };

static const struct cli_flag flags[] = {
    {"bundle", 'b', "DIR", "path to the root of the bundle directory"},
    {"rootless", OPT_ROOTLESS, NULL, "generate a configuration for a rootless container"},
    {NULL, 0, NULL, NULL},
};

static const struct cli_command command = {
    .name = "spec",
    .args = NULL,
    .summary = "create a new specification file",
    .description = "The spec command creates the new specification file named \"config.json\"\n"
                   "   for the bundle. The generated spec is a starter file: its process runs\n"
                   "   \"sh\"; edit it to fit the image. With --rootless the file is ready for\n"
                   "   an unprivileged user (user namespace mapping that user to root).",
    .flags = flags,
};

/* O_EXCL: never overwrite, and never follow a symlink planted at
 * config.json. Mode 0666 so the umask decides, as with runc. */
static int write_config(const char *bundle, const char *json, size_t len, struct ocirun_error *err)
{
    cleanup_close int dirfd = -1;
    cleanup_close int fd = -1;

    dirfd = open(bundle, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0)
        return error_make(err, errno, "open bundle `%s`", bundle);
    fd = openat(dirfd, "config.json", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, 0666);
    if (fd < 0 && errno == EEXIST)
        return error_make(err, 0, "File config.json exists. Remove it first");
    if (fd < 0)
        return error_make(err, errno, "create `%s/config.json`", bundle);
    if (write_all(fd, json, len) < 0 ||
        (len > 0 && json[len - 1] != '\n' && write_all(fd, "\n", 1) < 0)) {
        int saved = errno;
        (void)unlinkat(dirfd, "config.json", 0);
        return error_make(err, saved, "write `%s/config.json`", bundle);
    }
    return 0;
}

int cmd_spec(struct global_options *g, int argc, char **argv, struct ocirun_error *err)
{
    const char *bundle = ".", *value;
    bool rootless = false;
    struct cli_parser p;
    struct oci_config *cfg;
    cleanup_free char *json = NULL;
    char *msg = NULL;
    size_t len = 0;
    int id, r;

    (void)g;
    cli_parser_init(&p, &command, argc, argv);
    while ((r = cli_next(&p, &id, &value, err)) > 0) {
        if (id == 'b')
            bundle = value;
        else if (id == OPT_ROOTLESS)
            rootless = cli_is_true(value);
    }
    if (r < 0)
        return r;
    if (p.help_shown)
        return 0;
    if (cli_check_nargs(&p, 0, CLI_EXACT, err) < 0)
        return -1;
    cfg = spec_default_config(rootless, geteuid(), getegid());
    r = oci_config_generate(cfg, &json, &len, &msg);
    oci_config_free(cfg);
    if (r < 0) {
        error_take(err, 0, msg);
        return error_wrap(err, "generate config.json");
    }
    if (write_config(bundle, json, len, err) < 0)
        return -1;
    return 0;
}
