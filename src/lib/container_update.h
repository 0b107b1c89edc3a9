/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Operations on a live container's cgroup: pause, resume, update
 * (container_update.c) and events (container_events.c). */
#ifndef OCIRUN_CONTAINER_UPDATE_H
#define OCIRUN_CONTAINER_UPDATE_H

#include <stdbool.h>
#include <stdio.h>

#include "error.h"
#include "ocispec.h"

/* Only a running container can be paused (runc also pauses a created
 * one), else "container not running"; only a paused one resumed, else
 * "container not paused" (runc's wording). */
int container_pause(const char *root, const char *id, struct ocirun_error *err);
int container_resume(const char *root, const char *id, struct ocirun_error *err);

/* Writes new limits into a created, running or paused container's cgroup
 * (stopped: "container not running"). Device rules in r are ignored, as in
 * runc. The bundle's config.json is not rewritten: the cgroup is the
 * record of the live limits. */
int container_update(const char *root, const char *id, const struct oci_resources *r,
                     struct ocirun_error *err);

/* `events`: with stats_only, one stats event on out; else a stats event
 * every interval_ms and an "oom" event per OOM the kernel reports, until
 * the container's init exits. */
int container_events(const char *root, const char *id, bool stats_only, long interval_ms, FILE *out,
                     struct ocirun_error *err);

#endif
