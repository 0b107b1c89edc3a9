/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target for the seccomp profile translation: every input is
 * parsed as a whole config.json and, wrapped, as a lone linux.seccomp
 * object; each profile that parses goes through seccomp_compile (libseccomp
 * + the -ENOSYS stub + export; nothing is loaded) and the cache key. The
 * oracle beyond crashes, leaks and UBSan:
 *   - a failure carries a message and no program;
 *   - a program is 1..BPF_MAXINSNS instructions, every jump lands inside
 *     it, and the last instruction is a return (what the kernel's checker
 *     requires; the stub is ocirun's own BPF, so it is checked here);
 *   - the cache key of a profile is stable.
 * Build with `make fuzz-seccomp`. */
#include "config.h"

#include <linux/filter.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ocispec.h"
#include "seccomp_filter.h"
#include "seccomp_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void finding(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz-seccomp: %s: %s\n", what, detail ? detail : "");
    abort();
}

static void check_program(const struct seccomp_program *p)
{
    size_t i;

    if (p->len == 0 || p->len > BPF_MAXINSNS)
        finding("program length", NULL);
    for (i = 0; i < p->len; i++) {
        const struct sock_filter *f = &p->insns[i];

        if (BPF_CLASS(f->code) != BPF_JMP)
            continue;
        if (BPF_OP(f->code) == BPF_JA) {
            if (i + 1 + (size_t)f->k >= p->len)
                finding("ja out of the program", NULL);
        } else if (i + 1 + (size_t)f->jt >= p->len || i + 1 + (size_t)f->jf >= p->len) {
            finding("conditional jump out of the program", NULL);
        }
    }
    if (BPF_CLASS(p->insns[p->len - 1].code) != BPF_RET)
        finding("the program does not end with a return", NULL);
}

static void compile_profile(const struct oci_seccomp *s)
{
    struct ocirun_error err = {0};
    struct seccomp_program *p = NULL;
    uint8_t k1[SHA256_DIGEST_LEN], k2[SHA256_DIGEST_LEN];

    if (s == NULL)
        return;
    seccomp_cache_key(s, k1);
    seccomp_cache_key(s, k2);
    if (memcmp(k1, k2, sizeof(k1)) != 0)
        finding("unstable cache key", NULL);
    if (seccomp_compile(s, &p, &err) < 0) {
        if (p != NULL || err.msg == NULL || err.msg[0] == '\0')
            finding("failure without a message or with a program", err.msg);
        error_clear(&err);
        return;
    }
    if (p == NULL)
        finding("success without a program", NULL);
    check_program(p);
    seccomp_program_free(p);
}

static void try_config(const char *data, size_t size)
{
    struct oci_config *cfg = NULL;
    char *perr = NULL;

    if (oci_config_parse_data(data, size, &cfg, &perr) == 0) {
        if (cfg->linux_ != NULL)
            compile_profile(cfg->linux_->seccomp);
        oci_config_free(cfg);
    }
    free(perr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char head[] = "{\"ociVersion\":\"1.3.0\",\"linux\":{\"seccomp\":";
    char *wrapped;

    if (size > 1 << 20)
        return 0;
    try_config((const char *)data, size);
    wrapped = malloc(sizeof(head) + size + 2);
    if (wrapped == NULL)
        return 0;
    memcpy(wrapped, head, sizeof(head) - 1);
    memcpy(wrapped + sizeof(head) - 1, data, size);
    memcpy(wrapped + sizeof(head) - 1 + size, "}}", 2);
    try_config(wrapped, sizeof(head) - 1 + size + 2);
    free(wrapped);
    return 0;
}
