/* SPDX-License-Identifier: Apache-2.0 */
#include "spec.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

/* Variables that let a caller inject code into every dynamically linked program; the
 * seed refused the first five in its CLI only. We refuse all of them in the validator,
 * so an API client cannot bypass the CLI. */
static const char *const denied_env[] = {
        "LD_PRELOAD", "LD_LIBRARY_PATH", "LD_AUDIT", "LD_DEBUG", "LD_PROFILE",
        "LD_DYNAMIC_WEAK", "LD_SHOW_AUXV", "LD_BIND_NOT", "LD_ORIGIN_PATH",
};

struct nc_spec *nc_spec_new(void)
{
        struct nc_spec *s = calloc(1, sizeof(*s));

        if (!s)
                return NULL;
        s->argv = calloc(1, sizeof(char *));
        s->env = calloc(1, sizeof(char *));
        s->seccomp_allow = calloc(1, sizeof(char *));
        s->rlimits = (struct nc_spec_rlimits){ NC_RLIMIT_DEFAULT, NC_RLIMIT_DEFAULT, NC_RLIMIT_DEFAULT,
                                               NC_RLIMIT_DEFAULT };
        s->limits = (struct nc_spec_limits){ .pids = NC_LIMIT_DEFAULT, .cpu_weight = NC_LIMIT_DEFAULT };
        if (!s->argv || !s->env || !s->seccomp_allow) {
                nc_spec_free(s);
                return NULL;
        }
        return s;
}

static void strv_free(char **v)
{
        if (v)
                for (char **p = v; *p; p++)
                        free(*p);
        free(v);
}

void nc_spec_free(struct nc_spec *s)
{
        if (!s)
                return;
        free(s->name);
        free(s->hostname);
        strv_free(s->argv);
        strv_free(s->env);
        strv_free(s->seccomp_allow);
        free(s->seccomp_log);
        free(s->cwd);
        for (size_t i = 0; i < s->ntmpfs; i++)
                free(s->tmpfs[i].dest);
        nc_spec_probe_done(&s->health);
        nc_spec_probe_done(&s->readiness);
        free(s);
}

json_t *nc_json_bytesn(const char *s, size_t n)
{
        json_t *v = memchr(s, 0, n) ? NULL : json_stringn(s, n);     /* NULL when not valid UTF-8 */
        _cleanup_free_ char *b64 = NULL;

        if (v)
                return v;
        b64 = malloc(nc_b64_encoded_len(n));
        if (!b64)
                return NULL;
        nc_b64_encode((const uint8_t *)s, n, b64);
        return json_pack("{s:s}", "base64", b64);
}

json_t *nc_json_bytes(const char *s)
{
        return nc_json_bytesn(s, strlen(s));
}

int nc_json_bytes_get(const json_t *v, char **ret, struct nc_err *err, const char *what)
{
        if (json_is_string(v)) {
                size_t n = json_string_length(v);
                const char *p = json_string_value(v);

                if (memchr(p, 0, n))
                        return nc_err_set(err, "%s contains a NUL byte", what);
                *ret = strdup(p);
                return *ret ? 0 : -ENOMEM;
        }
        if (json_is_object(v) && json_object_size(v) == 1 && json_is_string(json_object_get(v, "base64"))) {
                const json_t *b = json_object_get(v, "base64");
                size_t n = json_string_length(b);
                _cleanup_free_ char *out = malloc(n / 4 * 3 + 1);
                ssize_t k;

                if (!out)
                        return -ENOMEM;
                k = nc_b64_decode(json_string_value(b), n, (uint8_t *)out, n / 4 * 3);
                if (k < 0)
                        return nc_err_set(err, "%s: invalid base64", what);
                if (memchr(out, 0, (size_t)k))
                        return nc_err_set(err, "%s contains a NUL byte", what);
                out[k] = 0;
                *ret = TAKE_PTR(out);
                return 0;
        }
        return nc_err_set(err, "%s must be a string or {\"base64\": \"...\"}", what);
}

static int strv_from_json(const json_t *a, char ***ret, size_t *ret_n, size_t max,
                          struct nc_err *err, const char *what)
{
        size_t n = json_array_size(a);
        char **v;

        if (!json_is_array(a))
                return nc_err_set(err, "'%s' must be an array", what);
        if (n > max)
                return nc_err_set(err, "'%s' has %zu entries; at most %zu are accepted", what, n, max);
        v = calloc(n + 1, sizeof(char *));
        if (!v)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                char label[64];
                int r;

