/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ocirun's entry point: global options, then one command from the table.
 *
 * The syntax mirrors runc 1.x (urfave/cli): global flags come before the
 * command and are not accepted after it, `-root` works like `--root`, an
 * unknown command exits 3 with `No help topic for 'x'`, a failing command
 * prints its error once and exits 1. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef HAVE_SECCOMP
#include <seccomp.h>
#endif

#include "cli/cli.h"
#include "cli/options.h"
#include "criu.h"
#include "companion.h"
#include "log.h"
#include "ocispec.h"
#include "rootdir.h"
#include "util.h"

struct command {
    const char *name;
    command_fn fn;
    bool needs_root; /* uses the state directory, so the default --root is resolved */
};

static const struct command commands[] = {
    {"checkpoint", cmd_checkpoint, true},
    {"create", cmd_create, true},
    {"delete", cmd_delete, true},
    {"events", cmd_events, true},
    {"exec", cmd_exec, true},
    {"kill", cmd_kill, true},
    {"list", cmd_list, true},
    {"pause", cmd_pause, true},
    {"ps", cmd_ps, true},
    {"restore", cmd_restore, true},
    {"resume", cmd_resume, true},
    {"run", cmd_run, true},
    {"spec", cmd_spec, false},
    {"start", cmd_start, true},
    {"state", cmd_state, true},
    {"update", cmd_update, true},
    {"features", cmd_features, false},
};

enum {
    OPT_ROOT = CLI_LONG_ONLY(1),
    OPT_LOG,
    OPT_LOG_FORMAT,
    OPT_LOG_LEVEL,
    OPT_DEBUG,
    OPT_SYSTEMD_CGROUP,
    OPT_CGROUP_MANAGER,
    OPT_ROOTLESS,
    OPT_CRIU,
};

static const struct cli_flag global_flags[] = {
    {"debug", OPT_DEBUG, NULL, "enable debug logging"},
    {"log", OPT_LOG, "FILE", "set the log file to write ocirun logs to (default is stderr)"},
    {"log-format", OPT_LOG_FORMAT, "FORMAT", "set the log format ('text' (default), or 'json')"},
    {"log-level", OPT_LOG_LEVEL, "LEVEL", "set the log level (error, warn (default), info, debug)"},
    {"root", OPT_ROOT, "DIR",
     "root directory for storage of container state (this should be located in tmpfs) "
     "(default: \"/run/ocirun\", or \"$XDG_RUNTIME_DIR/ocirun\" for non-root users)"},
    {"criu", OPT_CRIU, "PATH",
     "the criu binary checkpoint and restore run (default: criu on PATH)"},
    {"systemd-cgroup", OPT_SYSTEMD_CGROUP, NULL, "same as --cgroup-manager systemd"},
    {"cgroup-manager", OPT_CGROUP_MANAGER, "MANAGER",
     "cgroup manager: 'cgroupfs' (default), 'systemd' or 'disabled'"},
    {"rootless", OPT_ROOTLESS, "VALUE",
     "ignore cgroup permission errors ('true', 'false', or 'auto') (default: \"auto\")"},
    {"version", 'v', NULL, "print the version"},
    {"help", 'h', NULL, "show help"},
    {NULL, 0, NULL, NULL},
};

static const char *const command_summaries[][2] = {
    {"checkpoint", "checkpoint a running container"},
    {"create", "create a container"},
    {"delete", "delete any resources held by the container"},
    {"events", "display container events such as OOM notifications, cpu, memory, and IO usage"},
    {"exec", "execute new process inside the container"},
    {"kill", "send the specified signal (default: SIGTERM) to the container's init process"},
    {"list", "list containers started by ocirun with the given root"},
    {"pause", "suspend all processes inside the container"},
    {"ps", "display the processes running inside a container"},
    {"restore", "restore a container from a previous checkpoint"},
    {"resume", "resume all processes that have been previously paused"},
    {"run", "create and run a container"},
    {"spec", "create a new specification file"},
    {"start", "execute the user defined process in a created container"},
    {"state", "output the state of a container"},
    {"update", "update container resource constraints"},
    {"features", "show the enabled features"},
    {"help, h", "show a list of commands or help for one command"},
};

