/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target for the process object of `ocirun exec --process FILE`:
 * the input is parsed as a process (libocispec), then goes through
 * exec_process_prepare exactly as exec does, once as a --process object and
 * once as the container's own process with every exec flag applied over
 * it, against each LSM host mask. On success the result must satisfy what
 * the exec child relies on (args non-empty, cwd absolute, labels only when
 * the host has the module), the environment must build, and the object
 * must still generate and parse. Crashes, leaks (ASan) and undefined
 * behaviour (UBSan) are findings. Build with `make fuzz`. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec.h"
#include "log.h"
#include "lsm.h"
#include "ocispec.h"
#include "process.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static void finding(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz-process: %s: %s\n", what, detail ? detail : "");
    abort();
}

static char *flag_args[] = {"/bin/sh", "-c", "true"};
static char *flag_env[] = {"PATH=/bin", "NEW=1", "=weird", "NOEQ"};
static char *flag_caps[] = {"net_admin", "CAP_SYS_PTRACE", "cap_bogus"};
static uint32_t flag_gids[] = {10, 4294967294u};

static const struct exec_request file_req = {.process_path = "process.json"};
static const struct exec_request flags_req = {
    .args = flag_args,
    .args_len = 3,
    .cwd = "/tmp",
    .env = flag_env,
    .env_len = 4,
    .caps = flag_caps,
    .caps_len = 3,
    .user_set = true,
    .gid_set = true,
    .uid = 1000,
    .gid = 1000,
    .additional_gids = flag_gids,
    .additional_gids_len = 2,
    .no_new_privs = true,
    .detach = true,
};

static void check_result(const struct oci_process *p, unsigned lsm)
{
    char **env;

    if (p->args_len == 0 || p->args[0] == NULL || p->args[0][0] == '\0')
        finding("accepted without args", NULL);
    if (p->cwd == NULL || p->cwd[0] != '/')
        finding("accepted a relative cwd", p->cwd);
    if (p->apparmor_profile && p->apparmor_profile[0] && !(lsm & LSM_APPARMOR))
        finding("apparmor profile accepted without AppArmor", p->apparmor_profile);
    if (p->selinux_label && p->selinux_label[0] && !(lsm & LSM_SELINUX))
        finding("selinux label accepted without SELinux", p->selinux_label);
    env = process_build_env(p);
    for (size_t i = 0; i < p->env_len; i++)
        if (env[i] != p->env[i])
            finding("environment reordered", p->env[i]);
    free(env[p->env_len]); /* the HOME= added when missing, or NULL */
    free(env);
}

static void round_trip(const struct oci_process *p)
{
    char *json = NULL, *err = NULL;
    struct oci_process *again = NULL;
    size_t len = 0;

    if (oci_process_generate(p, &json, &len, &err) < 0)
        finding("prepared process does not generate", err);
    if (oci_process_parse_data(json, len, &again, &err) < 0)
        finding("prepared process does not parse again", err);
    oci_process_free(again);
    free(json);
}

static void one(const uint8_t *data, size_t size, const struct exec_request *req, unsigned lsm)
{
    struct oci_process *p = NULL;
    struct ocirun_error err = {0};
    char *perr = NULL;

    if (oci_process_parse_data((const char *)data, size, &p, &perr) < 0) {
        free(perr);
        return;
    }
    if (exec_process_prepare(p, req, NULL, lsm, &err) < 0) {
        if (err.msg == NULL || err.msg[0] == '\0')
            finding("failure without a message", NULL);
    } else {
        check_result(p, lsm);
        round_trip(p);
    }
    error_clear(&err);
    oci_process_free(p);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    char *msg = NULL;

    /* warnings (unknown capabilities...) would flood the fuzzer's output */
    if (log_init(NULL, "text", "error", &msg) < 0)
        free(msg);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const unsigned masks[] = {0, LSM_APPARMOR | LSM_SELINUX};

    for (size_t m = 0; m < 2; m++) {
        one(data, size, &file_req, masks[m]);
        one(data, size, &flags_req, masks[m]);
    }
    return 0;
}