                snprintf(label, sizeof(label), "%s[%zu]", what, i);
                r = nc_json_bytes_get(json_array_get(a, i), &v[i], err, label);
                if (r < 0) {
                        strv_free(v);
                        return r;
                }
        }
        strv_free(*ret);
        *ret = v;
        *ret_n = n;
        return 0;
}

static json_t *strv_to_json(char *const *v)
{
        json_t *a = json_array();

        for (; a && v && *v; v++)
                json_array_append_new(a, nc_json_bytes(*v));
        return a;
}

static int optional_string(const json_t *j, const char *key, char **ret, struct nc_err *err)
{
        const json_t *v = json_object_get(j, key);

        if (!v || json_is_null(v))
                return 0;
        free(*ret);
        *ret = NULL;
        return nc_json_bytes_get(v, ret, err, key);
}

static const struct {
        const char *name;
        size_t offset;
} rlimit_fields[] = {
        { "nofile", offsetof(struct nc_spec_rlimits, nofile) },
        { "nproc", offsetof(struct nc_spec_rlimits, nproc) },
        { "memlock", offsetof(struct nc_spec_rlimits, memlock) },
        { "core", offsetof(struct nc_spec_rlimits, core) },
};

static int rlimits_from_json(const json_t *v, struct nc_spec_rlimits *ret, struct nc_err *err)
{
        const char *key;
        json_t *val;

        if (!v || json_is_null(v))
                return 0;
        if (!json_is_object(v))
                return nc_err_set(err, "'rlimits' must be an object like {\"nofile\": 1024}");
        json_object_foreach((json_t *)v, key, val) {
                size_t i;

                for (i = 0; i < ARRAY_SIZE(rlimit_fields); i++)
                        if (strcmp(key, rlimit_fields[i].name) == 0)
                                break;
                if (i == ARRAY_SIZE(rlimit_fields))
                        return nc_err_set(err, "unknown rlimit '%.32s' (accepted: nofile, nproc, memlock, core)", key);
                if (!json_is_integer(val) || json_integer_value(val) < 0)
                        return nc_err_set(err, "rlimit '%s' must be a non-negative integer", key);
                *(long long *)((char *)ret + rlimit_fields[i].offset) = json_integer_value(val);
        }
        return 0;
}

static json_t *rlimits_to_json(const struct nc_spec_rlimits *r)
{
        json_t *j = json_object();

        for (size_t i = 0; j && i < ARRAY_SIZE(rlimit_fields); i++) {
                long long v = *(const long long *)((const char *)r + rlimit_fields[i].offset);
                if (v != NC_RLIMIT_DEFAULT)
                        json_object_set_new(j, rlimit_fields[i].name, json_integer(v));
        }
        return j;
}

static const struct {
        const char *key;
        size_t offset;
} io_keys[] = {
        { "riops", offsetof(struct nc_spec_io, riops) }, { "wiops", offsetof(struct nc_spec_io, wiops) },
        { "rbps", offsetof(struct nc_spec_io, rbps) },   { "wbps", offsetof(struct nc_spec_io, wbps) },
};

int nc_spec_io_parse(const char *str, struct nc_spec_io *ret, struct nc_err *err)
{
        char buf[256], *save = NULL, *tok;
        unsigned maj, min;
        int n = 0;
        bool any = false;

        *ret = (struct nc_spec_io){ 0 };
        if (!str || strlen(str) >= sizeof(buf) || sscanf(str, "%u:%u%n", &maj, &min, &n) != 2 || (str[n] && str[n] != ' '))
                return nc_err_set(err, "invalid io limit '%.64s': use \"MAJ:MIN riops=N wiops=N rbps=N wbps=N\" (e.g. \"8:0 riops=1000 wbps=10485760\")", str ? str : "");
        ret->major = maj;
        ret->minor = min;
        snprintf(buf, sizeof(buf), "%s", str + n);
        for (tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
                char *eq = strchr(tok, '='), *end;
                size_t k;
                long long v;

                for (k = 0; eq && k < ARRAY_SIZE(io_keys); k++)
                        if ((size_t)(eq - tok) == strlen(io_keys[k].key) && strncmp(tok, io_keys[k].key, (size_t)(eq - tok)) == 0)
                                break;
                if (!eq || k == ARRAY_SIZE(io_keys))
                        return nc_err_set(err, "invalid io limit '%.64s': '%.32s' is not riops=, wiops=, rbps= or wbps=", str, tok);
                v = strtoll(eq + 1, &end, 10);
                if (*end || end == eq + 1 || v <= 0)
                        return nc_err_set(err, "invalid io limit '%.64s': '%.32s' needs a positive integer", str, tok);
                *(long long *)((char *)ret + io_keys[k].offset) = v;
                any = true;
        }
        if (!any)
                return nc_err_set(err, "invalid io limit '%.64s': name at least one of riops=, wiops=, rbps=, wbps=", str);
        return 0;
}

