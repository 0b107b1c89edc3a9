/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What checkpoint and restore share: the criu command line, running criu
 * and turning its failure into one line, the config's bind mounts (which
 * criu must treat as external) and descriptors.json.
 *
 * criu is driven through its CLI, not `criu swrk` + protobuf: the RPC
 * would need protobuf-c (or a hand-written encoder) for no behaviour the
 * flags lack, and the CLI keeps every step reproducible by hand from the
 * log (docs/checkpoint.md). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "criu-internal.h"
#include "json.h"
#include "log.h"
#include "util.h"

#ifndef CRIU_BINARY
#define CRIU_BINARY "criu"
#endif

/* the global --criu PATH (runc's flag); "criu" on PATH otherwise */
static const char *criu_binary = CRIU_BINARY;

void criu_set_binary(const char *path)
{
    criu_binary = path && *path ? path : CRIU_BINARY;
}

void criu_argv_add(struct criu_argv *a, const char *s)
{
    if (a->n + 2 > a->cap) {
        a->cap = a->cap ? a->cap * 2 : 32;
        a->v = xrealloc(a->v, a->cap * sizeof(char *));
    }
    a->v[a->n++] = xstrdup(s);
    a->v[a->n] = NULL;
}

void criu_argv_addf(struct criu_argv *a, const char *fmt, ...)
{
    va_list ap;
    char *s;

    va_start(ap, fmt);
    if (vasprintf(&s, fmt, ap) < 0)
        abort();
    va_end(ap);
    criu_argv_add(a, s);
    free(s);
}

void criu_argv_free(struct criu_argv *a)
{
    for (size_t i = 0; i < a->n; i++)
        free(a->v[i]);
    free(a->v);
    memset(a, 0, sizeof(*a));
}

static const char *const cgroup_modes[] = {"soft", "full", "strict", "ignore"};

int criu_flags_check(struct criu_flags *f, struct ocirun_error *err)
{
    bool mode_ok = false;

    if (f->lazy_pages)
        return error_plain(err, ENOTSUP, "--lazy-pages is not supported by ocirun");
    if (f->manage_cgroups_mode == NULL)
        f->manage_cgroups_mode = "soft";
    for (size_t i = 0; i < ARRAY_SIZE(cgroup_modes); i++)
        mode_ok |= strcmp(f->manage_cgroups_mode, cgroup_modes[i]) == 0;
    if (!mode_ok)
        return error_plain(err, EINVAL,
                           "invalid --manage-cgroups-mode `%s`: want soft, full, strict or ignore",
                           f->manage_cgroups_mode);
    /* runc's rule: only the network namespace can be left empty. */
    if (f->empty_ns && strcmp(f->empty_ns, "network") != 0)
        return error_plain(err, EINVAL, "--empty-ns `%s`: only `network` is supported",
                           f->empty_ns);
    if (f->image_path == NULL || f->image_path[0] == '\0')
        f->image_path = "checkpoint";
    if (f->work_path == NULL || f->work_path[0] == '\0')
        f->work_path = f->image_path;
    return 0;
}

void criu_argv_common(struct criu_argv *a, const char *action, const struct criu_flags *f,
                      const char *log_name)
{
    criu_argv_add(a, criu_binary);
    criu_argv_add(a, action);
    criu_argv_add(a, "--images-dir");
    criu_argv_add(a, f->image_path);
    criu_argv_add(a, "--work-dir");
    criu_argv_add(a, f->work_path);
    criu_argv_add(a, "--log-file");
    criu_argv_add(a, log_name);
    criu_argv_add(a, "-v4");
    if (f->tcp_established)
        criu_argv_add(a, "--tcp-established");
    if (f->ext_unix_sk)
        criu_argv_add(a, "--ext-unix-sk");
    if (f->shell_job)
        criu_argv_add(a, "--shell-job");
    if (f->file_locks)
        criu_argv_add(a, "--file-locks");
    if (f->auto_dedup)
        criu_argv_add(a, "--auto-dedup");
    criu_argv_addf(a, "--manage-cgroups=%s", f->manage_cgroups_mode);
    if (f->empty_ns)
        criu_argv_add(a, "--empty-ns=net");
}

/* criu's first "Error (file:line): message" line, without the timestamp:
 * the cause; the last one is only "Dumping FAILED." or the like. */
static char *first_log_error(const char *log_path)
{
    cleanup_free char *data = NULL;
    size_t len;
    char *line, *save = NULL;

    if (read_file_at(AT_FDCWD, log_path, &data, &len, NULL) < 0)
        return NULL;
    for (line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *e = strstr(line, "Error (");
        if (e != NULL)
            return xstrdup(e);
    }
    return NULL;
}

static int criu_failed(const char *action, int status, const char *log_path,
                       struct ocirun_error *err)
{
    cleanup_free char *line = first_log_error(log_path);

    if (WIFEXITED(status) && WEXITSTATUS(status) == 127 && line == NULL)
        return error_plain(err, ENOENT, "criu %s: cannot run `%s` (is criu installed?)", action,
                           criu_binary);
    if (line)
        return error_plain(err, EIO, "criu %s failed: %s (log: %s)", action, line, log_path);
    return error_plain(err, EIO, "criu %s failed with status %d (log: %s)", action,
                       WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), log_path);
}

