/* SPDX-License-Identifier: Apache-2.0 */
/* Production's mount audit: after init has built the whole file system (rootfs,
 * volumes, secrets, context) and before Landlock, it reads its own
 * /proc/self/mountinfo and checks the flags every mount must carry. Setup code that
 * forgot a flag, a mount_setattr that silently did less than asked, a propagation
 * surprise: each shows here as a mount whose flags differ from the table, and the
 * sandbox does not start.
 *
 * Rules, by mount point:
 *   every mount                  nosuid (no set-id program anywhere in a sandbox)
 *   / and everything not below   nodev, except /dev's own binds of device nodes
 *   /usr /bin /sbin /lib* /nix /etc and below      ro, nodev
 *   /proc and below              ro, nodev, noexec
 *   /dev                         ro, noexec (its node binds keep the host's flags)
 *   /run/secrets, volumes (the claim's destinations), /tmp-like tmpfs    nodev, noexec
 */
#include "mount_audit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macros.h"

enum { F_RO = 1, F_NOSUID = 2, F_NODEV = 4, F_NOEXEC = 8 };

static bool under(const char *path, const char *dir)
{
        size_t n = strlen(dir);

        return strncmp(path, dir, n) == 0 && (path[n] == 0 || path[n] == '/');
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape(char *s)
{
        char *o = s;

        for (; *s; s++) {
                if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
                        *o++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
                        s += 3;
                } else
                        *o++ = *s;
        }
        *o = 0;
}

static unsigned parse_flags(const char *opts)
{
        unsigned f = 0;
        char buf[512], *save = NULL;

        snprintf(buf, sizeof(buf), "%s", opts);
        for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                if (strcmp(t, "ro") == 0)
                        f |= F_RO;
                else if (strcmp(t, "nosuid") == 0)
                        f |= F_NOSUID;
                else if (strcmp(t, "nodev") == 0)
                        f |= F_NODEV;
                else if (strcmp(t, "noexec") == 0)
                        f |= F_NOEXEC;
        }
        return f;
}

static const char *const system_dirs[] = { "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/nix", "/etc" };

static unsigned required(const char *mnt, const char *const *writable, size_t nwritable)
{
        if (under(mnt, "/proc"))
                return F_RO | F_NOSUID | F_NODEV | F_NOEXEC;
        if (strcmp(mnt, "/dev") == 0)
                return F_RO | F_NOSUID | F_NOEXEC;
        if (under(mnt, "/dev"))
                return F_NOSUID;        /* node binds, devpts, /dev/shm: their own flags */
        for (size_t i = 0; i < ARRAY_SIZE(system_dirs); i++)
                if (under(mnt, system_dirs[i]))
                        return F_RO | F_NOSUID | F_NODEV;
        if (under(mnt, "/run/secrets"))
                return F_NOSUID | F_NODEV | F_NOEXEC;
        for (size_t i = 0; i < nwritable; i++)
                if (under(mnt, writable[i]))
                        return F_NOSUID | F_NODEV | F_NOEXEC;
        return F_NOSUID | F_NODEV;
}

static void describe(unsigned f, char *buf, size_t cap)
{
        snprintf(buf, cap, "%s%s%s%s", f & F_RO ? "ro," : "", f & F_NOSUID ? "nosuid," : "", f & F_NODEV ? "nodev," : "",
                 f & F_NOEXEC ? "noexec," : "");
        if (*buf)
                buf[strlen(buf) - 1] = 0;
}

int sbx_mount_audit_stream(FILE *f, const char *const *volumes, size_t nvolumes, size_t *ret_checked,
                           struct sbx_failure *fail)
{
        char *line = NULL;
        size_t cap = 0, checked = 0;
        int r = 0;

        while (r == 0 && getline(&line, &cap, f) > 0) {
                /* id parent maj:min root mountpoint options ... */
                char *fields[6], *save = NULL, *p = line;
                int n = 0;

                for (char *t; n < 6 && (t = strtok_r(p, " ", &save)); p = NULL)
                        fields[n++] = t;
                if (n < 6)
                        continue;
                unescape(fields[4]);
                unsigned have = parse_flags(fields[5]), want = required(fields[4], volumes, nvolumes);

                checked++;
                if ((have & want) != want) {
                        char w[64], h[64];

                        describe(want, w, sizeof(w));
                        describe(have, h, sizeof(h));
                        sbx_failure_set(fail, "mount_audit", EPERM, "mount '%.200s' must be %s but is %s", fields[4], w,
                                        *h ? h : "rw with no restrictions");
                        r = -EPERM;
                }
        }
        free(line);
        if (r == 0 && checked == 0) {
                sbx_failure_set(fail, "mount_audit", ENOENT, "/proc/self/mountinfo lists no mounts");
                r = -ENOENT;
        }
        *ret_checked = checked;
        return r;
}

int sbx_mount_audit(const char *const *volumes, size_t nvolumes, size_t *ret_checked, struct sbx_failure *fail)
{
        FILE *f = fopen("/proc/self/mountinfo", "re");
        int r;

        if (!f) {
                sbx_failure_set(fail, "mount_audit", errno, "Failed to read /proc/self/mountinfo");
                return -errno;
        }
        r = sbx_mount_audit_stream(f, volumes, nvolumes, ret_checked, fail);
        fclose(f);
        return r;
}
