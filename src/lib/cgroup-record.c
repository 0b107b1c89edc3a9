/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The cgroup path saved in the state. Usually one absolute path, the same in
 * every hierarchy. A relative cgroupsPath is relative to the caller's own
 * cgroup, which differs per v1 hierarchy, and destroy must know which
 * ancestors ocirun made (to remove them, and only them), so the general form
 * is "PATH;parents=N;CONTROLLERS:PATH2;..." with ';' and '%' escaped. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup-internal.h"
#include "util.h"

static void append(char **buf, size_t *len, const char *s, size_t n)
{
    *buf = xrealloc(*buf, *len + n + 1);
    memcpy(*buf + *len, s, n);
    *len += n;
    (*buf)[*len] = '\0';
}

static void append_escaped(char **buf, size_t *len, const char *s)
{
    for (; *s; s++) {
        if (*s == '%')
            append(buf, len, "%25", 3);
        else if (*s == ';')
            append(buf, len, "%3B", 3);
        else
            append(buf, len, s, 1);
    }
}

static char *unescape(const char *s, size_t n)
{
    char *out = xmalloc(n + 1), *o = out;

    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%' && i + 2 < n && s[i + 1] == '2' && s[i + 2] == '5') {
            *o++ = '%';
            i += 2;
        } else if (s[i] == '%' && i + 2 < n && s[i + 1] == '3' && s[i + 2] == 'B') {
            *o++ = ';';
            i += 2;
        } else {
            *o++ = s[i];
        }
    }
    *o = '\0';
    return out;
}

static const char *main_path(const struct cgroup *cg)
{
    for (size_t i = 0; i < cg->n; i++)
        if (cg->h[i].unified && cg->h[i].path)
            return cg->h[i].path;
    for (size_t i = 0; i < cg->n; i++)
        if (cg->h[i].path)
            return cg->h[i].path;
    return "/";
}

char *cgroup_record_encode(const struct cgroup *cg)
{
    const char *main = main_path(cg);
    char *buf = NULL;
    size_t len = 0;

    append(&buf, &len, "", 0);
    append_escaped(&buf, &len, main);
    if (cg->parents_made > 0) {
        char num[32];
        int l = snprintf(num, sizeof(num), ";parents=%d", cg->parents_made);
        append(&buf, &len, num, (size_t)l);
    }
    for (size_t i = 0; i < cg->n; i++) {
        if (cg->h[i].path == NULL || strcmp(cg->h[i].path, main) == 0)
            continue;
        append(&buf, &len, ";", 1);
        append(&buf, &len, cg->h[i].controllers, strlen(cg->h[i].controllers));
        append(&buf, &len, ":", 1);
        append_escaped(&buf, &len, cg->h[i].path);
    }
    return buf;
}

static bool controllers_equal(const char *a, size_t alen, const char *b)
{
    return strlen(b) == alen && memcmp(a, b, alen) == 0;
}

static int decode_item(struct cgroup *cg, const char *item, size_t n, struct ocirun_error *err)
{
    const char *colon = memchr(item, ':', n);

    if (n > 8 && memcmp(item, "parents=", 8) == 0) {
        char num[16] = {0};
        memcpy(num, item + 8, n - 8 < sizeof(num) - 1 ? n - 8 : sizeof(num) - 1);
        cg->parents_made = atoi(num);
        return 0;
    }
    if (colon == NULL || colon[1] != '/')
        return error_make(err, 0, "invalid recorded cgroup path item `%.*s`", (int)n, item);
    for (size_t i = 0; i < cg->n; i++) {
        if (!controllers_equal(item, (size_t)(colon - item), cg->h[i].controllers))
            continue;
        free(cg->h[i].path);
        cg->h[i].path = unescape(colon + 1, n - (size_t)(colon + 1 - item));
    }
    return 0;
}

int cgroup_record_decode(struct cgroup *cg, const char *recorded, struct ocirun_error *err)
{
    size_t first = strcspn(recorded, ";");
    cleanup_free char *main = unescape(recorded, first);

    if (main[0] != '/')
        return error_make(err, 0, "invalid recorded cgroup path `%s`", recorded);
    for (const char *p = recorded + first; *p == ';';) {
        size_t l = strcspn(p + 1, ";");
        if (decode_item(cg, p + 1, l, err) < 0)
            return -1;
        p += 1 + l;
    }
    for (size_t i = 0; i < cg->n; i++)
        if (cg->h[i].path == NULL)
            cg->h[i].path = xstrdup(main);
    return 0;
}
