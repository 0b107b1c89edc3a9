/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef OCIRUN_PASSWD_H
#define OCIRUN_PASSWD_H

#include <sys/types.h>

enum passwd_field { PASSWD_NAME = 0, PASSWD_HOME = 5 };

/* Field `field` of the first /etc/passwd entry (of the current root) whose
 * uid is `uid`, or NULL. The file is read directly, not through NSS (a
 * static ocirun has none), and treated as hostile: only a regular file of
 * at most 1 MiB, opened without blocking. */
char *passwd_field_of_uid(uid_t uid, enum passwd_field field);

#endif
