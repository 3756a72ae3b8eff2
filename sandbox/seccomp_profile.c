/* SPDX-License-Identifier: Apache-2.0 */
#include "seccomp_profile.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "macros.h"

static const struct {
        const char *name;
        enum { ACT_ALLOW, ACT_ERRNO, ACT_KILL_PROCESS, ACT_KILL_THREAD, ACT_TRAP, ACT_LOG } act;
} actions[] = {
        { "SCMP_ACT_ALLOW", ACT_ALLOW },          { "SCMP_ACT_ERRNO", ACT_ERRNO },
        { "SCMP_ACT_KILL_PROCESS", ACT_KILL_PROCESS }, { "SCMP_ACT_KILL", ACT_KILL_THREAD },
        { "SCMP_ACT_KILL_THREAD", ACT_KILL_THREAD }, { "SCMP_ACT_TRAP", ACT_TRAP },
        { "SCMP_ACT_LOG", ACT_LOG },
};

static const struct {
        const char *name;
        enum scmp_compare op;
} ops[] = {
        { "SCMP_CMP_NE", SCMP_CMP_NE }, { "SCMP_CMP_LT", SCMP_CMP_LT }, { "SCMP_CMP_LE", SCMP_CMP_LE },
        { "SCMP_CMP_EQ", SCMP_CMP_EQ }, { "SCMP_CMP_GE", SCMP_CMP_GE }, { "SCMP_CMP_GT", SCMP_CMP_GT },
        { "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
};

static int find_action(const char *name)
{
        for (size_t i = 0; name && i < ARRAY_SIZE(actions); i++)
                if (strcmp(actions[i].name, name) == 0)
                        return (int)actions[i].act;
        return -1;
}

static int errno_ret(const json_t *v, const char *where, int *ret, struct nc_err *err)
{
        if (!v) {
                *ret = EPERM;
                return 0;
        }
        if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 4095)
                return nc_err_set(err, "%s: errno value must be an integer from 1 to 4095", where);
        *ret = (int)json_integer_value(v);
        return 0;
}

static uint32_t to_scmp(int act, int eno)
{
        switch (act) {
        case ACT_ALLOW: return SCMP_ACT_ALLOW;
        case ACT_ERRNO: return SCMP_ACT_ERRNO((uint16_t)eno);
        case ACT_KILL_PROCESS: return SCMP_ACT_KILL_PROCESS;
        case ACT_KILL_THREAD: return SCMP_ACT_KILL_THREAD;
        case ACT_TRAP: return SCMP_ACT_TRAP;
        default: return SCMP_ACT_LOG;
        }
}

static bool permitted_to_allow(const char *name)
{
        return sbx_seccomp_is_allowed(name) || sbx_seccomp_is_filtered(name) || sbx_seccomp_optin_valid(name);
}

static int check_args(const json_t *args, const char *where, struct nc_err *err)
{
        size_t i;
        json_t *a;

        if (!args)
                return 0;
        if (!json_is_array(args) || json_array_size(args) > 6)
                return nc_err_set(err, "%s.args must be an array of at most 6 comparisons", where);
        json_array_foreach(args, i, a) {
                const char *op = json_string_value(json_object_get(a, "op"));
                const json_t *idx = json_object_get(a, "index");
                bool ok = false;

                for (size_t k = 0; op && k < ARRAY_SIZE(ops) && !ok; k++)
                        ok = strcmp(ops[k].name, op) == 0;
                if (!json_is_object(a) || !json_is_integer(idx) || json_integer_value(idx) < 0 ||
                    json_integer_value(idx) > 5)
                        return nc_err_set(err, "%s.args[%zu].index must be an integer from 0 to 5", where, i);
                if (!ok)
                        return nc_err_set(err, "%s.args[%zu].op must be one of SCMP_CMP_NE, _LT, _LE, _EQ, _GE, _GT, _MASKED_EQ", where, i);
                if (!json_is_integer(json_object_get(a, "value")) ||
                    (json_object_get(a, "valueTwo") && !json_is_integer(json_object_get(a, "valueTwo"))))
                        return nc_err_set(err, "%s.args[%zu]: value and valueTwo must be integers", where, i);
        }
        return 0;
}

