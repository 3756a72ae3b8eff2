/* SPDX-License-Identifier: Apache-2.0 */
/* The default agent-mode Landlock policy (sandbox's view, after pivot_root):
 *
 *   /                       read_dir (inherited: every directory can be listed)
 *   /usr /nix/store         read, execute   (+ /bin /sbin /lib* when real directories)
 *   /etc /proc              read
 *   /dev                    read
 *   /dev/{null,zero,full,tty,ptmx} and /dev/pts   read, write, truncate, ioctl
 *   /tmp /dev/shm           read, write, create, remove, rename; never execute
 *   /run/secrets /context   read
 *   everything else         nothing
 *
 * Handled: every file system right the kernel knows, plus (ABI >= 6) the signal and
 * abstract-unix-socket scopes. The TCP rights (ABI 4) are handled only when a policy
 * file lists ports: without port rules handling them would refuse every connect() and
 * bind(), loopback included. Otherwise the network is netns's and netpolicy/'s job.
 *
 * The policy degrades with the kernel (best effort, like every Landlock user must): a
 * right the ABI does not know is neither handled nor granted. sbx_landlock_report
 * records what is in effect. */
#include "landlock.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "macros.h"

/* Debian 12's <linux/landlock.h> stops at ABI 2; the rest is from the kernel UAPI. */
#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER (1ULL << 13)           /* ABI 2 */
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)        /* ABI 3 */
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15)       /* ABI 5 */
#endif
#ifndef LANDLOCK_ACCESS_NET_BIND_TCP
#define LANDLOCK_ACCESS_NET_BIND_TCP (1ULL << 0)        /* ABI 4: only with a policy's ports */
#endif
#ifndef LANDLOCK_ACCESS_NET_CONNECT_TCP
#define LANDLOCK_ACCESS_NET_CONNECT_TCP (1ULL << 1)     /* ABI 4: only with a policy's ports */
#endif
/* enum landlock_rule_type's second member and its attribute (ABI 4). */
#define LL_RULE_NET_PORT 2
struct ll_net_port_attr {
        uint64_t allowed_access;
        uint64_t port;
} __attribute__((packed));
#define LL_NET_TCP (LANDLOCK_ACCESS_NET_BIND_TCP | LANDLOCK_ACCESS_NET_CONNECT_TCP)
#ifndef LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET
#define LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0) /* ABI 6 */
#endif
#ifndef LANDLOCK_SCOPE_SIGNAL
#define LANDLOCK_SCOPE_SIGNAL (1ULL << 1)               /* ABI 6 */
#endif
/* ABI 7 added only landlock_restrict_self() flags for audit logging
 * (LANDLOCK_RESTRICT_SELF_LOG_*); with none set, denials by init are logged and
 * denials after the workload's execve() are not. Nothing here depends on them. */
#define LL_ABI_KNOWN 7

/* struct landlock_ruleset_attr as of ABI 6. The kernel takes a size and refuses unknown
 * trailing fields, so an older kernel gets only the prefix it knows. */
struct ll_ruleset_attr {
        uint64_t handled_access_fs;     /* ABI 1 */
        uint64_t handled_access_net;    /* ABI 4 */
        uint64_t scoped;                /* ABI 6 */
};

#define ll_offsetofend(type, field) (offsetof(type, field) + sizeof(((type *)0)->field))

#define LL_FS(x) LANDLOCK_ACCESS_FS_##x

/* Rights the kernel accepts on a rule for a non-directory (else EINVAL); all others
 * are about a directory's content. */
#define LL_FILE_RIGHTS                                                                             \
        (LL_FS(EXECUTE) | LL_FS(WRITE_FILE) | LL_FS(READ_FILE) | LL_FS(TRUNCATE) | LL_FS(IOCTL_DEV))

