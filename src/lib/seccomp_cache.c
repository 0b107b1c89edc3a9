/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The compiled-BPF cache (seccomp_internal.h). Compiling the podman/Docker
 * default profile with libseccomp costs milliseconds on every create and
 * exec; the result only depends on the profile, the architecture, the
 * libseccomp build and the kernel, so it is kept under the state root:
 *
 *   <root>/.seccomp-cache@v1/<sha256 key in hex>.bpf   0600, in a 0700 dir
 *
 *   offset  0  magic "OCIRUNBF"
 *           8  u32 format version, u32 instruction count n
 *          16  u64 seccomp(2) flags, u32 notify (0/1), u32 zero
 *          32  the 32-byte key the file is stored under
 *          64  n struct sock_filter (8 bytes each)
 *   64 + 8n    SHA-256 of everything before it
 *
 * The file is written to a temporary name and renamed (a reader sees a
 * whole file or none). On load, anything but an exact match of size,
 * magic, version, key and checksum, a regular file of our euid with no
 * group/other access in a directory likewise, is a miss and the profile is
 * compiled again. The checksum catches torn or corrupted files; it is no
 * defence against someone who can write the state root, who could as well
 * edit the containers' state directly. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#ifdef HAVE_SECCOMP
#include <seccomp.h>
#endif

#include "log.h"
#include "rootdir.h"
#include "seccomp_internal.h"
#include "util.h"

#define CACHE_MAGIC   "OCIRUNBF"
#define CACHE_VERSION 1u
#define HEADER_LEN    64
/* More files than this and the directory is emptied before the next store:
 * an unbounded stream of distinct profiles must not fill the state root. */
#define CACHE_MAX_FILES 256

/* ---- the key -------------------------------------------------------------- */

static void put_u64(struct sha256_ctx *h, uint64_t v)
{
    uint8_t b[8];

    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    sha256_update(h, b, sizeof(b));
}

/* Length-prefixed, with NULL distinct from "": no two encodings collide. */
static void put_str(struct sha256_ctx *h, const char *s)
{
    put_u64(h, s == NULL ? UINT64_MAX : strlen(s));
    if (s != NULL)
        sha256_update(h, s, strlen(s));
}

static void put_strv(struct sha256_ctx *h, char *const *v, size_t n)
{
    put_u64(h, n);
    for (size_t i = 0; i < n; i++)
        put_str(h, v[i]);
}

static void put_environment(struct sha256_ctx *h)
{
    struct utsname u;

    put_str(h, "ocirun-seccomp-cache");
    put_u64(h, CACHE_VERSION);
    put_u64(h, sizeof(long));
#ifdef HAVE_SECCOMP
    const struct scmp_version *v = seccomp_version();
    put_u64(h, seccomp_arch_native());
    put_u64(h, v ? v->major : 0);
    put_u64(h, v ? v->minor : 0);
    put_u64(h, v ? v->micro : 0);
    /* the API level reflects what libseccomp found the kernel can do */
    put_u64(h, (uint64_t)seccomp_api_get());
#endif
    if (uname(&u) == 0) {
        put_str(h, u.release);
        put_str(h, u.version);
        put_str(h, u.machine);
    } else {
        put_str(h, NULL);
    }
}

void seccomp_cache_key(const struct oci_seccomp *s, uint8_t key[SHA256_DIGEST_LEN])
{
    struct sha256_ctx h;

    sha256_init(&h);
    put_environment(&h);
    put_str(&h, s->default_action);
    put_u64(&h, s->default_errno_ret_present);
    put_u64(&h, s->default_errno_ret);
    put_strv(&h, s->architectures, s->architectures_len);
    put_strv(&h, s->flags, s->flags_len);
    put_u64(&h, s->syscalls_len);
    for (size_t i = 0; i < s->syscalls_len; i++) {
        const struct oci_syscall *sc = &s->syscalls[i];

        put_strv(&h, sc->names, sc->names_len);
        put_str(&h, sc->action);
        put_u64(&h, sc->errno_ret_present);
        put_u64(&h, sc->errno_ret);
        put_u64(&h, sc->args_len);
        for (size_t k = 0; k < sc->args_len; k++) {
            put_u64(&h, sc->args[k].index);
            put_u64(&h, sc->args[k].value);
            put_u64(&h, sc->args[k].value_two_present);
            put_u64(&h, sc->args[k].value_two);
            put_str(&h, sc->args[k].op);
        }
    }
    sha256_final(&h, key);
}

/* ---- the file ------------------------------------------------------------ */

