/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "signals.h"
#include "util.h"

static const struct {
    const char *name;
    int sig;
} signal_table[] = {
    {"HUP", SIGHUP},       {"INT", SIGINT},     {"QUIT", SIGQUIT}, {"ILL", SIGILL},
    {"TRAP", SIGTRAP},     {"ABRT", SIGABRT},   {"IOT", SIGIOT},   {"BUS", SIGBUS},
    {"FPE", SIGFPE},       {"KILL", SIGKILL},   {"USR1", SIGUSR1}, {"SEGV", SIGSEGV},
    {"USR2", SIGUSR2},     {"PIPE", SIGPIPE},   {"ALRM", SIGALRM}, {"TERM", SIGTERM},
    {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD},   {"CLD", SIGCHLD},  {"CONT", SIGCONT},
    {"STOP", SIGSTOP},     {"TSTP", SIGTSTP},   {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU},
    {"URG", SIGURG},       {"XCPU", SIGXCPU},   {"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM},
    {"PROF", SIGPROF},     {"WINCH", SIGWINCH}, {"IO", SIGIO},     {"POLL", SIGPOLL},
    {"PWR", SIGPWR},       {"SYS", SIGSYS},
};

/* "RTMIN", "RTMIN+N", "RTMAX", "RTMAX-N" (already without "SIG"). */
static int parse_realtime(const char *s, int *sig)
{
    bool min = strncasecmp(s, "RTMIN", 5) == 0;
    const char *rest = s + 5;
    char *end;
    long off = 0;

    if (!min && strncasecmp(s, "RTMAX", 5) != 0)
        return -1;
    if (*rest != '\0') {
        if (*rest != (min ? '+' : '-') || !isdigit((unsigned char)rest[1]))
            return -1;
        errno = 0;
        off = strtol(rest + 1, &end, 10);
        if (errno != 0 || *end != '\0' || off > SIGRTMAX - SIGRTMIN)
            return -1;
    }
    *sig = min ? SIGRTMIN + (int)off : SIGRTMAX - (int)off;
    return 0;
}

int signal_parse(const char *s, int *sig, struct ocirun_error *err)
{
    const char *name = s;
    char *end;

    if (s == NULL || *s == '\0')
        return error_plain(err, EINVAL, "unknown signal \"\"");
    if (isdigit((unsigned char)s[0])) {
        long v;
        errno = 0;
        v = strtol(s, &end, 10);
        if (errno != 0 || *end != '\0' || v < 0 || v > SIGRTMAX)
            return error_plain(err, EINVAL, "unknown signal \"%s\"", s);
        *sig = (int)v;
        return 0;
    }
    if (strncasecmp(name, "SIG", 3) == 0)
        name += 3;
    for (size_t i = 0; i < ARRAY_SIZE(signal_table); i++) {
        if (strcasecmp(name, signal_table[i].name) == 0) {
            *sig = signal_table[i].sig;
            return 0;
        }
    }
    if (parse_realtime(name, sig) == 0)
        return 0;
    return error_plain(err, EINVAL, "unknown signal \"%s\"", s);
}

const char *signal_name(int sig, char *buf, unsigned long len)
{
    for (size_t i = 0; i < ARRAY_SIZE(signal_table); i++) {
        if (signal_table[i].sig == sig)
            return signal_table[i].name;
    }
    if (sig >= SIGRTMIN && sig <= SIGRTMAX) {
        if (sig == SIGRTMIN)
            snprintf(buf, len, "RTMIN");
        else
            snprintf(buf, len, "RTMIN+%d", sig - SIGRTMIN);
        return buf;
    }
    return NULL;
}
