/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `ocirun exec [flags] ID [COMMAND [ARGS...]]`: runc's flags; the work is
 * container_exec (src/lib/exec.c). */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "exec.h"
#include "options.h"
#include "util.h"

enum {
    FLAG_CONSOLE_SOCKET = CLI_LONG_ONLY(1),
    FLAG_CWD,
    FLAG_PID_FILE,
    FLAG_PROCESS_LABEL,
    FLAG_APPARMOR,
    FLAG_NO_NEW_PRIVS,
    FLAG_PRESERVE_FDS,
    FLAG_CGROUP,
    FLAG_IGNORE_PAUSED,
    FLAG_PIDFD_SOCKET,
};

static const struct cli_flag flags[] = {
    {"console-socket", FLAG_CONSOLE_SOCKET, "PATH",
     "path to an AF_UNIX socket which will receive a file descriptor referencing the master end "
     "of the console's pseudoterminal"},
    {"cwd", FLAG_CWD, "DIR", "current working directory in the container"},
    {"env", 'e', "VAR", "set environment variables (repeatable)"},
    {"tty", 't', NULL, "allocate a pseudo-TTY"},
    {"user", 'u', "UID[:GID]", "UID (format: <uid>[:<gid>])"},
    {"additional-gids", 'g', "GID", "additional gids (repeatable)"},
    {"process", 'p', "FILE", "path to the process.json"},
    {"detach", 'd', NULL, "detach from the container's process"},
    {"pid-file", FLAG_PID_FILE, "FILE", "specify the file to write the process id to"},
    {"process-label", FLAG_PROCESS_LABEL, "LABEL",
     "set the asm process label for the process commonly used with selinux"},
    {"apparmor", FLAG_APPARMOR, "PROFILE", "set the apparmor profile for the process"},
    {"no-new-privs", FLAG_NO_NEW_PRIVS, NULL, "set the no new privileges value for the process"},
    {"cap", 'c', "CAP", "add a capability to the bounding set for the process (repeatable)"},
    {"preserve-fds", FLAG_PRESERVE_FDS, "N",
     "pass N additional file descriptors to the container (stdio + N in total)"},
    {"cgroup", FLAG_CGROUP, "PATH",
     "run the process in an (existing) sub-cgroup(s); the value is a path relative to the "
     "container's cgroup, or CONTROLLER:PATH (cgroup v1; repeatable)"},
    {"ignore-paused", FLAG_IGNORE_PAUSED, NULL, "allow exec in a paused container"},
    {"pidfd-socket", FLAG_PIDFD_SOCKET, "PATH",
     "path to an AF_UNIX socket which will receive a file descriptor referencing the exec "
     "process"},
    {NULL, 0, NULL, NULL},
};

static const struct cli_command command = {
    .name = "exec",
    .args = "<container-id> <command> [command options]",
    .summary = "execute new process inside the container",
    .description = "Runs a new process in a created or running container: in every namespace of "
                   "its init,\nin its cgroup, under its seccomp filter. Without --process the "
                   "process is the\ncontainer's own (config.json) with the command and the flags "
                   "applied over it.\nThe exit code is the process's (128+signal when killed).",
    .flags = flags,
};

/* A decimal id in 0..4294967294: no sign, no blanks, and never (uid_t)-1,
 * which the kernel reads as "leave unchanged" (root by accident). */
static int parse_id(const char *s, uint32_t *out)
{
    unsigned long long v;
    char *end;

    if (s[0] < '0' || s[0] > '9')
        return -1;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0' || v >= UINT32_MAX)
        return -1;
    *out = (uint32_t)v;
    return 0;
}

static int parse_user(struct exec_request *req, const char *value, struct ocirun_error *err)
{
    cleanup_free char *copy = xstrdup(value);
    char *colon = strchr(copy, ':');

    if (colon != NULL) {
        *colon = '\0';
        if (parse_id(colon + 1, &req->gid) < 0)
            return error_plain(err, EINVAL, "--user `%s`: `%s` is not a valid gid", value,
                               colon + 1);
        req->gid_set = true;
    }
    if (parse_id(copy, &req->uid) < 0)
        return error_plain(err, EINVAL, "--user `%s`: `%s` is not a valid uid", value, copy);
    req->user_set = true;
    return 0;
}