int nc_spec_tmpfs_parse(const char *str, struct nc_spec_tmpfs *ret, struct nc_err *err)
{
        char buf[1100], *parts[3] = { NULL }, *save = NULL, *tok;
        int n = 0;

        *ret = (struct nc_spec_tmpfs){ 0 };
        if (!str || strlen(str) >= sizeof(buf))
                return nc_err_set(err, "invalid tmpfs '%.64s': use DEST[:SIZE][:ro|rw]", str ? str : "");
        snprintf(buf, sizeof(buf), "%s", str);
        for (tok = strtok_r(buf, ":", &save); tok && n < 3; tok = strtok_r(NULL, ":", &save))
                parts[n++] = tok;
        if (tok || n == 0 || parts[0][0] != '/')
                return nc_err_set(err, "invalid tmpfs '%.64s': use DEST[:SIZE][:ro|rw] with an absolute DEST", str);
        for (int i = 1; i < n; i++) {
                uint64_t size;

                if (strcmp(parts[i], "ro") == 0 || strcmp(parts[i], "rw") == 0)
                        ret->readonly = strcmp(parts[i], "ro") == 0;
                else if (i == 1 && nc_parse_size(parts[i], &size) == 0 && size >= 4096 && size <= (1ull << 40))
                        ret->size = (long long)size;
                else if (i == 1 && nc_parse_size(parts[i], &size) == 0)   /* a size, but out of range: say so */
                        return nc_err_set(err, "invalid tmpfs '%.64s': size '%s' is out of range: from 4K to 1024G", str,
                                          parts[i]);
                else
                        return nc_err_set(err, "invalid tmpfs '%.64s': '%s' is neither a size (4K to 1024G with a K, M or G "
                                          "suffix: 64M) nor ro/rw", str, parts[i]);
        }
        ret->dest = strdup(parts[0]);
        return ret->dest ? 0 : -ENOMEM;
}

static int user_from_json(const json_t *v, struct nc_spec *s, struct nc_err *err)
{
        const json_t *uid = json_object_get(v, "uid"), *gid = json_object_get(v, "gid"), *groups = json_object_get(v, "groups"), *g;
        const char *key;
        json_t *val;
        size_t i;

        if (!v || json_is_null(v))
                return 0;
        if (!json_is_object(v))
                return nc_err_set(err, "'user' must be an object {\"uid\": N, \"gid\": N, \"groups\": [N, ...]}");
        json_object_foreach((json_t *)v, key, val)
                if (strcmp(key, "uid") && strcmp(key, "gid") && strcmp(key, "groups"))
                        return nc_err_set(err, "unknown user field '%.32s' (accepted: uid, gid, groups)", key);
        /* Both ids, always: a missing gid was taken as 0, so {"uid": 1000} ran the
         * process in the root group without anyone asking for it (the CLI, too, refuses
         * a numeric --user without --group). */
        if (!uid || !gid)
                return nc_err_set(err, "user needs both uid and gid (user.%s is missing): {\"uid\": N, \"gid\": N}",
                                  uid ? "gid" : "uid");
        if ((uid && (!json_is_integer(uid) || json_integer_value(uid) < 0 || json_integer_value(uid) > NC_ID_MAX)) ||
            (gid && (!json_is_integer(gid) || json_integer_value(gid) < 0 || json_integer_value(gid) > NC_ID_MAX)))
                return nc_err_set(err, "user.uid and user.gid must be integers from 0 to %d (the ids mapped inside)", NC_ID_MAX);
        s->uid = uid ? (unsigned)json_integer_value(uid) : 0;
        s->gid = gid ? (unsigned)json_integer_value(gid) : 0;
        if (groups && (!json_is_array(groups) || json_array_size(groups) > NC_SPEC_GROUPS_MAX))
                return nc_err_set(err, "user.groups must be an array of at most %d gids", NC_SPEC_GROUPS_MAX);
        json_array_foreach(groups, i, g) {
                if (!json_is_integer(g) || json_integer_value(g) < 0 || json_integer_value(g) > NC_ID_MAX)
                        return nc_err_set(err, "user.groups[%zu] must be an integer from 0 to %d", i, NC_ID_MAX);
                s->groups[i] = (unsigned)json_integer_value(g);
        }
        s->ngroups = json_array_size(groups);
        return 0;
}

