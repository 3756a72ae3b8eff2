/* SPDX-License-Identifier: Apache-2.0 */
/* The loopback interface of a new network namespace starts down.
 *
 * This runs in init between clone and claim, where nothing should allocate, so it is
 * one ioctl rather than libnl; everything else about links (bridge, veth, addresses,
 * routes) goes through libnl in netpolicy/ on the supervisor side. */
#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "macros.h"
#include "netns.h"

int sbx_netns_loopback_up(void)
{
        _cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        struct ifreq ifr;

        if (fd < 0)
                return -errno;
        memset(&ifr, 0, sizeof(ifr));
        strcpy(ifr.ifr_name, "lo");
        if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
                return -errno;
        ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
        if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
                return -errno;
        return 0;
}
