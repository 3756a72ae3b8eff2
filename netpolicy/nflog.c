/* SPDX-License-Identifier: Apache-2.0 */
/* Egress denials as the kernel reports them: the egress chains log each denied packet
 * (at most 10 a second per sandbox) to an nflog group, with the sandbox's id as prefix
 * (nft.c). This reads that group through libnetfilter_log without blocking; the caller
 * polls the fd on its loop. A `log prefix` rule to the kernel log would not do: it is
 * dropped in a network namespace other than the initial one (nf_log_all_netns=0), and
 * nucleusd may well run in one. */
#include <errno.h>
#include <fcntl.h>
#include <libnetfilter_log/libnetfilter_log.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "netpolicy.h"

struct np_nflog {
        struct nflog_handle *h;
        struct nflog_g_handle *gh;
        np_denial_fn cb;
        void *userdata;
};

/* The network header of the logged packet: nflog copies from there. */
static void parse_ipv4(const uint8_t *p, size_t len, struct np_denial *d)
{
        size_t ihl;

        if (len < 20 || (p[0] >> 4) != 4 || (ihl = (size_t)(p[0] & 0xf) * 4) < 20 || len < ihl)
                return;
        d->proto = p[9];
        memcpy(&d->saddr, p + 12, 4);
        memcpy(&d->daddr, p + 16, 4);
        /* Ports are in the first fragment only. */
        if ((d->proto == IPPROTO_TCP || d->proto == IPPROTO_UDP) && ((p[6] & 0x1f) | p[7]) == 0 && len >= ihl + 4)
                d->dport = (uint16_t)(p[ihl + 2] << 8 | p[ihl + 3]);
}

static int on_packet(struct nflog_g_handle *gh, struct nfgenmsg *nfmsg, struct nflog_data *nfad, void *data)
{
        struct np_nflog *l = data;
        struct np_denial d = { .proto = -1 };
        char *payload = NULL;
        int len = nflog_get_payload(nfad, &payload);

        d.id = nflog_get_prefix(nfad);
        if (!d.id)
                d.id = "";
        if (len > 0)
                parse_ipv4((const uint8_t *)payload, (size_t)len, &d);
        l->cb(&d, l->userdata);
        return 0;
}

int np_nflog_open(uint16_t group, np_denial_fn cb, void *userdata, struct np_nflog **ret, struct nc_err *err)
{
        struct np_nflog *l = calloc(1, sizeof(*l));
        int fd, r;

        if (!l)
                return -ENOMEM;
        l->cb = cb;
        l->userdata = userdata;
        if (!(l->h = nflog_open())) {
                r = -errno ?: -EIO;
                nc_err_set_errno(err, r, "Failed to open an nflog socket");
                goto fail;
        }
        fd = nflog_fd(l->h);
        (void)fcntl(fd, F_SETFD, FD_CLOEXEC);
        (void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        if (!(l->gh = nflog_bind_group(l->h, group))) {
                /* EBUSY: another process reads that group in this network namespace. */
                r = -errno ?: -EIO;
                nc_err_set_errno(err, r, "Failed to bind nflog group %u", group);
                goto fail;
        }
        /* The IP header and the ports are enough for the log line. */
        if (nflog_set_mode(l->gh, NFULNL_COPY_PACKET, 96) < 0) {
                r = -errno ?: -EIO;
                nc_err_set_errno(err, r, "Failed to set the copy mode of nflog group %u", group);
                goto fail;
        }
        nflog_callback_register(l->gh, on_packet, l);
        *ret = l;
        return 0;
fail:
        np_nflog_free(l);
        return r;
}

int np_nflog_fd(const struct np_nflog *l)
{
        return nflog_fd(l->h);
}

int np_nflog_read(struct np_nflog *l)
{
        char buf[8192] __attribute__((aligned));
        int n = 0, lost = 0;

        for (;;) {
                ssize_t len = recv(nflog_fd(l->h), buf, sizeof(buf), MSG_DONTWAIT);

                if (len < 0 && errno == EINTR)
                        continue;
                if (len < 0 && errno == ENOBUFS) {
                        lost = 1;       /* the socket overflowed: some denials were counted, not logged */
                        continue;
                }
                if (len < 0)
                        return errno == EAGAIN ? (lost ? -ENOBUFS : n) : -errno;
                if (len == 0)
                        return n;
                nflog_handle_packet(l->h, buf, (int)len);
                n++;
        }
}

void np_nflog_free(struct np_nflog *l)
{
        if (!l)
                return;
        if (l->gh)
                nflog_unbind_group(l->gh);
        if (l->h)
                nflog_close(l->h);
        free(l);
}