static int tmpfs_from_json(const json_t *v, struct nc_spec *s, struct nc_err *err)
{
        const json_t *t;
        size_t i;

        if (!v || json_is_null(v))
                return 0;
        if (!json_is_array(v) || json_array_size(v) > NC_SPEC_TMPFS_MAX)
                return nc_err_set(err, "'tmpfs' must be an array of at most %d \"DEST[:SIZE][:ro|rw]\"", NC_SPEC_TMPFS_MAX);
        json_array_foreach(v, i, t) {
                if (!json_is_string(t))     /* it was "invalid tmpfs ''", naming nothing */
                        return nc_err_set(err, "tmpfs[%zu] must be a string \"DEST[:SIZE][:ro|rw]\"", i);
                int r = nc_spec_tmpfs_parse(json_string_value(t), &s->tmpfs[i], err);
                if (r < 0)
                        return r;
                s->ntmpfs = i + 1;
        }
        return 0;
}

static int limits_from_json(const json_t *v, struct nc_spec_limits *l, struct nc_err *err)
{
        const char *key;
        json_t *val;

        if (!v || json_is_null(v))
                return 0;
        if (!json_is_object(v))
                return nc_err_set(err, "'limits' must be an object like {\"memory\": 536870912, \"pids\": 256}");
        json_object_foreach((json_t *)v, key, val) {
                if (strcmp(key, "swap") == 0) {
                        if (!json_is_boolean(val))
                                return nc_err_set(err, "limits.swap must be true or false");
                        l->swap = json_is_true(val);
                        continue;
                }
                if (strcmp(key, "io") == 0) {
                        size_t i;
                        json_t *e;

                        if (!json_is_array(val) || json_array_size(val) > NC_IO_MAX_DEVICES)
                                return nc_err_set(err, "limits.io must be an array of at most %d strings \"MAJ:MIN riops=N ...\"", NC_IO_MAX_DEVICES);
                        json_array_foreach(val, i, e) {
                                if (!json_is_string(e))     /* it was "invalid io limit ''", naming nothing */
                                        return nc_err_set(err, "limits.io[%zu] must be a string \"MAJ:MIN riops=N ...\"", i);
                                int r = nc_spec_io_parse(json_string_value(e), &l->io[i], err);
                                if (r < 0)
                                        return r;
                        }
                        l->nio = json_array_size(val);
                        continue;
                }
                if (strcmp(key, "memory") && strcmp(key, "cpu_millis") && strcmp(key, "cpu_weight") && strcmp(key, "pids"))
                        return nc_err_set(err, "unknown limit '%.32s' (accepted: memory, swap, cpu_millis, cpu_weight, pids, io)", key);
                if (!json_is_integer(val) || json_integer_value(val) < 0)
                        return nc_err_set(err, "limits.%.32s must be a non-negative integer", key);
                long long x = json_integer_value(val);
                if (strcmp(key, "memory") == 0) {
                        if (x != 0 && x < 4 * 1024 * 1024)
                                return nc_err_set(err, "limits.memory=%lld is below 4 MiB, too little to start a sandbox", x);
                        l->memory = x;
                } else if (strcmp(key, "cpu_millis") == 0) {
                        if (x != 0 && (x < 10 || x > 1000000))
                                return nc_err_set(err, "limits.cpu_millis must be from 10 (0.01 CPU) to 1000000, or 0 for none");
                        l->cpu_millis = x;
                } else if (strcmp(key, "cpu_weight") == 0) {
                        if (x < 1 || x > 10000)
                                return nc_err_set(err, "limits.cpu_weight must be from 1 to 10000");
                        l->cpu_weight = x;
                } else if (strcmp(key, "pids") == 0) {
                        if (x > 4194304)
                                return nc_err_set(err, "limits.pids must be at most 4194304 (0 = unlimited)");
                        l->pids = x;
                } else
                        return nc_err_set(err, "unknown limit '%.32s' (accepted: memory, swap, cpu_millis, cpu_weight, pids, io)", key);
        }
        return 0;
}

static const char *const lockdown_names[] = { "none", "integrity", "confidentiality" };

const char *nc_lockdown_name(int level)
{
        return nc_name_at(lockdown_names, ARRAY_SIZE(lockdown_names), level);
}

static const char *const mode_names[] = { "agent", "strict-agent", "production" };
static const char *const trust_names[] = { "untrusted", "trusted" };