#define LL_R (LL_FS(READ_FILE) | LL_FS(READ_DIR))
#define LL_RX (LL_R | LL_FS(EXECUTE))
#define LL_DEV_RW (LL_FS(READ_FILE) | LL_FS(WRITE_FILE) | LL_FS(TRUNCATE) | LL_FS(IOCTL_DEV))
/* Scratch space: anything but execute and device nodes. */
#define LL_RW_NOEXEC                                                                               \
        (LL_R | LL_FS(WRITE_FILE) | LL_FS(TRUNCATE) | LL_FS(REMOVE_DIR) | LL_FS(REMOVE_FILE) |      \
         LL_FS(MAKE_DIR) | LL_FS(MAKE_REG) | LL_FS(MAKE_SOCK) | LL_FS(MAKE_FIFO) | LL_FS(MAKE_SYM) |  \
         LL_FS(REFER))

enum {
        LL_REAL_DIR = 1 << 0,   /* only when lstat() finds a directory, not a symlink */
};

struct ll_rule {
        const char *path;
        uint64_t access;
        unsigned flags;
};

static const struct ll_rule default_rules[] = {
        /* read_dir is inherited by every directory beneath a rule, so this lets the
         * workload list any directory of its view (names, not contents). Tolerable
         * because that view is a fresh root holding only what mounts.c put there; the
         * alternative, no rule, makes `ls /` fail. */
        { "/", LL_FS(READ_DIR), 0 },
        /* The kernel opens a dynamic binary's ELF interpreter for execution, so the
         * library directories need execute too, not just the bin ones. */
        { "/usr", LL_RX, 0 },
        /* On a merged-/usr host these are symlinks into /usr: already covered. */
        { "/bin", LL_RX, LL_REAL_DIR },
        { "/sbin", LL_RX, LL_REAL_DIR },
        { "/lib", LL_RX, LL_REAL_DIR },
        { "/lib64", LL_RX, LL_REAL_DIR },
        { "/lib32", LL_RX, LL_REAL_DIR },
        { "/libx32", LL_RX, LL_REAL_DIR },
        { "/nix/store", LL_RX, 0 },
        { "/etc", LL_R, 0 },
        { "/proc", LL_R, 0 },
        { "/dev", LL_R, 0 },
        { "/dev/null", LL_DEV_RW, 0 },
        { "/dev/zero", LL_DEV_RW, 0 },
        { "/dev/full", LL_DEV_RW, 0 },
        { "/dev/tty", LL_DEV_RW, 0 },
        { "/dev/ptmx", LL_DEV_RW, 0 },         /* in a sandbox, a symlink to pts/ptmx */
        { "/dev/pts", LL_DEV_RW | LL_FS(READ_DIR), 0 },
        /* Implied by /dev today; stated so that narrowing /dev cannot lose them. */
        { "/dev/random", LL_FS(READ_FILE), 0 },
        { "/dev/urandom", LL_FS(READ_FILE), 0 },
        { "/tmp", LL_RW_NOEXEC, 0 },
        { "/dev/shm", LL_RW_NOEXEC, 0 },
        { "/run/secrets", LL_R, 0 },
        { "/context", LL_R, 0 },
};

/* For docs/security.md (checked against this table by ctest). */
int sbx_landlock_rule_describe(size_t i, const char **ret_path, char *buf, size_t cap)
{
        static const struct { uint64_t bit; const char *name; } names[] = {
                { LL_FS(READ_FILE), "read" },       { LL_FS(READ_DIR), "list" },
                { LL_FS(EXECUTE), "execute" },      { LL_FS(WRITE_FILE), "write" },
                { LL_FS(TRUNCATE), "truncate" },    { LL_FS(IOCTL_DEV), "device-ioctl" },
                { LL_FS(MAKE_REG), "create" },      { LL_FS(REMOVE_FILE), "remove" },
                { LL_FS(REFER), "rename/link" },
        };
        size_t o = 0;

        if (i >= ARRAY_SIZE(default_rules))
                return -ENOENT;
        *ret_path = default_rules[i].path;
        buf[0] = 0;
        for (size_t k = 0; k < ARRAY_SIZE(names); k++)
                if (default_rules[i].access & names[k].bit)
                        o += (size_t)snprintf(buf + o, o < cap ? cap - o : 0, "%s%s", o ? ", " : "", names[k].name);
        if (default_rules[i].flags & LL_REAL_DIR && o < cap)
                snprintf(buf + o, cap - o, " (only where it is a real directory)");
        return 0;
}

