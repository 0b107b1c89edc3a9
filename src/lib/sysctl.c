/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "sysctl.h"
#include "util.h"

static const char *const ipc_keys[] = {"kernel.msgmax", "kernel.msgmnb",         "kernel.msgmni",
                                       "kernel.sem",    "kernel.shmall",         "kernel.shmmax",
                                       "kernel.shmmni", "kernel.shm_rmid_forced"};

/* Dotted components, no empty one, no "..", no '/': the key becomes a
 * path under /proc/sys and must stay there. */
static bool key_well_formed(const char *key)
{
    if (key == NULL || key[0] == '\0' || key[0] == '.' || strchr(key, '/') != NULL)
        return false;
    if (strstr(key, "..") != NULL || key[strlen(key) - 1] == '.')
        return false;
    return true;
}

static int check_key(const char *key, bool own_net, bool own_ipc, bool own_uts,
                     struct ocirun_error *err)
{
    if (!key_well_formed(key))
        return error_make(err, 0, "linux.sysctl: malformed key `%s`", key ? key : "");
    for (size_t i = 0; i < ARRAY_SIZE(ipc_keys); i++)
        if (strcmp(key, ipc_keys[i]) == 0) {
            if (!own_ipc)
                return error_make(err, 0,
                                  "linux.sysctl: sysctl %s is not allowed in the "
                                  "host's ipc namespace",
                                  key);
            return 0;
        }
    if (str_has_prefix(key, "fs.mqueue.")) {
        if (!own_ipc)
            return error_make(err, 0,
                              "linux.sysctl: sysctl %s is not allowed in the host's "
                              "ipc namespace",
                              key);
        return 0;
    }
    if (str_has_prefix(key, "net.")) {
        if (!own_net)
            return error_make(err, 0,
                              "linux.sysctl: sysctl %s is not allowed in the host's "
                              "network namespace",
                              key);
        return 0;
    }
    if (strcmp(key, "kernel.hostname") == 0 || strcmp(key, "kernel.domainname") == 0) {
        if (!own_uts)
            return error_make(err, 0,
                              "linux.sysctl: sysctl %s is not allowed in the host's "
                              "uts namespace",
                              key);
        return 0;
    }
    return error_make(err, 0, "linux.sysctl: sysctl %s is not in a separate kernel namespace", key);
}

int sysctl_validate(const struct oci_string_map *sysctl, bool own_net, bool own_ipc, bool own_uts,
                    struct ocirun_error *err)
{
    for (size_t i = 0; i < sysctl->len; i++) {
        if (check_key(sysctl->keys[i], own_net, own_ipc, own_uts, err) < 0)
            return -1;
        if (sysctl->values[i] == NULL)
            return error_make(err, 0, "linux.sysctl: %s has no value", sysctl->keys[i]);
    }
    return 0;
}

static int check_procfs(int fd, const char *what, struct ocirun_error *err)
{
    struct statfs sfs;

    if (fstatfs(fd, &sfs) < 0)
        return error_make(err, errno, "statfs `%s`", what);
    if (sfs.f_type != PROC_SUPER_MAGIC)
        return error_make(err, EXDEV, "`%s` is not on procfs", what);
    return 0;
}

static int write_key(int sysfd, const char *key, const char *value, struct ocirun_error *err)
{
    cleanup_free char *rel = xstrdup(key);

    for (char *p = rel; *p; p++)
        if (*p == '.')
            *p = '/';
    cleanup_close int fd = openat(sysfd, rel, O_WRONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return error_make(err, errno, "sysctl %s: open `/proc/sys/%s`", key, rel);
    if (check_procfs(fd, rel, err) < 0)
        return -1;
    if (write_all(fd, value, strlen(value)) < 0)
        return error_make(err, errno, "sysctl %s: write `%s`", key, value);
    return 0;
}

int sysctl_apply(const struct oci_string_map *sysctl, struct ocirun_error *err)
{
    cleanup_close int sysfd = -1;

    if (sysctl->len == 0)
        return 0;
    sysfd = open("/proc/sys", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (sysfd < 0)
        return error_make(err, errno, "open `/proc/sys` for linux.sysctl");
    if (check_procfs(sysfd, "/proc/sys", err) < 0)
        return -1;
    for (size_t i = 0; i < sysctl->len; i++)
        if (write_key(sysfd, sysctl->keys[i], sysctl->values[i], err) < 0)
            return -1;
    return 0;
}

int uts_set_names(const char *hostname, const char *domainname, struct ocirun_error *err)
{
    if (hostname != NULL && sethostname(hostname, strlen(hostname)) < 0)
        return error_make(err, errno, "sethostname `%s`", hostname);
    if (domainname != NULL && setdomainname(domainname, strlen(domainname)) < 0)
        return error_make(err, errno, "setdomainname `%s`", domainname);
    return 0;
}
