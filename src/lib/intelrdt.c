/* SPDX-License-Identifier: GPL-2.0-or-later */
/* linux.intelRdt through the resctrl filesystem. The group is named by
 * closID (`/` is the root group), else by the container id; the spec's
 * rules decide when it is created, checked and removed. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "intelrdt.h"
#include "util.h"

static bool has_newline(const char *s)
{
    return s != NULL && strchr(s, '\n') != NULL;
}

int intelrdt_check_config(const struct oci_intel_rdt *r, struct ocirun_error *err)
{
    const char *c = r->clos_id;

    if (c != NULL && strcmp(c, "/") != 0 &&
        (c[0] == '\0' || strchr(c, '/') != NULL || strcmp(c, ".") == 0 || strcmp(c, "..") == 0 ||
         has_newline(c)))
        return error_make(err, 0, "linux.intelRdt.closID `%s`: must be a directory name (or `/`)",
                          c);
    if (has_newline(r->l3_cache_schema))
        return error_make(err, 0, "linux.intelRdt.l3CacheSchema: must not contain a newline");
    if (r->mem_bw_schema != NULL &&
        (!str_has_prefix(r->mem_bw_schema, "MB:") || has_newline(r->mem_bw_schema)))
        return error_make(err, 0,
                          "linux.intelRdt.memBwSchema `%s`: must start with `MB:` and hold no "
                          "newline",
                          r->mem_bw_schema);
    for (size_t i = 0; i < r->schemata_len; i++)
        if (has_newline(r->schemata[i]))
            return error_make(err, 0, "linux.intelRdt.schemata[%zu]: must not contain a newline",
                              i);
    return 0;
}

/* Drops blanks, lowercases, and strips leading zeros of each value. */
static void normalize_line(const char *in, char *out, size_t len)
{
    size_t o = 0;
    bool in_value = false, leading = false;

    for (const char *p = in; *p && o + 1 < len; p++) {
        char ch = (char)tolower((unsigned char)*p);
        if (isspace((unsigned char)ch))
            continue;
        if (ch == '=' || ch == ';' || ch == ':') {
            in_value = ch == '=';
            leading = in_value;
            out[o++] = ch;
            continue;
        }
        if (in_value && leading && ch == '0' && p[1] != '\0' && p[1] != ';' && p[1] != '\n')
            continue;
        leading = false;
        out[o++] = ch;
    }
    out[o] = '\0';
}

bool intelrdt_line_equal(const char *a, const char *b)
{
    char na[1024], nb[1024];

    normalize_line(a, na, sizeof(na));
    normalize_line(b, nb, sizeof(nb));
    return strcmp(na, nb) == 0;
}

char *intelrdt_mountpoint(void)
{
    cleanup_fclose FILE *f = fopen("/proc/self/mountinfo", "re");
    cleanup_free char *line = NULL;
    size_t cap = 0;

    while (f != NULL && getline(&line, &cap, f) > 0) {
        char *sep = strstr(line, " - "), mnt[4096], type[64];
        if (sep == NULL || sscanf(sep + 3, "%63s", type) != 1 || strcmp(type, "resctrl") != 0)
            continue;
        if (sscanf(line, "%*s %*s %*s %*s %4095s", mnt) == 1)
            return xstrdup(mnt);
    }
    return NULL;
}

int intelrdt_validate(const struct oci_intel_rdt *r, struct ocirun_error *err)
{
    cleanup_free char *mnt = NULL;

    if (r == NULL)
        return 0;
    if (intelrdt_check_config(r, err) < 0)
        return -1;
    mnt = intelrdt_mountpoint();
    if (mnt == NULL)
        return error_make(err, ENOENT,
                          "linux.intelRdt: no resctrl filesystem is mounted (mount -t resctrl "
                          "resctrl /sys/fs/resctrl; needs Intel RDT or AMD PQoS)");
    return 0;
}

static bool has_schema(const struct oci_intel_rdt *r)
{
    return r->l3_cache_schema != NULL || r->mem_bw_schema != NULL || r->schemata_len > 0;
}

static char *group_dir(const char *mnt, const struct oci_intel_rdt *r, const char *id)
{
    if (r->clos_id != NULL && strcmp(r->clos_id, "/") == 0)
        return xstrdup(mnt);
    return xasprintf("%s/%s", mnt, r->clos_id ? r->clos_id : id);
}

static int write_line(const char *dir, const char *file, const char *line, struct ocirun_error *err)
{
    cleanup_free char *path = xasprintf("%s/%s", dir, file);
    cleanup_close int fd = open(path, O_WRONLY | O_CLOEXEC);
    cleanup_free char *buf = xasprintf("%s\n", line);

    if (fd < 0 || write_all(fd, buf, strlen(buf)) < 0)
        return error_make(err, errno, "linux.intelRdt: write `%s` to `%s`", line, path);
    return 0;
}