static uint64_t fs_handled_for(int abi)
{
        uint64_t a = LL_FS(EXECUTE) | LL_FS(WRITE_FILE) | LL_FS(READ_FILE) | LL_FS(READ_DIR) |
                     LL_FS(REMOVE_DIR) | LL_FS(REMOVE_FILE) | LL_FS(MAKE_CHAR) | LL_FS(MAKE_DIR) |
                     LL_FS(MAKE_REG) | LL_FS(MAKE_SOCK) | LL_FS(MAKE_FIFO) | LL_FS(MAKE_BLOCK) |
                     LL_FS(MAKE_SYM);

        if (abi >= 2)
                a |= LL_FS(REFER);
        if (abi >= 3)
                a |= LL_FS(TRUNCATE);
        if (abi >= 5)
                a |= LL_FS(IOCTL_DEV);
        return a;
}

/* The kernel's ABI, or -ENOSYS (not built) / -EOPNOTSUPP (built, not enabled at boot). */
static int ll_abi_version(void)
{
        long v = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);

        return v < 0 ? nc_negerrno() : (int)v;
}

int sbx_landlock_abi(void)
{
        int v = ll_abi_version();

        return v < 0 ? 0 : v;
}

static int ll_fail(struct sbx_failure *fail, int r, const char *what, const char *path)
{
        sbx_failure_set(fail, "landlock", -r, "%s '%s'", what, path);
        return r;
}

/* One path_beneath rule. `access` is cut down to what the ruleset handles and, for a
 * non-directory, to the rights a file can carry; nothing left means no rule. */
static int add_path_rule(int ruleset, uint64_t handled, const char *path, uint64_t access,
                         bool optional, struct sbx_failure *fail)
{
        struct landlock_path_beneath_attr pb = { 0 };
        _cleanup_close_ int fd = -1;
        struct stat st;

        fd = open(path, O_PATH | O_CLOEXEC);
        if (fd < 0) {
                int r = nc_negerrno();

                if (optional && (r == -ENOENT || r == -ENOTDIR))
                        return 0;
                return ll_fail(fail, r, "Failed to open", path);
        }
        if (fstat(fd, &st) < 0)
                return ll_fail(fail, nc_negerrno(), "Failed to stat", path);
        if (!S_ISDIR(st.st_mode))
                access &= LL_FILE_RIGHTS;
        access &= handled;
        if (access == 0)
                return 0;
        pb.allowed_access = access;
        pb.parent_fd = fd;
        if (syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &pb, 0) < 0)
                return ll_fail(fail, nc_negerrno(), "Failed to add a Landlock rule for", path);
        return 0;
}

