/* SPDX-License-Identifier: Apache-2.0 */
/* The bridge subnet's address pool. Leases live in memory and in one JSON file in the
 * state dir ({"subnet": "10.88.0.0/16", "leases": {"ID": "10.88.0.2", ...}}), rewritten
 * atomically (temporary file, fsync, rename) on every change, so a restarted nucleusd
 * knows which addresses were out. An address goes back to the pool only when its
 * sandbox's veth is gone; allocation continues after the last address handed out, so a
 * freed address is the last to be reused. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "macros.h"
#include "netpolicy.h"
#include "paths.h"

struct np_lease {
        char id[72];
        uint32_t addr;          /* host order */
};

struct np_ipam {
        const struct np_config *c;
        struct np_lease *leases;
        size_t n, cap;
        uint32_t first, last, next;     /* host order: .2 .. broadcast-1 */
};

static int save(const struct np_ipam *p)
{
        char tmp[PATH_MAX + 8], ip[INET_ADDRSTRLEN], subnet[INET_ADDRSTRLEN + 4];
        json_t *leases = json_object(), *j;
        _cleanup_free_ char *text = NULL;
        int fd, r = 0;
        size_t len;

        for (size_t i = 0; i < p->n; i++) {
                uint32_t a = htonl(p->leases[i].addr);
                json_object_set_new(leases, p->leases[i].id, json_string(inet_ntop(AF_INET, &a, ip, sizeof(ip))));
        }
        inet_ntop(AF_INET, &p->c->subnet, ip, sizeof(ip));
        snprintf(subnet, sizeof(subnet), "%s/%u", ip, p->c->prefix);
        j = json_pack("{s:s, s:o}", "subnet", subnet, "leases", leases);
        text = json_dumps(j, JSON_SORT_KEYS | JSON_INDENT(1));
        json_decref(j);
        if (!text)
                return -ENOMEM;
        len = strlen(text);
        snprintf(tmp, sizeof(tmp), "%s.tmp", p->c->lease_path);
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return -errno;
        if (write(fd, text, len) != (ssize_t)len || fsync(fd) < 0)
                r = nc_negerrno();
        close(fd);
        if (r == 0 && rename(tmp, p->c->lease_path) < 0)
                r = -errno;
        if (r < 0)
                (void)unlink(tmp);
        return r;
}

static int add(struct np_ipam *p, const char *id, uint32_t addr)
{
        if (p->n == p->cap) {
                size_t cap = p->cap ? p->cap * 2 : 64;
                struct np_lease *l = realloc(p->leases, cap * sizeof(*l));
                if (!l)
                        return -ENOMEM;
                p->leases = l;
                p->cap = cap;
        }
        snprintf(p->leases[p->n].id, sizeof(p->leases[p->n].id), "%s", id);
        p->leases[p->n++].addr = addr;
        return 0;
}

static bool taken(const struct np_ipam *p, uint32_t addr)
{
        for (size_t i = 0; i < p->n; i++)
                if (p->leases[i].addr == addr)
                        return true;
        return false;
}

int np_ipam_open(const struct np_config *c, struct np_ipam **ret, struct nc_err *err)
{
        _cleanup_free_ struct np_ipam *p = calloc(1, sizeof(*p));
        char dir[PATH_MAX], want[INET_ADDRSTRLEN + 4], ip[INET_ADDRSTRLEN];
        json_error_t jerr;
        json_t *j;
        int r;

        if (!p)
                return -ENOMEM;
        p->c = c;
        p->first = ntohl(c->subnet) + 2;
        p->last = ntohl(c->subnet) + (uint32_t)((1ull << (32 - c->prefix)) - 2);
        p->next = p->first;
        snprintf(dir, sizeof(dir), "%s", c->lease_path);
        *strrchr(dir, '/') = 0;
        if ((r = nc_mkdir_p(dir, 0700, false)) < 0)
                return nc_err_set_errno(err, r, "Failed to create '%s'", dir);
        inet_ntop(AF_INET, &c->subnet, ip, sizeof(ip));
        snprintf(want, sizeof(want), "%s/%u", ip, c->prefix);
        j = json_load_file(c->lease_path, 0, &jerr);
        if (j && strcmp(json_string_value(json_object_get(j, "subnet")) ?: "", want) == 0) {
                const char *id;
                json_t *v;
                struct in_addr a;

                json_object_foreach(json_object_get(j, "leases"), id, v) {
                        uint32_t h;
                        if (!json_is_string(v) || inet_pton(AF_INET, json_string_value(v), &a) != 1)
                                continue;
                        h = ntohl(a.s_addr);
                        if (h < p->first || h > p->last || taken(p, h) || add(p, id, h) < 0)
                                continue;
                        if (h >= p->next)
                                p->next = h + 1 > p->last ? p->first : h + 1;
                }
        }
        json_decref(j);
        *ret = TAKE_PTR(p);
        return 0;
}

void np_ipam_free(struct np_ipam *p)
{
        if (!p)
                return;
        free(p->leases);
        free(p);
}

size_t np_ipam_count(const struct np_ipam *p)
{
        return p ? p->n : 0;
}

int np_ipam_alloc(struct np_ipam *p, const char *id, uint32_t *ret_addr)
{
        uint32_t span = p->last - p->first + 1, a = p->next;
        int r;

        for (uint32_t k = 0; k < span; k++, a = a == p->last ? p->first : a + 1) {
                if (taken(p, a))
                        continue;
                if ((r = add(p, id, a)) < 0)
                        return r;
                if ((r = save(p)) < 0) {
                        p->n--;
                        return r;
                }
                p->next = a == p->last ? p->first : a + 1;
                *ret_addr = htonl(a);
                return 0;
        }
        return -EADDRNOTAVAIL;
}

int np_ipam_lookup(const struct np_ipam *p, const char *id, uint32_t *ret_addr)
{
        for (size_t i = 0; i < p->n; i++)
                if (strcmp(p->leases[i].id, id) == 0) {
                        *ret_addr = htonl(p->leases[i].addr);
                        return 0;
                }
        return -ENOENT;
}

static void drop(struct np_ipam *p, size_t i)
{
        p->leases[i] = p->leases[--p->n];
}

int np_ipam_release(struct np_ipam *p, const char *id)
{
        for (size_t i = 0; i < p->n; i++)
                if (strcmp(p->leases[i].id, id) == 0) {
                        drop(p, i);
                        return save(p);
                }
        return -ENOENT;
}

int np_ipam_sweep(struct np_ipam *p, np_live_fn live, void *userdata)
{
        int n = 0;

        for (size_t i = 0; i < p->n;)
                if (!live(p->leases[i].id, userdata)) {
                        drop(p, i);
                        n++;
                } else
                        i++;
        if (n) {
                int r = save(p);
                if (r < 0)
                        return r;
        }
        return n;
}
