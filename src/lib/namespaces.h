/* SPDX-License-Identifier: GPL-2.0-or-later */
/* linux.namespaces: which namespaces are created by clone3, which are
 * joined by path, and which the init unshares itself. */
#ifndef OCIRUN_NAMESPACES_H
#define OCIRUN_NAMESPACES_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "ocispec.h"

enum ns_index { NS_USER, NS_MNT, NS_PID, NS_NET, NS_IPC, NS_UTS, NS_CGROUP, NS_TIME, NS_COUNT };

struct ns_plan {
    bool is_new[NS_COUNT];
    int join_fd[NS_COUNT];       /* O_RDONLY fd of a namespace joined by path, else -1 */
    unsigned long clone_flags;   /* namespaces clone3 creates */
    unsigned long unshare_flags; /* namespaces the init creates with unshare(2) */
    int saved_pidns_fd;          /* the parent's own pid ns while it joined another one */
};

/* "network" -> NS_NET; -1 when unknown. */
int ns_index_from_name(const char *name);
/* NS_NET -> CLONE_NEWNET */
int ns_clone_flag(enum ns_index i);
const char *ns_proc_name(enum ns_index i); /* NS_NET -> "net" */

/* Checks the namespaces list (known types, no duplicates, joined paths
 * exist and hold a namespace of the right type). Opens nothing kept. */
int namespaces_validate(const struct oci_linux *linux_, struct ocirun_error *err);

/* Builds the plan: opens the joined namespaces (type-checked) and splits
 * the new ones between clone3 and unshare. clone_into_cgroup: the new
 * cgroup namespace can be made by clone3 because the child starts in its
 * cgroup. */
int namespaces_plan(const struct oci_linux *linux_, bool clone_into_cgroup, struct ns_plan *plan,
                    struct ocirun_error *err);
void namespaces_plan_close(struct ns_plan *plan);

/* Parent, around the clone: joins linux.namespaces pid path (this affects
 * only children) and goes back afterwards. */
int namespaces_parent_enter_pidns(struct ns_plan *plan, struct ocirun_error *err);
int namespaces_parent_leave_pidns(struct ns_plan *plan, struct ocirun_error *err);

/* Child: joins the user namespace by path (when any), then every other
 * namespace given by path (pid excepted: done by the parent). */
int namespaces_join(const struct ns_plan *plan, struct ocirun_error *err);

/* Child: unshares flags, checking each succeeded. */
int namespaces_unshare(unsigned long flags, struct ocirun_error *err);

/* Child: enters /proc/self/ns/time_for_children after the offsets are set. */
int namespaces_enter_time_for_children(struct ocirun_error *err);

/* Parent: writes linux.timeOffsets to /proc/PID/timens_offsets. */
int namespaces_write_time_offsets(pid_t pid, const struct oci_time_offsets *offs,
                                  struct ocirun_error *err);

/* Fills out[] with "type:/proc/PID/ns/x" strings of the namespaces the
 * container owns (new ones), for the state. Caller frees. */
char **namespaces_state_paths(const struct ns_plan *plan, pid_t pid, size_t *n);

#endif
