/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <stdint.h>
#include <unistd.h>

#include "util.h"

void cleanup_freep(void *p)
{
    free(*(void **)p);
}

void cleanup_closep(int *fd)
{
    if (*fd >= 0) {
        int saved = errno;
        close(*fd);
        errno = saved;
    }
}

void cleanup_fclosep(FILE **f)
{
    if (*f != NULL)
        fclose(*f);
}

void cleanup_strvp(char ***v)
{
    if (*v == NULL)
        return;
    for (char **p = *v; *p; p++)
        free(*p);
    free(*v);
}

static void *check_alloc(void *p)
{
    if (p == NULL) {
        static const char msg[] = "ocirun: out of memory\n";
        (void)!write(2, msg, sizeof(msg) - 1);
        abort();
    }
    return p;
}

void *xmalloc(size_t n)
{
    return check_alloc(malloc(n ? n : 1));
}

void *xzalloc(size_t n)
{
    return check_alloc(calloc(1, n ? n : 1));
}

void *xrealloc(void *p, size_t n)
{
    return check_alloc(realloc(p, n ? n : 1));
}

char *xstrdup(const char *s)
{
    return s ? check_alloc(strdup(s)) : NULL;
}

char *xasprintf(const char *fmt, ...)
{
    char *s = NULL;
    va_list ap;

    va_start(ap, fmt);
    if (vasprintf(&s, fmt, ap) < 0)
        s = NULL;
    va_end(ap);
    return check_alloc(s);
}

ssize_t write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    size_t done = 0;

    while (done < len) {
        ssize_t n = write(fd, p + done, len - done);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        done += (size_t)n;
    }
    return (ssize_t)done;
}

ssize_t read_all(int fd, void *buf, size_t len)
{
    char *p = buf;
    size_t done = 0;

    while (done < len) {
        ssize_t n = read(fd, p + done, len - done);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (n == 0)
            break;
        done += (size_t)n;
    }
    return (ssize_t)done;
}

int read_fd_all(int fd, const char *name, size_t max, char **data, size_t *len,
                struct ocirun_error *err)
{
    size_t cap = 4096, used = 0;
    char *buf = xmalloc(cap);

    for (;;) {
        ssize_t n;
        if (used + 1 >= cap)
            buf = xrealloc(buf, cap *= 2);
        n = read(fd, buf + used, cap - used - 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int saved = errno;
            free(buf);
            return error_make(err, saved, "read `%s`", name);
        }
        if (n == 0)
            break;
        used += (size_t)n;
        if (used > max) {
            free(buf);
            return error_make(err, EFBIG, "read `%s`", name);
        }
    }
    buf[used] = '\0';
    *data = buf;
    if (len)
        *len = used;
    return 0;
}

int read_file_at(int dirfd, const char *path, char **data, size_t *len, struct ocirun_error *err)
{
    cleanup_close int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

    if (fd < 0)
        return error_make(err, errno, "open `%s`", path);
    return read_fd_all(fd, path, SIZE_MAX, data, len, err);
}

int write_file_at(int dirfd, const char *path, const void *data, size_t len, mode_t mode,
                  struct ocirun_error *err)
{
    cleanup_close int fd =
        openat(dirfd, path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);

    if (fd < 0)
        return error_make(err, errno, "open `%s`", path);
    if (write_all(fd, data, len) < 0)
        return error_make(err, errno, "write `%s`", path);
    return 0;
}

static int replace_file_at(int dirfd, const char *path, const void *data, size_t len, mode_t mode,
                           bool sync, struct ocirun_error *err)
{
    cleanup_free char *tmp = xasprintf("%s.tmp.%d", path, (int)getpid());
    cleanup_close int fd =
        openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);

    if (fd < 0)
        return error_make(err, errno, "open `%s`", tmp);
    if (write_all(fd, data, len) < 0 || (sync && fsync(fd) < 0)) {
        int saved = errno;
        unlinkat(dirfd, tmp, 0);
        return error_make(err, saved, "write `%s`", tmp);
    }
    if (renameat(dirfd, tmp, dirfd, path) < 0) {
        int saved = errno;
        unlinkat(dirfd, tmp, 0);
        return error_make(err, saved, "rename `%s` to `%s`", tmp, path);
    }
    return 0;
}

int write_file_atomic_at(int dirfd, const char *path, const void *data, size_t len, mode_t mode,
                         struct ocirun_error *err)
{
    return replace_file_at(dirfd, path, data, len, mode, true, err);
}

int mkdir_p(const char *path, mode_t mode, struct ocirun_error *err)
{
    cleanup_free char *copy = xstrdup(path);

    for (char *p = copy + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(copy, mode) < 0 && errno != EEXIST)
            return error_make(err, errno, "mkdir `%s`", copy);
        *p = '/';
    }
    if (mkdir(copy, mode) < 0 && errno != EEXIST)
        return error_make(err, errno, "mkdir `%s`", copy);
    return 0;
}

bool str_has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

int error_plain(struct ocirun_error *err, int errnum, const char *fmt, ...)
{
    char *msg = NULL;
    va_list ap;

    va_start(ap, fmt);
    if (vasprintf(&msg, fmt, ap) < 0)
        msg = NULL;
    va_end(ap);
    return error_take(err, errnum, msg);
}

/* Like write_file_atomic_at without the fsync: readers see the old or the
 * new content, never a mix; for files that do not outlive a reboot (the
 * container state under /run), where an fsync only costs time. */
int write_file_replace_at(int dirfd, const char *path, const void *data, size_t len, mode_t mode,
                          struct ocirun_error *err)
{
    return replace_file_at(dirfd, path, data, len, mode, false, err);
}

bool running_in_user_namespace(void)
{
    static int cached = -1;
    char buf[128];
    unsigned long inside, outside, count;

    if (cached >= 0)
        return cached;
    cleanup_close int fd = open("/proc/self/uid_map", O_RDONLY | O_CLOEXEC);
    ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
    if (n <= 0)
        return false; /* no user namespaces in this kernel: the initial one */
    buf[n] = '\0';
    cached = !(sscanf(buf, "%lu %lu %lu", &inside, &outside, &count) == 3 && inside == 0 &&
               outside == 0 && count == 4294967295UL);
    return cached;
}

/* The UTC calendar fields of t (tm_year..tm_sec only). Not gmtime_r: glibc
 * loads its time zone (/etc/localtime, six syscalls) on the first call of
 * any of its conversions, gmtime_r included, and UTC needs none. Days to
 * a proleptic Gregorian date by 400-year eras of 146097 days, counted from
 * 0000-03-01 so that the leap day ends a year. */
void utc_fields(time_t t, struct tm *out)
{
    int64_t days = (int64_t)t / 86400, secs = (int64_t)t % 86400;

    if (secs < 0) {
        secs += 86400;
        days--;
    }
    out->tm_hour = (int)(secs / 3600);
    out->tm_min = (int)(secs / 60 % 60);
    out->tm_sec = (int)(secs % 60);
    days += 719468; /* 1970-01-01 is day 719468 after 0000-03-01 */
    int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    int64_t day_of_era = days - era * 146097;
    int64_t year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
    int64_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    int64_t mar_month = (5 * day_of_year + 2) / 153; /* 0 = March */
    int64_t month = mar_month < 10 ? mar_month + 3 : mar_month - 9;
    out->tm_mday = (int)(day_of_year - (153 * mar_month + 2) / 5 + 1);
    out->tm_mon = (int)(month - 1);
    out->tm_year = (int)(year_of_era + era * 400 + (month <= 2) - 1900);
}
