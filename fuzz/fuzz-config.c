/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target for libocispec: every input goes through the config,
 * process, state and features parsers. Whatever parses must generate,
 * the generated text must parse again, and generating that must give the
 * identical text; anything else aborts (a finding), as do crashes, leaks
 * (ASan) and undefined behaviour (UBSan). Build with `make fuzz`. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ocispec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef int (*parse_fn)(const char *, size_t, void **, char **);
typedef int (*generate_fn)(const void *, char **, size_t *, char **);
typedef void (*free_fn)(void *);

struct doc_ops {
    const char *name;
    parse_fn parse;
    generate_fn generate;
    free_fn free;
};

/* Typed wrappers, so no call goes through a mismatched function type. */
#define DOC_WRAPPERS(name, type, gen)                                                              \
    static int name##_parse(const char *d, size_t n, void **out, char **err)                       \
    {                                                                                              \
        type *o = NULL;                                                                            \
        int r = oci_##name##_parse_data(d, n, &o, err);                                            \
        *out = o;                                                                                  \
        return r;                                                                                  \
    }                                                                                              \
    static int name##_generate(const void *o, char **json, size_t *len, char **err)                \
    {                                                                                              \
        return gen(o, json, len, err);                                                             \
    }                                                                                              \
    static void name##_free(void *o)                                                               \
    {                                                                                              \
        oci_##name##_free(o);                                                                      \
    }

DOC_WRAPPERS(config, struct oci_config, oci_config_generate)
DOC_WRAPPERS(process, struct oci_process, oci_process_generate)
DOC_WRAPPERS(state, struct oci_state, oci_state_generate)
DOC_WRAPPERS(features, struct oci_features, oci_features_generate)

static int state_generate_compact(const void *o, char **json, size_t *len, char **err)
{
    return oci_state_generate_compact(o, json, len, err);
}

static const struct doc_ops docs[] = {
    {"config", config_parse, config_generate, config_free},
    {"process", process_parse, process_generate, process_free},
    {"state", state_parse, state_generate, state_free},
    {"state-compact", state_parse, state_generate_compact, state_free},
    {"features", features_parse, features_generate, features_free},
};

static void finding(const char *doc, const char *what, const char *detail)
{
    fprintf(stderr, "%s: %s: %s\n", doc, what, detail ? detail : "");
    abort();
}

static void round_trip(const struct doc_ops *ops, const char *data, size_t size)
{
    void *a = NULL, *b = NULL;
    char *err = NULL, *gen1 = NULL, *gen2 = NULL;
    size_t len1 = 0, len2 = 0;

    if (ops->parse(data, size, &a, &err) < 0) {
        if (a != NULL || err == NULL || err[0] == '\0')
            finding(ops->name, "failure without a message or with a result", err);
        free(err);
        return;
    }
    if (ops->generate(a, &gen1, &len1, &err) < 0)
        finding(ops->name, "parsed document does not generate", err);
    if (strlen(gen1) != len1)
        finding(ops->name, "generated length mismatch", gen1);
    if (ops->parse(gen1, len1, &b, &err) < 0)
        finding(ops->name, "generated document does not parse", err);
    if (ops->generate(b, &gen2, &len2, &err) < 0)
        finding(ops->name, "second generation failed", err);
    if (len1 != len2 || memcmp(gen1, gen2, len1) != 0)
        finding(ops->name, "generation is not stable", gen2);
    free(gen1);
    free(gen2);
    ops->free(a);
    ops->free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++)
        round_trip(&docs[i], (const char *)data, size);
    return 0;
}
