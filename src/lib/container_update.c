/* SPDX-License-Identifier: GPL-2.0-or-later */
/* pause, resume and update (container_update.h): load the container
 * under its lock, check its status with runc's wording, then act on its
 * cgroup through cgroup.h. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup.h"
#include "container_update.h"
#include "state.h"
#include "util.h"

/* Opens the container's recorded cgroup; *cg NULL when none is recorded. */
static int open_container_cgroup(struct container *c, struct cgroup **cg, struct ocirun_error *err)
{
    struct ocirun_private_state *p = c->state->ocirun;

    *cg = NULL;
    if (p == NULL || p->cgroup_path == NULL)
        return 0;
    return cgroup_open(p->cgroup_manager ? p->cgroup_manager : "cgroupfs", p->cgroup_path, cg, err);
}

enum freeze_op { OP_PAUSE, OP_RESUME };

static int freeze_op(const char *root, const char *id, enum freeze_op op, struct ocirun_error *err)
{
    cleanup_container struct container *c = NULL;
    struct cgroup *cg = NULL;
    const char *status;
    int r;

    if (container_load(root, id, true, &c, err) < 0)
        return -1;
    status = container_status(c);
    /* runc also freezes a created container; here its state would still
     * read "created" (exec.fifo is checked first) and start would block on
     * a frozen init, so only a running one is paused */
    if (op == OP_PAUSE && strcmp(status, "running") != 0)
        return error_plain(err, EINVAL, "container not running");
    if (op == OP_RESUME && strcmp(status, "paused") != 0)
        return error_plain(err, EINVAL, "container not paused");
    if (open_container_cgroup(c, &cg, err) < 0)
        return -1;
    if (cg == NULL)
        return error_plain(err, ENOTSUP, "%s `%s`: the container has no cgroup",
                           op == OP_PAUSE ? "pause" : "resume", id);
    r = op == OP_PAUSE ? cgroup_freeze(cg, err) : cgroup_resume(cg, err);
    cgroup_free(cg);
    if (r < 0)
        return error_wrap(err, "%s `%s`", op == OP_PAUSE ? "pause" : "resume", id);
    return 0;
}

int container_pause(const char *root, const char *id, struct ocirun_error *err)
{
    return freeze_op(root, id, OP_PAUSE, err);
}

int container_resume(const char *root, const char *id, struct ocirun_error *err)
{
    return freeze_op(root, id, OP_RESUME, err);
}

int container_update(const char *root, const char *id, const struct oci_resources *r,
                     struct ocirun_error *err)
{
    cleanup_container struct container *c = NULL;
    struct oci_resources copy;
    struct cgroup *cg = NULL;
    int ret;

    if (container_load(root, id, true, &c, err) < 0 || container_companion(c, err) < 0)
        return -1;
    if (strcmp(container_status(c), "stopped") == 0)
        return error_plain(err, ESRCH, "container not running");
    /* runc's update keeps the device rules the container was created with */
    copy = *r;
    copy.devices = NULL;
    copy.devices_len = 0;
    if (open_container_cgroup(c, &cg, err) < 0)
        return -1;
    ret = cgroup_update(cg, &copy, err);
    cgroup_free(cg);
    if (ret < 0)
        return error_wrap(err, "update `%s`", id);
    return 0;
}
