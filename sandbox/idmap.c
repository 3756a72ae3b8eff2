/* SPDX-License-Identifier: Apache-2.0 */
/* User namespace maps, written by the zygote (which holds CAP_SETUID in the parent
 * namespace) for a child that waits until they exist: until then the child's files
 * would be owned by the overflow id and mkdir fails with EOVERFLOW. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "macros.h"
#include "sandbox.h"

static int write_file(const char *path, const char *data)
{
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
        ssize_t n;

        if (fd < 0)
                return -errno;
        n = write(fd, data, strlen(data));
        if (n < 0)
                return -errno;
        return (size_t)n == strlen(data) ? 0 : -EIO;
}

int sbx_idmap_write(pid_t pid, uint32_t base, uint32_t count)
{
        char path[64], map[64];
        int r;

        snprintf(map, sizeof(map), "0 %u %u\n", base, count);
        snprintf(path, sizeof(path), "/proc/%d/uid_map", (int)pid);
        if ((r = write_file(path, map)) < 0)
                return r;
        snprintf(path, sizeof(path), "/proc/%d/gid_map", (int)pid);
        return write_file(path, map);
}
