/* SPDX-License-Identifier: Apache-2.0 */
/* libocispec: parse and generate OCI runtime spec v1.3.0 documents.
 *
 * Every function returns 0 on success and -1 on failure; on failure *err
 * holds a malloc'd one-line message that names the JSON path, e.g.
 * "process.user.uid: expected unsigned 32-bit integer, got string".
 * Messages never repeat the file name: the caller adds it. Errors outside
 * any JSON member (syntax, truncation) give the line, column and byte.
 * Generated text is UTF-8, pretty-printed, ends with a newline, and lists
 * members in a fixed order; only present members are written.
 * The JSON library (yajl) never appears in this interface. */
#ifndef OCISPEC_H
#define OCISPEC_H

#include <stddef.h>

#include "oci_config.h"
#include "oci_state.h"
#include "oci_features.h"

#define OCI_SPEC_VERSION "1.3.0"

/* Limits applied to every document: bigger or deeper input is refused. */
#define OCI_MAX_DOCUMENT_SIZE (64u << 20)
#define OCI_MAX_NESTING       64

/* config.json */
int oci_config_parse_file(const char *path, struct oci_config **out, char **err);
int oci_config_parse_data(const char *data, size_t len, struct oci_config **out, char **err);
int oci_config_generate(const struct oci_config *cfg, char **json, size_t *len, char **err);
void oci_config_free(struct oci_config *cfg);

/* A lone `process` object, as `exec --process FILE` takes it. */
int oci_process_parse_file(const char *path, struct oci_process **out, char **err);
int oci_process_parse_data(const char *data, size_t len, struct oci_process **out, char **err);
int oci_process_generate(const struct oci_process *p, char **json, size_t *len, char **err);
void oci_process_free(struct oci_process *p);

/* A lone `linux.resources` object, as `update -r FILE` takes it. */
int oci_resources_parse_file(const char *path, struct oci_resources **out, char **err);
int oci_resources_parse_data(const char *data, size_t len, struct oci_resources **out, char **err);
void oci_resources_free(struct oci_resources *r);

/* state.json (runtime.md "State") */
int oci_state_parse_data(const char *data, size_t len, struct oci_state **out, char **err);
int oci_state_generate(const struct oci_state *s, char **json, size_t *len, char **err);
/* One line, no whitespace, no trailing newline (for hooks' stdin, logs). */
int oci_state_generate_compact(const struct oci_state *s, char **json, size_t *len, char **err);
void oci_state_free(struct oci_state *s);

/* The container process state sent to a seccomp agent (config-linux.md
 * "The Container Process State"); compact, one line. */
int oci_container_process_state_parse_data(const char *data, size_t len,
                                           struct oci_container_process_state **out, char **err);
int oci_container_process_state_generate(const struct oci_container_process_state *s, char **json,
                                         size_t *len, char **err);
void oci_container_process_state_free(struct oci_container_process_state *s);

/* features.json (features.md, features-linux.md) */
int oci_features_parse_data(const char *data, size_t len, struct oci_features **out, char **err);
int oci_features_generate(const struct oci_features *f, char **json, size_t *len, char **err);
void oci_features_free(struct oci_features *f);

/* Reads a whole regular file, refusing FIFOs, devices, directories and files
 * over OCI_MAX_DOCUMENT_SIZE without blocking. */
int oci_read_document(const char *path, char **data, size_t *len, char **err);

#endif
