/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Small shared helpers: cleanup attributes and whole-file I/O. */
#ifndef OCIRUN_UTIL_H
#define OCIRUN_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>
#include <time.h>

#include "error.h"

void cleanup_freep(void *p);
void cleanup_closep(int *fd);
void cleanup_fclosep(FILE **f);
void cleanup_strvp(char ***v);

#define cleanup_free   __attribute__((cleanup(cleanup_freep)))
#define cleanup_close  __attribute__((cleanup(cleanup_closep)))
#define cleanup_fclose __attribute__((cleanup(cleanup_fclosep)))
#define cleanup_strv   __attribute__((cleanup(cleanup_strvp)))

/* Moves ownership out of a cleanup variable: `return steal_fd(&fd);`. */
static inline int steal_fd(int *fd)
{
    int r = *fd;
    *fd = -1;
    return r;
}
#define steal_ptr(pp)                                                                              \
    ({                                                                                             \
        __typeof__(*(pp)) _p = *(pp);                                                              \
        *(pp) = NULL;                                                                              \
        _p;                                                                                        \
    })

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Aborts on allocation failure: ocirun is short-lived and cannot recover. */
void *xmalloc(size_t n);
void *xzalloc(size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Whole-file I/O relative to dirfd (AT_FDCWD for a plain path). */
int read_file_at(int dirfd, const char *path, char **data, size_t *len, struct ocirun_error *err);
/* Reads fd to EOF into a NUL-terminated buffer; more than max bytes is EFBIG. */
int read_fd_all(int fd, const char *name, size_t max, char **data, size_t *len,
                struct ocirun_error *err);
int write_file_at(int dirfd, const char *path, const void *data, size_t len, mode_t mode,
                  struct ocirun_error *err);
/* write to a temp file in the same directory, fsync, rename over path. */
int write_file_atomic_at(int dirfd, const char *path, const void *data, size_t len, mode_t mode,
                         struct ocirun_error *err);
ssize_t write_all(int fd, const void *buf, size_t len);
ssize_t read_all(int fd, void *buf, size_t len);

/* mkdir -p with the given mode for each created component. */
int mkdir_p(const char *path, mode_t mode, struct ocirun_error *err);

bool str_has_prefix(const char *s, const char *prefix);

/* Like error_make, but the message is exactly the format (no ": strerror"
 * appended) while errnum is still recorded for callers to test: for the
 * runc wordings clients match, e.g. "container does not exist". */
int error_plain(struct ocirun_error *err, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* write_file_atomic_at without the fsync (files that do not outlive a reboot). */
int write_file_replace_at(int dirfd, const char *path, const void *data, size_t len, mode_t mode,
                          struct ocirun_error *err);

/* True in a user namespace other than the initial one (uid_map is not the
 * identity map of every id): root there is not the host's root, as under
 * rootless podman.  Read once. */
bool running_in_user_namespace(void);

/* The UTC date and time fields of t, without loading the time zone. */
void utc_fields(time_t t, struct tm *out);

#endif