int sbx_seccomp_profile_validate(const json_t *p, struct nc_err *err)
{
        static const char *const known[] = { "defaultAction", "defaultErrnoRet", "architectures", "syscalls" };
        const json_t *archs, *groups, *g;
        const char *key;
        json_t *v;
        size_t i;
        int act, eno, r;

        if (!json_is_object(p))
                return nc_err_set(err, "a seccomp profile is a JSON object");
        json_object_foreach((json_t *)p, key, v) {
                bool ok = false;
                for (size_t k = 0; k < ARRAY_SIZE(known) && !ok; k++)
                        ok = strcmp(known[k], key) == 0;
                if (!ok)
                        return nc_err_set(err, "unknown member '%.64s' (accepted: defaultAction, defaultErrnoRet, architectures, syscalls)", key);
        }
        act = find_action(json_string_value(json_object_get(p, "defaultAction")));
        if (act < 0 || act == ACT_ALLOW || act == ACT_LOG)
                return nc_err_set(err, "defaultAction must deny: SCMP_ACT_ERRNO, SCMP_ACT_KILL_PROCESS, SCMP_ACT_KILL_THREAD, SCMP_ACT_KILL or SCMP_ACT_TRAP");
        if ((r = errno_ret(json_object_get(p, "defaultErrnoRet"), "defaultErrnoRet", &eno, err)) < 0)
                return r;
        archs = json_object_get(p, "architectures");
        if (archs) {
                if (!json_is_array(archs))
                        return nc_err_set(err, "architectures must be an array");
                json_array_foreach(archs, i, v) {
                        const char *a = json_string_value(v);
                        /* Rules for another architecture's numbers would be a second,
                         * unreviewed policy; only the native one is accepted. */
                        if (!a || (strcmp(a, "SCMP_ARCH_X86_64") != 0 && strcmp(a, "SCMP_ARCH_NATIVE") != 0))
                                return nc_err_set(err, "architectures[%zu]: only SCMP_ARCH_X86_64 (the native architecture) is accepted", i);
                }
        }
        groups = json_object_get(p, "syscalls");
        if (!json_is_array(groups))
                return nc_err_set(err, "'syscalls' must be an array of {names, action[, args, errnoRet]}");
        json_array_foreach(groups, i, g) {
                char where[48];
                const json_t *names = json_object_get(g, "names"), *n;
                size_t k;

                snprintf(where, sizeof(where), "syscalls[%zu]", i);
                if (!json_is_object(g) || !json_is_array(names) || json_array_size(names) == 0)
                        return nc_err_set(err, "%s.names must be a non-empty array of system call names", where);
                json_object_foreach((json_t *)g, key, v)
                        if (strcmp(key, "names") && strcmp(key, "action") && strcmp(key, "args") && strcmp(key, "errnoRet") &&
                            strcmp(key, "comment"))
                                return nc_err_set(err, "%s: unknown member '%.64s' (accepted: names, action, args, errnoRet, comment)", where, key);
                act = find_action(json_string_value(json_object_get(g, "action")));
                if (act < 0)
                        return nc_err_set(err, "%s.action must be one of SCMP_ACT_ALLOW, _ERRNO, _KILL_PROCESS, _KILL_THREAD, _KILL, _TRAP, _LOG", where);
                if ((r = errno_ret(json_object_get(g, "errnoRet"), where, &eno, err)) < 0 ||
                    (r = check_args(json_object_get(g, "args"), where, err)) < 0)
                        return r;
                json_array_foreach(names, k, n) {
                        const char *name = json_string_value(n);

                        if (!name || seccomp_syscall_resolve_name(name) == __NR_SCMP_ERROR)
                                return nc_err_set(err, "%s.names[%zu]: '%.64s' is not a system call of this architecture", where, k,
                                                  name ? name : "?");
                        if ((act == ACT_ALLOW || act == ACT_LOG) && !permitted_to_allow(name))
                                return nc_err_set(err, "%s.names[%zu]: '%s' cannot be allowed: Nucleus never allows it "
                                                  "(allowed are the default list and the opt-in list, docs/security.md)", where, k, name);
                }
        }
        return 0;
}