static void put_le(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, int n)
{
    uint64_t v = 0;

    for (int i = n - 1; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static char *file_name(const uint8_t key[SHA256_DIGEST_LEN])
{
    char hex[2 * SHA256_DIGEST_LEN + 1];

    sha256_hex(key, hex);
    return xasprintf("%s.bpf", hex);
}

/* Ours alone: owned by our euid, nobody else may write (or read) it. */
static bool private_to_us(const struct stat *st)
{
    return st->st_uid == geteuid() && (st->st_mode & 077) == 0;
}

/* The cache directory, created 0700 when create is set; -1 when absent or
 * not private. */
static int open_cache_dir(const char *root, bool create)
{
    cleanup_close int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    cleanup_close int fd = -1;
    struct stat st;

    if (rootfd < 0 && create && errno == ENOENT) {
        /* the first create under a new --root compiles before the
         * container's state directory (and so the root) exists */
        struct ocirun_error ignored = {0};

        if (rootdir_ensure(root, &ignored) < 0) {
            error_clear(&ignored);
            return -1;
        }
        rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    }
    if (rootfd < 0)
        return -1;
    if (create && mkdirat(rootfd, SECCOMP_CACHE_DIR, 0700) < 0 && errno != EEXIST)
        return -1;
    fd = openat(rootfd, SECCOMP_CACHE_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) < 0 || !private_to_us(&st)) {
        if (fd >= 0)
            log_debug("seccomp cache: `%s/%s` is not private to us, not used", root,
                      SECCOMP_CACHE_DIR);
        return -1;
    }
    return steal_fd(&fd);
}

static bool valid_file(const uint8_t *buf, size_t size, const uint8_t key[SHA256_DIGEST_LEN])
{
    uint8_t sum[SHA256_DIGEST_LEN];
    uint64_t n;

    if (size < HEADER_LEN + SHA256_DIGEST_LEN || (size - HEADER_LEN - SHA256_DIGEST_LEN) % 8 != 0)
        return false;
    n = get_le(buf + 12, 4);
    if (memcmp(buf, CACHE_MAGIC, 8) != 0 || get_le(buf + 8, 4) != CACHE_VERSION || n == 0 ||
        n > BPF_MAXINSNS || size != HEADER_LEN + 8 * n + SHA256_DIGEST_LEN ||
        get_le(buf + 24, 4) > 1 || get_le(buf + 28, 4) != 0 ||
        memcmp(buf + 32, key, SHA256_DIGEST_LEN) != 0)
        return false;
    sha256(buf, size - SHA256_DIGEST_LEN, sum);
    return memcmp(sum, buf + size - SHA256_DIGEST_LEN, SHA256_DIGEST_LEN) == 0;
}

static struct seccomp_program *program_from_file(const uint8_t *buf)
{
    struct seccomp_program *p = xzalloc(sizeof(*p));
    uint64_t n = get_le(buf + 12, 4);

    p->len = (unsigned short)n;
    p->insns = xmalloc(n * sizeof(*p->insns));
    for (uint64_t i = 0; i < n; i++) {
        const uint8_t *q = buf + HEADER_LEN + 8 * i;
        p->insns[i].code = (uint16_t)get_le(q, 2);
        p->insns[i].jt = q[2];
        p->insns[i].jf = q[3];
        p->insns[i].k = (uint32_t)get_le(q + 4, 4);
    }
    p->flags = (unsigned long)get_le(buf + 16, 8);
    p->notify = get_le(buf + 24, 4) == 1;
    return p;
}

int seccomp_cache_load(const char *root, const uint8_t key[SHA256_DIGEST_LEN],
                       struct seccomp_program **out)
{
    cleanup_close int dirfd = -1, fd = -1;
    cleanup_free char *name = file_name(key);
    cleanup_free uint8_t *buf = NULL;
    size_t max = HEADER_LEN + 8 * (size_t)BPF_MAXINSNS + SHA256_DIGEST_LEN;
    struct stat st;

    *out = NULL;
    if (root == NULL || (dirfd = open_cache_dir(root, false)) < 0)
        return 0;
    fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || !private_to_us(&st) ||
        st.st_size <= 0 || (size_t)st.st_size > max)
        return 0;
    buf = xmalloc((size_t)st.st_size);
    if (pread(fd, buf, (size_t)st.st_size, 0) != st.st_size ||
        !valid_file(buf, (size_t)st.st_size, key)) {
        log_debug("seccomp cache: `%s` is invalid, compiling again", name);
        return 0;
    }
    *out = program_from_file(buf);
    return 1;
}

/* Empties a cache that has grown past CACHE_MAX_FILES. */
static void trim_cache(int dirfd)
{
    int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    struct dirent *de;
    size_t n = 0;

    if (d == NULL) {
        if (fd >= 0)
            close(fd);
        return;
    }
    while ((de = readdir(d)) != NULL)
        n++;
    if (n > CACHE_MAX_FILES + 2) {
        rewinddir(d);
        while ((de = readdir(d)) != NULL)
            if (de->d_name[0] != '.')
                unlinkat(dirfd, de->d_name, 0);
    }
    closedir(d);
}

void seccomp_cache_store(const char *root, const uint8_t key[SHA256_DIGEST_LEN],
                         const struct seccomp_program *p)
{
    size_t size = HEADER_LEN + 8 * (size_t)p->len + SHA256_DIGEST_LEN;
    cleanup_free uint8_t *buf = xzalloc(size);
    cleanup_free char *name = file_name(key);
    cleanup_close int dirfd = -1;
    struct ocirun_error err = {0};

    if (root == NULL || p->len == 0 || (dirfd = open_cache_dir(root, true)) < 0)
        return;
    trim_cache(dirfd);
    memcpy(buf, CACHE_MAGIC, 8);
    put_le(buf + 8, CACHE_VERSION, 4);
    put_le(buf + 12, p->len, 4);
    put_le(buf + 16, p->flags, 8);
    put_le(buf + 24, p->notify ? 1 : 0, 4);
    memcpy(buf + 32, key, SHA256_DIGEST_LEN);
    for (size_t i = 0; i < p->len; i++) {
        uint8_t *q = buf + HEADER_LEN + 8 * i;
        put_le(q, p->insns[i].code, 2);
        q[2] = p->insns[i].jt;
        q[3] = p->insns[i].jf;
        put_le(q + 4, p->insns[i].k, 4);
    }
    sha256(buf, size - SHA256_DIGEST_LEN, buf + size - SHA256_DIGEST_LEN);
    if (write_file_atomic_at(dirfd, name, buf, size, 0600, &err) < 0) {
        log_debug("seccomp cache: %s", err.msg);
        error_clear(&err);
    }
}