static int add_gid(struct exec_request *req, const char *value, struct ocirun_error *err)
{
    uint32_t gid;

    if (parse_id(value, &gid) < 0)
        return error_plain(err, EINVAL, "--additional-gids `%s`: not a valid gid", value);
    req->additional_gids =
        xrealloc(req->additional_gids, sizeof(uint32_t) * (req->additional_gids_len + 1));
    req->additional_gids[req->additional_gids_len++] = gid;
    return 0;
}

static void push(char ***v, size_t *n, const char *s)
{
    *v = xrealloc(*v, sizeof(char *) * (*n + 1));
    (*v)[(*n)++] = (char *)s;
}

static int parse_preserve_fds(struct exec_request *req, const char *value, struct ocirun_error *err)
{
    char *end;
    long n;

    errno = 0;
    n = strtol(value, &end, 10);
    if (errno != 0 || end == value || *end != '\0' || n < 0 || n > INT_MAX - 3)
        return error_plain(err, EINVAL, "invalid value \"%s\" for flag -preserve-fds", value);
    req->preserve_fds = (int)n;
    return 0;
}

static int apply_flag(struct exec_request *req, int id, const char *value, struct ocirun_error *err)
{
    switch (id) {
    case FLAG_CONSOLE_SOCKET:
        req->console_socket = value;
        break;
    case FLAG_PIDFD_SOCKET:
        req->pidfd_socket = value;
        break;
    case FLAG_CWD:
        req->cwd = value;
        break;
    case 'e':
        push(&req->env, &req->env_len, value);
        break;
    case 't':
        req->tty = cli_is_true(value);
        break;
    case 'u':
        return parse_user(req, value, err);
    case 'g':
        return add_gid(req, value, err);
    case 'p':
        req->process_path = value;
        break;
    case 'd':
        req->detach = cli_is_true(value);
        break;
    case FLAG_PID_FILE:
        req->pid_file = value;
        break;
    case FLAG_PROCESS_LABEL:
        req->process_label = value;
        break;
    case FLAG_APPARMOR:
        req->apparmor = value;
        break;
    case FLAG_NO_NEW_PRIVS:
        req->no_new_privs = cli_is_true(value);
        break;
    case 'c':
        push(&req->caps, &req->caps_len, value);
        break;
    case FLAG_PRESERVE_FDS:
        return parse_preserve_fds(req, value, err);
    case FLAG_CGROUP:
        push(&req->cgroups, &req->cgroups_len, value);
        break;
    case FLAG_IGNORE_PAUSED:
        req->ignore_paused = cli_is_true(value);
        break;
    }
    return 0;
}

static int parse(struct cli_parser *p, struct exec_request *req, struct ocirun_error *err)
{
    const char *value;
    int id, r;

    while ((r = cli_next(p, &id, &value, err)) > 0)
        if (apply_flag(req, id, value, err) < 0)
            return error_wrap(err, "exec failed"); /* runc's prefix */
    if (r < 0 || p->help_shown)
        return r;
    if (cli_check_nargs(p, 1, CLI_MIN, err) < 0)
        return -1;
    req->id = cli_args(p)[0];
    if (cli_validate_id(req->id, err) < 0)
        return -1;
    req->args = cli_args(p) + 1;
    req->args_len = (size_t)cli_nargs(p) - 1;
    return 0;
}

int cmd_exec(struct global_options *g, int argc, char **argv, struct ocirun_error *err)
{
    struct exec_request req = {.root = g->root};
    struct cli_parser p;
    int r;

    cli_parser_init(&p, &command, argc, argv);
    r = parse(&p, &req, err);
    if (r == 0 && !p.help_shown) {
        r = container_exec(&req, err);
        if (r < 0)
            error_wrap(err, "exec failed");
    }
    free(req.env);
    free(req.caps);
    free(req.cgroups);
    free(req.additional_gids);
    return r;
}
