/* SPDX-License-Identifier: GPL-2.0-or-later */
/* linux.netDevices over raw rtnetlink (no libnl).
 *
 * Per device: look it up on the host (RTM_GETLINK), remember its permanent
 * addresses of global scope (RTM_GETADDR; the kernel drops addresses when a
 * device changes namespace), check the new name is free inside (the spec's
 * error; a `%d` template lets the kernel pick), move and rename it in one
 * RTM_NEWLINK with IFLA_NET_NS_FD and IFLA_IFNAME, then, through a socket opened
 * inside the container's namespace, set it up and add the addresses back.
 * Nothing is moved back on delete: config-linux.md says the runtime MUST
 * NOT; the kernel returns physical devices to the host when the namespace
 * dies and destroys virtual ones. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "netdev.h"
#include "util.h"

#define NL_BUF 8192

/* ---- validation ---------------------------------------------------------- */

bool netdev_name_valid(const char *name, bool allow_template, const char **why)
{
    const char *pct;

    if (name == NULL || name[0] == '\0') {
        *why = "empty name";
        return false;
    }
    if (strlen(name) >= IFNAMSIZ) {
        *why = "longer than 15 bytes (IFNAMSIZ)";
        return false;
    }
    if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
        *why = "`.` and `..` are not interface names";
        return false;
    }
    for (const char *p = name; *p; p++)
        if (*p == '/' || *p == ':' || isspace((unsigned char)*p)) {
            *why = "contains `/`, `:` or whitespace";
            return false;
        }
    pct = strchr(name, '%');
    if (pct != NULL && (!allow_template || pct[1] != 'd' || strchr(pct + 2, '%') != NULL)) {
        *why = allow_template ? "only one `%d` template is allowed" : "contains `%`";
        return false;
    }
    return true;
}

static const char *target_name(const struct oci_net_device_map *m, size_t i)
{
    const char *n = m->values[i].name;

    return n != NULL && n[0] != '\0' ? n : m->keys[i];
}

int netdev_validate(const struct oci_net_device_map *m, bool has_netns, struct ocirun_error *err)
{
    const char *why = NULL;

    if (m == NULL || m->len == 0)
        return 0;
    if (!has_netns)
        return error_make(err, 0,
                          "linux.netDevices: needs a network namespace of the container's "
                          "own (linux.namespaces has no `network`)");
    for (size_t i = 0; i < m->len; i++) {
        const char *to = target_name(m, i);
        if (!netdev_name_valid(m->keys[i], false, &why))
            return error_make(err, 0, "linux.netDevices: host device `%s`: %s", m->keys[i], why);
        if (!netdev_name_valid(to, true, &why))
            return error_make(err, 0, "linux.netDevices[%s].name `%s`: %s", m->keys[i], to, why);
        for (size_t j = 0; j < i; j++)
            if (strchr(to, '%') == NULL && strcmp(to, target_name(m, j)) == 0)
                return error_make(err, 0,
                                  "linux.netDevices: `%s` and `%s` would both be named `%s` "
                                  "in the container",
                                  m->keys[j], m->keys[i], to);
    }
    return 0;
}

/* ---- rtnetlink ------------------------------------------------------------ */

struct nlsock {
    int fd;
    uint32_t seq;
};

union nlbuf {
    struct nlmsghdr h;
    char data[NL_BUF];
};

static struct nlmsghdr *msg_init(union nlbuf *b, uint16_t type, uint16_t flags, const void *hdr,
                                 size_t hdrlen)
{
    struct nlmsghdr *h = &b->h;

    memset(b, 0, sizeof(*b));
    h->nlmsg_len = NLMSG_LENGTH(hdrlen);
    h->nlmsg_type = type;
    h->nlmsg_flags = NLM_F_REQUEST | flags;
    memcpy(NLMSG_DATA(h), hdr, hdrlen);
    return h;
}

static void msg_put(struct nlmsghdr *h, uint16_t type, const void *data, size_t len)
{
    struct rtattr *rta = (struct rtattr *)((char *)h + NLMSG_ALIGN(h->nlmsg_len));

    rta->rta_type = type;
    rta->rta_len = (unsigned short)RTA_LENGTH(len);
    if (len > 0)
        memcpy(RTA_DATA(rta), data, len);
    h->nlmsg_len = NLMSG_ALIGN(h->nlmsg_len) + RTA_ALIGN(rta->rta_len);
}