int nc_spec_fields_only(const json_t *obj, const char *what, const char *const *known, size_t n, struct nc_err *err)
{
        const char *key;
        json_t *v;

        json_object_foreach((json_t *)obj, key, v) {
                bool ok = false;

                for (size_t i = 0; i < n && !ok; i++)
                        ok = strcmp(key, known[i]) == 0;
                if (!ok) {
                        char list[512] = "";
                        for (size_t i = 0; i < n; i++)
                                snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? ", " : "", known[i]);
                        return nc_err_set(err, "unknown %s field '%.64s' (accepted: %s)", what, key, list);
                }
        }
        return 0;
}

int nc_name_index(const char *const *names, size_t n, const char *s)
{
        for (size_t i = 0; s && i < n; i++)
                if (strcmp(s, names[i]) == 0)
                        return (int)i;
        return -EINVAL;
}

const char *nc_name_at(const char *const *names, size_t n, int i)
{
        return i >= 0 && (size_t)i < n ? names[i] : "unknown";
}

int nc_lockdown_parse(const char *s)
{
        return nc_name_index(lockdown_names, ARRAY_SIZE(lockdown_names), s);
}

int nc_service_mode_parse(const char *s)
{
        if (s && strcmp(s, "mitos-agent") == 0)
                return NC_MODE_STRICT_AGENT;
        return nc_name_index(mode_names, ARRAY_SIZE(mode_names), s);
}

const char *nc_service_mode_name(int mode)
{
        return nc_name_at(mode_names, ARRAY_SIZE(mode_names), mode);
}

int nc_trust_level_parse(const char *s)
{
        return nc_name_index(trust_names, ARRAY_SIZE(trust_names), s);
}

const char *nc_trust_level_name(int level)
{
        return nc_name_at(trust_names, ARRAY_SIZE(trust_names), level);
}

/* An optional string field that must be one of a fixed set of names. */
static int enum_from_json(const json_t *j, const char *key, int (*parse)(const char *), const char *accepted, int *ret,
                          struct nc_err *err)
{
        const json_t *v = json_object_get(j, key);
        int r;

        if (!v || json_is_null(v))
                return 0;
        r = parse(json_string_value(v));
        if (r < 0)
                return nc_err_set(err, "'%s' must be one of %s", key, accepted);
        *ret = r;
        return 0;
}

static const char *const seccomp_mode_names[] = { "enforce", "trace" };

int nc_seccomp_mode_parse(const char *s)
{
        return nc_name_index(seccomp_mode_names, ARRAY_SIZE(seccomp_mode_names), s);
}

const char *nc_seccomp_mode_name(int mode)
{
        return nc_name_at(seccomp_mode_names, ARRAY_SIZE(seccomp_mode_names), mode);
}