static int write_schemata(const char *dir, const struct oci_intel_rdt *r, struct ocirun_error *err)
{
    if (r->l3_cache_schema && write_line(dir, "schemata", r->l3_cache_schema, err) < 0)
        return -1;
    if (r->mem_bw_schema && write_line(dir, "schemata", r->mem_bw_schema, err) < 0)
        return -1;
    for (size_t i = 0; i < r->schemata_len; i++)
        if (write_line(dir, "schemata", r->schemata[i], err) < 0)
            return -1;
    return 0;
}

/* An existing closID group must already hold what the config asks. */
static int check_schema_line(const char *dir, const char *have, const char *want,
                             struct ocirun_error *err)
{
    cleanup_free char *copy = xstrdup(have);
    char *save = NULL;

    for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
        if (intelrdt_line_equal(l, want))
            return 0;
    return error_make(err, 0, "linux.intelRdt: the existing group `%s` does not have `%s`", dir,
                      want);
}

static int check_existing(const char *dir, const struct oci_intel_rdt *r, struct ocirun_error *err)
{
    cleanup_free char *path = xasprintf("%s/schemata", dir), *have = NULL;
    size_t len;

    if (read_file_at(AT_FDCWD, path, &have, &len, err) < 0)
        return error_wrap(err, "linux.intelRdt");
    if (r->l3_cache_schema && check_schema_line(dir, have, r->l3_cache_schema, err) < 0)
        return -1;
    if (r->mem_bw_schema && check_schema_line(dir, have, r->mem_bw_schema, err) < 0)
        return -1;
    return 0;
}

static int join_groups(const char *dir, const struct oci_intel_rdt *r, const char *id, pid_t pid,
                       struct ocirun_error *err)
{
    char buf[32];

    snprintf(buf, sizeof(buf), "%d", (int)pid);
    if (write_line(dir, "tasks", buf, err) < 0)
        return -1;
    if (r->enable_monitoring) {
        cleanup_free char *mon = xasprintf("%s/mon_groups/%s", dir, id);
        if (write_line(mon, "tasks", buf, err) < 0)
            return -1;
    }
    return 0;
}

static int prepare_group(const char *dir, const struct oci_intel_rdt *r, struct ocirun_error *err)
{
    if (mkdir(dir, 0755) == 0)
        return write_schemata(dir, r, err);
    if (errno != EEXIST)
        return error_make(err, errno, "linux.intelRdt: create the group `%s`", dir);
    if (r->clos_id == NULL || strcmp(r->clos_id, "/") == 0)
        return write_schemata(dir, r, err);
    if (check_existing(dir, r, err) < 0)
        return -1;
    for (size_t i = 0; i < r->schemata_len; i++)
        if (write_line(dir, "schemata", r->schemata[i], err) < 0)
            return -1;
    return 0;
}

int intelrdt_apply(const struct oci_intel_rdt *r, const char *id, pid_t pid,
                   struct ocirun_error *err)
{
    cleanup_free char *mnt = NULL, *dir = NULL;
    struct stat st;

    if (r == NULL)
        return 0;
    if ((mnt = intelrdt_mountpoint()) == NULL)
        return intelrdt_validate(r, err);
    dir = group_dir(mnt, r, id);
    if (has_schema(r) || r->clos_id == NULL) {
        if (prepare_group(dir, r, err) < 0)
            return -1;
    } else if (stat(dir, &st) < 0) {
        return error_make(err, errno, "linux.intelRdt: the group `%s` (closID) does not exist",
                          dir);
    }
    if (r->enable_monitoring) {
        cleanup_free char *mon = xasprintf("%s/mon_groups/%s", dir, id);
        if (mkdir(mon, 0755) < 0 && errno != EEXIST)
            return error_make(err, errno, "linux.intelRdt: create the MON group `%s`", mon);
    }
    return join_groups(dir, r, id, pid, err);
}

int intelrdt_join(const struct oci_intel_rdt *r, const char *id, pid_t pid,
                  struct ocirun_error *err)
{
    cleanup_free char *mnt = NULL, *dir = NULL;

    if (r == NULL)
        return 0;
    if ((mnt = intelrdt_mountpoint()) == NULL)
        return intelrdt_validate(r, err);
    dir = group_dir(mnt, r, id);
    return join_groups(dir, r, id, pid, err);
}

void intelrdt_remove(const struct oci_intel_rdt *r, const char *id)
{
    cleanup_free char *mnt = NULL, *dir = NULL;

    if (r == NULL || (mnt = intelrdt_mountpoint()) == NULL)
        return;
    dir = group_dir(mnt, r, id);
    if (r->enable_monitoring) {
        cleanup_free char *mon = xasprintf("%s/mon_groups/%s", dir, id);
        (void)rmdir(mon);
    }
    if (r->clos_id == NULL)
        (void)rmdir(dir);
}
