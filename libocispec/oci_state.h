/* SPDX-License-Identifier: Apache-2.0 */
/* state.json (runtime.md "State"); same naming rules as oci_config.h. */
#ifndef OCI_STATE_H
#define OCI_STATE_H

#include <stdbool.h>
#include <stdint.h>

#include "oci_config.h"

struct oci_state {
    char *oci_version;
    char *id;
    char *status; /* creating created running stopped (and runc's "paused") */
    int64_t pid;
    bool pid_present;
    char *bundle;
    struct oci_string_map annotations;
};

#endif