int nc_spec_from_json(const json_t *j, struct nc_spec **ret, struct nc_err *err)
{
        static const char *const known[] = { "name", "hostname", "args", "env", "cwd", "seccomp_allow", "rlimits",
                                             "allow_degraded_security", "limits", "user", "tmpfs", "require_kernel_lockdown",
                                             "service_mode", "trust_level", "seccomp_mode", "seccomp_log",
                                             "time_namespace", "cgroup_namespace", "proc_rw", "seccomp_log_denied",
                                             "network", "health", "readiness", "restart" };
        _cleanup_spec_ struct nc_spec *s = NULL;
        json_t *v;
        int r;

        if (!j)     /* sandbox.create without one */
                return nc_err_set(err, "parameter 'spec' is required: {\"args\": [\"CMD\", ...], ...}");
        if (!json_is_object(j))
                return nc_err_set(err, "the spec must be a JSON object");
        if ((r = nc_spec_fields_only(j, "spec", known, ARRAY_SIZE(known), err)) < 0)
                return r;
        s = nc_spec_new();
        if (!s)
                return -ENOMEM;
        if ((r = optional_string(j, "name", &s->name, err)) < 0 ||
            (r = optional_string(j, "hostname", &s->hostname, err)) < 0 ||
            (r = optional_string(j, "cwd", &s->cwd, err)) < 0 ||
            (r = optional_string(j, "seccomp_log", &s->seccomp_log, err)) < 0)
                return r;
        v = json_object_get(j, "seccomp_mode");
        if (v && !json_is_null(v)) {
                int mode = nc_seccomp_mode_parse(json_string_value(v));
                if (mode < 0)
                        return nc_err_set(err, "'seccomp_mode' must be \"enforce\" or \"trace\"");
                s->seccomp_mode = mode;
        }
        v = json_object_get(j, "args");
        if (!v)
                return nc_err_set(err, "'args' is required: the command to run");
        if ((r = strv_from_json(v, &s->argv, &s->argc, NC_SPEC_MAX_ARGS, err, "args")) < 0)
                return r;
        v = json_object_get(j, "env");
        if (v && (r = strv_from_json(v, &s->env, &s->envc, NC_SPEC_MAX_ENV, err, "env")) < 0)
                return r;
        v = json_object_get(j, "seccomp_allow");
        if (v && (r = strv_from_json(v, &s->seccomp_allow, &s->nseccomp_allow, 256, err, "seccomp_allow")) < 0)
                return r;
        if ((r = rlimits_from_json(json_object_get(j, "rlimits"), &s->rlimits, err)) < 0)
                return r;
        if ((r = limits_from_json(json_object_get(j, "limits"), &s->limits, err)) < 0)
                return r;
        if ((r = user_from_json(json_object_get(j, "user"), s, err)) < 0 ||
            (r = tmpfs_from_json(json_object_get(j, "tmpfs"), s, err)) < 0)
                return r;
        static const struct {
                const char *key;
                size_t off;
                bool invert;    /* the field is the negation of the key */
        } flags[] = {
                { "allow_degraded_security", offsetof(struct nc_spec, allow_degraded_security), false },
                { "time_namespace", offsetof(struct nc_spec, time_namespace), false },
                { "cgroup_namespace", offsetof(struct nc_spec, no_cgroup_namespace), true },
                { "proc_rw", offsetof(struct nc_spec, proc_rw), false },
                { "seccomp_log_denied", offsetof(struct nc_spec, seccomp_log_denied), false },
        };
        for (size_t i = 0; i < ARRAY_SIZE(flags); i++) {
                v = json_object_get(j, flags[i].key);
                if (v && !json_is_boolean(v))
                        return nc_err_set(err, "'%s' must be true or false", flags[i].key);
                if (v)
                        *(bool *)((char *)s + flags[i].off) = json_is_true(v) != flags[i].invert;
        }
        v = json_object_get(j, "require_kernel_lockdown");
        if (v && !json_is_null(v)) {
                int level = nc_lockdown_parse(json_string_value(v));
                if (level <= NC_LOCKDOWN_NONE)
                        return nc_err_set(err, "'require_kernel_lockdown' must be \"integrity\" or \"confidentiality\"");
                s->require_lockdown = level;
        }
        if ((r = enum_from_json(j, "service_mode", nc_service_mode_parse, "\"agent\", \"strict-agent\", \"production\"",
                                &s->service_mode, err)) < 0 ||
            (r = enum_from_json(j, "trust_level", nc_trust_level_parse, "\"untrusted\", \"trusted\"", &s->trust_level, err)) < 0 ||
            (r = nc_spec_network_from_json(json_object_get(j, "network"), &s->network, err)) < 0 ||
            (r = nc_spec_probes_from_json(j, s, err)) < 0)
                return r;
        if ((r = nc_spec_validate(s, err)) < 0)
                return r;
        *ret = TAKE_PTR(s);
        return 0;
}

