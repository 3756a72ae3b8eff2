/* SPDX-License-Identifier: Apache-2.0 */
/* nucleus run --sd-notify: the service manager's notify protocol, through libsystemd's
 * sd_notify(3). The library is opened only for this flag: linked into the CLI, it (and
 * what it pulls in) would be loaded by every `nucleus` command, whose start time is on
 * the path of every sandbox an agent platform starts. */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "run.h"

static int (*notify_fn)(int unset_environment, const char *state);

int cli_sd_notify_open(void)
{
        const char *sock = getenv("NOTIFY_SOCKET");
        void *lib;

        if (!sock || !*sock) {
                fprintf(stderr, "nucleus: --sd-notify needs $NOTIFY_SOCKET: use it as the ExecStart of a service with "
                                "Type=notify (and NotifyAccess=main or all)\n");
                return -EINVAL;
        }
        lib = dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
        if (!lib || !(notify_fn = (int (*)(int, const char *))dlsym(lib, "sd_notify"))) {
                fprintf(stderr, "nucleus: --sd-notify needs libsystemd.so.0 (Debian: libsystemd0): %s\n", dlerror());
                return -ENOENT;
        }
        return 0;
}

void cli_sd_notify(const char *state)
{
        int r = notify_fn ? notify_fn(0, state) : 0;

        if (r < 0)
                fprintf(stderr, "nucleus: warning: sd_notify(\"%s\") failed: %d\n", state, r);
}
