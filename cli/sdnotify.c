/* SPDX-License-Identifier: Apache-2.0 */
/* nucleus run --sd-notify: the service manager's notify protocol, through libsystemd's
 * sd_notify(3). The library is opened only for this flag: linked into the CLI, it (and
 * what it pulls in) would be loaded by every `nucleus` command, whose start time is on
 * the path of every sandbox an agent platform starts. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "run.h"
#include "util.h"

#define RUN_LEAF "nucleus-run"

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

/* A service with Delegate=yes owns its cgroup: this process moves into a leaf of it
 * (cgroup v2 allows processes only in leaves once children have controllers), and
 * the sandbox's leaf goes beside ours, so the unit's limits, accounting and KillMode
 * cover the sandbox while a cgroup.kill of the sandbox spares us. Without delegation
 * (or as a non-root user, or without cgroup v2) the sandbox stays in nucleusd's tree,
 * and we say so. */
json_t *cli_sd_notify_placement(void)
{
        const char *mount = nc_cgroup2_mount();
        char own[4096], leaf[PATH_MAX], *slash;
        const char *why = NULL;
        int fd;

        if (getuid() != 0)
                why = "only root may place it";
        else if (!mount)
                why = "no cgroup2 hierarchy";
        else if (nc_proc_cgroup2(0, own, sizeof(own)) < 0 || !nc_cgroup_path_valid(own))
                why = "this process is in the root cgroup";
        if (!why && (slash = strrchr(own, '/')) && strcmp(slash + 1, RUN_LEAF) == 0) {
                *slash = 0;     /* moved already (an ExecStart run again in the same unit) */
                return nc_cgroup_path_valid(own) ? json_string(own) : NULL;
        }
        if (!why) {
                snprintf(leaf, sizeof(leaf), "%s%s/" RUN_LEAF, mount, own);
                if (mkdir(leaf, 0755) < 0 && errno != EEXIST)
                        why = strerror(errno);
        }
        if (!why) {
                snprintf(leaf, sizeof(leaf), "%s%s/" RUN_LEAF "/cgroup.procs", mount, own);
                fd = open(leaf, O_WRONLY | O_CLOEXEC);
                if (fd < 0 || write(fd, "0", 1) != 1)
                        why = strerror(errno);
                if (fd >= 0)
                        close(fd);
        }
        if (why) {
                fprintf(stderr, "nucleus: warning: --sd-notify: the sandbox's cgroup stays under nucleusd's (%s); "
                                "with Delegate=yes it goes into this service's cgroup\n", why);
                return NULL;
        }
        return json_string(own);
}
