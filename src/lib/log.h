/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Logging: to stderr, and to the --log file in text or json format. The
 * json lines are what containerd's shim reads:
 *   {"level":"error","msg":"...","time":"2026-01-02T03:04:05.123456789Z"} */
#ifndef OCIRUN_LOG_H
#define OCIRUN_LOG_H

#include <stdbool.h>

enum log_level { LOG_LEVEL_ERROR, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

/* path may be NULL (stderr only); format "text" or "json"; level a name
 * (error, warn/warning, info, debug). Returns < 0 with *msg set on a bad
 * level/format or an unopenable file. */
int log_init(const char *path, const char *format, const char *level, char **msg);
void log_close(void);

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define log_error(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)

/* The --log fd, or -1: child processes that outlive ocirun's stderr (e.g. the
 * container init before exec) may write errors there. */
int log_fd(void);

#endif
