/* SPDX-License-Identifier: GPL-2.0-or-later */
/* LSM labels (lsm.h): detection, validation, mount context, exec labels. */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "lsm.h"
#include "util.h"

#define LSM_LABEL_MAX 4095

/* "Y" in the module parameter means AppArmor is enabled; the securityfs
 * directory alone exists as soon as the module is built in. */
static bool apparmor_enabled(void)
{
    cleanup_free char *data = NULL;
    size_t len = 0;

    if (access("/sys/kernel/security/apparmor", F_OK) < 0)
        return false;
    if (read_file_at(AT_FDCWD, "/sys/module/apparmor/parameters/enabled", &data, &len, NULL) < 0)
        return false;
    return len > 0 && data[0] == 'Y';
}

/* selinuxfs is mounted and has `enforce` (enforcing or permissive: labels
 * are applied in both). */
static bool selinux_enabled(void)
{
    struct statfs sf;

    if (statfs("/sys/fs/selinux", &sf) < 0 || sf.f_type != SELINUX_MAGIC)
        return false;
    return access("/sys/fs/selinux/enforce", F_OK) == 0;
}

static unsigned parse_override(const char *s)
{
    unsigned host = 0;

    if (strstr(s, "apparmor") != NULL)
        host |= LSM_APPARMOR;
    if (strstr(s, "selinux") != NULL)
        host |= LSM_SELINUX;
    return host;
}

unsigned lsm_host(void)
{
    static int cached = -1;
    const char *extra = getenv("OCIRUN_LSM_HOST");

    if (cached < 0)
        cached =
            (int)((apparmor_enabled() ? LSM_APPARMOR : 0) | (selinux_enabled() ? LSM_SELINUX : 0));
    /* Only ever adds: pretending a module is there makes the label write
     * fail loudly; nothing can make a present module look absent. */
    return (unsigned)cached | (extra != NULL ? parse_override(extra) : 0);
}

int lsm_check_label(const char *field, const char *label, struct ocirun_error *err)
{
    size_t len = strlen(label);

    if (len == 0)
        return error_make(err, EINVAL, "%s: empty label", field);
    if (len > LSM_LABEL_MAX)
        return error_make(err, EINVAL, "%s: label of %zu bytes (at most %d)", field, len,
                          LSM_LABEL_MAX);
    for (const unsigned char *c = (const unsigned char *)label; *c; c++)
        if (*c < 0x20 || *c == 0x7f)
            return error_make(err, EINVAL, "%s: control character 0x%02x in label", field, *c);
    return 0;
}

static bool is_set(const char *s)
{
    return s != NULL && s[0] != '\0';
}

int lsm_validate(const struct oci_process *p, const char *mount_label, unsigned host,
                 struct ocirun_error *err)
{
    if (p != NULL && is_set(p->apparmor_profile)) {
        if (lsm_check_label("process.apparmorProfile", p->apparmor_profile, err) < 0)
            return -1;
        if (!(host & LSM_APPARMOR))
            return error_make(err, ENOTSUP,
                              "process.apparmorProfile `%s`: AppArmor is not supported on this "
                              "host (not enabled)",
                              p->apparmor_profile);
    }
    if (p != NULL && is_set(p->selinux_label)) {
        if (lsm_check_label("process.selinuxLabel", p->selinux_label, err) < 0)
            return -1;
        if (!(host & LSM_SELINUX))
            return error_make(
                err, ENOTSUP,
                "process.selinuxLabel `%s`: SELinux is not supported on this host (not enabled)",
                p->selinux_label);
    }
    if (is_set(mount_label)) {
        /* It ends up quoted inside mount data (`context="..."`, where the
         * commas of a category list are fine): a quote would end it and
         * start another option. */
        if (lsm_check_label("linux.mountLabel", mount_label, err) < 0)
            return -1;
        if (strchr(mount_label, '"') != NULL)
            return error_make(err, EINVAL, "linux.mountLabel `%s`: `\"` is not allowed",
                              mount_label);
        if (!(host & LSM_SELINUX))
            log_warn("linux.mountLabel: SELinux is not enabled on this host, ignored");
    }
    return 0;
}

/* Filesystems whose mount takes `context=` (proc, sysfs, cgroup and bind
 * mounts do not: runc and crun skip them too). */
