/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Lookups by uid in /etc/passwd (passwd.h): the container's, for a
 * default HOME (process.c), and the host's, for `list`'s owner column. */
#include "config.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "passwd.h"
#include "util.h"

#define PASSWD_FIELDS 7

/* Splits line at ':' into f; returns the number of fields. */
static int split_fields(char *line, char *f[PASSWD_FIELDS])
{
    int n = 0;

    for (char *p = line; n < PASSWD_FIELDS;) {
        f[n++] = p;
        p = strchr(p, ':');
        if (p == NULL)
            break;
        *p++ = '\0';
    }
    return n;
}

char *passwd_field_of_uid(uid_t uid, enum passwd_field field)
{
    cleanup_close int fd = open("/etc/passwd", O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    cleanup_free char *data = NULL;
    struct stat st;
    char *save = NULL;

    if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > (1 << 20))
        return NULL;
    data = xzalloc((size_t)st.st_size + 1);
    if (read_all(fd, data, (size_t)st.st_size) < 0)
        return NULL;
    for (char *line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *f[PASSWD_FIELDS] = {NULL};

        if (split_fields(line, f) == PASSWD_FIELDS && f[2][0] &&
            strspn(f[2], "0123456789") == strlen(f[2]) && strtoul(f[2], NULL, 10) == uid)
            return xstrdup(f[field]);
    }
    return NULL;
}