static bool is_real_dir(const char *path)
{
        struct stat st;

        return lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static const struct {
        const char *name;
        uint64_t access;
} policy_access[] = {
        { "read", LL_R },
        { "readdir", LL_FS(READ_DIR) },
        { "write", LL_FS(WRITE_FILE) | LL_FS(TRUNCATE) },
        { "execute", LL_FS(EXECUTE) },
        { "create", LL_FS(MAKE_REG) | LL_FS(MAKE_DIR) | LL_FS(MAKE_SYM) | LL_FS(MAKE_SOCK) | LL_FS(MAKE_FIFO) | LL_FS(REFER) },
        { "remove", LL_FS(REMOVE_FILE) | LL_FS(REMOVE_DIR) },
        { "all_except_execute", LL_RW_NOEXEC },
        { "all", LL_RW_NOEXEC | LL_FS(EXECUTE) },
};

/* [[ports]] port = N, access = ["bind", "connect"]: on error the policy is released. */
static int ports_from_json(const json_t *ports, struct sbx_landlock_policy *ret, struct nc_err *err)
{
        const json_t *entry;
        size_t i;

        if (!ports)
                return 0;
        if (!json_is_array(ports) || json_array_size(ports) > 256) {
                sbx_landlock_policy_done(ret);
                return nc_err_set(err, "ports must be an array ([[ports]]) of at most 256 entries");
        }
        ret->ports = calloc(json_array_size(ports) + 1, sizeof(*ret->ports));
        if (!ret->ports) {
                sbx_landlock_policy_done(ret);
                return -ENOMEM;
        }
        json_array_foreach(ports, i, entry) {
                const json_t *port = json_object_get(entry, "port"), *access = json_object_get(entry, "access"), *a;
                const char *key;
                json_t *v;
                size_t k;

                ret->nports = i + 1;
                json_object_foreach((json_t *)entry, key, v)
                        if (strcmp(key, "port") && strcmp(key, "access")) {
                                sbx_landlock_policy_done(ret);
                                return nc_err_set(err, "ports[%zu]: unknown key '%.32s' (accepted: port, access)", i, key);
                        }
                if (!json_is_integer(port) || json_integer_value(port) < 0 || json_integer_value(port) > 65535) {
                        sbx_landlock_policy_done(ret);
                        return nc_err_set(err, "ports[%zu].port must be an integer from 0 to 65535", i);
                }
                if (!json_is_array(access) || json_array_size(access) == 0) {
                        sbx_landlock_policy_done(ret);
                        return nc_err_set(err, "ports[%zu].access must be a non-empty array", i);
                }
                ret->ports[i].port = (uint64_t)json_integer_value(port);
                json_array_foreach(access, k, a) {
                        const char *w = json_string_value(a);

                        if (w && strcmp(w, "bind") == 0)
                                ret->ports[i].access |= LANDLOCK_ACCESS_NET_BIND_TCP;
                        else if (w && strcmp(w, "connect") == 0)
                                ret->ports[i].access |= LANDLOCK_ACCESS_NET_CONNECT_TCP;
                        else {
                                sbx_landlock_policy_done(ret);
                                return nc_err_set(err, "ports[%zu].access[%zu]: use bind or connect", i, k);
                        }
                }
        }
        return 0;
}

int sbx_landlock_policy_from_json(const json_t *j, struct sbx_landlock_policy *ret, struct nc_err *err)
{
        const json_t *rules = json_object_get(j, "rules"), *rule, *min = json_object_get(j, "min_abi");
        const char *key;
        json_t *v;
        size_t i;

        *ret = (struct sbx_landlock_policy){ .min_abi = 1 };
        if (!json_is_object(j))
                return nc_err_set(err, "a Landlock policy is a table: min_abi = N and [[rules]] path/access");
        json_object_foreach((json_t *)j, key, v)
                if (strcmp(key, "min_abi") && strcmp(key, "rules") && strcmp(key, "ports"))
                        return nc_err_set(err, "unknown key '%.32s' (accepted: min_abi, rules, ports)", key);
        if (min && (!json_is_integer(min) || json_integer_value(min) < 1 || json_integer_value(min) > LL_ABI_KNOWN))
                return nc_err_set(err, "min_abi must be an integer from 1 to %d", LL_ABI_KNOWN);
        if (min)
                ret->min_abi = (int)json_integer_value(min);
        if (!json_is_array(rules) || json_array_size(rules) > 256)
                return nc_err_set(err, "rules must be an array ([[rules]]) of at most 256 entries");
        ret->rules = calloc(json_array_size(rules) + 1, sizeof(*ret->rules));
        if (!ret->rules)
                return -ENOMEM;
        json_array_foreach(rules, i, rule) {
                const char *path = json_string_value(json_object_get(rule, "path"));
                const json_t *access = json_object_get(rule, "access"), *a;
                size_t k;

                json_object_foreach((json_t *)rule, key, v)
                        if (strcmp(key, "path") && strcmp(key, "access")) {
                                sbx_landlock_policy_done(ret);
                                return nc_err_set(err, "rules[%zu]: unknown key '%.32s' (accepted: path, access)", i, key);
                        }
                if (!path || path[0] != '/' || strlen(path) >= 4096 || strstr(path, "/../") || strstr(path, "/./")) {
                        sbx_landlock_policy_done(ret);
                        return nc_err_set(err, "rules[%zu].path must be an absolute path without . or .. components", i);
                }
                if (!json_is_array(access) || json_array_size(access) == 0) {
                        sbx_landlock_policy_done(ret);
                        return nc_err_set(err, "rules[%zu].access must be a non-empty array", i);
                }
                ret->rules[i].path = strdup(path);
                ret->nrules = i + 1;
                if (!ret->rules[i].path) {
                        sbx_landlock_policy_done(ret);
                        return -ENOMEM;
                }
                json_array_foreach(access, k, a) {
                        size_t n;

                        for (n = 0; n < ARRAY_SIZE(policy_access); n++)
                                if (json_is_string(a) && strcmp(json_string_value(a), policy_access[n].name) == 0)
                                        break;
                        if (n == ARRAY_SIZE(policy_access)) {
                                sbx_landlock_policy_done(ret);
                                return nc_err_set(err, "rules[%zu].access[%zu]: use read, write, execute, create, remove, "
                                                  "readdir, all or all_except_execute", i, k);
                        }
                        ret->rules[i].access |= policy_access[n].access;
                }
        }
        return ports_from_json(json_object_get(j, "ports"), ret, err);
}

void sbx_landlock_policy_done(struct sbx_landlock_policy *p)
{
        for (size_t i = 0; p->rules && i < p->nrules; i++)
                free(p->rules[i].path);
        free(p->rules);
        free(p->ports);
        *p = (struct sbx_landlock_policy){ 0 };
}

int sbx_landlock_apply_default(const struct sbx_landlock_extra *extra, size_t nextra,
                               struct sbx_landlock_report *report, struct sbx_failure *fail)
{
        return sbx_landlock_apply(NULL, extra, nextra, report, fail);
}

int sbx_landlock_apply(const struct sbx_landlock_policy *policy, const struct sbx_landlock_extra *extra, size_t nextra,
                       struct sbx_landlock_report *report, struct sbx_failure *fail)
{
        struct ll_ruleset_attr attr = { 0 };
        _cleanup_close_ int ruleset = -1;
        size_t attr_size;
        int abi, r;

        *report = (struct sbx_landlock_report){ 0 };

        abi = ll_abi_version();
        if (abi < 0) {
                if (abi == -ENOSYS || abi == -EOPNOTSUPP) {
                        sbx_failure_set(fail, "landlock", EOPNOTSUPP, "Landlock is unavailable: %s",
                                        abi == -ENOSYS ? "the kernel is built without it"
                                                       : "it is not enabled (lsm= at boot)");
                        return -EOPNOTSUPP;
                }
                sbx_failure_set(fail, "landlock", -abi, "Failed to query the Landlock ABI version");
                return abi;
        }
        report->abi = abi < LL_ABI_KNOWN ? abi : LL_ABI_KNOWN;
        if (policy && abi < policy->min_abi) {
                sbx_failure_set(fail, "landlock", EOPNOTSUPP, "the kernel offers Landlock ABI %d; the policy needs min_abi %d",
                                abi, policy->min_abi);
                return -EOPNOTSUPP;
        }

        const bool tcp = policy && policy->nports > 0;
        if (tcp && abi < 4) {
                sbx_failure_set(fail, "landlock", EOPNOTSUPP, "the kernel offers Landlock ABI %d; the policy's ports need ABI 4",
                                abi);
                return -EOPNOTSUPP;
        }

        attr.handled_access_fs = fs_handled_for(abi);
        attr_size = ll_offsetofend(struct ll_ruleset_attr, handled_access_fs);
        if (abi >= 4) {
                attr.handled_access_net = tcp ? LL_NET_TCP : 0;
                attr_size = ll_offsetofend(struct ll_ruleset_attr, handled_access_net);
        }
        if (abi >= 6) {
                attr.scoped = LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET | LANDLOCK_SCOPE_SIGNAL;
                attr_size = ll_offsetofend(struct ll_ruleset_attr, scoped);
        }

        ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr, attr_size, 0);
        if (ruleset < 0) {
                r = nc_negerrno();
                sbx_failure_set(fail, "landlock", -r, "Failed to create a Landlock ruleset (ABI %d)", abi);
                return r;
        }

        /* A policy file replaces the default rules; its paths must exist (the operator
         * named them), while the defaults skip what this sandbox does not have. */
        for (size_t i = 0; policy && i < policy->nrules; i++) {
                r = add_path_rule(ruleset, attr.handled_access_fs, policy->rules[i].path, policy->rules[i].access, false, fail);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; !policy && i < ARRAY_SIZE(default_rules); i++) {
                const struct ll_rule *rule = &default_rules[i];

                if ((rule->flags & LL_REAL_DIR) && !is_real_dir(rule->path))
                        continue;
                r = add_path_rule(ruleset, attr.handled_access_fs, rule->path, rule->access, true, fail);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; tcp && i < policy->nports; i++) {
                struct ll_net_port_attr np = { .allowed_access = policy->ports[i].access, .port = policy->ports[i].port };

                if (syscall(SYS_landlock_add_rule, ruleset, LL_RULE_NET_PORT, &np, 0) < 0) {
                        r = nc_negerrno();
                        sbx_failure_set(fail, "landlock", -r, "Failed to add a Landlock rule for TCP port %llu",
                                        (unsigned long long)np.port);
                        return r;
                }
        }
        /* Volumes: read, or read-write; never execute. */
        for (size_t i = 0; i < nextra; i++) {
                if (extra[i].path[0] != '/') {
                        sbx_failure_set(fail, "landlock", EINVAL, "Volume path '%s' is not absolute", extra[i].path);
                        return -EINVAL;
                }
                r = add_path_rule(ruleset, attr.handled_access_fs, extra[i].path, extra[i].writable ? LL_RW_NOEXEC : LL_R,
                                  false, fail);
                if (r < 0)
                        return r;
        }

        if (syscall(SYS_landlock_restrict_self, ruleset, 0) < 0) {
                r = nc_negerrno();
                sbx_failure_set(fail, "landlock", -r, "Failed to enforce the Landlock ruleset");
                return r;
        }

        report->refer = abi >= 2;
        report->truncate = abi >= 3;
        report->ioctl_dev = abi >= 5;
        report->scope_signal = abi >= 6;
        report->scope_abstract_unix = abi >= 6;
        report->tcp = tcp;
        return 0;
}

json_t *sbx_landlock_report_to_json(const struct sbx_landlock_report *r)
{
        const struct {
                bool on;
                const char *name;
        } extras[] = {
                { r->refer, "refer" },
                { r->truncate, "truncate" },
                { r->ioctl_dev, "ioctl_dev" },
                { r->scope_signal, "scope_signal" },
                { r->scope_abstract_unix, "scope_abstract_unix" },
                { r->tcp, "tcp" },
        };
        json_t *j = json_pack("{s:i, s:[]}", "abi", r->abi, "extras");
        json_t *list = json_object_get(j, "extras");

        if (!j)
                return NULL;
        for (size_t i = 0; i < ARRAY_SIZE(extras); i++)
                if (extras[i].on && json_array_append_new(list, json_string(extras[i].name)) < 0) {
                        json_decref(j);
                        return NULL;
                }
        return j;
}