static int nl_open(struct nlsock *nl, struct ocirun_error *err)
{
    struct sockaddr_nl sa = {.nl_family = AF_NETLINK};

    nl->seq = 1;
    nl->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (nl->fd < 0)
        return error_make(err, errno, "open an rtnetlink socket");
    if (bind(nl->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        close(nl->fd);
        nl->fd = -1;
        return error_make(err, errno, "bind the rtnetlink socket");
    }
    return 0;
}

typedef int (*nl_cb)(const struct nlmsghdr *h, void *arg);

/* Sends h and reads the replies until the ack (or NLMSG_DONE of a dump),
 * calling cb for every other message. Returns 0 or -errno of the kernel. */
static int nl_talk(struct nlsock *nl, struct nlmsghdr *h, nl_cb cb, void *arg)
{
    union nlbuf in;
    uint32_t seq = nl->seq++;

    h->nlmsg_seq = seq;
    if (send(nl->fd, h, h->nlmsg_len, 0) < 0)
        return -errno;
    for (;;) {
        ssize_t n = recv(nl->fd, &in, sizeof(in), 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            return -EPIPE;
        for (struct nlmsghdr *m = &in.h; NLMSG_OK(m, (size_t)n); m = NLMSG_NEXT(m, n)) {
            if (m->nlmsg_seq != seq)
                continue;
            if (m->nlmsg_type == NLMSG_DONE)
                return 0;
            if (m->nlmsg_type == NLMSG_ERROR) {
                const struct nlmsgerr *e = NLMSG_DATA(m);
                return e->error;
            }
            if (cb != NULL && cb(m, arg) < 0)
                return -EPROTO;
            if (!(m->nlmsg_flags & NLM_F_MULTI) && !(h->nlmsg_flags & NLM_F_ACK))
                return 0;
        }
    }
}

/* ---- links ---------------------------------------------------------------- */

static int take_index(const struct nlmsghdr *h, void *arg)
{
    if (h->nlmsg_type == RTM_NEWLINK)
        *(int *)arg = ((const struct ifinfomsg *)NLMSG_DATA(h))->ifi_index;
    return 0;
}

static int link_index(struct nlsock *nl, const char *name)
{
    struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
    union nlbuf b;
    struct nlmsghdr *h = msg_init(&b, RTM_GETLINK, 0, &ifi, sizeof(ifi));
    int index = 0, r;

    msg_put(h, IFLA_IFNAME, name, strlen(name) + 1);
    r = nl_talk(nl, h, take_index, &index);
    if (r < 0)
        return r;
    return index > 0 ? index : -ENODEV;
}

struct index_set {
    int *v;
    size_t n;
};

static int collect_index(const struct nlmsghdr *h, void *arg)
{
    struct index_set *s = arg;

    if (h->nlmsg_type != RTM_NEWLINK)
        return 0;
    s->v = xrealloc(s->v, (s->n + 1) * sizeof(int));
    s->v[s->n++] = ((const struct ifinfomsg *)NLMSG_DATA(h))->ifi_index;
    return 0;
}

static int link_dump(struct nlsock *nl, struct index_set *s)
{
    struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
    union nlbuf b;

    return nl_talk(nl, msg_init(&b, RTM_GETLINK, NLM_F_DUMP, &ifi, sizeof(ifi)), collect_index, s);
}

static bool index_in(const struct index_set *s, int index)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i] == index)
            return true;
    return false;
}

static int link_move(struct nlsock *nl, int index, int nsfd, const char *newname)
{
    struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC, .ifi_index = index};
    union nlbuf b;
    struct nlmsghdr *h = msg_init(&b, RTM_NEWLINK, NLM_F_ACK, &ifi, sizeof(ifi));
    uint32_t fd = (uint32_t)nsfd;

    msg_put(h, IFLA_NET_NS_FD, &fd, sizeof(fd));
    if (newname != NULL)
        msg_put(h, IFLA_IFNAME, newname, strlen(newname) + 1);
    return nl_talk(nl, h, NULL, NULL);
}

static int link_up(struct nlsock *nl, int index)
{
    struct ifinfomsg ifi = {
        .ifi_family = AF_UNSPEC, .ifi_index = index, .ifi_flags = IFF_UP, .ifi_change = IFF_UP};
    union nlbuf b;

    return nl_talk(nl, msg_init(&b, RTM_NEWLINK, NLM_F_ACK, &ifi, sizeof(ifi)), NULL, NULL);
}

/* ---- addresses ------------------------------------------------------------ */

struct addr {
    struct ifaddrmsg ifa;
    uint32_t flags;
    unsigned char local[16], address[16], broadcast[4];
    size_t local_len, address_len;
    bool has_broadcast;
};

struct addr_set {
    int index;
    struct addr *v;
    size_t n;
};

static void copy_attr(const struct rtattr *rta, unsigned char *dst, size_t cap, size_t *len)
{
    size_t n = RTA_PAYLOAD(rta);

    if (n > cap)
        n = cap;
    memcpy(dst, RTA_DATA(rta), n);
    if (len)
        *len = n;
}

