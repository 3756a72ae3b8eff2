/* SPDX-License-Identifier: Apache-2.0 */
/* The socket the workload sends READY=1 to (NOTIFY_SOCKET). init binds it inside the
 * sandbox's own root, so nothing of the host is shown to the sandbox, and passes the
 * receiving end to nucleusd; init itself keeps no copy (it never reads it). */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl.h"
#include "notify_socket.h"
#include "spec.h"

int sbx_notify_socket_send(int ctl, unsigned uid, unsigned gid, struct sbx_failure *fail)
{
        struct sockaddr_un a = { .sun_family = AF_UNIX };
        int fd, r;

        _Static_assert(sizeof(NC_NOTIFY_SOCKET_PATH) <= sizeof(a.sun_path), "the notify socket's path fits");
        memcpy(a.sun_path, NC_NOTIFY_SOCKET_PATH, sizeof(NC_NOTIFY_SOCKET_PATH));
        if ((mkdir("/run", 0755) < 0 && errno != EEXIST) || (mkdir("/run/nucleus", 0755) < 0 && errno != EEXIST)) {
                r = -errno;
                sbx_failure_set(fail, "notify_socket", -r, "Failed to create /run/nucleus");
                return r;
        }
        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
                r = -errno;
                sbx_failure_set(fail, "notify_socket", -r, "Failed to create the notify socket");
                return r;
        }
        /* The workload's (and root's inside): other users of the sandbox cannot claim
         * readiness for it. */
        if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || chown(NC_NOTIFY_SOCKET_PATH, uid, gid) < 0 ||
            chmod(NC_NOTIFY_SOCKET_PATH, 0660) < 0) {
                r = -errno;
                close(fd);
                sbx_failure_set(fail, "notify_socket", -r, "Failed to bind the notify socket at %s", NC_NOTIFY_SOCKET_PATH);
                return r;
        }
        r = sbx_ctl_send_json(ctl, json_pack("{s:s}", "op", "notify_socket"), &fd, 1);
        close(fd);
        if (r < 0)
                sbx_failure_set(fail, "notify_socket", -r, "Failed to send the notify socket to nucleusd");
        return r;
}
