/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of the mount option table (mount_options.c): every option of
 * config.md -> MS_* flags, propagation, recursive MOUNT_ATTR_*, extensions
 * or filesystem data. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "mounts.h"
#include "unit.h"

#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif
#ifndef MOUNT_ATTR_NOSYMFOLLOW
#define MOUNT_ATTR_NOSYMFOLLOW 0x00200000
#endif

static struct mount_options parse(const char *csv)
{
    struct mount_options o;
    char *copy = strdup(csv), *save = NULL;
    char *opts[64];
    size_t n = 0;

    for (char *t = strtok_r(copy, " ", &save); t && n < 64; t = strtok_r(NULL, " ", &save))
        opts[n++] = t;
    mount_options_parse(opts, n, &o);
    free(copy);
    return o;
}

static void test_flag_options(void)
{
    static const struct {
        const char *name;
        unsigned long flag;
        bool set;
    } cases[] = {
        {"ro", MS_RDONLY, true},
        {"rw", MS_RDONLY, false},
        {"nosuid", MS_NOSUID, true},
        {"suid", MS_NOSUID, false},
        {"nodev", MS_NODEV, true},
        {"dev", MS_NODEV, false},
        {"noexec", MS_NOEXEC, true},
        {"exec", MS_NOEXEC, false},
        {"sync", MS_SYNCHRONOUS, true},
        {"async", MS_SYNCHRONOUS, false},
        {"dirsync", MS_DIRSYNC, true},
        {"remount", MS_REMOUNT, true},
        {"mand", MS_MANDLOCK, true},
        {"nomand", MS_MANDLOCK, false},
        {"atime", MS_NOATIME, false},
        {"noatime", MS_NOATIME, true},
        {"diratime", MS_NODIRATIME, false},
        {"nodiratime", MS_NODIRATIME, true},
        {"relatime", MS_RELATIME, true},
        {"norelatime", MS_RELATIME, false},
        {"strictatime", MS_STRICTATIME, true},
        {"nostrictatime", MS_STRICTATIME, false},
        {"lazytime", MS_LAZYTIME, true},
        {"nolazytime", MS_LAZYTIME, false},
        {"iversion", MS_I_VERSION, true},
        {"noiversion", MS_I_VERSION, false},
        {"nosymfollow", MS_NOSYMFOLLOW, true},
        {"symfollow", MS_NOSYMFOLLOW, false},
        {"bind", MS_BIND, true},
        {"silent", MS_SILENT, true},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct mount_options o = parse(cases[i].name);
        if (cases[i].set)
            UNIT_CHECK(o.flags == cases[i].flag && o.clear == 0 && o.data == NULL,
                       "%s sets its flag", cases[i].name);
        else
            UNIT_CHECK(o.flags == 0 && o.clear == cases[i].flag && o.data == NULL,
                       "%s clears its flag", cases[i].name);
        mount_options_free(&o);
    }
    struct mount_options o = parse("rbind");
    UNIT_CHECK(o.flags == (MS_BIND | MS_REC), "rbind is MS_BIND|MS_REC");
    o = parse("defaults");
    UNIT_CHECK(o.flags == 0 && o.data == NULL, "defaults is nothing");
    o = parse("ro rw");
    UNIT_CHECK(o.flags == 0 && o.clear == MS_RDONLY, "the last of ro/rw wins");
    o = parse("rw ro nosuid");
    UNIT_CHECK(o.flags == (MS_RDONLY | MS_NOSUID) && o.clear == 0, "rw ro nosuid");
}