/* With --log-level debug the exact command, to re-run by hand. */
static void log_criu_command(const struct criu_argv *a)
{
    size_t len = 1;
    char *line, *p;

    for (size_t i = 0; i < a->n; i++)
        len += strlen(a->v[i]) + 1;
    p = line = xmalloc(len);
    for (size_t i = 0; i < a->n; i++)
        p += sprintf(p, "%s%s", i ? " " : "", a->v[i]);
    *p = '\0';
    log_debug("running %s", line);
    free(line);
}

int criu_run(struct criu_argv *a, const struct criu_flags *f, const char *log_name,
             int (*setup)(void *), void *arg, struct ocirun_error *err)
{
    cleanup_free char *log_path = xasprintf("%s/%s", f->work_path, log_name);
    int status;
    pid_t pid;

    unlink(log_path);
    log_criu_command(a);
    pid = fork();
    if (pid < 0)
        return error_make(err, errno, "fork criu");
    if (pid == 0) {
        if (setup && setup(arg) < 0) {
            dprintf(STDERR_FILENO, "ocirun: preparing criu %s: %s\n", a->v[1], strerror(errno));
            _exit(126);
        }
        execvp(a->v[0], a->v);
        _exit(127);
    }
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return error_make(err, errno, "wait for criu");
    if (WIFEXITED(status) && WEXITSTATUS(status) == 126)
        return error_plain(err, EIO, "criu %s: preparing the mounts failed", a->v[1]);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return criu_failed(a->v[1], status, log_path, err);
    return 0;
}

static bool mount_is_bind(const struct oci_mount *m)
{
    if (m->type && strcmp(m->type, "bind") == 0)
        return true;
    for (size_t i = 0; i < m->options_len; i++)
        if (strcmp(m->options[i], "bind") == 0 || strcmp(m->options[i], "rbind") == 0)
            return true;
    return false;
}

/* "/a//b/" -> "/a/b": the form the kernel shows in mountinfo. */
static char *clean_destination(const char *dest)
{
    char *out = xmalloc(strlen(dest) + 2), *o = out;

    *o++ = '/';
    for (const char *p = dest; *p; p++)
        if (*p != '/' || o[-1] != '/')
            *o++ = *p;
    if (o > out + 1 && o[-1] == '/')
        o--;
    *o = '\0';
    return out;
}

char **criu_bind_mounts(const struct oci_config *config, const char *bundle, char ***sources)
{
    char **dests = xzalloc(sizeof(char *) * (config->mounts_len + 1));
    char **srcs = xzalloc(sizeof(char *) * (config->mounts_len + 1));
    size_t n = 0;

    for (size_t i = 0; i < config->mounts_len; i++) {
        const struct oci_mount *m = &config->mounts[i];
        if (!mount_is_bind(m) || m->destination == NULL || m->source == NULL)
            continue;
        dests[n] = clean_destination(m->destination);
        srcs[n] = m->source[0] == '/' ? xstrdup(m->source) : xasprintf("%s/%s", bundle, m->source);
        n++;
    }
    if (sources)
        *sources = srcs;
    else
        cleanup_strvp(&srcs);
    return dests;
}

char **criu_cgroup_mounts(const struct oci_config *config)
{
    char **dests = xzalloc(sizeof(char *) * (config->mounts_len + 1));
    size_t n = 0;

    for (size_t i = 0; i < config->mounts_len; i++) {
        const struct oci_mount *m = &config->mounts[i];
        if (m->type && m->destination &&
            (strcmp(m->type, "cgroup") == 0 || strcmp(m->type, "cgroup2") == 0))
            dests[n++] = clean_destination(m->destination);
    }
    return dests;
}

int criu_write_descriptors(pid_t pid, const char *image_path, struct ocirun_error *err)
{
    struct json_writer w;
    cleanup_free char *json = NULL, *path = NULL;
    size_t len;

    json_writer_init(&w, NULL);
    json_writer_begin_array(&w);
    for (int fd = 0; fd < 3; fd++) {
        char link[64], target[PATH_MAX];
        ssize_t r;
        snprintf(link, sizeof(link), "/proc/%d/fd/%d", (int)pid, fd);
        r = readlink(link, target, sizeof(target) - 1);
        target[r < 0 ? 0 : r] = '\0';
        json_writer_string(&w, target);
    }
    json_writer_end_array(&w);
    json = json_writer_finish(&w, &len);
    path = xasprintf("%s/%s", image_path, CRIU_DESCRIPTORS);
    return write_file_atomic_at(AT_FDCWD, path, json, len, 0600, err);
}

int criu_read_descriptors(const char *image_path, char ***out, size_t *n, struct ocirun_error *err)
{
    cleanup_free char *path = xasprintf("%s/%s", image_path, CRIU_DESCRIPTORS);
    cleanup_free char *data = NULL, *perr = NULL;
    struct json_value *v = NULL;
    size_t len;

    *out = NULL;
    *n = 0;
    if (read_file_at(AT_FDCWD, path, &data, &len, NULL) < 0)
        return errno == ENOENT ? 0 : error_make(err, errno, "read `%s`", path);
    if (json_parse(data, len, &v, &perr) < 0 || v->type != JSON_ARRAY) {
        if (v)
            json_free(v);
        return error_make(err, 0, "`%s`: not a JSON array of strings%s%s", path, perr ? ": " : "",
                          perr ? perr : "");
    }
    *out = xzalloc(sizeof(char *) * (v->u.array.len + 1));
    for (size_t i = 0; i < v->u.array.len; i++) {
        const struct json_value *e = v->u.array.items[i];
        (*out)[i] = xstrdup(e->type == JSON_STRING ? e->u.string.str : "");
    }
    *n = v->u.array.len;
    json_free(v);
    return 0;
}
