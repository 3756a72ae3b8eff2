/* SPDX-License-Identifier: Apache-2.0 */
/* sandbox.create: the one method with real intake. It takes the request's descriptors
 * (stdio, policy files, volume sources, secrets, a context stream) in their fixed
 * order, validates every parameter and descriptor before anything is allocated,
 * applies the admission limits and the host requirements, and hands a complete
 * sup_sandbox to sandbox.c. docs/api.md documents the order of the checks. */
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <string.h>
#include <unistd.h>

#include "rlimits.h"
#include "seccomp_filter.h"
#include "sup.h"

static void fill_defaults(struct sup_sandbox *sb, struct nc_spec *spec)
{
        if (!nc_spec_getenv(spec, "PATH"))
                (void)nc_spec_setenv(spec, "PATH=" NC_SPEC_DEFAULT_PATH, NULL);
        if (!nc_spec_getenv(spec, "HOME"))
                (void)nc_spec_setenv(spec, "HOME=" NC_SPEC_DEFAULT_HOME, NULL);
        /* --readiness-sd-notify: init binds the socket there (probe.h). */
        if (spec->readiness.kind == NC_PROBE_SD_NOTIFY)
                (void)nc_spec_setenv(spec, "NOTIFY_SOCKET=" NC_NOTIFY_SOCKET_PATH, NULL);
        if (!spec->hostname) {
                /* The name when it is a valid host name, else the short id, as docker does. */
                if (spec->name && nc_hostname_valid(spec->name))
                        spec->hostname = strdup(spec->name);
                else
                        spec->hostname = strndup(sb->id, 12);
        }
}

/* What the spec asks of the lock-down, checked before anything starts. */
/* Equal paths, a trailing '/' aside ("/x" and "/x/" name one mount point). */
static bool same_path(const char *a, const char *b)
{
        size_t na = strlen(a), nb = strlen(b);

        while (na > 1 && a[na - 1] == '/')
                na--;
        while (nb > 1 && b[nb - 1] == '/')
                nb--;
        return na == nb && strncmp(a, b, na) == 0;
}

/* One mount per destination across tmpfs, volumes and secrets: a second one on the
 * same path was mounted over the first without a word (a volume hidden under a tmpfs,
 * one tmpfs under another), or failed late at setup ("File exists"). */
static int check_dests_unique(const struct nc_spec *spec, const json_t *vols, const json_t *secs, struct nc_err *err)
{
        struct { const char *kind, *dest; } d[NC_SPEC_TMPFS_MAX + SBX_VOLUMES_MAX + SBX_SECRETS_MAX];
        size_t n = 0, k;
        const json_t *v;

        for (k = 0; k < spec->ntmpfs; k++)
                d[n++] = (typeof(d[0])){ "tmpfs", spec->tmpfs[k].dest };
        json_array_foreach(vols, k, v)
                d[n++] = (typeof(d[0])){ "volume", json_string_value(json_object_get(v, "dest")) };
        json_array_foreach(secs, k, v)
                d[n++] = (typeof(d[0])){ "secret", json_string_value(json_object_get(v, "dest")) };
        for (size_t i = 0; i < n; i++)
                for (size_t j = 0; j < i; j++)
                        if (d[i].dest && d[j].dest && same_path(d[i].dest, d[j].dest)) {
                                if (d[i].kind == d[j].kind)
                                        return nc_err_set(err, "two %s mounts on '%s': give each its own destination",
                                                          d[i].kind, d[i].dest);
                                return nc_err_set(err, "a %s and a %s on '%s': give each its own destination", d[j].kind,
                                                  d[i].kind, d[i].dest);
                        }
        return 0;
}

