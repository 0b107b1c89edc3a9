/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The mount option table of config.md: every name -> MS_* flags,
 * propagation, recursive MOUNT_ATTR_* or an ocirun extension; anything else
 * is data for the filesystem. Pure code, unit-tested. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "mounts.h"
#include "util.h"

#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif
#ifndef MOUNT_ATTR_NOSYMFOLLOW
#define MOUNT_ATTR_NOSYMFOLLOW 0x00200000
#endif

static const struct mount_option_def option_table[] = {
    {"defaults", MOUNT_OPT_FLAG, 0, 0},
    {"ro", MOUNT_OPT_FLAG, MS_RDONLY, 0},
    {"rw", MOUNT_OPT_CLEAR, MS_RDONLY, 0},
    {"nosuid", MOUNT_OPT_FLAG, MS_NOSUID, 0},
    {"suid", MOUNT_OPT_CLEAR, MS_NOSUID, 0},
    {"nodev", MOUNT_OPT_FLAG, MS_NODEV, 0},
    {"dev", MOUNT_OPT_CLEAR, MS_NODEV, 0},
    {"noexec", MOUNT_OPT_FLAG, MS_NOEXEC, 0},
    {"exec", MOUNT_OPT_CLEAR, MS_NOEXEC, 0},
    {"sync", MOUNT_OPT_FLAG, MS_SYNCHRONOUS, 0},
    {"async", MOUNT_OPT_CLEAR, MS_SYNCHRONOUS, 0},
    {"dirsync", MOUNT_OPT_FLAG, MS_DIRSYNC, 0},
    {"remount", MOUNT_OPT_FLAG, MS_REMOUNT, 0},
    {"mand", MOUNT_OPT_FLAG, MS_MANDLOCK, 0},
    {"nomand", MOUNT_OPT_CLEAR, MS_MANDLOCK, 0},
    {"atime", MOUNT_OPT_CLEAR, MS_NOATIME, 0},
    {"noatime", MOUNT_OPT_FLAG, MS_NOATIME, 0},
    {"diratime", MOUNT_OPT_CLEAR, MS_NODIRATIME, 0},
    {"nodiratime", MOUNT_OPT_FLAG, MS_NODIRATIME, 0},
    {"relatime", MOUNT_OPT_FLAG, MS_RELATIME, 0},
    {"norelatime", MOUNT_OPT_CLEAR, MS_RELATIME, 0},
    {"strictatime", MOUNT_OPT_FLAG, MS_STRICTATIME, 0},
    {"nostrictatime", MOUNT_OPT_CLEAR, MS_STRICTATIME, 0},
    {"lazytime", MOUNT_OPT_FLAG, MS_LAZYTIME, 0},
    {"nolazytime", MOUNT_OPT_CLEAR, MS_LAZYTIME, 0},
    {"iversion", MOUNT_OPT_FLAG, MS_I_VERSION, 0},
    {"noiversion", MOUNT_OPT_CLEAR, MS_I_VERSION, 0},
    {"silent", MOUNT_OPT_FLAG, MS_SILENT, 0},
    {"loud", MOUNT_OPT_CLEAR, MS_SILENT, 0},
    {"nosymfollow", MOUNT_OPT_FLAG, MS_NOSYMFOLLOW, 0},
    {"symfollow", MOUNT_OPT_CLEAR, MS_NOSYMFOLLOW, 0},
    {"bind", MOUNT_OPT_FLAG, MS_BIND, 0},
    {"rbind", MOUNT_OPT_FLAG, MS_BIND | MS_REC, 0},

    {"private", MOUNT_OPT_PROPAGATION, MS_PRIVATE, 0},
    {"rprivate", MOUNT_OPT_PROPAGATION, MS_PRIVATE | MS_REC, 0},
    {"shared", MOUNT_OPT_PROPAGATION, MS_SHARED, 0},
    {"rshared", MOUNT_OPT_PROPAGATION, MS_SHARED | MS_REC, 0},
    {"slave", MOUNT_OPT_PROPAGATION, MS_SLAVE, 0},
    {"rslave", MOUNT_OPT_PROPAGATION, MS_SLAVE | MS_REC, 0},
    {"unbindable", MOUNT_OPT_PROPAGATION, MS_UNBINDABLE, 0},
    {"runbindable", MOUNT_OPT_PROPAGATION, MS_UNBINDABLE | MS_REC, 0},

    {"rro", MOUNT_OPT_REC_SET, 0, MOUNT_ATTR_RDONLY},
    {"rrw", MOUNT_OPT_REC_CLEAR, 0, MOUNT_ATTR_RDONLY},
    {"rnosuid", MOUNT_OPT_REC_SET, 0, MOUNT_ATTR_NOSUID},
    {"rsuid", MOUNT_OPT_REC_CLEAR, 0, MOUNT_ATTR_NOSUID},
    {"rnodev", MOUNT_OPT_REC_SET, 0, MOUNT_ATTR_NODEV},
    {"rdev", MOUNT_OPT_REC_CLEAR, 0, MOUNT_ATTR_NODEV},
    {"rnoexec", MOUNT_OPT_REC_SET, 0, MOUNT_ATTR_NOEXEC},
    {"rexec", MOUNT_OPT_REC_CLEAR, 0, MOUNT_ATTR_NOEXEC},
    {"rnodiratime", MOUNT_OPT_REC_SET, 0, MOUNT_ATTR_NODIRATIME},
    {"rdiratime", MOUNT_OPT_REC_CLEAR, 0, MOUNT_ATTR_NODIRATIME},
    {"rnosymfollow", MOUNT_OPT_REC_SET, 0, MOUNT_ATTR_NOSYMFOLLOW},
    {"rsymfollow", MOUNT_OPT_REC_CLEAR, 0, MOUNT_ATTR_NOSYMFOLLOW},
    /* The atime modes are an enum in mount_setattr, not bits: each option
     * picks the mode the matching mount(2) flags would produce. */
    {"rnoatime", MOUNT_OPT_REC_ATIME, 0, MOUNT_ATTR_NOATIME},
    {"ratime", MOUNT_OPT_REC_ATIME, 0, MOUNT_ATTR_RELATIME},
    {"rrelatime", MOUNT_OPT_REC_ATIME, 0, MOUNT_ATTR_RELATIME},
    /* "not relatime": of the three modes, the one that is neither relatime
     * nor noatime (runc treats it as a no-op; see docs/mounts.md). */
    {"rnorelatime", MOUNT_OPT_REC_ATIME, 0, MOUNT_ATTR_STRICTATIME},
    {"rstrictatime", MOUNT_OPT_REC_ATIME, 0, MOUNT_ATTR_STRICTATIME},
    {"rnostrictatime", MOUNT_OPT_REC_ATIME, 0, MOUNT_ATTR_RELATIME},

    {"tmpcopyup", MOUNT_OPT_EXTENSION, 0, 0},
    {"idmap", MOUNT_OPT_EXTENSION, 0, 0},
    {"ridmap", MOUNT_OPT_EXTENSION, 0, 0},
};