static void parse_addr_attrs(const struct nlmsghdr *h, struct addr *a)
{
    const struct ifaddrmsg *ifa = NLMSG_DATA(h);
    int len = (int)IFA_PAYLOAD(h);

    for (const struct rtattr *rta = IFA_RTA(ifa); RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
        if (rta->rta_type == IFA_LOCAL)
            copy_attr(rta, a->local, sizeof(a->local), &a->local_len);
        else if (rta->rta_type == IFA_ADDRESS)
            copy_attr(rta, a->address, sizeof(a->address), &a->address_len);
        else if (rta->rta_type == IFA_BROADCAST && RTA_PAYLOAD(rta) == 4) {
            copy_attr(rta, a->broadcast, sizeof(a->broadcast), NULL);
            a->has_broadcast = true;
        } else if (rta->rta_type == IFA_FLAGS && RTA_PAYLOAD(rta) == 4)
            memcpy(&a->flags, RTA_DATA(rta), 4);
    }
}

/* config-linux.md: the permanent addresses of global scope, any family. */
static int collect_addr(const struct nlmsghdr *h, void *arg)
{
    struct addr_set *s = arg;
    const struct ifaddrmsg *ifa = NLMSG_DATA(h);
    struct addr a;

    if (h->nlmsg_type != RTM_NEWADDR || (int)ifa->ifa_index != s->index)
        return 0;
    memset(&a, 0, sizeof(a));
    a.ifa = *ifa;
    a.flags = ifa->ifa_flags;
    parse_addr_attrs(h, &a);
    if (ifa->ifa_scope != RT_SCOPE_UNIVERSE || !(a.flags & IFA_F_PERMANENT))
        return 0;
    s->v = xrealloc(s->v, (s->n + 1) * sizeof(*s->v));
    s->v[s->n++] = a;
    return 0;
}

static int addr_dump(struct nlsock *nl, struct addr_set *s)
{
    struct ifaddrmsg ifa = {.ifa_family = AF_UNSPEC};
    union nlbuf b;

    return nl_talk(nl, msg_init(&b, RTM_GETADDR, NLM_F_DUMP, &ifa, sizeof(ifa)), collect_addr, s);
}

static int addr_add(struct nlsock *nl, const struct addr *a, int index)
{
    struct ifaddrmsg ifa = a->ifa;
    union nlbuf b;
    struct nlmsghdr *h;
    uint32_t flags = a->flags & ~(uint32_t)(IFA_F_TENTATIVE | IFA_F_DEPRECATED | IFA_F_DADFAILED);

    ifa.ifa_index = (uint32_t)index;
    ifa.ifa_flags = (unsigned char)(flags & 0xff);
    h = msg_init(&b, RTM_NEWADDR, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, &ifa, sizeof(ifa));
    if (a->local_len > 0)
        msg_put(h, IFA_LOCAL, a->local, a->local_len);
    if (a->address_len > 0)
        msg_put(h, IFA_ADDRESS, a->address, a->address_len);
    if (a->has_broadcast)
        msg_put(h, IFA_BROADCAST, a->broadcast, sizeof(a->broadcast));
    msg_put(h, IFA_FLAGS, &flags, sizeof(flags));
    return nl_talk(nl, h, NULL, NULL);
}

static const char *addr_text(const struct addr *a, char *buf, size_t len)
{
    const unsigned char *p = a->local_len > 0 ? a->local : a->address;
    size_t n = a->local_len > 0 ? a->local_len : a->address_len;
    size_t off = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < n && off + 4 < len; i++)
        off += (size_t)snprintf(buf + off, len - off, n == 4 ? "%s%u" : "%s%02x",
                                i == 0 ? "" : (n == 4 ? "." : (i % 2 ? "" : ":")), p[i]);
    return buf;
}

/* ---- namespaces ----------------------------------------------------------- */

/* A socket in the container's network namespace: sockets stay in the
 * namespace they were made in, so we go there only for socket(). */
static int nl_open_in(int nsfd, struct nlsock *nl, struct ocirun_error *err)
{
    cleanup_close int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    int r;

    if (self < 0)
        return error_make(err, errno, "open `/proc/self/ns/net`");
    if (setns(nsfd, CLONE_NEWNET) < 0)
        return error_make(err, errno, "enter the container's network namespace");
    r = nl_open(nl, err);
    if (setns(self, CLONE_NEWNET) < 0) {
        if (r == 0)
            close(nl->fd);
        nl->fd = -1;
        return error_make(err, errno, "return to the runtime's network namespace");
    }
    return r;
}

