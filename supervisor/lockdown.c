/* --require-kernel-lockdown: the host's kernel lockdown level, read from securityfs
 * at every create (it can be raised at run time, never lowered). A level that cannot
 * be read is not assumed: the sandbox is refused, saying why. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sup.h"

#define LOCKDOWN_PATH "/sys/kernel/security/lockdown"

/* The file reads "none [integrity] confidentiality": the bracketed word is in force. */
static int current_level(struct nc_err *err)
{
        char buf[128] = { 0 }, *open_b, *close_b;
        int fd = open(LOCKDOWN_PATH, O_RDONLY | O_CLOEXEC);
        ssize_t n;

        if (fd < 0)
                return nc_err_set(err, "--require-kernel-lockdown: cannot read %s (%s): securityfs is not mounted or the "
                                  "kernel has no lockdown LSM, so the level cannot be confirmed",
                                  LOCKDOWN_PATH, strerror(errno));
        n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        open_b = n > 0 ? strchr(buf, '[') : NULL;
        close_b = open_b ? strchr(open_b, ']') : NULL;
        if (!close_b)
                return nc_err_set(err, "--require-kernel-lockdown: %s has no level in brackets", LOCKDOWN_PATH);
        *close_b = 0;
        int level = nc_lockdown_parse(open_b + 1);
        if (level < 0)
                return nc_err_set(err, "--require-kernel-lockdown: unknown lockdown level '%.32s' in %s", open_b + 1, LOCKDOWN_PATH);
        return level;
}

int sup_kernel_lockdown_check(int required, struct nc_err *err)
{
        int level;

        if (required <= NC_LOCKDOWN_NONE)
                return 0;
        level = current_level(err);
        if (level < 0)
                return level;
        if (level < required)
                return nc_err_set(err, "--require-kernel-lockdown %s: the kernel's lockdown is '%s' (accepted: %s; boot "
                                  "with lockdown=%s, or write it to %s)", nc_lockdown_name(required), nc_lockdown_name(level),
                                  required == NC_LOCKDOWN_INTEGRITY ? "integrity or confidentiality" : "confidentiality",
                                  nc_lockdown_name(required), LOCKDOWN_PATH);
        return 0;
}
