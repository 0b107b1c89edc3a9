/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The config's mounts[]: option parsing (mount_options.c), applying one
 * mount inside the container root (mounts.c), tmpcopyup (tmpcopyup.c),
 * idmapped mounts (idmap.c) and the cgroup filesystem (mount_cgroup.c). */
#ifndef OCIRUN_MOUNTS_H
#define OCIRUN_MOUNTS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"
#include "ocispec.h"
#include "rootfs.h"

/* What a mount's `options` array means, option by option (config.md). */
struct mount_options {
    unsigned long flags; /* MS_* flags to set, incl. MS_BIND (|MS_REC for rbind), MS_REMOUNT */
    unsigned long clear; /* MS_* flags an option explicitly clears (rw, suid, dev, exec ...) */
    unsigned long
        propagation;  /* MS_SHARED/MS_SLAVE/MS_PRIVATE/MS_UNBINDABLE, maybe |MS_REC; 0 none */
    uint64_t rec_set; /* MOUNT_ATTR_* set recursively (rro, rnosuid ...) */
    uint64_t rec_clr; /* MOUNT_ATTR_* cleared recursively (rrw, rsuid ...) */
    bool tmpcopyup;
    bool idmap;  /* idmap option */
    bool ridmap; /* ridmap option: the idmapping is applied to submounts too */
    char *data;  /* options the kernel filesystem parses ("mode=755,size=64k"), or NULL */
};

enum mount_option_kind {
    MOUNT_OPT_FLAG,        /* sets `flag` (MS_*) */
    MOUNT_OPT_CLEAR,       /* clears `flag` (MS_*) */
    MOUNT_OPT_PROPAGATION, /* propagation type `flag` */
    MOUNT_OPT_REC_SET,     /* sets MOUNT_ATTR_* `attr` on the whole tree */
    MOUNT_OPT_REC_CLEAR,   /* clears MOUNT_ATTR_* `attr` on the whole tree */
    MOUNT_OPT_REC_ATIME,   /* sets the atime mode `attr` on the whole tree */
    MOUNT_OPT_EXTENSION,   /* tmpcopyup, idmap, ridmap */
};

struct mount_option_def {
    const char *name;
    enum mount_option_kind kind;
    unsigned long flag;
    uint64_t attr;
};

/* The table entry for an option name, NULL for filesystem data. */
const struct mount_option_def *mount_option_lookup(const char *name);

void mount_options_parse(char *const *opts, size_t n, struct mount_options *out);
void mount_options_free(struct mount_options *o);

/* The per-mount MS_* flags as MOUNT_ATTR_* for mount_setattr: flags set and
 * flags to clear (sb-level flags like MS_SYNCHRONOUS have no equivalent). */
void mount_flags_to_attr(unsigned long set, unsigned long clear, uint64_t *attr_set,
                         uint64_t *attr_clr);

/* linux.rootfsPropagation ("rslave" ...) -> MS_* | maybe MS_REC; 0 if unknown. */
unsigned long mount_propagation_parse(const char *name);

/* True when mounts[index] is a bind mount with an idmapping. */
bool mount_is_idmapped(const struct oci_config *config, size_t index);

/* The detached, idmapped source tree of bind mount `index`, made with the
 * caller's privileges (the parent's, see rootfs_open_mount_sources). */
int mount_open_source_tree(const struct rootfs_context *ctx, size_t index,
                           struct ocirun_error *err);

/* Applies config mount number `index` inside rootfd (mounts.c). */
int mount_apply(const struct rootfs_context *ctx, int rootfd, size_t index,
                struct ocirun_error *err);

/* Copies the directory tree of `from` into `to` (both real directory fds),
 * keeping modes, owners, times, symlinks and device nodes (tmpcopyup.c). */
int tmpcopyup_copy(int from, int to, struct ocirun_error *err);

/* A user namespace fd whose maps are the given mappings (idmap.c). */
int idmap_userns_fd(const struct oci_id_mapping *uids, size_t nuids,
                    const struct oci_id_mapping *gids, size_t ngids, struct ocirun_error *err);

/* type "cgroup": the cgroup hierarchies of this host at `destfd` (mount_cgroup.c). */
int mount_cgroup_tree(const struct rootfs_context *ctx, int rootfd, const char *dest,
                      const struct mount_options *opts, struct ocirun_error *err);

#endif