json_t *nc_spec_to_json(const struct nc_spec *s)
{
        json_t *j = json_object();

        if (!j)
                return NULL;
        if (s->name)
                json_object_set_new(j, "name", nc_json_bytes(s->name));
        if (s->hostname)
                json_object_set_new(j, "hostname", nc_json_bytes(s->hostname));
        json_object_set_new(j, "args", strv_to_json(s->argv));
        json_object_set_new(j, "env", strv_to_json(s->env));
        if (s->cwd)
                json_object_set_new(j, "cwd", nc_json_bytes(s->cwd));
        if (s->nseccomp_allow)
                json_object_set_new(j, "seccomp_allow", strv_to_json(s->seccomp_allow));
        if (s->allow_degraded_security)
                json_object_set_new(j, "allow_degraded_security", json_true());
        if (s->time_namespace)
                json_object_set_new(j, "time_namespace", json_true());
        if (s->no_cgroup_namespace)
                json_object_set_new(j, "cgroup_namespace", json_false());
        if (s->proc_rw)
                json_object_set_new(j, "proc_rw", json_true());
        if (s->seccomp_log_denied)
                json_object_set_new(j, "seccomp_log_denied", json_true());
        if (s->seccomp_mode != NC_SECCOMP_ENFORCE)
                json_object_set_new(j, "seccomp_mode", json_string(nc_seccomp_mode_name(s->seccomp_mode)));
        if (s->seccomp_log)
                json_object_set_new(j, "seccomp_log", nc_json_bytes(s->seccomp_log));
        if (s->require_lockdown > NC_LOCKDOWN_NONE)
                json_object_set_new(j, "require_kernel_lockdown", json_string(nc_lockdown_name(s->require_lockdown)));
        if (s->service_mode != NC_MODE_AGENT)
                json_object_set_new(j, "service_mode", json_string(nc_service_mode_name(s->service_mode)));
        if (s->trust_level != NC_TRUST_UNTRUSTED)
                json_object_set_new(j, "trust_level", json_string(nc_trust_level_name(s->trust_level)));
        if (s->network.mode != NC_NET_NONE || s->network.allow_host || s->network.ndns || s->network.npublish ||
            s->network.egress.set)
                json_object_set_new(j, "network", nc_spec_network_to_json(&s->network));
        if (s->uid || s->gid || s->ngroups) {
                json_t *g = json_array();
                for (size_t i = 0; i < s->ngroups; i++)
                        json_array_append_new(g, json_integer(s->groups[i]));
                json_object_set_new(j, "user", json_pack("{s:i, s:i, s:o}", "uid", (int)s->uid, "gid", (int)s->gid, "groups", g));
        }
        if (s->ntmpfs) {
                json_t *t = json_array();
                for (size_t i = 0; i < s->ntmpfs; i++) {
                        char line[1200];
                        snprintf(line, sizeof(line), "%s:%lld:%s", s->tmpfs[i].dest,
                                 s->tmpfs[i].size ? s->tmpfs[i].size : 64ll << 20, s->tmpfs[i].readonly ? "ro" : "rw");
                        json_array_append_new(t, json_string(line));
                }
                json_object_set_new(j, "tmpfs", t);
        }
        json_t *lim = json_object();
        if (s->limits.memory)
                json_object_set_new(lim, "memory", json_integer(s->limits.memory));
        if (s->limits.swap)
                json_object_set_new(lim, "swap", json_true());
        if (s->limits.cpu_millis)
                json_object_set_new(lim, "cpu_millis", json_integer(s->limits.cpu_millis));
        if (s->limits.cpu_weight != NC_LIMIT_DEFAULT)
                json_object_set_new(lim, "cpu_weight", json_integer(s->limits.cpu_weight));
        if (s->limits.pids != NC_LIMIT_DEFAULT)
                json_object_set_new(lim, "pids", json_integer(s->limits.pids));
        if (s->limits.nio) {
                json_t *io = json_array();
                for (size_t i = 0; i < s->limits.nio; i++) {
                        char line[160];
                        int n = snprintf(line, sizeof(line), "%u:%u", s->limits.io[i].major, s->limits.io[i].minor);
                        for (size_t k = 0; k < ARRAY_SIZE(io_keys); k++) {
                                long long v = *(const long long *)((const char *)&s->limits.io[i] + io_keys[k].offset);
                                if (v)
                                        n += snprintf(line + n, sizeof(line) - (size_t)n, " %s=%lld", io_keys[k].key, v);
                        }
                        json_array_append_new(io, json_string(line));
                }
                json_object_set_new(lim, "io", io);
        }
        if (json_object_size(lim))
                json_object_set_new(j, "limits", lim);
        else
                json_decref(lim);
        nc_spec_probes_to_json(s, j);
        json_t *rl = rlimits_to_json(&s->rlimits);
        if (json_object_size(rl))
                json_object_set_new(j, "rlimits", rl);
        else
                json_decref(rl);
        return j;
}

static int env_entry_validate(const char *kv, struct nc_err *err)
{
        const char *eq = strchr(kv, '=');

        if (!eq || eq == kv)
                return nc_err_set(err, "environment entry '%.64s' must have the form KEY=VALUE with a non-empty KEY", kv);
        for (size_t i = 0; i < ARRAY_SIZE(denied_env); i++)
                if ((size_t)(eq - kv) == strlen(denied_env[i]) &&
                    strncmp(kv, denied_env[i], (size_t)(eq - kv)) == 0)
                        return nc_err_set(err, "environment variable %s is refused: it would let the caller inject code into the dynamic loader", denied_env[i]);
        return 0;
}

/* Trace mode runs the workload without a filter and records its calls; the words
 * match the CLI's flags, which map one to one onto these fields. */
