/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target for the CLI argument parser: the input is an argv
 * (NUL-separated words) for `ocirun exec`, the command with the most flag
 * kinds (booleans, repeatable values, ids, -u UID:GID, --preserve-fds N).
 * src/cli/exec.c is compiled into this file so its own static parser runs,
 * unchanged; container_exec is replaced by an abort (parsing must never get
 * there). Oracles: what parse() accepts is well-formed (ids really are
 * decimal and never (uid_t)-1, the container id follows runc's rule, the
 * argument vector stays inside argv); a refusal has a message; the parsed
 * request then goes through exec_process_prepare over a fixed process.
 * cli_print_usage runs once per input on the table. Build: `make fuzz`. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "exec.h"
#include "log.h"
#include "ocispec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* The real command file, statics and all. */
#include "../src/cli/exec.c"

int container_exec(const struct exec_request *req, struct ocirun_error *err)
{
    (void)req;
    (void)err;
    abort();
}

static void finding(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz-cli: %s: %s\n", what, detail ? detail : "");
    abort();
}

#define MAX_ARGS 64

/* "exec" then the NUL-separated words of the input. */
static int split(char *buf, size_t size, char **argv)
{
    int argc = 0;

    argv[argc++] = (char *)"exec";
    for (size_t i = 0; i < size && argc < MAX_ARGS;) {
        argv[argc++] = buf + i;
        i += strlen(buf + i) + 1;
    }
    argv[argc] = NULL;
    return argc;
}

static void check_request(const struct exec_request *req, int argc, char **argv)
{
    struct ocirun_error err = {0};

    if (req->user_set && req->uid == UINT32_MAX)
        finding("uid (uid_t)-1 accepted", NULL);
    if (req->gid_set && req->gid == UINT32_MAX)
        finding("gid (gid_t)-1 accepted", NULL);
    if (req->id == NULL || cli_validate_id(req->id, &err) < 0)
        finding("accepted an invalid container id", req->id);
    if (req->args < argv || req->args + req->args_len > argv + argc)
        finding("args outside argv", NULL);
    if (req->preserve_fds < 0)
        finding("negative --preserve-fds", NULL);
}

static void prepare(const struct exec_request *req)
{
    char *perr = NULL;
    static const char seed[] = "{\"args\":[\"/bin/true\"],\"cwd\":\"/\",\"env\":[\"PATH=/bin\"]}";
    struct oci_process *p = NULL;
    struct ocirun_error err = {0};

    if (oci_process_parse_data(seed, sizeof(seed) - 1, &p, &perr) < 0)
        finding("seed process does not parse", perr);
    if (exec_process_prepare(p, req, NULL, 0, &err) < 0 && (err.msg == NULL || !err.msg[0]))
        finding("process refused without a message", NULL);
    error_clear(&err);
    oci_process_free(p);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char *msg = NULL;

    (void)argc;
    (void)argv;
    if (log_init(NULL, "text", "error", &msg) < 0)
        free(msg);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size + 1), *argv[MAX_ARGS + 1];
    struct exec_request req = {.root = "/nonexistent"};
    struct ocirun_error err = {0};
    struct cli_parser p;
    FILE *null = fopen("/dev/null", "w");
    int argc, r;

    memcpy(buf, data, size);
    buf[size] = '\0';
    argc = split(buf, size, argv);
    cli_parser_init(&p, &command, argc, argv);
    r = parse(&p, &req, &err);
    if (r < 0 && (err.msg == NULL || err.msg[0] == '\0'))
        finding("refused without a message", NULL);
    if (r == 0 && !p.help_shown) {
        check_request(&req, argc, argv);
        prepare(&req);
    }
    if (null != NULL) {
        cli_print_usage(&command, null);
        fclose(null);
    }
    error_clear(&err);
    free(req.env);
    free(req.caps);
    free(req.cgroups);
    free(req.additional_gids);
    free(buf);
    return 0;
}