static int open_container_netns(pid_t pid, struct ocirun_error *err)
{
    char path[64];
    struct stat mine, theirs;
    int fd;

    snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return error_make(err, errno, "open `%s`", path);
    if (fstat(fd, &theirs) < 0 || stat("/proc/self/ns/net", &mine) < 0) {
        error_make(err, errno, "stat the network namespaces");
        close(fd);
        return -1;
    }
    if (mine.st_ino == theirs.st_ino && mine.st_dev == theirs.st_dev) {
        close(fd);
        return error_make(err, 0,
                          "linux.netDevices: the container shares the runtime's network "
                          "namespace; refusing to move host devices into it");
    }
    return fd;
}

/* ---- moving one device ---------------------------------------------------- */

struct move_ctx {
    struct nlsock host, ct;
    int nsfd;
};

/* The device's index inside, once moved: by name, or for a `%d` template
 * the one index that was not there before the move. */
static int find_moved(struct move_ctx *mc, const char *to, const struct index_set *before)
{
    struct index_set after = {0};
    int found = -ENODEV, r;

    if (strchr(to, '%') == NULL)
        return link_index(&mc->ct, to);
    r = link_dump(&mc->ct, &after);
    for (size_t i = 0; r == 0 && i < after.n; i++)
        if (!index_in(before, after.v[i]))
            found = found == -ENODEV ? after.v[i] : -EAGAIN;
    free(after.v);
    return r < 0 ? r : found;
}

static int restore_addrs(struct move_ctx *mc, const struct addr_set *addrs, int index,
                         const char *from, const char *to, struct ocirun_error *err)
{
    char text[64];

    for (size_t i = 0; i < addrs->n; i++) {
        int r = addr_add(&mc->ct, &addrs->v[i], index);
        if (r < 0 && r != -EEXIST)
            return error_make(err, -r,
                              "linux.netDevices: `%s` (now `%s`): add address %s/%u in the "
                              "container",
                              from, to, addr_text(&addrs->v[i], text, sizeof(text)),
                              addrs->v[i].ifa.ifa_prefixlen);
    }
    return 0;
}

static int move_error(int r, const char *from, const char *to, struct ocirun_error *err)
{
    if (r == -EEXIST)
        return error_make(err, EEXIST,
                          "linux.netDevices: `%s`: a device named `%s` already exists in the "
                          "container's network namespace",
                          from, to);
    return error_make(err, -r, "linux.netDevices: move `%s` into the container as `%s`", from, to);
}

static int move_one(struct move_ctx *mc, const char *from, const char *to, struct ocirun_error *err)
{
    struct addr_set addrs = {0};
    struct index_set before = {0};
    int index, r;

    index = link_index(&mc->host, from);
    if (index < 0)
        return error_make(err, -index, "linux.netDevices: host device `%s`", from);
    /* The kernel moves first and renames after, so a taken name would
     * fail only once the device is already inside: check it here. */
    if (strchr(to, '%') == NULL && link_index(&mc->ct, to) > 0)
        return move_error(-EEXIST, from, to, err);
    addrs.index = index;
    r = addr_dump(&mc->host, &addrs);
    if (r == 0 && strchr(to, '%') != NULL)
        r = link_dump(&mc->ct, &before);
    if (r < 0) {
        error_make(err, -r, "linux.netDevices: `%s`: list its addresses and links", from);
        goto out;
    }
    r = link_move(&mc->host, index, mc->nsfd, strcmp(from, to) == 0 ? NULL : to);
    if (r < 0) {
        move_error(r, from, to, err);
        goto out;
    }
    index = find_moved(mc, to, &before);
    if (index < 0) {
        r = error_make(err, -index, "linux.netDevices: find `%s` in the container", to);
        goto out;
    }
    r = link_up(&mc->ct, index);
    if (r < 0)
        error_make(err, -r, "linux.netDevices: set `%s` up in the container", to);
    else
        r = restore_addrs(mc, &addrs, index, from, to, err);
out:
    free(addrs.v);
    free(before.v);
    return r < 0 ? -1 : 0;
}

int netdev_move_all(const struct oci_net_device_map *m, pid_t pid, struct ocirun_error *err)
{
    struct move_ctx mc = {.host.fd = -1, .ct.fd = -1, .nsfd = -1};
    int r = 0;

    if (m == NULL || m->len == 0)
        return 0;
    mc.nsfd = open_container_netns(pid, err);
    if (mc.nsfd < 0)
        return -1;
    if (nl_open(&mc.host, err) < 0 || nl_open_in(mc.nsfd, &mc.ct, err) < 0)
        r = -1;
    for (size_t i = 0; r == 0 && i < m->len; i++)
        r = move_one(&mc, m->keys[i], target_name(m, i), err);
    if (mc.host.fd >= 0)
        close(mc.host.fd);
    if (mc.ct.fd >= 0)
        close(mc.ct.fd);
    close(mc.nsfd);
    return r;
}