static int add_group(scmp_filter_ctx ctx, uint32_t def, const json_t *g, unsigned flags, struct nc_err *err)
{
        const json_t *args = json_object_get(g, "args"), *n;
        struct scmp_arg_cmp cmp[6];
        unsigned ncmp = 0;
        int act = find_action(json_string_value(json_object_get(g, "action"))), eno;
        size_t k;
        uint32_t action;

        (void)errno_ret(json_object_get(g, "errnoRet"), "", &eno, NULL);
        action = to_scmp(act, eno);
        for (size_t i = 0; i < json_array_size(args); i++) {
                const json_t *a = json_array_get(args, i);
                const char *op = json_string_value(json_object_get(a, "op"));
                for (size_t o = 0; o < ARRAY_SIZE(ops); o++)
                        if (strcmp(ops[o].name, op) == 0)
                                cmp[ncmp] = (struct scmp_arg_cmp){
                                        .arg = (unsigned)json_integer_value(json_object_get(a, "index")),
                                        .op = ops[o].op,
                                        .datum_a = (scmp_datum_t)json_integer_value(json_object_get(a, "value")),
                                        .datum_b = (scmp_datum_t)json_integer_value(json_object_get(a, "valueTwo")),
                                };
                ncmp++;
        }
        json_array_foreach(json_object_get(g, "names"), k, n) {
                const char *name = json_string_value(n);
                int r;

                if ((act == ACT_ALLOW || act == ACT_LOG) && sbx_seccomp_is_filtered(name)) {
                        /* Allowed with Nucleus's argument checks, never wider. */
                        if ((r = sbx_seccomp_add_filtered(ctx, name, flags, err)) < 0)
                                return r;
                        continue;
                }
                if (action == def)
                        continue;   /* libseccomp refuses rules that repeat the default */
                r = seccomp_rule_add_array(ctx, action, seccomp_syscall_resolve_name(name), ncmp, cmp);
                if (r < 0)
                        return nc_err_set_errno(err, r, "seccomp profile: a rule for '%s' conflicts with another", name);
        }
        return 0;
}

static bool profile_names(const json_t *groups, const char *name)
{
        const json_t *g, *n;
        size_t i, k;

        json_array_foreach(groups, i, g)
                json_array_foreach(json_object_get(g, "names"), k, n)
                        if (strcmp(json_string_value(n), name) == 0)
                                return true;
        return false;
}

int sbx_seccomp_profile_compile(const json_t *p, const char *const *optin, unsigned flags, struct sbx_seccomp_prog *ret,
                                struct nc_err *err)
{
        const json_t *groups = json_object_get(p, "syscalls"), *g;
        scmp_filter_ctx ctx;
        uint32_t def;
        size_t i;
        int eno, r;

        if ((r = sbx_seccomp_profile_validate(p, err)) < 0)
                return r;
        (void)errno_ret(json_object_get(p, "defaultErrnoRet"), "", &eno, NULL);
        def = to_scmp(find_action(json_string_value(json_object_get(p, "defaultAction"))), eno);
        ctx = seccomp_init(def);
        if (!ctx)
                return nc_err_set(err, "seccomp_init failed");
        /* What Nucleus never allows kills, whatever the profile's default says, unless it
         * is on the opt-in list and the profile or an opt-in allows it. */
        for (i = 0; sbx_seccomp_killed[i]; i++) {
                int nr = seccomp_syscall_resolve_name(sbx_seccomp_killed[i]);
                bool allowed = false;

                for (const char *const *o = optin; o && *o && !allowed; o++)
                        allowed = strcmp(*o, sbx_seccomp_killed[i]) == 0;
                /* A profile that names the call decides its action itself. */
                if (nr == __NR_SCMP_ERROR || allowed || profile_names(groups, sbx_seccomp_killed[i]) ||
                    def == SCMP_ACT_KILL_PROCESS)
                        continue;
                if ((r = seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, nr, 0)) < 0) {
                        seccomp_release(ctx);
                        return nc_err_set_errno(err, r, "seccomp: %s", sbx_seccomp_killed[i]);
                }
        }
        json_array_foreach(groups, i, g)
                if ((r = add_group(ctx, def, g, flags, err)) < 0) {
                        seccomp_release(ctx);
                        return r;
                }
        for (const char *const *o = optin; o && *o; o++) {
                if (!sbx_seccomp_optin_valid(*o)) {
                        seccomp_release(ctx);
                        return nc_err_set(err, "seccomp: '%s' is not on the opt-in list", *o);
                }
                r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, seccomp_syscall_resolve_name(*o), 0);
                if (r < 0 && r != -EEXIST) {
                        seccomp_release(ctx);
                        return nc_err_set_errno(err, r, "seccomp: %s", *o);
                }
        }
        return sbx_seccomp_export(ctx, ret, err);
}