static void print_global_help(FILE *out)
{
    const struct cli_flag *f;
    size_t i;

    fprintf(out, "NAME:\n   ocirun - Open Container Initiative runtime\n\n"
                 "USAGE:\n   ocirun [global options] command [command options] [arguments...]\n\n"
                 "VERSION:\n   " PACKAGE_VERSION "\n\nCOMMANDS:\n");
    for (i = 0; i < ARRAY_SIZE(command_summaries); i++)
        fprintf(out, "   %-11s %s\n", command_summaries[i][0], command_summaries[i][1]);
    fprintf(out, "\nGLOBAL OPTIONS:\n");
    for (f = global_flags; f->name != NULL; f++) {
        cleanup_free char *left = NULL;

        if (f->id > 0 && f->id < 256)
            left = xasprintf("--%s, -%c", f->name, f->id);
        else
            left = xasprintf("--%s%s%s", f->name, f->arg ? " " : "", f->arg ? f->arg : "");
        fprintf(out, "   %-24s %s\n", left, f->help);
    }
}

/* Shaped like runc's and crun's output: podman and containerd parse the
 * first line, `ocirun version X.Y.Z`. */
static void print_version(void)
{
    printf("ocirun version %s\ncommit: %s\nspec: %s\n", PACKAGE_VERSION, GIT_COMMIT,
           OCI_SPEC_VERSION);
#ifdef HAVE_SECCOMP
    const struct scmp_version *v = seccomp_version();
    if (v != NULL)
        printf("libseccomp: %u.%u.%u\n", v->major, v->minor, v->micro);
#endif
    printf("%s\n", ""
#ifdef HAVE_SYSTEMD
                   "+SYSTEMD "
#endif
#ifdef HAVE_CAP
                   "+CAP "
#endif
#ifdef HAVE_SECCOMP
                   "+SECCOMP "
#endif
#ifdef OCIRUN_FAULT_INJECTION
                   "+FAULT "
#endif
                   "+YAJL");
}

struct main_options {
    struct global_options g;
    bool version, help;
    const char *criu;
};

static int parse_rootless(const char *value, int *out, struct ocirun_error *err)
{
    if (strcmp(value, "true") == 0)
        *out = 1;
    else if (strcmp(value, "false") == 0)
        *out = 0;
    else if (strcmp(value, "auto") == 0)
        *out = -1;
    else
        return error_make(err, 0, "invalid --rootless value `%s`: expected true, false or auto",
                          value);
    return 0;
}

static int apply_global_flag(struct main_options *o, int id, const char *value,
                             struct ocirun_error *err)
{
    switch (id) {
    case OPT_ROOT:
        o->g.root = value;
        break;
    case OPT_LOG:
        o->g.log_path = value;
        break;
    case OPT_LOG_FORMAT:
        o->g.log_format = value;
        break;
    case OPT_LOG_LEVEL:
        o->g.log_level = value;
        break;
    case OPT_DEBUG:
        o->g.debug = cli_is_true(value);
        break;
    case OPT_SYSTEMD_CGROUP:
        if (cli_is_true(value))
            o->g.cgroup_manager = "systemd";
        break;
    case OPT_CGROUP_MANAGER:
        if (strcmp(value, "cgroupfs") != 0 && strcmp(value, "systemd") != 0 &&
            strcmp(value, "disabled") != 0)
            return error_make(err, 0,
                              "invalid --cgroup-manager `%s`: expected cgroupfs, systemd or "
                              "disabled",
                              value);
        o->g.cgroup_manager = value;
        break;
    case OPT_ROOTLESS:
        return parse_rootless(value, &o->g.rootless, err);
    case OPT_CRIU:
        o->criu = value;
        break;
    case 'v':
        o->version = cli_is_true(value);
        break;
    case 'h':
        o->help = cli_is_true(value);
        break;
    }
    return 0;
}

static const struct cli_command global_command = {
    .name = "",
    .summary = "Open Container Initiative runtime",
    .flags = global_flags,
};

/* Returns the index of the command name in argv (argc when none). */
static int parse_global_options(struct main_options *o, int argc, char **argv,
                                struct ocirun_error *err)
{
    struct cli_parser p;
    const char *value;
    int id, r;