const struct mount_option_def *mount_option_lookup(const char *name)
{
    for (size_t i = 0; i < ARRAY_SIZE(option_table); i++)
        if (strcmp(option_table[i].name, name) == 0)
            return &option_table[i];
    return NULL;
}

static void append_data(char **data, const char *opt)
{
    if (*data == NULL) {
        *data = xstrdup(opt);
        return;
    }
    char *joined = xasprintf("%s,%s", *data, opt);
    free(*data);
    *data = joined;
}

static void apply_extension(const char *name, struct mount_options *out)
{
    if (strcmp(name, "tmpcopyup") == 0)
        out->tmpcopyup = true;
    else if (strcmp(name, "idmap") == 0)
        out->idmap = true;
    else
        out->ridmap = true;
}

static void apply_option(const struct mount_option_def *d, struct mount_options *out)
{
    switch (d->kind) {
    case MOUNT_OPT_FLAG:
        out->flags |= d->flag;
        out->clear &= ~d->flag;
        break;
    case MOUNT_OPT_CLEAR:
        out->flags &= ~d->flag;
        out->clear |= d->flag;
        break;
    case MOUNT_OPT_PROPAGATION:
        out->propagation = d->flag; /* the last one wins */
        break;
    case MOUNT_OPT_REC_SET:
        out->rec_set |= d->attr;
        out->rec_clr &= ~d->attr;
        break;
    case MOUNT_OPT_REC_CLEAR:
        out->rec_clr |= d->attr;
        out->rec_set &= ~d->attr;
        break;
    case MOUNT_OPT_REC_ATIME:
        out->rec_clr |= MOUNT_ATTR__ATIME;
        out->rec_set = (out->rec_set & ~(uint64_t)MOUNT_ATTR__ATIME) | d->attr;
        break;
    case MOUNT_OPT_EXTENSION:
        apply_extension(d->name, out);
        break;
    }
}

void mount_options_parse(char *const *opts, size_t n, struct mount_options *out)
{
    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < n; i++) {
        const struct mount_option_def *d = mount_option_lookup(opts[i]);
        if (d != NULL)
            apply_option(d, out);
        else if (opts[i][0] != '\0')
            append_data(&out->data, opts[i]);
    }
}

void mount_options_free(struct mount_options *o)
{
    free(o->data);
    o->data = NULL;
}

void mount_flags_to_attr(unsigned long set, unsigned long clear, uint64_t *attr_set,
                         uint64_t *attr_clr)
{
    static const struct {
        unsigned long ms;
        uint64_t attr;
    } map[] = {
        {MS_RDONLY, MOUNT_ATTR_RDONLY},         {MS_NOSUID, MOUNT_ATTR_NOSUID},
        {MS_NODEV, MOUNT_ATTR_NODEV},           {MS_NOEXEC, MOUNT_ATTR_NOEXEC},
        {MS_NODIRATIME, MOUNT_ATTR_NODIRATIME}, {MS_NOSYMFOLLOW, MOUNT_ATTR_NOSYMFOLLOW},
    };

    *attr_set = 0;
    *attr_clr = 0;
    for (size_t i = 0; i < ARRAY_SIZE(map); i++) {
        if (set & map[i].ms)
            *attr_set |= map[i].attr;
        else if (clear & map[i].ms)
            *attr_clr |= map[i].attr;
    }
    if (set & (MS_NOATIME | MS_STRICTATIME | MS_RELATIME) ||
        clear & (MS_NOATIME | MS_STRICTATIME)) {
        *attr_clr |= MOUNT_ATTR__ATIME;
        if (set & MS_NOATIME)
            *attr_set |= MOUNT_ATTR_NOATIME;
        else if (set & MS_STRICTATIME)
            *attr_set |= MOUNT_ATTR_STRICTATIME;
        else
            *attr_set |= MOUNT_ATTR_RELATIME;
    }
}

unsigned long mount_propagation_parse(const char *name)
{
    const struct mount_option_def *d = mount_option_lookup(name);

    if (d == NULL || d->kind != MOUNT_OPT_PROPAGATION)
        return 0;
    return d->flag;
}