static bool takes_context(const char *fstype)
{
    static const char *const types[] = {"tmpfs", "devpts", "mqueue", "ramfs", "shm"};

    for (size_t i = 0; fstype != NULL && i < ARRAY_SIZE(types); i++)
        if (strcmp(fstype, types[i]) == 0)
            return true;
    return false;
}

char *lsm_mount_data(const char *data, const char *mount_label, const char *fstype, unsigned host)
{
    if (!is_set(mount_label) || !(host & LSM_SELINUX) || !takes_context(fstype))
        return NULL;
    if (data != NULL && strstr(data, "context=") != NULL)
        return NULL; /* the mount's own options win */
    if (data == NULL || data[0] == '\0')
        return xasprintf("context=\"%s\"", mount_label);
    return xasprintf("%s,context=\"%s\"", data, mount_label);
}

static uint64_t mnt_id(int fd)
{
    struct statx stx;

    if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &stx) < 0)
        return 0;
    return stx.stx_mnt_id;
}

/* openat2 can be denied by a seccomp profile loaded earlier (without
 * noNewPrivileges the filter goes on before the capabilities drop): then a
 * plain openat, and the same guarantee checked afterwards, the file being
 * on the very mount of the procfs root. */
static int open_in_proc(int proc, const char *path)
{
    struct open_how how = {.flags = O_WRONLY | O_CLOEXEC,
                           .resolve = RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS};
    int fd = (int)syscall(SYS_openat2, proc, path, &how, sizeof(how));

    if (fd >= 0 || (errno != ENOSYS && errno != EPERM))
        return fd;
    fd = openat(proc, path, O_WRONLY | O_CLOEXEC);
    if (fd >= 0 && mnt_id(fd) != mnt_id(proc)) {
        close(fd);
        errno = EXDEV;
        return -1;
    }
    return fd;
}

/* The attr directory of the calling thread in the procfs mounted at /proc,
 * not crossing any mount below the procfs root (a bind mount over attr/exec
 * is refused with EXDEV). */
static int open_attr(const char *name, struct ocirun_error *err)
{
    cleanup_close int proc = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    cleanup_free char *path = xasprintf("thread-self/attr/%s", name);
    struct statfs sf;
    int fd;

    if (proc < 0)
        return error_make(err, errno, "open `/proc` to set the LSM label");
    if (fstatfs(proc, &sf) < 0 || sf.f_type != PROC_SUPER_MAGIC)
        return error_make(err, EPERM, "`/proc` is not procfs: cannot set the LSM label");
    fd = open_in_proc(proc, path);
    if (fd < 0)
        return error_make(err, errno, "open `/proc/%s`", path);
    if (fstatfs(fd, &sf) < 0 || sf.f_type != PROC_SUPER_MAGIC) {
        close(fd);
        return error_make(err, EPERM, "`/proc/%s` is not on procfs", path);
    }
    return fd;
}

static int write_attr(const char *name, const char *value, struct ocirun_error *err)
{
    cleanup_close int fd = open_attr(name, err);
    size_t len = strlen(value);

    if (fd < 0)
        return -1;
    if (write(fd, value, len) != (ssize_t)len)
        return error_make(err, errno, "write `%s` to `/proc/thread-self/attr/%s`", value, name);
    return 0;
}

/* Kernels with LSM stacking have a per-module attr directory; older ones
 * only the shared attr/exec. */
static int apparmor_attr(void)
{
    struct stat st;

    return stat("/proc/thread-self/attr/apparmor", &st) == 0 && S_ISDIR(st.st_mode);
}

int lsm_set_exec_labels(const struct oci_process *p, struct ocirun_error *err)
{
    if (is_set(p->apparmor_profile)) {
        cleanup_free char *cmd = xasprintf("exec %s", p->apparmor_profile);

        if (write_attr(apparmor_attr() ? "apparmor/exec" : "exec", cmd, err) < 0)
            return error_wrap(err, "apply AppArmor profile `%s`", p->apparmor_profile);
    }
    if (is_set(p->selinux_label) && write_attr("exec", p->selinux_label, err) < 0)
        return error_wrap(err, "apply SELinux label `%s`", p->selinux_label);
    return 0;
}