static int seccomp_mode_validate(const struct nc_spec *s, struct nc_err *err)
{
        if (s->seccomp_mode != NC_SECCOMP_ENFORCE && s->seccomp_mode != NC_SECCOMP_TRACE)
                return nc_err_set(err, "invalid seccomp mode %d: enforce or trace", s->seccomp_mode);
        if (s->seccomp_log && (!s->seccomp_log[0] || strlen(s->seccomp_log) >= 4096))
                return nc_err_set(err, "seccomp_log (--seccomp-log) must name a file: non-empty, shorter than 4096 bytes");
        if (s->seccomp_mode == NC_SECCOMP_TRACE && !s->seccomp_log)
                return nc_err_set(err, "seccomp_mode trace (--seccomp-mode trace) needs seccomp_log (--seccomp-log FILE): "
                                  "the file the recorded system calls are written to");
        if (s->seccomp_mode != NC_SECCOMP_TRACE && s->seccomp_log)
                return nc_err_set(err, "seccomp_log (--seccomp-log) is only accepted with seccomp_mode trace "
                                  "(--seccomp-mode trace); enforce mode records nothing");
        if (s->seccomp_mode == NC_SECCOMP_TRACE && s->nseccomp_allow)
                return nc_err_set(err, "seccomp_allow (--seccomp-allow) cannot be combined with seccomp_mode trace "
                                  "(--seccomp-mode trace): a traced workload runs without a filter to add calls to");
        if (s->seccomp_mode == NC_SECCOMP_TRACE && s->seccomp_log_denied)
                return nc_err_set(err, "seccomp_log_denied (--seccomp-log-denied) cannot be combined with seccomp_mode trace "
                                  "(--seccomp-mode trace): a traced workload runs without a filter, so nothing is denied");
        return 0;
}

int nc_spec_validate(const struct nc_spec *s, struct nc_err *err)
{
        size_t total = 0;
        int r;

        if (s->name && !nc_name_valid(s->name))
                return nc_err_set(err, "invalid name '%.140s': use 1-128 characters from [A-Za-z0-9._-]", s->name);
        if (s->hostname && !nc_hostname_valid(s->hostname))
                return nc_err_set(err, "invalid hostname '%.80s': use letters, digits, '-' and '.', at most 64 characters, labels not starting or ending with '-'", s->hostname);
        if (s->argc == 0 || !s->argv[0] || !s->argv[0][0])
                return nc_err_set(err, "no command given: pass the program to run after '--'");
        if (s->cwd && s->cwd[0] != '/')
                return nc_err_set(err, "invalid workdir '%.200s': it must be an absolute path", s->cwd);
        if (s->cwd && strlen(s->cwd) >= 4096)
                return nc_err_set(err, "invalid workdir: longer than 4095 bytes");
        for (size_t i = 0; i < s->envc; i++) {
                if ((r = env_entry_validate(s->env[i], err)) < 0)
                        return r;
                total += strlen(s->env[i]) + 1;
        }
        for (size_t i = 0; i < s->argc; i++)
                total += strlen(s->argv[i]) + 1;
        for (size_t i = 0; i < s->nseccomp_allow; i++) {
                const char *n = s->seccomp_allow[i];
                size_t k = strspn(n, "abcdefghijklmnopqrstuvwxyz0123456789_");

                if (k == 0 || n[k] || k > 64)
                        return nc_err_set(err, "seccomp_allow: '%.64s' is not a system call name", n);
        }
        if (total > NC_SPEC_MAX_BYTES)
                return nc_err_set(err, "arguments and environment take %zu bytes; at most %d are accepted", total, NC_SPEC_MAX_BYTES);
        if ((r = nc_spec_network_validate(s, err)) < 0 || (r = nc_spec_probes_validate(s, err)) < 0)
                return r;
        return seccomp_mode_validate(s, err);
}

static ssize_t env_find(const struct nc_spec *s, const char *key, size_t keylen)
{
        for (size_t i = 0; i < s->envc; i++)
                if (strncmp(s->env[i], key, keylen) == 0 && s->env[i][keylen] == '=')
                        return (ssize_t)i;
        return -1;
}

int nc_spec_setenv(struct nc_spec *s, const char *kv, struct nc_err *err)
{
        char *copy, **nv;
        ssize_t at;
        int r;

        if ((r = env_entry_validate(kv, err)) < 0)
                return r;
        if (s->envc >= NC_SPEC_MAX_ENV)
                return nc_err_set(err, "too many environment entries (at most %d)", NC_SPEC_MAX_ENV);
        copy = strdup(kv);
        if (!copy)
                return -ENOMEM;
        at = env_find(s, kv, (size_t)(strchr(kv, '=') - kv));
        if (at >= 0) {
                free(s->env[at]);
                s->env[at] = copy;
                return 0;
        }
        nv = realloc(s->env, (s->envc + 2) * sizeof(char *));
        if (!nv) {
                free(copy);
                return -ENOMEM;
        }
        nv[s->envc++] = copy;
        nv[s->envc] = NULL;
        s->env = nv;
        return 0;
}

const char *nc_spec_getenv(const struct nc_spec *s, const char *key)
{
        ssize_t at = env_find(s, key, strlen(key));
        return at < 0 ? NULL : s->env[at] + strlen(key) + 1;
}
