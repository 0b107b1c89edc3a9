/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The process object of `exec` (exec.h): runc's flags applied over the
 * container's own process, then the checks create would make. Pure (no
 * system state but the LSM mask it is given), so it is fuzzed
 * (fuzz/fuzz-process.c). */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "caps.h"
#include "exec.h"
#include "lsm.h"
#include "process.h"
#include "terminal.h"
#include "util.h"

static void strv_append(char ***v, size_t *n, const char *s)
{
    *v = xrealloc(*v, sizeof(char *) * (*n + 1));
    (*v)[(*n)++] = xstrdup(s);
}

/* runc appends --env; a NAME given twice would leave the first value in
 * effect for getenv, so the later one replaces it instead. */
static void env_set(struct oci_process *p, const char *kv)
{
    const char *eq = strchr(kv, '=');
    size_t n = eq ? (size_t)(eq - kv) : strlen(kv);

    for (size_t i = 0; i < p->env_len; i++) {
        if (p->env[i] && strncmp(p->env[i], kv, n) == 0 &&
            (p->env[i][n] == '=' || p->env[i][n] == '\0')) {
            free(p->env[i]);
            p->env[i] = xstrdup(kv);
            return;
        }
    }
    strv_append(&p->env, &p->env_len, kv);
}

/* "net_admin" and "CAP_NET_ADMIN" both name CAP_NET_ADMIN. */
static char *cap_name(const char *s)
{
    bool prefixed = strncasecmp(s, "CAP_", 4) == 0;
    char *name = xasprintf("%s%s", prefixed ? "" : "CAP_", s);

    for (char *c = name; *c; c++)
        *c = (char)toupper((unsigned char)*c);
    return name;
}

static void add_caps(struct oci_process *p, char *const *caps, size_t n)
{
    struct oci_capabilities *c;

    if (n == 0)
        return;
    if (p->capabilities == NULL)
        p->capabilities = xzalloc(sizeof(*p->capabilities));
    c = p->capabilities;
    for (size_t i = 0; i < n; i++) {
        cleanup_free char *name = cap_name(caps[i]);
        strv_append(&c->bounding, &c->bounding_len, name);
        strv_append(&c->effective, &c->effective_len, name);
        strv_append(&c->permitted, &c->permitted_len, name);
    }
}

static void apply_user(struct oci_process *p, const struct exec_request *req)
{
    if (p->user == NULL && (req->user_set || req->additional_gids_len > 0))
        p->user = xzalloc(sizeof(*p->user));
    if (req->user_set) {
        p->user->uid = req->uid;
        if (req->gid_set)
            p->user->gid = req->gid;
    }
    for (size_t i = 0; i < req->additional_gids_len; i++) {
        struct oci_user *u = p->user;
        u->additional_gids =
            xrealloc(u->additional_gids, sizeof(uint32_t) * (u->additional_gids_len + 1));
        u->additional_gids[u->additional_gids_len++] = req->additional_gids[i];
    }
}

static void set_string(char **dst, const char *value)
{
    if (value == NULL)
        return;
    free(*dst);
    *dst = xstrdup(value);
}

/* runc's exec flags over the container's own process. */
static void apply_overrides(struct oci_process *p, const struct exec_request *req)
{
    for (size_t i = 0; i < p->args_len; i++)
        free(p->args[i]);
    free(p->args);
    p->args = NULL;
    p->args_len = 0;
    for (size_t i = 0; i < req->args_len; i++)
        strv_append(&p->args, &p->args_len, req->args[i]);
    set_string(&p->cwd, req->cwd);
    set_string(&p->apparmor_profile, req->apparmor);
    set_string(&p->selinux_label, req->process_label);
    for (size_t i = 0; i < req->env_len; i++)
        env_set(p, req->env[i]);
    add_caps(p, req->caps, req->caps_len);
    p->terminal = req->tty;
    if (req->no_new_privs)
        p->no_new_privileges = true;
    apply_user(p, req);
}

int exec_process_prepare(struct oci_process *p, const struct exec_request *req,
                         const struct oci_personality *pers, unsigned lsm, struct ocirun_error *err)
{
    /* --process FILE is a whole process object: the flags are ignored
     * (runc's semantics). */
    if (req->process_path == NULL)
        apply_overrides(p, req);
    caps_validate(p->capabilities); /* unknown names: a warning, as for create */
    if (lsm_validate(p, NULL, lsm, err) < 0 || process_validate(p, pers, err) < 0)
        return -1;
    return terminal_check_request(p->terminal, req->detach, req->console_socket, err);
}
