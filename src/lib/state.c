/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The state store (state.h): one directory per container under --root,
 * serialised with flock, state.json written atomically so readers that do
 * not lock (state, list) never see a half-written file. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup.h"
#include "companion.h"
#include "state.h"
#include "util.h"

#define STATE_FILE "state.json"
#define FIFO_FILE  "exec.fifo"
#define MAX_ID_LEN 1024
/* Bounds the recursion of container_state_remove: the state directory only
 * ever holds a couple of levels (e.g. a notify socket directory). */
#define MAX_REMOVE_DEPTH 8

bool container_id_valid(const char *id)
{
    size_t len;

    if (id == NULL)
        return false;
    len = strlen(id);
    if (len == 0 || len > MAX_ID_LEN || strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
        return false;
    for (const char *p = id; *p; p++) {
        unsigned char ch = (unsigned char)*p;
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || ch == '_' || ch == '+' || ch == '-' || ch == '.';
        if (!ok)
            return false;
    }
    return true;
}

static int check_id(const char *id, struct ocirun_error *err)
{
    if (!container_id_valid(id))
        return error_plain(err, EINVAL, "invalid container ID format");
    return 0;
}

int state_root_open(const char *root, bool create, int *rootfd, struct ocirun_error *err)
{
    int fd;

    if (root == NULL || root[0] == '\0')
        return error_plain(err, EINVAL, "state root directory not set");
    if (create && mkdir_p(root, 0700, err) < 0)
        return -1;
    fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return error_make(err, errno, "open state root `%s`", root);
    *rootfd = fd;
    return 0;
}

static struct container *container_new(const char *root, const char *id)
{
    struct container *c = xzalloc(sizeof(*c));

    c->root = xstrdup(root);
    c->id = xstrdup(id);
    c->dirfd = -1;
    c->lockfd = -1;
    return c;
}

/* Takes the exclusive lock on the container directory. A concurrent delete
 * may have removed the directory while we waited: then it is gone. */
static int container_lock(struct container *c, struct ocirun_error *err)
{
    struct stat st;

    c->lockfd = openat(c->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (c->lockfd < 0)
        return error_make(err, errno, "open `%s/%s`", c->root, c->id);
    while (flock(c->lockfd, LOCK_EX) < 0) {
        if (errno != EINTR)
            return error_make(err, errno, "lock `%s/%s`", c->root, c->id);
    }
    if (fstat(c->lockfd, &st) < 0)
        return error_make(err, errno, "stat `%s/%s`", c->root, c->id);
    if (st.st_nlink == 0)
        return error_plain(err, ENOENT, "container does not exist");
    return 0;
}

static int container_state_create_once(int rootfd, const char *root, const char *id,
                                       struct container **out, struct ocirun_error *err)
{
    cleanup_container struct container *c = NULL;

    if (mkdirat(rootfd, id, 0711) < 0) {
        if (errno == EEXIST)
            return error_plain(err, EEXIST, "container with given ID already exists");
        return error_make(err, errno, "mkdir `%s/%s`", root, id);
    }
    c = container_new(root, id);
    c->dirfd = openat(rootfd, id, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (c->dirfd < 0) {
        int saved = errno;
        if (saved == ENOENT) /* removed under us: ask for a retry */
            return error_make(err, ESTALE, "open `%s/%s`", root, id);
        unlinkat(rootfd, id, AT_REMOVEDIR);
        return error_make(err, saved, "open `%s/%s`", root, id);
    }
    if (container_lock(c, err) < 0) {
        if (err->errnum == ENOENT) /* removed under us: ask for a retry */
            err->errnum = ESTALE;
        else
            unlinkat(rootfd, id, AT_REMOVEDIR);
        return -1;
    }
    *out = steal_ptr(&c);
    return 0;
}

int container_state_create(const char *root, const char *id, struct container **out,
                           struct ocirun_error *err)
{
    cleanup_close int rootfd = -1;

    if (check_id(id, err) < 0)
        return -1;
    if (state_root_open(root, true, &rootfd, err) < 0)
        return -1;
    /* A concurrent delete -f may take the fresh (still empty) directory
     * for the leftover of a crashed create and remove it before we lock
     * it: that delete came first, so make the directory again. */
    for (int tries = 0;; tries++) {
        struct ocirun_error lerr = {0};
        if (container_state_create_once(rootfd, root, id, out, &lerr) == 0)
            return 0;
        if (lerr.errnum != ESTALE || tries >= 10) {
            error_take(err, lerr.errnum, steal_ptr(&lerr.msg));
            return -1;
        }
        error_clear(&lerr);
    }
}

static int container_read_state(struct container *c, struct ocirun_error *err)
{
    cleanup_free char *data = NULL;
    char *perr = NULL;
    size_t len = 0;
    struct ocirun_error rerr = {0};

    if (read_file_at(c->dirfd, STATE_FILE, &data, &len, &rerr) < 0) {
        int e = rerr.errnum;
        error_clear(&rerr);
        if (e == ENOENT)
            return error_plain(err, ENOENT, "container does not exist");
        return error_make(err, e, "read `%s/%s/%s`", c->root, c->id, STATE_FILE);
    }
    if (oci_state_parse_data(data, len, &c->state, &perr) < 0) {
        error_plain(err, EINVAL, "parse `%s/%s/%s`: %s", c->root, c->id, STATE_FILE,
                    perr ? perr : "invalid state");
        free(perr);
        return -1;
    }
    return 0;
}

/* Opens <root>/<id> (not its state) into a new handle, locked or not. */
static int container_open_dir(const char *root, const char *id, bool lock, struct container **out,
                              struct ocirun_error *err)
{
    cleanup_container struct container *c = NULL;
    cleanup_close int rootfd = -1;

    if (check_id(id, err) < 0)
        return -1;
    if (root == NULL)
        return error_plain(err, ENOENT, "container does not exist");
    rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0) {
        if (errno == ENOENT)
            return error_plain(err, ENOENT, "container does not exist");
        return error_make(err, errno, "open state root `%s`", root);
    }
    c = container_new(root, id);
    c->dirfd = openat(rootfd, id, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (c->dirfd < 0) {
        if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP)
            return error_plain(err, ENOENT, "container does not exist");
        return error_make(err, errno, "open `%s/%s`", root, id);
    }
    if (lock && container_lock(c, err) < 0)
        return -1;
    *out = steal_ptr(&c);
    return 0;
}

/* create saves a "creating" state as soon as it has made the cgroup, so
 * that delete -f can find the cgroup if create is killed.  While that create
 * still runs (it holds the lock), readers see no container yet, as in runc;
 * once it is dead the lock is free and the leftover shows as stopped. */
static bool creating_elsewhere(struct container *c)
{
    const char *status = c->state ? c->state->status : NULL;
    cleanup_close int fd = -1;

    if (status == NULL || strcmp(status, "creating") != 0)
        return false;
    fd = openat(c->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return false;
    /* the shared lock goes with the fd, at once */
    return flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
}

int container_load(const char *root, const char *id, bool lock, struct container **out,
                   struct ocirun_error *err)
{
    cleanup_container struct container *c = NULL;

    if (container_open_dir(root, id, lock, &c, err) < 0)
        return -1;
    if (container_read_state(c, err) < 0)
        return -1;
    if (!lock && creating_elsewhere(c))
        return error_plain(err, ENOENT, "container does not exist");
    *out = steal_ptr(&c);
    return 0;
}

int container_open_locked(const char *root, const char *id, struct container **out,
                          struct ocirun_error *err)
{
    return container_open_dir(root, id, true, out, err);
}

int container_save(struct container *c, struct ocirun_error *err)
{
    cleanup_free char *json = NULL;
    char *perr = NULL;
    size_t len = 0;

    if (c->dirfd < 0 || c->state == NULL)
        return error_plain(err, EINVAL, "save state of `%s`: no state", c->id);
    if (oci_state_generate(c->state, &json, &len, &perr) < 0) {
        error_plain(err, EINVAL, "generate state of `%s`: %s", c->id, perr ? perr : "error");
        free(perr);
        return -1;
    }
    /* No fsync: the state lives in a --root on tmpfs (/run) and means
     * nothing after a reboot; the rename alone keeps readers safe. */
    if (write_file_replace_at(c->dirfd, STATE_FILE, json, len, 0600, err) < 0)
        return error_wrap(err, "save state of `%s`", c->id);
    return 0;
}

/* The state letter (field 3) and start time (field 22) of /proc/PID/stat;
 * false when the process does not exist or the file is malformed. */
static bool proc_stat(pid_t pid, char *letter, unsigned long long *start)
{
    char path[64], buf[1024];
    cleanup_close int fd = -1;
    ssize_t n;
    char *p, *end;

    if (pid <= 0)
        return false;
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    n = read_all(fd, buf, sizeof(buf) - 1);
    if (n <= 0)
        return false;
    buf[n] = '\0';
    /* comm may contain spaces and ')': the fields start after the last ')'. */
    p = strrchr(buf, ')');
    if (p == NULL || p[1] != ' ' || p[2] == '\0')
        return false;
    *letter = p[2];
    p += 2;
    for (int field = 3; field < 22; field++) {
        p = strchr(p, ' ');
        if (p == NULL)
            return false;
        p++;
    }
    errno = 0;
    *start = strtoull(p, &end, 10);
    return errno == 0 && end != p && *start != 0;
}

unsigned long long proc_start_time(pid_t pid)
{
    unsigned long long start;
    char letter;

    return proc_stat(pid, &letter, &start) ? start : 0;
}

bool container_init_alive(struct container *c)
{
    struct oci_state *s = c->state;
    unsigned long long start;
    char letter;

    if (s == NULL || !s->pid_present || s->pid <= 0 || s->pid > INT_MAX)
        return false;
    if (!proc_stat((pid_t)s->pid, &letter, &start))
        return false;
    /* pid reuse: a different process now has this pid. */
    if (s->ocirun && s->ocirun->init_start_time_present && s->ocirun->init_start_time != start)
        return false;
    /* An exited init not yet reaped counts as stopped, as in runc. */
    return letter != 'Z' && letter != 'X' && letter != 'x';
}

int container_companion(struct container *c, struct ocirun_error *err)
{
    const struct ocirun_private_state *p = c->state->ocirun;

    return companion_exec_for(p ? p->cgroup_manager : NULL, err);
}

static bool container_paused(struct container *c)
{
    struct oci_state *s = c->state;
    struct cgroup *cg = NULL;
    const char *manager;
    bool frozen;

    if (s->ocirun == NULL || s->ocirun->cgroup_path == NULL)
        return false;
    manager = s->ocirun->cgroup_manager ? s->ocirun->cgroup_manager : "cgroupfs";
    if (cgroup_open(manager, s->ocirun->cgroup_path, &cg, NULL) < 0)
        return false;
    frozen = cgroup_is_frozen(cg);
    cgroup_free(cg);
    return frozen;
}

const char *container_status(struct container *c)
{
    if (!container_init_alive(c))
        return "stopped";
    if (c->dirfd >= 0 && faccessat(c->dirfd, FIFO_FILE, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
        return "created";
    if (container_paused(c))
        return "paused";
    return "running";
}

char *container_state_json(struct container *c, const char *status, struct ocirun_error *err)
{
    struct oci_state copy;
    char *json = NULL, *perr = NULL;
    size_t len = 0;

    if (c->state == NULL) {
        error_plain(err, EINVAL, "state of `%s`: not loaded", c->id);
        return NULL;
    }
    /* A shallow copy: the private object is dropped, the status is live. */
    copy = *c->state;
    copy.ocirun = NULL;
    if (status != NULL)
        copy.status = (char *)status;
    /* runc reports pid 0 for a stopped container: the pid may be reused. */
    if (copy.status != NULL && strcmp(copy.status, "stopped") == 0) {
        copy.pid = 0;
        copy.pid_present = true;
    }
    if (oci_state_generate(&copy, &json, &len, &perr) < 0) {
        error_plain(err, EINVAL, "generate state of `%s`: %s", c->id, perr ? perr : "error");
        free(perr);
        return NULL;
    }
    return json;
}

/* Removes everything inside dirfd, without following symlinks or crossing
 * into other file systems' trees deeper than the state layout needs. */
static int remove_contents(int dirfd, const char *what, int depth, struct ocirun_error *err)
{
    int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d;
    struct dirent *de;
    int ret = 0;

    if (fd < 0)
        return error_make(err, errno, "open `%s`", what);
    d = fdopendir(fd);
    if (d == NULL) {
        close(fd);
        return error_make(err, errno, "read `%s`", what);
    }
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (unlinkat(fd, de->d_name, 0) == 0 || errno == ENOENT)
            continue;
        if (errno != EISDIR || depth >= MAX_REMOVE_DEPTH) {
            ret = error_make(err, errno, "remove `%s/%s`", what, de->d_name);
            break;
        }
        int sub = openat(fd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sub < 0) {
            ret = error_make(err, errno, "open `%s/%s`", what, de->d_name);
            break;
        }
        cleanup_free char *subwhat = xasprintf("%s/%s", what, de->d_name);
        ret = remove_contents(sub, subwhat, depth + 1, err);
        close(sub);
        if (ret < 0)
            break;
        if (unlinkat(fd, de->d_name, AT_REMOVEDIR) < 0 && errno != ENOENT) {
            ret = error_make(err, errno, "remove `%s`", subwhat);
            break;
        }
    }
    closedir(d);
    return ret;
}

int container_state_remove(struct container *c, struct ocirun_error *err)
{
    cleanup_close int rootfd = -1;
    cleanup_free char *what = NULL;

    if (c->dirfd < 0)
        return 0;
    what = xasprintf("%s/%s", c->root, c->id);
    if (remove_contents(c->dirfd, what, 0, err) < 0)
        return -1;
    rootfd = open(c->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0)
        return error_make(err, errno, "open state root `%s`", c->root);
    if (unlinkat(rootfd, c->id, AT_REMOVEDIR) < 0 && errno != ENOENT)
        return error_make(err, errno, "remove `%s`", what);
    close(c->dirfd);
    c->dirfd = -1;
    return 0;
}

void container_free(struct container *c)
{
    if (c == NULL)
        return;
    if (c->lockfd >= 0)
        close(c->lockfd); /* releases the flock */
    if (c->dirfd >= 0)
        close(c->dirfd);
    if (c->state)
        oci_state_free(c->state);
    free(c->root);
    free(c->id);
    free(c);
}

void container_freep(struct container **c)
{
    container_free(*c);
}

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int state_list_ids(const char *root, char ***ids, size_t *n, struct ocirun_error *err)
{
    DIR *d;
    struct dirent *de;
    char **v = NULL;
    size_t len = 0, cap = 0;
    int fd;

    *ids = NULL;
    *n = 0;
    fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return 0; /* runc lists nothing on a missing root */
        return error_make(err, errno, "open state root `%s`", root);
    }
    d = fdopendir(fd);
    if (d == NULL) {
        close(fd);
        return error_make(err, errno, "read state root `%s`", root);
    }
    while ((de = readdir(d)) != NULL) {
        struct stat st;
        cleanup_free char *file = NULL;

        if (!container_id_valid(de->d_name))
            continue;
        /* Half-created directories (no state.json yet) and junk are skipped. */
        if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
            continue;
        file = xasprintf("%s/%s", de->d_name, STATE_FILE);
        if (fstatat(fd, file, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
            continue;
        if (len + 2 > cap)
            v = xrealloc(v, (cap = cap ? cap * 2 : 16) * sizeof(*v));
        v[len++] = xstrdup(de->d_name);
        v[len] = NULL;
    }
    closedir(d);
    if (len > 1)
        qsort(v, len, sizeof(*v), compare_strings);
    *ids = v;
    *n = len;
    return 0;
}
