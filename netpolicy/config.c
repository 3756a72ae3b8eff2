/* SPDX-License-Identifier: Apache-2.0 */
/* nucleusd's --bridge and --bridge-subnet. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netpolicy.h"

int np_config_init(struct np_config *c, const char *bridge, const char *subnet, const char *state_dir,
                   struct nc_err *err)
{
        char buf[64], *slash, *end;
        struct in_addr a;
        unsigned long len;
        uint32_t mask;

        memset(c, 0, sizeof(*c));
        if (!bridge[0] || strlen(bridge) >= IFNAMSIZ || strpbrk(bridge, "/: \t\n") ||
            strncmp(bridge, NP_VETH_PREFIX, strlen(NP_VETH_PREFIX)) == 0)
                return nc_err_set(err, "invalid bridge name '%.32s': 1-15 characters, no '/', ':' or blanks, not "
                                  "starting with '" NP_VETH_PREFIX "' (the sandboxes' veths)", bridge);
        snprintf(c->bridge, sizeof(c->bridge), "%s", bridge);
        if (strlen(subnet) >= sizeof(buf))
                goto bad;
        strcpy(buf, subnet);
        if (!(slash = strchr(buf, '/')))
                goto bad;
        *slash++ = 0;
        len = strtoul(slash, &end, 10);
        if (*end || !*slash || len < 8 || len > 30 || inet_pton(AF_INET, buf, &a) != 1)
                goto bad;
        mask = htonl(~0u << (32 - len));
        if (a.s_addr & ~mask)
                return nc_err_set(err, "invalid bridge subnet '%.64s': host bits are set (did you mean %s/%lu?)", subnet,
                                  inet_ntop(AF_INET, &(struct in_addr){ a.s_addr & mask }, buf, sizeof(buf)), len);
        c->subnet = a.s_addr;
        c->prefix = (unsigned)len;
        c->gateway = htonl(ntohl(a.s_addr) + 1);
        if (strcmp(bridge, NP_BRIDGE_DEFAULT) == 0)
                snprintf(c->table, sizeof(c->table), "%s", NP_TABLE_DEFAULT);
        else
                snprintf(c->table, sizeof(c->table), "%s-%s", NP_TABLE_DEFAULT, bridge);
        /* nflog groups are per network namespace and a group has one reader: nucleusd's
         * with another bridge in the same namespace gets another group, derived from the
         * table name (FNV-1a) into 20000..29999; the default table's is 20000. */
        if (strcmp(c->table, NP_TABLE_DEFAULT) == 0)
                c->nflog_group = NP_NFLOG_GROUP_BASE;
        else {
                uint32_t h = 2166136261u;
                for (const char *p = c->table; *p; p++)
                        h = (h ^ (uint8_t)*p) * 16777619u;
                c->nflog_group = (uint16_t)(NP_NFLOG_GROUP_BASE + 1 + h % 9999);
        }
        snprintf(c->lease_path, sizeof(c->lease_path), "%s/network/%s.leases.json", state_dir, bridge);
        return 0;
bad:
        return nc_err_set(err, "invalid bridge subnet '%.64s': use A.B.C.D/N with N from 8 to 30 (10.88.0.0/16)", subnet);
}
