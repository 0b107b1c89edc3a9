/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared by criu.c, criu-checkpoint.c and criu-restore.c. */
#ifndef OCIRUN_CRIU_INTERNAL_H
#define OCIRUN_CRIU_INTERNAL_H

#include <stddef.h>
#include <sys/types.h>

#include "criu.h"
#include "ocispec.h"

#define CRIU_DESCRIPTORS "descriptors.json"

/* A growing NULL-terminated argument vector. */
struct criu_argv {
    char **v;
    size_t n, cap;
};
void criu_argv_add(struct criu_argv *a, const char *s);
void criu_argv_addf(struct criu_argv *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void criu_argv_free(struct criu_argv *a);

/* Checks the flags ocirun refuses and the values it restricts; fills the
 * defaults (image path ./checkpoint, work path = image path). */
int criu_flags_check(struct criu_flags *f, struct ocirun_error *err);

/* "criu ACTION --images-dir --work-dir --log-file" and the shared flags. */
void criu_argv_common(struct criu_argv *a, const char *action, const struct criu_flags *f,
                      const char *log_name);

/* setup(arg) runs in the child before exec (NULL: none); returns < 0 with
 * errno set to abort. The error names criu's first "Error" log line. */
int criu_run(struct criu_argv *a, const struct criu_flags *f, const char *log_name,
             int (*setup)(void *), void *arg, struct ocirun_error *err);

/* The config's bind mount destinations (cleaned, absolute). Caller frees
 * (cleanup_strv). sources gets the matching host paths (resolved against
 * bundle) when not NULL. */
char **criu_bind_mounts(const struct oci_config *config, const char *bundle, char ***sources);

/* The config's cgroup mount destinations: the container's own cgroup,
 * whose root is not the hierarchy's, so criu needs it external. */
char **criu_cgroup_mounts(const struct oci_config *config);

/* The link targets of the init's fds 0..2 as descriptors.json (runc's
 * format: a JSON array of strings), in the image directory. */
int criu_write_descriptors(pid_t pid, const char *image_path, struct ocirun_error *err);
/* Reads it back; a missing file is no descriptors (NULL, 0). */
int criu_read_descriptors(const char *image_path, char ***out, size_t *n, struct ocirun_error *err);

#endif