    cli_parser_init(&p, &global_command, argc, argv);
    while ((r = cli_next(&p, &id, &value, err)) > 0)
        if (apply_global_flag(o, id, value, err) < 0)
            return -1;
    if (r < 0)
        return r;
    return p.optind;
}

/* Logging is set up before the options are known, so that a bad flag is
 * reported too; then again with the options. */
static int setup_logging(const struct main_options *o, struct ocirun_error *err)
{
    const char *level = o->g.debug ? "debug" : o->g.log_level;
    char *msg = NULL;

    if (log_init(o->g.log_path, o->g.log_format, level, &msg) < 0)
        return error_take(err, 0, msg);
    criu_set_binary(o->criu);
    if (o->criu != NULL)
        log_debug("criu binary: `%s`", o->criu);
    return 0;
}

static const struct command *find_command(const char *name)
{
    size_t i;

    for (i = 0; i < ARRAY_SIZE(commands); i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

/* A help request must work even where no default --root can be resolved. */
static bool wants_help(int argc, char **argv)
{
    int i;

    for (i = 1; i < argc && argv[i][0] == '-' && strcmp(argv[i], "--") != 0; i++) {
        const char *name = argv[i] + (argv[i][1] == '-' ? 2 : 1);
        if (strcmp(name, "h") == 0 || strcmp(name, "help") == 0)
            return true;
    }
    return false;
}

static int resolve_root(struct global_options *g, char **owned, struct ocirun_error *err)
{
    cleanup_free char *def = NULL;

    if (g->root == NULL && rootdir_default(&def, err) < 0)
        return -1;
    if (rootdir_absolute(g->root ? g->root : def, owned, err) < 0)
        return -1;
    g->root = *owned;
    return 0;
}

/* `ocirun help [command]`, as runc does: the command's own --help. */
static int run_help(struct global_options *g, int argc, char **argv, int *fail_code,
                    struct ocirun_error *err)
{
    const struct command *c;
    char *help_argv[] = {NULL, (char *)"--help", NULL};

    if (argc < 2) {
        print_global_help(stdout);
        return 0;
    }
    c = find_command(argv[1]);
    if (c == NULL) {
        *fail_code = 3; /* urfave/cli's exit code for an unknown command */
        return error_make(err, 0, "No help topic for '%s'", argv[1]);
    }
    help_argv[0] = argv[1];
    return c->fn(g, 2, help_argv, err);
}

static int dispatch(struct global_options *g, int argc, char **argv, int *fail_code,
                    struct ocirun_error *err)
{
    cleanup_free char *root = NULL;
    const struct command *c;
    int r;

    if (strcmp(argv[0], "help") == 0 || strcmp(argv[0], "h") == 0)
        return run_help(g, argc, argv, fail_code, err);
    c = find_command(argv[0]);
    if (c == NULL) {
        *fail_code = 3;
        return error_make(err, 0, "No help topic for '%s'", argv[0]);
    }
    if (c->needs_root && !wants_help(argc, argv) && resolve_root(g, &root, err) < 0)
        return -1;
    r = c->fn(g, argc, argv, err);
    g->root = NULL; /* root is freed here; nothing may keep it */
    return r;
}

int main(int argc, char **argv)
{
    struct main_options o = {.g = {.cgroup_manager = "cgroupfs", .rootless = -1}};
    struct ocirun_error err = {0, NULL};
    int cmd, r, fail_code = 1;

    companion_set_argv(argv);
    cmd = parse_global_options(&o, argc, argv, &err);
    if (cmd >= 0)
        r = setup_logging(&o, &err);
    else
        r = -1;
    /* a static ocirun hands --systemd-cgroup to its dynamic companion */
    if (r >= 0 && !o.version && !o.help && cmd < argc)
        r = companion_exec_for(o.g.cgroup_manager, &err);
    if (r < 0)
        goto fail;
    if (o.version) {
        print_version();
        return 0;
    }
    if (o.help || cmd >= argc) {
        print_global_help(stdout);
        return 0;
    }
    r = dispatch(&o.g, argc - cmd, argv + cmd, &fail_code, &err);
    if (r >= 0) {
        log_close();
        return r;
    }
fail:
    log_error("%s", err.msg ? err.msg : "unknown error");
    error_clear(&err);
    log_close();
    return fail_code;
}
