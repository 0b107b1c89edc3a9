/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Logging in the shapes runc's callers parse.
 *
 * Where lines go mirrors runc 1.x: without --log, every line (errors
 * included) goes to stderr in the --log-format shape; with --log, lines go
 * to the file and errors are also written to stderr as the bare message,
 * which is what a person or podman's error wrapping shows. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

static struct {
    int fd;    /* --log file, or -1 */
    bool json; /* --log-format json */
    enum log_level level;
} log_state = {-1, false, LOG_LEVEL_WARN};

static const char *const level_names[] = {"error", "warning", "info", "debug"};

/* A growable byte buffer for one log line, so the line is written with one
 * write() and lines from concurrent processes never interleave. */
struct buf {
    char *data;
    size_t len, cap;
};

static void buf_add(struct buf *b, const void *p, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->data = xrealloc(b->data, b->cap);
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

static void buf_adds(struct buf *b, const char *s)
{
    buf_add(b, s, strlen(s));
}

/* Length of the valid UTF-8 sequence at s (1-4), or 0 if the bytes there are
 * not valid UTF-8 (overlong forms, surrogates and code points above
 * U+10FFFF included). */
static size_t utf8_valid_len(const unsigned char *s, size_t avail)
{
    unsigned int cp;
    size_t n, i;

    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xc2 && s[0] <= 0xdf)
        n = 2, cp = s[0] & 0x1f;
    else if (s[0] >= 0xe0 && s[0] <= 0xef)
        n = 3, cp = s[0] & 0x0f;
    else if (s[0] >= 0xf0 && s[0] <= 0xf4)
        n = 4, cp = s[0] & 0x07;
    else
        return 0;
    if (avail < n)
        return 0;
    for (i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

/* JSON string body: quotes, backslashes and control characters escaped,
 * invalid UTF-8 bytes replaced by U+FFFD so every line is valid JSON. */
static void buf_add_json_escaped(struct buf *b, const char *str)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t avail = strlen(str), n;
    char esc[8];

    while (avail > 0) {
        n = utf8_valid_len(s, avail);
        if (n == 0) {
            buf_adds(b, "\xef\xbf\xbd");
            n = 1;
        } else if (*s == '"' || *s == '\\') {
            buf_add(b, "\\", 1);
            buf_add(b, s, 1);
        } else if (*s == '\n') {
            buf_adds(b, "\\n");
        } else if (*s == '\t') {
            buf_adds(b, "\\t");
        } else if (*s == '\r') {
            buf_adds(b, "\\r");
        } else if (*s < 0x20 || *s == 0x7f) {
            snprintf(esc, sizeof(esc), "\\u%04x", *s);
            buf_adds(b, esc);
        } else {
            buf_add(b, s, n);
        }
        s += n;
        avail -= n;
    }
}

/* logrus text values are Go-quoted: the same escapes, bad bytes as \xNN. */
static void buf_add_text_escaped(struct buf *b, const char *str)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t avail = strlen(str), n;
    char esc[8];

    while (avail > 0) {
        n = utf8_valid_len(s, avail);
        if (n == 0 || (n == 1 && (*s < 0x20 || *s == 0x7f) && *s != '\n' && *s != '\t')) {
            snprintf(esc, sizeof(esc), "\\x%02x", *s);
            buf_adds(b, esc);
            n = 1;
        } else if (*s == '"' || *s == '\\') {
            buf_add(b, "\\", 1);
            buf_add(b, s, 1);
        } else if (*s == '\n') {
            buf_adds(b, "\\n");
        } else if (*s == '\t') {
            buf_adds(b, "\\t");
        } else {
            buf_add(b, s, n);
        }
        s += n;
        avail -= n;
    }
}

/* RFC 3339 in UTC; json lines carry nanoseconds (Go's RFC3339Nano shape
 * without trailing-zero trimming, which Go's parser accepts). */