static int check_policy(const struct nc_spec *spec, struct nc_err *err)
{
        static const struct { int resource; const char *name; } limits[] = {
                { RLIMIT_NOFILE, "nofile" }, { RLIMIT_NPROC, "nproc" }, { RLIMIT_MEMLOCK, "memlock" },
                { RLIMIT_CORE, "core" },
        };

        for (size_t i = 0; i < spec->ntmpfs; i++) {
                int r = sbx_dest_check("tmpfs", spec->tmpfs[i].dest, err);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < spec->nseccomp_allow; i++)
                if (!sbx_seccomp_optin_valid(spec->seccomp_allow[i]))
                        return nc_err_set(err, "seccomp_allow: '%.64s' cannot be allowed: it is not on the opt-in list "
                                          "(docs/security.md lists it)", spec->seccomp_allow[i]);
        for (size_t i = 0; i < ARRAY_SIZE(limits); i++) {
                long long want = sbx_rlimit_effective(&spec->rlimits, limits[i].resource);
                struct rlimit have;

                if (getrlimit(limits[i].resource, &have) == 0 && have.rlim_max != RLIM_INFINITY &&
                    (unsigned long long)want > have.rlim_max)
                        return nc_err_set(err, "rlimit %s=%lld is above the supervisor's own hard limit %llu", limits[i].name,
                                          want, (unsigned long long)have.rlim_max);
        }
        return 0;
}

