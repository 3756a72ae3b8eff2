/* SPDX-License-Identifier: Apache-2.0 */
/* nucleus run: the host paths its flags name (volumes, secrets, credentials, the
 * seccomp trace file), opened here as the caller, so a caller can only share what it
 * can open itself; nucleusd gets the descriptors. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "macros.h"
#include "run.h"
#include "spec.h"
#include "util.h"

void cli_run_opts_done(struct run_opts *ro)
{
        if (ro->rootfs_fd >= 0)
                close(ro->rootfs_fd);
        (void)cli_context_finish(&ro->context);
        if (ro->seccomp_log_fd >= 0)
                close(ro->seccomp_log_fd);
        for (int k = 0; k < POLICY_MAX; k++)
                cli_policy_done(&ro->policy[k]);
        for (size_t i = 0; i < ro->nvol; i++) {
                close(ro->vol[i].fd);
                free(ro->vol[i].dest);
        }
        for (size_t i = 0; i < ro->nsec; i++) {
                close(ro->sec[i].fd);
                free(ro->sec[i].dest);
        }
}

/* --secret SRC:DEST, --systemd-credential NAME:DEST ($CREDENTIALS_DIRECTORY/NAME).
 * We open the file; nucleusd hands the descriptor to the sandbox's init, which copies
 * the bytes into its /run/secrets tmpfs. */
int cli_run_add_secret(struct run_opts *ro, const char *val, bool credential)
{
        char *copy = strdup(val), *dest, path[4096];
        int fd;

        if (!copy)
                return -ENOMEM;
        dest = strchr(copy, ':');
        if (!dest || dest == copy || !dest[1] || ro->nsec >= RUN_VOLUMES_MAX) {
                fprintf(stderr, "nucleus: invalid %s '%s': use %s:DEST (at most %d)\n", credential ? "--systemd-credential" : "--secret",
                        val, credential ? "NAME" : "SRC", RUN_VOLUMES_MAX);
                free(copy);
                return -EINVAL;
        }
        *dest++ = 0;
        if (credential) {
                const char *dir = getenv("CREDENTIALS_DIRECTORY");
                if (!dir || !*dir || strchr(copy, '/')) {
                        fprintf(stderr, "nucleus: --systemd-credential %s: %s\n", copy,
                                strchr(copy, '/') ? "a credential name has no '/'" : "CREDENTIALS_DIRECTORY is not set (not a systemd service with LoadCredential=)");
                        free(copy);
                        return -EINVAL;
                }
                snprintf(path, sizeof(path), "%s/%s", dir, copy);
        } else
                snprintf(path, sizeof(path), "%s", copy);
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
                fprintf(stderr, "nucleus: secret '%s': %s\n", path, strerror(errno));
                free(copy);
                return -EINVAL;
        }
        ro->sec[ro->nsec].fd = fd;
        ro->sec[ro->nsec++].dest = strdup(dest);
        free(copy);
        return 0;
}


/* SRC:DEST[:ro|rw]. */
int cli_run_add_volume(struct run_opts *ro, const char *val)
{
        char *spec = strdup(val), *dest, *mode;
        bool readonly = false;

        if (!spec)
                return -ENOMEM;
        dest = strchr(spec, ':');
        mode = dest ? strchr(dest + 1, ':') : NULL;
        if (mode) {
                *mode++ = 0;
                if (strcmp(mode, "ro") != 0 && strcmp(mode, "rw") != 0) {
                        fprintf(stderr, "nucleus: invalid --volume '%s': the mode is ro or rw, not '%s'\n", val, mode);
                        free(spec);
                        return -EINVAL;
                }
                readonly = strcmp(mode, "ro") == 0;
        }
        if (!dest || dest == spec || !dest[1]) {
                fprintf(stderr, "nucleus: invalid --volume '%s': use SRC:DEST[:ro|rw]\n", val);
                free(spec);
                return -EINVAL;
        }
        *dest++ = 0;
        int r = cli_run_push_volume(ro, spec, dest, readonly, "volume source");
        free(spec);
        return r;
}

/* We open SRC: what we cannot open (or write, for rw), we cannot share. */
int cli_run_push_volume(struct run_opts *ro, const char *src, const char *dest, bool readonly, const char *what)
{
        int fd;

        if (ro->nvol >= RUN_VOLUMES_MAX) {
                fprintf(stderr, "nucleus: at most %d volumes\n", RUN_VOLUMES_MAX);
                return -EINVAL;
        }
        fd = open(src, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0 || (!readonly && faccessat(fd, "", W_OK, AT_EMPTY_PATH | AT_EACCESS) < 0)) {
                fprintf(stderr, "nucleus: %s '%s': %s%s\n", what, src, strerror(errno),
                        fd >= 0 ? " (writing; use :ro to share it read-only)" : "");
                if (fd >= 0)
                        close(fd);
                return -EINVAL;
        }
        ro->vol[ro->nvol].fd = fd;
        ro->vol[ro->nvol].dest = strdup(dest);
        ro->vol[ro->nvol++].readonly = readonly;
        return 0;
}

/* --seccomp-log FILE: opened (and truncated) by us, as the caller, only once every
 * other flag is valid, so a refused command line leaves the file alone. nucleusd
 * writes the trace through the descriptor when the sandbox ends; it takes regular
 * files only (O_NONBLOCK: a FIFO without a reader fails here instead of hanging). */
int cli_run_open_seccomp_log(struct nc_spec *spec, struct run_opts *ro)
{
        const char *path = spec->seccomp_log;
        char *abs;
        struct stat st;
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0644);

        if (fd < 0 && errno == ENXIO) {
                fprintf(stderr, "nucleus: --seccomp-log '%s': not a regular file (a FIFO without a reader)\n", path);
                return -EINVAL;
        }
        if (fd < 0) {
                fprintf(stderr, "nucleus: --seccomp-log '%s': %s\n", path, strerror(errno));
                return -errno;
        }
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
                fprintf(stderr, "nucleus: --seccomp-log '%s': not a regular file\n", path);
                close(fd);
                return -EINVAL;
        }
        ro->seccomp_log_fd = fd;
        /* inspect shows the file by its absolute name: a relative one means nothing
         * to someone reading it elsewhere. */
        if ((abs = realpath(path, NULL))) {
                free(spec->seccomp_log);
                spec->seccomp_log = abs;
        }
        return 0;
}