static void format_time(char *out, size_t size, bool nanos)
{
    struct timespec ts;
    struct tm tm;

    clock_gettime(CLOCK_REALTIME, &ts);
    utc_fields(ts.tv_sec, &tm); /* not gmtime_r/strftime: see utc_fields */
    /* The fields are in range; the casts and % only tell the compiler so. */
    int n =
        snprintf(out, size, "%04u-%02u-%02uT%02u:%02u:%02u", (unsigned)(tm.tm_year + 1900) % 10000,
                 (unsigned)(tm.tm_mon + 1) % 100, (unsigned)tm.tm_mday % 100,
                 (unsigned)tm.tm_hour % 100, (unsigned)tm.tm_min % 100, (unsigned)tm.tm_sec % 100);
    if (n < 0 || (size_t)n >= size)
        return;
    if (nanos)
        snprintf(out + n, size - (size_t)n, ".%09luZ", (unsigned long)ts.tv_nsec % 1000000000UL);
    else
        snprintf(out + n, size - (size_t)n, "Z");
}

static void format_line(struct buf *b, enum log_level level, const char *msg)
{
    char when[48];

    format_time(when, sizeof(when), log_state.json);
    if (log_state.json) {
        buf_adds(b, "{\"level\":\"");
        buf_adds(b, level == LOG_LEVEL_WARN ? "warning" : level_names[level]);
        buf_adds(b, "\",\"msg\":\"");
        buf_add_json_escaped(b, msg);
        buf_adds(b, "\",\"time\":\"");
        buf_adds(b, when);
        buf_adds(b, "\"}\n");
    } else {
        buf_adds(b, "time=\"");
        buf_adds(b, when);
        buf_adds(b, "\" level=");
        buf_adds(b, level_names[level]);
        buf_adds(b, " msg=\"");
        buf_add_text_escaped(b, msg);
        buf_adds(b, "\"\n");
    }
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    struct buf line = {NULL, 0, 0};
    char *msg = NULL;
    va_list ap;
    int saved_errno = errno;

    if (level > log_state.level)
        return;
    va_start(ap, fmt);
    if (vasprintf(&msg, fmt, ap) < 0)
        msg = NULL;
    va_end(ap);
    if (msg == NULL)
        return;
    format_line(&line, level, msg);
    if (log_state.fd >= 0) {
        (void)write_all(log_state.fd, line.data, line.len);
        if (level == LOG_LEVEL_ERROR)
            dprintf(STDERR_FILENO, "%s\n", msg);
    } else {
        (void)write_all(STDERR_FILENO, line.data, line.len);
    }
    free(line.data);
    free(msg);
    errno = saved_errno;
}

static int parse_level(const char *name, enum log_level *out)
{
    if (name == NULL || strcmp(name, "warn") == 0 || strcmp(name, "warning") == 0)
        *out = LOG_LEVEL_WARN;
    else if (strcmp(name, "error") == 0)
        *out = LOG_LEVEL_ERROR;
    else if (strcmp(name, "info") == 0)
        *out = LOG_LEVEL_INFO;
    else if (strcmp(name, "debug") == 0)
        *out = LOG_LEVEL_DEBUG;
    else
        return -1;
    return 0;
}

/* O_NONBLOCK so that opening a FIFO (containerd's shim passes
 * /proc/self/fd/N of one) cannot block; blocking mode is restored after,
 * so writes are never short. */
static int open_log_file(const char *path, char **msg)
{
    int fd, flags;

    fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NONBLOCK | O_NOCTTY, 0600);
    if (fd < 0) {
        *msg = xasprintf("open log file `%s`: %s", path, strerror(errno));
        return -1;
    }
    flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0) {
        *msg = xasprintf("set blocking mode on log file `%s`: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

int log_init(const char *path, const char *format, const char *level, char **msg)
{
    enum log_level lvl;
    int fd;

    *msg = NULL;
    if (format != NULL && strcmp(format, "text") != 0 && strcmp(format, "json") != 0) {
        *msg = xasprintf("invalid log-format: %s", format);
        return -1;
    }
    if (parse_level(level, &lvl) < 0) {
        *msg = xasprintf("invalid log-level: %s", level);
        return -1;
    }
    log_state.json = format != NULL && strcmp(format, "json") == 0;
    log_state.level = lvl;
    if (path == NULL || path[0] == '\0')
        return 0;
    fd = open_log_file(path, msg);
    if (fd < 0)
        return -1;
    log_close();
    log_state.fd = fd;
    return 0;
}

void log_close(void)
{
    if (log_state.fd >= 0)
        close(log_state.fd);
    log_state.fd = -1;
}

int log_fd(void)
{
    return log_state.fd;
}
