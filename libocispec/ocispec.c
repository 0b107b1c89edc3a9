/* SPDX-License-Identifier: Apache-2.0 */
/* The public entry points: thin wrappers that pick a descriptor table,
 * plus a file reader that cannot be made to block or to read a device. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ocispec.h"
#include "json.h"
#include "schema.h"

/* Indents: config.json and features.json as the spec's examples (4
 * spaces), state as runc prints it (2 spaces). */
#define INDENT_DOCUMENT "    "
#define INDENT_STATE    "  "

static const char *file_kind(mode_t m)
{
    switch (m & S_IFMT) {
    case S_IFIFO:
        return "fifo";
    case S_IFCHR:
        return "character device";
    case S_IFBLK:
        return "block device";
    case S_IFDIR:
        return "directory";
    case S_IFSOCK:
        return "socket";
    case S_IFLNK:
        return "symlink";
    default:
        return "unknown file type";
    }
}

static int read_fd(int fd, size_t size, char **data, size_t *len, char **err)
{
    /* size+1: a file that grew since fstat is noticed and refused */
    size_t cap = size + 1;
    char *buf = oci_xmalloc(cap + 1);
    size_t n = 0;
    for (;;) {
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            *err = oci_xasprintf("read: %s", strerror(errno));
            free(buf);
            return -1;
        }
        if (r == 0)
            break;
        n += (size_t)r;
        if (n == cap) {
            if (cap > OCI_MAX_DOCUMENT_SIZE) {
                *err = oci_xasprintf("file too large (over %u bytes)",
                                     (unsigned)OCI_MAX_DOCUMENT_SIZE);
                free(buf);
                return -1;
            }
            cap = cap * 2 > OCI_MAX_DOCUMENT_SIZE + 1 ? OCI_MAX_DOCUMENT_SIZE + 1 : cap * 2;
            buf = oci_xrealloc(buf, cap + 1);
        }
    }
    buf[n] = '\0';
    *data = buf;
    *len = n;
    return 0;
}

int oci_read_document(const char *path, char **data, size_t *len, char **err)
{
    *data = NULL;
    *len = 0;
    *err = NULL;
    /* O_NONBLOCK: opening a FIFO must not wait for a writer (runc and crun
     * hang there); the type check below then refuses it. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) {
        *err = oci_xasprintf("open: %s", strerror(errno));
        return -1;
    }
    struct stat st;
    int r = -1;
    if (fstat(fd, &st) < 0) {
        *err = oci_xasprintf("stat: %s", strerror(errno));
    } else if (!S_ISREG(st.st_mode)) {
        *err = oci_xasprintf("not a regular file (%s)", file_kind(st.st_mode));
    } else if ((uint64_t)st.st_size > OCI_MAX_DOCUMENT_SIZE) {
        *err = oci_xasprintf("file too large (%lld bytes, limit %u)", (long long)st.st_size,
                             (unsigned)OCI_MAX_DOCUMENT_SIZE);
    } else {
        r = read_fd(fd, (size_t)st.st_size, data, len, err);
    }
    close(fd);
    return r;
}

static int parse_file(const struct oci_type *type, const char *path, void **out, char **err)
{
    char *data;
    size_t len;
    *out = NULL;
    if (oci_read_document(path, &data, &len, err) < 0)
        return -1;
    int r = oci_parse_document(type, data, len, out, err);
    free(data);
    return r;
}

/* ---- config ---------------------------------------------------------- */

int oci_config_parse_file(const char *path, struct oci_config **out, char **err)
{
    return parse_file(&oci_config_type, path, (void **)out, err);
}

int oci_config_parse_data(const char *data, size_t len, struct oci_config **out, char **err)
{
    return oci_parse_document(&oci_config_type, data, len, (void **)out, err);
}

int oci_config_generate(const struct oci_config *cfg, char **json, size_t *len, char **err)
{
    return oci_generate_document(&oci_config_type, cfg, INDENT_DOCUMENT, json, len, err);
}

void oci_config_free(struct oci_config *cfg)
{
    oci_free_object(&oci_config_type, cfg);
}

/* ---- process --------------------------------------------------------- */

int oci_process_parse_file(const char *path, struct oci_process **out, char **err)
{
    return parse_file(&oci_process_type, path, (void **)out, err);
}

int oci_process_parse_data(const char *data, size_t len, struct oci_process **out, char **err)
{
    return oci_parse_document(&oci_process_type, data, len, (void **)out, err);
}

int oci_process_generate(const struct oci_process *p, char **json, size_t *len, char **err)
{
    return oci_generate_document(&oci_process_type, p, INDENT_DOCUMENT, json, len, err);
}

void oci_process_free(struct oci_process *p)
{
    oci_free_object(&oci_process_type, p);
}

/* ---- resources ------------------------------------------------------- */

int oci_resources_parse_file(const char *path, struct oci_resources **out, char **err)
{
    return parse_file(&oci_resources_type, path, (void **)out, err);
}

int oci_resources_parse_data(const char *data, size_t len, struct oci_resources **out, char **err)
{
    return oci_parse_document(&oci_resources_type, data, len, (void **)out, err);
}

void oci_resources_free(struct oci_resources *r)
{
    oci_free_object(&oci_resources_type, r);
}

/* ---- state ----------------------------------------------------------- */

int oci_state_parse_data(const char *data, size_t len, struct oci_state **out, char **err)
{
    return oci_parse_document(&oci_state_type, data, len, (void **)out, err);
}

int oci_state_generate(const struct oci_state *s, char **json, size_t *len, char **err)
{
    return oci_generate_document(&oci_state_type, s, INDENT_STATE, json, len, err);
}

int oci_state_generate_compact(const struct oci_state *s, char **json, size_t *len, char **err)
{
    return oci_generate_document(&oci_state_type, s, NULL, json, len, err);
}

void oci_state_free(struct oci_state *s)
{
    oci_free_object(&oci_state_type, s);
}

int oci_container_process_state_parse_data(const char *data, size_t len,
                                           struct oci_container_process_state **out, char **err)
{
    return oci_parse_document(&oci_container_process_state_type, data, len, (void **)out, err);
}

int oci_container_process_state_generate(const struct oci_container_process_state *s, char **json,
                                         size_t *len, char **err)
{
    return oci_generate_document(&oci_container_process_state_type, s, NULL, json, len, err);
}

void oci_container_process_state_free(struct oci_container_process_state *s)
{
    oci_free_object(&oci_container_process_state_type, s);
}

/* ---- features -------------------------------------------------------- */

int oci_features_parse_data(const char *data, size_t len, struct oci_features **out, char **err)
{
    return oci_parse_document(&oci_features_type, data, len, (void **)out, err);
}

int oci_features_generate(const struct oci_features *f, char **json, size_t *len, char **err)
{
    return oci_generate_document(&oci_features_type, f, INDENT_DOCUMENT, json, len, err);
}

void oci_features_free(struct oci_features *f)
{
    oci_free_object(&oci_features_type, f);
}