void sup_method_create(struct sup_conn *c, json_t *id, json_t *params)
{
        static const char *const known[] = { "spec", "wait", "stdio", "foreground", "auto_remove", "seccomp_profile",
                                             "caps_policy", "landlock_policy", "timeout", "volumes", "secrets", "context", "rootfs", "tty",
                                             "cgroup_parent", NULL };
        struct nc_err err = { { 0 } };
        struct nc_spec *spec = NULL;
        struct sup *s = c->sup;
        struct sup_sandbox *sb;
        bool wait, foreground, auto_remove;
        const char *stdio;
        int fds[3 + SUP_POLICY_MAX + SBX_VOLUMES_MAX + SBX_SECRETS_MAX + 3], r;
        const json_t *vols = json_object_get(params, "volumes"), *secs = json_object_get(params, "secrets");
        size_t nvol = json_array_size(vols), nsec = json_array_size(secs);
        const size_t vol0 = 3 + SUP_POLICY_MAX, sec0 = 3 + SUP_POLICY_MAX + SBX_VOLUMES_MAX, ctx0 = sec0 + SBX_SECRETS_MAX,
                     rootfs0 = ctx0 + 1, log0 = ctx0 + 2;
        const json_t *rootfs = json_object_get(params, "rootfs");
        const bool has_rootfs = rootfs && !json_is_null(rootfs);
        /* spec.seccomp_log (trace mode) comes with the caller's descriptor of that file;
         * looked at before the spec is decoded, because descriptors are taken first. */
        const json_t *jlog = json_object_get(json_object_get(params, "spec"), "seccomp_log");
        const bool has_log = jlog && !json_is_null(jlog);
        const json_t *ctx = json_object_get(params, "context");
        const char *ctx_mode = json_string_value(json_object_get(ctx, "mode"));
        const bool ctx_copy = ctx_mode && strcmp(ctx_mode, "copy") == 0;
        struct sup_policy pol[SUP_POLICY_MAX] = { 0 };
        bool has[SUP_POLICY_MAX];
        json_t *tty = NULL;            /* -t: {rows, cols} */
        struct sbx_config *placed = NULL;       /* cgroup_parent: settings with that root */
        size_t nfds, k;
        const uint64_t t_request = nc_monotonic_ns();

        /* Descriptors sent with this request belong to it whatever happens next: take
         * them first, so a refused create cannot leave them for the next one. */
        if (nc_param_string(params, "stdio", false, &stdio, &err) < 0)
                goto bad;
        stdio = stdio ? stdio : "null";
        for (k = 0; k < ARRAY_SIZE(fds); k++)
                fds[k] = -1;
        if (vols && (!json_is_array(vols) || nvol > SBX_VOLUMES_MAX)) {
                nc_err_set(&err, "parameter 'volumes' must be an array of at most %d {dest, readonly}", SBX_VOLUMES_MAX);
                goto bad;
        }
        if (ctx && !json_is_null(ctx)) {
                static const char *const cknown[] = { "mode", "files", "directories", "bytes", "skipped", "sha256", NULL };

                if (!json_is_object(ctx)) {     /* it got an empty message */
                        nc_err_set(&err, "parameter 'context' must be an object {\"mode\": \"copy\"|\"bind\", ...}");
                        goto bad;
                }
                if (nc_params_only(ctx, cknown, &err) < 0)
                        goto bad;
                /* The client's report, shown by inspect as given: numbers only. */
                for (const char *const *f = (const char *const[]){ "files", "directories", "bytes", NULL }; *f; f++) {
                        const json_t *n = json_object_get(ctx, *f);
                        if (n && (!json_is_integer(n) || json_integer_value(n) < 0)) {
                                nc_err_set(&err, "context.%s must be a non-negative integer", *f);
                                goto bad;
                        }
                }
                if (!ctx_mode || (strcmp(ctx_mode, "copy") != 0 && strcmp(ctx_mode, "bind") != 0)) {
                        nc_err_set(&err, "context.mode must be \"copy\" or \"bind\"");
                        goto bad;
                }
                const json_t *sha = json_object_get(ctx, "sha256");
                if (sha && (!json_is_string(sha) || !sup_sha256_hex_valid(json_string_value(sha)) || !ctx_copy)) {
                        nc_err_set(&err, "context.sha256 must be 64 lowercase hex characters, with mode \"copy\"");
                        goto bad;
                }
                const json_t *sk = json_object_get(ctx, "skipped");
                if (sk && (!json_is_array(sk) || json_array_size(sk) > 100000)) {
                        nc_err_set(&err, "context.skipped must be an array of at most 100000 paths");
                        goto bad;
                }
        }
        if (secs && (!json_is_array(secs) || nsec > SBX_SECRETS_MAX)) {
                nc_err_set(&err, "parameter 'secrets' must be an array of at most %d {dest}", SBX_SECRETS_MAX);
                goto bad;
        }
        if (has_rootfs) {
                static const char *const rknown[] = { "verify_attestation", NULL };
                bool attest;

                if (!json_is_object(rootfs) || nc_params_only(rootfs, rknown, &err) < 0 ||
                    nc_param_bool(rootfs, "verify_attestation", false, &attest, &err) < 0)
                        goto bad;
        }
        /* The descriptors, in order: stdin, stdout, stderr (stdio "passed"), then one per
         * policy given (seccomp_profile, caps_policy, landlock_policy), then one per
         * volume, one per secret, a copied context's stream, the rootfs directory, the
         * seccomp log. */
        nfds = (strcmp(stdio, "passed") == 0 ? 3 : 0) + nvol + nsec + ctx_copy + has_rootfs + has_log;
        for (k = 0; k < SUP_POLICY_MAX; k++) {
                const json_t *p = json_object_get(params, sup_policy_kinds[k].param);
                has[k] = p && !json_is_null(p);
                nfds += has[k];
        }
        if (nfds > 0) {
                int taken[3 + SUP_POLICY_MAX + SBX_VOLUMES_MAX + SBX_SECRETS_MAX + 3];
                size_t n = 0;

                if (sup_conn_take_fds(c, taken, nfds) < 0) {
                        nc_err_set(&err, "this request needs %zu descriptors sent with it (SCM_RIGHTS: stdio \"passed\" "
                                   "takes 3, each policy 1), got %zu", nfds, c->nfds);
                        goto bad;
                }
                if (strcmp(stdio, "passed") == 0)
                        for (; n < 3; n++)
                                fds[n] = taken[n];
                for (k = 0; k < SUP_POLICY_MAX; k++)
                        if (has[k])
                                fds[3 + k] = taken[n++];
                for (k = 0; k < nvol; k++)
                        fds[vol0 + k] = taken[n++];
                for (k = 0; k < nsec; k++)
                        fds[sec0 + k] = taken[n++];
                if (ctx_copy)
                        fds[ctx0] = taken[n++];
                if (has_rootfs)
                        fds[rootfs0] = taken[n++];
                if (has_log)
                        fds[log0] = taken[n++];
        }
        if (strcmp(stdio, "passed") == 0) {
                /* taken above */
        } else if (strcmp(stdio, "null") != 0 && strcmp(stdio, "logs") != 0) {
                nc_err_set(&err, "parameter 'stdio' must be \"null\", \"passed\" (three descriptors sent with the request) "
                           "or \"logs\" (detached: output kept by nucleusd), not '%.32s'", stdio);
                goto bad;
        } else if ((r = sup_open_null_stdio(fds)) < 0) {   /* also "logs": stdin is /dev/null */
                sup_conn_error(c, id, NC_RPC_INTERNAL_ERROR, NULL, "Failed to open /dev/null: %s", strerror(-r));
                goto out;
        }
        long long timeout_s;

        if (nc_params_only(params, known, &err) < 0 || nc_param_bool(params, "wait", false, &wait, &err) < 0 ||
            nc_param_int(params, "timeout", 0, 0, 365LL * 24 * 3600, &timeout_s, &err) < 0 ||
            nc_param_bool(params, "auto_remove", false, &auto_remove, &err) < 0 ||
            nc_param_bool(params, "foreground", strcmp(stdio, "passed") == 0 && wait, &foreground, &err) < 0 ||
            nc_spec_from_json(json_object_get(params, "spec"), &spec, &err) < 0)
                goto bad;
        const json_t *jtty = json_object_get(params, "tty");
        if (jtty && !json_is_false(jtty) && !json_is_null(jtty)) {
                if (strcmp(stdio, "passed") == 0) {
                        nc_err_set(&err, "parameter 'tty' replaces stdio: the workload's stdio is the new terminal "
                                   "(stdio \"null\", or \"logs\" when detached)");
                        goto bad;
                }
                if (!(tty = sup_tty_param(jtty, &err)))
                        goto bad;
        }
        if (s->shutting_down) {
                sup_conn_error(c, id, NC_RPC_BUSY, NULL, "the supervisor is shutting down");
                goto out;
        }
        if (sup_kernel_lockdown_check(spec->require_lockdown, &err) < 0) {
                sup_conn_error(c, id, NC_RPC_HOST_REFUSED, NULL, "%s", err.msg);
                goto out;
        }
        if (spec->name && sup_sandbox_by_name(s, spec->name)) {
                sup_conn_error(c, id, NC_RPC_CONFLICT, NULL, "the name '%s' is already in use", spec->name);
                goto out;
        }
        if (check_policy(spec, &err) < 0)
                goto bad;
        char vsrc[SBX_VOLUMES_MAX][4096];
        for (k = 0; k < nvol; k++) {
                const json_t *v = json_array_get(vols, k);
                static const char *const vknown[] = { "dest", "readonly", NULL };
                const char *dest = json_string_value(json_object_get(v, "dest"));
                bool ro;

                /* Each check names the entry: a non-object got an empty message, and a
                 * "readonly" that was not a boolean ("yes") made a read-write volume. */
                if (!json_is_object(v) || !dest) {
                        nc_err_set(&err, "volumes[%zu] must be an object {\"dest\": \"/PATH\", \"readonly\": BOOL}", k);
                        goto bad;
                }
                if (nc_params_only(v, vknown, &err) < 0)
                        goto bad;
                if (nc_param_bool(v, "readonly", false, &ro, &err) < 0) {
                        nc_err_set(&err, "volumes[%zu].readonly must be true or false", k);
                        goto bad;
                }
                if (sbx_volume_check(fds[vol0 + k], dest, vsrc[k], sizeof(vsrc[k]), &err) < 0)
                        goto bad;
                for (size_t m = 0; m < k; m++)
                        if (strcmp(json_string_value(json_object_get(json_array_get(vols, m), "dest")), dest) == 0) {
                                nc_err_set(&err, "two volumes on '%s'", dest);
                                goto bad;
                        }
        }
        for (k = 0; k < nsec; k++) {
                const json_t *v = json_array_get(secs, k);
                static const char *const sknown[] = { "dest", NULL };
                struct stat st;

                if (!json_is_object(v) || !json_is_string(json_object_get(v, "dest"))) {
                        nc_err_set(&err, "secrets[%zu] must be an object {\"dest\": \"/PATH\"}", k);
                        goto bad;
                }
                if (nc_params_only(v, sknown, &err) < 0 ||
                    sbx_secret_dest_check(json_string_value(json_object_get(v, "dest")), &err) < 0)
                        goto bad;
                if (fstat(fds[sec0 + k], &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > SBX_SECRET_MAX_BYTES) {
                        nc_err_set(&err, "secret for '%s' must be a regular file of at most %d bytes",
                                   json_string_value(json_object_get(v, "dest")), SBX_SECRET_MAX_BYTES);
                        goto bad;
                }
        }
        if (check_dests_unique(spec, vols, secs, &err) < 0)
                goto bad;
        if (has_log) {
                struct stat st;
                int fl = fcntl(fds[log0], F_GETFL);

                /* Written on the loop when the sandbox ends: a regular file cannot stall
                 * it the way a pipe or a terminal nobody reads could. */
                if (fstat(fds[log0], &st) < 0 || !S_ISREG(st.st_mode) || fl < 0 || (fl & O_ACCMODE) == O_RDONLY) {
                        nc_err_set(&err, "spec.seccomp_log (--seccomp-log) needs a descriptor of a regular file opened "
                                   "for writing, sent with the request");
                        goto bad;
                }
        }
        if (spec->seccomp_mode == NC_SECCOMP_TRACE && has[SUP_POLICY_SECCOMP]) {
                nc_err_set(&err, "seccomp_profile (--seccomp-profile) cannot be combined with seccomp_mode trace "
                           "(--seccomp-mode trace): a traced workload runs without a filter");
                goto bad;
        }
        if (ctx_copy) {
                struct stat st;

                if (fstat(fds[ctx0], &st) < 0 || !(S_ISFIFO(st.st_mode) || S_ISREG(st.st_mode))) {
                        nc_err_set(&err, "a copied context is passed as a pipe or file holding a tar stream");
                        goto bad;
                }
        }
        char rootfs_source[4096] = "";
        if (has_rootfs) {
                char link[64];
                ssize_t len;

                if (sbx_rootfs_check(fds[rootfs0], &err) < 0)
                        goto bad;
                snprintf(link, sizeof(link), "/proc/self/fd/%d", fds[rootfs0]);
                len = readlink(link, rootfs_source, sizeof(rootfs_source) - 1);
                rootfs_source[len > 0 ? len : 0] = 0;
        }
        struct sup_mode_inputs mode_in = {
                .rootfs = has_rootfs,
                .rootfs_attested = has_rootfs && json_is_true(json_object_get(rootfs, "verify_attestation")),
        };
        for (k = 0; k < SUP_POLICY_MAX; k++) {
                static const char *const pknown[] = { "sha256", "policy", NULL };
                const json_t *p = json_object_get(params, sup_policy_kinds[k].param);
                const char *pin = NULL;

                if (!has[k])
                        continue;
                if (!json_is_object(p)) {
                        nc_err_set(&err, "parameter '%s' must be an object {\"sha256\": ..., \"policy\": ...}",
                                   sup_policy_kinds[k].param);
                        goto bad;
                }
                if (nc_params_only(p, pknown, &err) < 0 || nc_param_string(p, "sha256", false, &pin, &err) < 0)
                        goto bad;
                if (pin && !sup_sha256_hex_valid(pin)) {
                        nc_err_set(&err, "%s.sha256 must be 64 lowercase hex characters", sup_policy_kinds[k].param);
                        goto bad;
                }
                if (sup_policy_load(fds[3 + k], sup_policy_kinds[k].what, sup_policy_kinds[k].max, pin,
                                    sup_policy_kinds[k].json_in_file ? &pol[k].json : NULL, pol[k].sha256, &err) < 0)
                        goto bad;
                if (!sup_policy_kinds[k].json_in_file) {
                        /* TOML read by the client (nucleusd never parses TOML); the pin
                         * still covers the raw file it opened. */
                        pol[k].json = json_incref(json_object_get(p, "policy"));
                        if (!json_is_object(pol[k].json)) {
                                nc_err_set(&err, "%s.policy is required: the policy as a JSON object", sup_policy_kinds[k].param);
                                goto bad;
                        }
                }
                if (sup_policy_validate((int)k, pol[k].json, &err) < 0)
                        goto bad;
                mode_in.policy[k] = true;
                mode_in.policy_pinned[k] = pin != NULL;
        }
        mode_in.caps = pol[SUP_POLICY_CAPS].json;
        mode_in.landlock = pol[SUP_POLICY_LANDLOCK].json;
        if (sup_mode_admit(spec, &mode_in, &err) < 0 || sup_network_admit(s, spec, &err) < 0)
                goto bad;

        /* Admission: a clear refusal with the limit, never a dropped connection. */
        if (s->nlive >= s->opt->max_sandboxes) {
                sup_conn_error(c, id, NC_RPC_BUSY, NULL, "too many sandboxes: %zu are live and the limit is %u "
                               "(nucleusd --max-sandboxes)", s->nlive, s->opt->max_sandboxes);
                goto out;
        }
        if (c->cred.uid != 0) {
                unsigned mine = 0;
                for (struct sup_sandbox *o = s->sandboxes; o; o = o->next)
                        mine += sup_state_live(o->state) && o->owner_uid == c->cred.uid;
                if (mine >= s->opt->max_sandboxes_per_uid) {
                        sup_conn_error(c, id, NC_RPC_BUSY, NULL, "too many sandboxes for uid %u: %u are live and the limit "
                                       "is %u (nucleusd --max-sandboxes-per-uid)", (unsigned)c->cred.uid, mine,
                                       s->opt->max_sandboxes_per_uid);
                        goto out;
                }
        }
        struct sbx_profile profile;
        const char *cg_parent = json_string_value(json_object_get(params, "cgroup_parent"));

        if (json_object_get(params, "cgroup_parent") && !json_is_null(json_object_get(params, "cgroup_parent"))) {
                if (!cg_parent) {
                        nc_err_set(&err, "parameter 'cgroup_parent' must be a cgroup path (a string)");
                        goto bad;
                }
                if (!(placed = sup_placement_new(c, cg_parent, &err)))
                        goto bad;
        }
        sup_profile_of(spec, has_rootfs, &profile);
        sb = sup_index_reserve(s) == 0 ? sup_sandbox_new(s) : NULL;
        /* A prepared sandbox of this profile when the pool has one (its id and host id
         * range come with it), else an id and a range for a clone on demand. A leaf
         * placed beside the caller's is made at the clone: never from the pool. */
        if (!sb || ((placed || sup_pool_claim(s, &profile, sb) < 0) && (nc_id_new(sb->id) < 0 || sup_uid_slot_take(sb) < 0)) ||
            (has_log && sup_trace_new(sb, fds[log0]) < 0)) {
                if (sb && sb->pidfd >= 0) {
                        /* a pool member's init: the zygote reaps it, the leaf goes with it */
                        (void)syscall(SYS_pidfd_send_signal, sb->pidfd, SIGKILL, NULL, 0);
                        close(sb->pidfd);
                        close(sb->ctl);
                }
                if (sb)
                        sup_sandbox_unlink_free(sb);
                sup_conn_error(c, id, NC_RPC_INTERNAL_ERROR, NULL, "out of resources");
                goto out;
        }
        if (has_log)
                fds[log0] = -1;         /* the trace's now */
        sb->t_request = t_request;
        sb->cg_cfg = TAKE_PTR(placed);
        uv_timer_init(&s->loop, &sb->timer);
        uv_timer_init(&s->loop, &sb->deadline);
        sb->timer.data = sb->deadline.data = sb;
        sb->open_handles = 2;
        sb->timeout_ms = (uint64_t)timeout_s * 1000;
        memcpy(sb->stdio, fds, sizeof(sb->stdio));
        fds[0] = fds[1] = fds[2] = -1;
        memcpy(sb->policies, pol, sizeof(pol));
        memset(pol, 0, sizeof(pol));
        for (k = 0; k < nvol; k++) {
                const json_t *v = json_array_get(vols, k);

                sb->volumes[k] = (struct sup_volume){
                        .src_fd = fds[vol0 + k], .tree_fd = -1,
                        .dest = strdup(json_string_value(json_object_get(v, "dest"))), .source = strdup(vsrc[k]),
                        .readonly = json_is_true(json_object_get(v, "readonly")),
                };
                fds[vol0 + k] = -1;
        }
        sb->nvolumes = nvol;
        for (k = 0; k < nsec; k++) {
                sb->secrets[k].fd = fds[sec0 + k];
                sb->secrets[k].dest = strdup(json_string_value(json_object_get(json_array_get(secs, k), "dest")));
                fds[sec0 + k] = -1;
        }
        sb->nsecrets = nsec;
        if (ctx_copy) {
                sb->context_fd = fds[ctx0];
                fds[ctx0] = -1;
        }
        if (ctx && !json_is_null(ctx))
                sb->context = json_deep_copy(ctx);
        if (has_rootfs) {
                sb->rootfs.fd = fds[rootfs0];
                fds[rootfs0] = -1;
                sb->rootfs.attest = mode_in.rootfs_attested;
                sb->rootfs.source = strdup(rootfs_source);
        }
        fill_defaults(sb, spec);
        sb->spec = TAKE_PTR(spec);
        sup_sandbox_index(sb);
        sb->tty = TAKE_PTR(tty);
        sb->owner_uid = c->cred.uid;
        sb->owner_gid = c->cred.gid;
        sb->create_conn = c;
        sup_conn_ref(sb);
        sb->create_id = json_incref(id);
        sb->create_waits = wait;
        sb->auto_remove = auto_remove;
        if (auto_remove) {
                struct sup_waiter *w = calloc(1, sizeof(*w));
                /* A removal nobody waits for: replies go nowhere (conn NULL). */
                if (w) {
                        w->kind = SUP_WAIT_REMOVE;
                        w->next = sb->waiters;
                        sb->waiters = w;
                }
        }
        if (foreground && c->pidfd >= 0) {
                int dup = fcntl(c->pidfd, F_DUPFD_CLOEXEC, 3);
                if (dup >= 0)
                        sup_sandbox_watch_client(sb, dup);
                /* Who the client is, so that a restarted loop process can watch it again. */
                sb->client_pid = c->cred.pid;
                (void)nc_proc_start_time(c->cred.pid, &sb->client_start);
        }
        sup_event_emit(sb, "none", "creating");
        r = 0;
        if (strcmp(stdio, "logs") == 0) {
                char logdir[PATH_MAX + 16];

                snprintf(logdir, sizeof(logdir), "%s/logs", s->opt->paths.state_dir);
                (void)mkdir(logdir, 0700);
                /* stdin stays /dev/null; stdout and stderr go to the log store */
                close(sb->stdio[1]);
                close(sb->stdio[2]);
                sb->stdio[1] = sb->stdio[2] = -1;
                r = sup_sandbox_detach_stdio(sb, logdir);
        }
        if (r < 0) {
                sup_sandbox_fail_before_clone(sb, "logs", r, "Failed to set up the log pipes");
                goto out;
        }
        sup_rootfs_start(sb);
        for (k = 3; k < ARRAY_SIZE(fds); k++)
                if (fds[k] >= 0)
                        close(fds[k]);   /* read already; the policies go with the claim */
        return;
bad:
        sup_bad_params(c, id, &err);
out:
        for (k = 0; k < ARRAY_SIZE(fds); k++)
                if (fds[k] >= 0)
                        close(fds[k]);
        for (k = 0; k < SUP_POLICY_MAX; k++)
                json_decref(pol[k].json);
        json_decref(tty);
        free(placed);
        nc_spec_free(spec);
}
