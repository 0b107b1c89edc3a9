/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `ocirun ps [--format table|json] ID [PS_ARGS...]`: the processes of the
 * container's cgroup (without one: the init and its descendants); json is the array of pids, table
 * is the host's `ps` output (default `ps -ef`) filtered to those pids, as runc does. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "cli.h"
#include "options.h"
#include "state.h"
#include "util.h"

static const struct cli_flag flags[] = {
    {"format", 'f', "FORMAT", "select one of: table or json (default: \"table\")"},
    {NULL, 0, NULL, NULL},
};

static const struct cli_command command = {
    .name = "ps",
    .args = "<container-id> [ps options]",
    .summary = "ps displays the processes running inside a container",
    .flags = flags,
};

#define MAX_TREE_PIDS 65536

static void add_children(pid_t pid, pid_t **pids, size_t *n)
{
    char path[64];
    DIR *d;
    struct dirent *e;

    snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
    d = opendir(path);
    if (d == NULL)
        return;
    while ((e = readdir(d)) != NULL) {
        cleanup_free char *kids = NULL;
        char *p, *end;
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "/proc/%d/task/%.16s/children", (int)pid, e->d_name);
        if (read_file_at(AT_FDCWD, path, &kids, NULL, NULL) < 0)
            continue;
        for (p = kids; *p && *n < MAX_TREE_PIDS; p = end) {
            long v = strtol(p, &end, 10);
            if (end == p)
                break;
            if (v > 0) {
                *pids = xrealloc(*pids, (*n + 1) * sizeof(pid_t));
                (*pids)[(*n)++] = (pid_t)v;
            }
        }
    }
    closedir(d);
}

/* Without a cgroup (rootless with no writable one, the `disabled`
 * manager): the init and its descendants, breadth first through
 * /proc/PID/task/TID/children. */
static void tree_pids(struct container *c, pid_t **pids, size_t *n)
{
    if (!container_init_alive(c))
        return;
    *pids = xmalloc(sizeof(pid_t));
    (*pids)[0] = (pid_t)c->state->pid;
    *n = 1;
    for (size_t i = 0; i < *n && *n < MAX_TREE_PIDS; i++)
        add_children((*pids)[i], pids, n);
}

static int container_pids(struct container *c, pid_t **pids, size_t *n, struct ocirun_error *err)
{
    struct ocirun_private_state *p = c->state->ocirun;
    struct cgroup *cg = NULL;
    int r;

    *pids = NULL;
    *n = 0;
    if (p == NULL || p->cgroup_path == NULL || p->cgroup_path[0] == '\0') {
        tree_pids(c, pids, n);
        return 0;
    }
    if (cgroup_open(p->cgroup_manager ? p->cgroup_manager : "cgroupfs", p->cgroup_path, &cg, err) <
        0)
        return -1;
    r = cgroup_pids(cg, pids, n, err);
    cgroup_free(cg);
    if (r == 0 && *n == 0) {
        free(*pids);
        *pids = NULL;
        tree_pids(c, pids, n);
    }
    return r;
}

/* Runs `ps ARGS` and returns its stdout+stderr (runc's CombinedOutput). */
static int run_ps(char **args, int nargs, char **out, struct ocirun_error *err)
{
    char *def[] = {"-ef"};
    char **argv = xzalloc(((size_t)(nargs ? nargs : 1) + 2) * sizeof(*argv));
    int pfd[2], status, r;
    pid_t pid;

    argv[0] = "ps";
    memcpy(argv + 1, nargs ? args : def, (size_t)(nargs ? nargs : 1) * sizeof(*argv));
    if (pipe2(pfd, O_CLOEXEC) < 0) {
        free(argv);
        return error_make(err, errno, "pipe");
    }
    pid = fork();
    if (pid == 0) {
        dup2(pfd[1], 1);
        dup2(pfd[1], 2);
        execvp("ps", argv);
        _exit(127);
    }
    free(argv);
    close(pfd[1]);
    if (pid < 0) {
        close(pfd[0]);
        return error_make(err, errno, "fork");
    }
    r = read_fd_all(pfd[0], "the output of ps", SIZE_MAX, out, NULL, err);
    close(pfd[0]);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (r < 0)
        return -1;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return error_make(err, 0, "ps: exit status %d: %s",
                          WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), *out);
    return 0;
}

static int pid_index(const char *header, struct ocirun_error *err)
{
    cleanup_free char *copy = xstrdup(header);
    char *save = NULL;
    int i = 0;

    for (char *f = strtok_r(copy, " \t", &save); f; f = strtok_r(NULL, " \t", &save), i++) {
        if (strcmp(f, "PID") == 0)
            return i;
    }
    return error_make(err, 0, "couldn't find PID field in ps output");
}

static bool line_pid_in(const char *line, int index, const pid_t *pids, size_t n)
{
    cleanup_free char *copy = xstrdup(line);
    char *save = NULL, *f = strtok_r(copy, " \t", &save);

    for (int i = 0; f && i < index; i++)
        f = strtok_r(NULL, " \t", &save);
    if (f == NULL)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (atoi(f) == (int)pids[i])
            return true;
    }
    return false;
}

static int print_table(char **args, int nargs, const pid_t *pids, size_t n,
                       struct ocirun_error *err)
{
    cleanup_free char *out = NULL;
    char *save = NULL, *line;
    int index;

    if (run_ps(args, nargs, &out, err) < 0)
        return -1;
    line = strtok_r(out, "\n", &save);
    if (line == NULL || (index = pid_index(line, err)) < 0)
        return line ? -1 : error_make(err, 0, "couldn't find PID field in ps output");
    puts(line);
    while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
        if (line_pid_in(line, index, pids, n))
            puts(line);
    }
    return 0;
}

int cmd_ps(struct global_options *g, int argc, char **argv, struct ocirun_error *err)
{
    cleanup_container struct container *c = NULL;
    cleanup_free pid_t *pids = NULL;
    const char *format = "table", *value, *id;
    struct cli_parser p;
    size_t n = 0;
    int opt, r;

    cli_parser_init(&p, &command, argc, argv);
    while ((r = cli_next(&p, &opt, &value, err)) > 0) {
        if (opt == 'f')
            format = value;
    }
    if (r < 0)
        return r;
    if (p.help_shown)
        return 0;
    if (cli_check_nargs(&p, 1, CLI_MIN, err) < 0)
        return -1;
    id = cli_args(&p)[0];
    if (cli_validate_id(id, err) < 0 || container_load(g->root, id, false, &c, err) < 0)
        return -1;
    if (container_pids(c, &pids, &n, err) < 0)
        return -1;
    if (strcmp(format, "json") == 0) {
        for (size_t i = 0; i < n; i++)
            printf("%s%d", i ? "," : "[", (int)pids[i]);
        puts(n ? "]" : "null");
    } else if (strcmp(format, "table") == 0) {
        char **ps_args = cli_args(&p) + 1;
        int ps_nargs = cli_nargs(&p) - 1;
        /* `ps ID -- -o pid` works too: the separator is not for ps. */
        if (ps_nargs > 0 && strcmp(ps_args[0], "--") == 0) {
            ps_args++;
            ps_nargs--;
        }
        if (print_table(ps_args, ps_nargs, pids, n, err) < 0)
            return -1;
    } else {
        return error_plain(err, EINVAL, "invalid format option");
    }
    if (fflush(stdout) == EOF)
        return error_make(err, errno, "write to stdout");
    return 0;
}