static void test_propagation(void)
{
    static const struct {
        const char *name;
        unsigned long prop;
    } cases[] = {
        {"private", MS_PRIVATE},       {"rprivate", MS_PRIVATE | MS_REC},
        {"shared", MS_SHARED},         {"rshared", MS_SHARED | MS_REC},
        {"slave", MS_SLAVE},           {"rslave", MS_SLAVE | MS_REC},
        {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct mount_options o = parse(cases[i].name);
        UNIT_CHECK(o.propagation == cases[i].prop && o.flags == 0, "%s propagation", cases[i].name);
        UNIT_CHECK(mount_propagation_parse(cases[i].name) == cases[i].prop, "rootfsPropagation %s",
                   cases[i].name);
    }
    UNIT_CHECK(mount_propagation_parse("ro") == 0, "ro is not a propagation");
    UNIT_CHECK(mount_propagation_parse("bogus") == 0, "bogus is not a propagation");
    struct mount_options o = parse("shared rslave");
    UNIT_CHECK(o.propagation == (MS_SLAVE | MS_REC), "the last propagation wins");
}

static void test_recursive(void)
{
    static const struct {
        const char *name;
        uint64_t set, clr;
    } cases[] = {
        {"rro", MOUNT_ATTR_RDONLY, 0},
        {"rrw", 0, MOUNT_ATTR_RDONLY},
        {"rnosuid", MOUNT_ATTR_NOSUID, 0},
        {"rsuid", 0, MOUNT_ATTR_NOSUID},
        {"rnodev", MOUNT_ATTR_NODEV, 0},
        {"rdev", 0, MOUNT_ATTR_NODEV},
        {"rnoexec", MOUNT_ATTR_NOEXEC, 0},
        {"rexec", 0, MOUNT_ATTR_NOEXEC},
        {"rnodiratime", MOUNT_ATTR_NODIRATIME, 0},
        {"rdiratime", 0, MOUNT_ATTR_NODIRATIME},
        {"rnosymfollow", MOUNT_ATTR_NOSYMFOLLOW, 0},
        {"rsymfollow", 0, MOUNT_ATTR_NOSYMFOLLOW},
        {"rnoatime", MOUNT_ATTR_NOATIME, MOUNT_ATTR__ATIME},
        {"ratime", MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME},
        {"rrelatime", MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME},
        {"rnorelatime", MOUNT_ATTR_STRICTATIME, MOUNT_ATTR__ATIME},
        {"rstrictatime", MOUNT_ATTR_STRICTATIME, MOUNT_ATTR__ATIME},
        {"rnostrictatime", MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct mount_options o = parse(cases[i].name);
        UNIT_CHECK(o.rec_set == cases[i].set && o.rec_clr == cases[i].clr && o.flags == 0 &&
                       o.data == NULL,
                   "%s -> recursive set %#llx clear %#llx", cases[i].name,
                   (unsigned long long)cases[i].set, (unsigned long long)cases[i].clr);
    }
    struct mount_options o = parse("rro rrw");
    UNIT_CHECK(o.rec_set == 0 && o.rec_clr == MOUNT_ATTR_RDONLY, "rro then rrw: cleared");
    o = parse("rnoatime rstrictatime");
    UNIT_CHECK(o.rec_set == MOUNT_ATTR_STRICTATIME && o.rec_clr == MOUNT_ATTR__ATIME,
               "the last atime mode wins");
}

static void test_extensions_and_data(void)
{
    struct mount_options o = parse("tmpcopyup");
    UNIT_CHECK(o.tmpcopyup && !o.idmap && !o.ridmap && o.data == NULL, "tmpcopyup");
    o = parse("idmap");
    UNIT_CHECK(o.idmap && !o.ridmap && o.data == NULL, "idmap is not data");
    o = parse("ridmap");
    UNIT_CHECK(o.ridmap && !o.idmap && o.data == NULL, "ridmap is not data");

    o = parse("nosuid mode=755 ro size=65536k newinstance");
    UNIT_CHECK(o.data && strcmp(o.data, "mode=755,size=65536k,newinstance") == 0,
               "unknown options joined in order as data: %s", o.data ? o.data : "(null)");
    UNIT_CHECK(o.flags == (MS_NOSUID | MS_RDONLY), "flags beside data");
    mount_options_free(&o);
    UNIT_CHECK(o.data == NULL, "free clears data");
    o = parse("");
    UNIT_CHECK(o.data == NULL && o.flags == 0, "no options");
    char *empty[] = {(char *)"", (char *)"uid=5"};
    mount_options_parse(empty, 2, &o);
    UNIT_CHECK(o.data && strcmp(o.data, "uid=5") == 0, "empty option strings are skipped");
    mount_options_free(&o);
    UNIT_CHECK(mount_option_lookup("context=foo") == NULL, "selinux context is data");
    UNIT_CHECK(mount_option_lookup("RO") == NULL, "option names are case sensitive");
}

static void test_flags_to_attr(void)
{
    uint64_t set, clr;

    mount_flags_to_attr(MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_BIND, 0, &set, &clr);
    UNIT_CHECK(
        set == (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC) &&
            clr == 0,
        "ro nosuid nodev noexec -> attrs");
    mount_flags_to_attr(0, MS_RDONLY | MS_NOEXEC, &set, &clr);
    UNIT_CHECK(set == 0 && clr == (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOEXEC), "rw exec -> clear");
    mount_flags_to_attr(MS_NOATIME, 0, &set, &clr);
    UNIT_CHECK(set == MOUNT_ATTR_NOATIME && clr == MOUNT_ATTR__ATIME, "noatime");
    mount_flags_to_attr(MS_STRICTATIME, 0, &set, &clr);
    UNIT_CHECK(set == MOUNT_ATTR_STRICTATIME && clr == MOUNT_ATTR__ATIME, "strictatime");
    mount_flags_to_attr(MS_RELATIME, 0, &set, &clr);
    UNIT_CHECK(set == MOUNT_ATTR_RELATIME && clr == MOUNT_ATTR__ATIME, "relatime");
    mount_flags_to_attr(0, MS_NOATIME, &set, &clr);
    UNIT_CHECK(set == MOUNT_ATTR_RELATIME && clr == MOUNT_ATTR__ATIME, "atime -> relatime");
    mount_flags_to_attr(MS_NODIRATIME | MS_NOSYMFOLLOW, 0, &set, &clr);
    UNIT_CHECK(set == (MOUNT_ATTR_NODIRATIME | MOUNT_ATTR_NOSYMFOLLOW) && clr == 0,
               "nodiratime nosymfollow");
    mount_flags_to_attr(MS_SYNCHRONOUS | MS_DIRSYNC, 0, &set, &clr);
    UNIT_CHECK(set == 0 && clr == 0, "sb-level flags have no mount attribute");
}

int main(void)
{
    test_flag_options();
    test_propagation();
    test_recursive();
    test_extensions_and_data();
    test_flags_to_attr();
    return unit_finish();
}
