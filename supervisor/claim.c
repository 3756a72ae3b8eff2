/* SPDX-License-Identifier: Apache-2.0 */
/* The claim (phase 2 of the two-phase spawn): the limits and volumes it needs first,
 * then everything a request binds to a prepared sandbox, sent to its parked init in
 * one message with its descriptors: the spec, the policies, resolv.conf, the terminal,
 * stdio, the volumes' detached trees, secrets, a copied context's stream, the rootfs's
 * trees and a detached sandbox's log pipes. The loop's copies of those descriptors are
 * closed once sent, whatever happened: init owns them now, or the sandbox has failed.
 * A cold sandbox and a pool member get the same claim (pool.c). */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "log.h"
#include "sup.h"

/* Limits go in before the claim, so they are in force before the workload exists. */
int sup_claim_apply_limits(struct sup_sandbox *sb, struct sbx_failure *f)
{
        const struct sbx_config *cfg = sup_cg(sb);
        const struct nc_spec_limits *l = &sb->spec->limits;
        struct nc_err err = { { 0 } };
        int r;

        json_decref(sb->limits_not_applied);
        sb->limits_not_applied = json_array();
        if (!cfg->cg) {
                if (l->memory || l->swap || l->cpu_millis || l->cpu_weight != NC_LIMIT_DEFAULT || l->pids != NC_LIMIT_DEFAULT ||
                    l->nio)
                        json_array_append_new(sb->limits_not_applied,
                                              json_pack("{s:s, s:s}", "limit", "all", "reason", "no cgroup controllers on this host"));
                return 0;
        }
        r = cfg->cg->apply(cfg, sb->id, l, sb->limits_not_applied, &err);
        if (r < 0) {
                sbx_failure_set(f, "cgroup", r, "%s", err.msg);
                return r;
        }
        if (nc_mode_strict(sb->spec->service_mode) && json_array_size(sb->limits_not_applied) > 0) {
                /* Fail-closed modes: a limit asked for is a limit in force, or nothing runs. */
                const json_t *first = json_array_get(sb->limits_not_applied, 0);
                sbx_failure_set(f, "cgroup", 0, "limit %s could not be applied in %s mode: %s",
                                json_string_value(json_object_get(first, "limit")),
                                nc_service_mode_name(sb->spec->service_mode),
                                json_string_value(json_object_get(first, "reason")));
                return -EPERM;
        }
        for (size_t i = 0; i < json_array_size(sb->limits_not_applied); i++)
                log_warn("Sandbox %s: limit %s not applied: %s, ignoring", sb->id,
                         json_string_value(json_object_get(json_array_get(sb->limits_not_applied, i), "limit")),
                         json_string_value(json_object_get(json_array_get(sb->limits_not_applied, i), "reason")));
        return 0;
}

/* The sandbox's id maps exist now: the volumes' trees can be idmapped through them. */
int sup_claim_prepare_volumes(struct sup_sandbox *sb, struct sbx_failure *f)
{
        struct nc_err err = { { 0 } };

        for (size_t i = 0; i < sb->nvolumes; i++) {
                struct sup_volume *v = &sb->volumes[i];
                int r = sbx_volume_prepare(v->src_fd, sb->pid, sb->owner_uid, sb->owner_gid, sb->uid_base, v->readonly,
                                           &v->tree_fd, &err);

                close(v->src_fd);
                v->src_fd = -1;
                if (r < 0) {
                        sbx_failure_set(f, "volume", r, "%s ('%s')", err.msg, v->source);
                        return r;
                }
        }
        return 0;
}

int sup_claim_send(struct sup_sandbox *sb)
{
        json_t *msg = json_pack("{s:s, s:o, s:[], s:[]}", "op", "claim", "spec", nc_spec_to_json(sb->spec), "volumes",
                                "secrets");
        int fds[3 + SBX_VOLUMES_MAX + SBX_SECRETS_MAX + 1 + SBX_ROOTFS_ENTRIES_MAX + 2];

        /* The workload never starts before its network: pasta sends it when ready. */
        if (sup_pasta_hold_claim(sb)) {
                json_decref(msg);
                return 0;
        }

        for (int k = 0; k < SUP_POLICY_MAX; k++)
                if (sb->policies[k].json)
                        json_object_set(msg, sup_policy_kinds[k].claim, sb->policies[k].json);
        char *resolv = sup_network_resolv_conf(sb);
        if (resolv)
                json_object_set_new(msg, "resolv_conf", json_string(resolv));
        free(resolv);
        if (sb->tty)
                json_object_set(msg, "tty", sb->tty);
        memcpy(fds, sb->stdio, sizeof(sb->stdio));
        for (size_t i = 0; i < sb->nvolumes; i++) {
                json_array_append_new(json_object_get(msg, "volumes"), json_pack("{s:s, s:b}", "dest", sb->volumes[i].dest,
                                                                                  "readonly", sb->volumes[i].readonly));
                fds[3 + i] = sb->volumes[i].tree_fd;
        }
        for (size_t i = 0; i < sb->nsecrets; i++) {
                json_array_append_new(json_object_get(msg, "secrets"), json_pack("{s:s}", "dest", sb->secrets[i].dest));
                fds[3 + sb->nvolumes + i] = sb->secrets[i].fd;
        }
        size_t nfds = 3 + sb->nvolumes + sb->nsecrets;
        if (sb->context_fd >= 0) {
                json_object_set_new(msg, "context_copy", json_true());
                if (json_is_string(json_object_get(sb->context, "sha256")))
                        json_object_set(msg, "context_sha256", json_object_get(sb->context, "sha256"));
                fds[nfds++] = sb->context_fd;
        }
        if (sb->rootfs.nentries) {
                /* Links travel as text; each directory as its tree, in entry order. */
                json_t *entries = json_array();
                for (size_t i = 0; i < sb->rootfs.nentries; i++) {
                        const struct sbx_rootfs_entry *e = &sb->rootfs.entries[i];
                        json_array_append_new(entries, json_pack("{s:s, s:s?}", "name", e->name, "link",
                                                                 e->tree < 0 ? e->link : NULL));
                        if (e->tree >= 0)
                                fds[nfds++] = e->tree;
                }
                json_object_set_new(msg, "rootfs", entries);
        }
        if (sb->detached && sb->log_fd[0] >= 0 && sb->log_fd[1] >= 0) {
                /* init keeps copies of the read ends for a nucleusd that replaces this one
                 * entirely (docs/restart.md, level 2); it never reads them. */
                json_object_set_new(msg, "keep_logs", json_true());
                fds[nfds++] = sb->log_fd[0];
                fds[nfds++] = sb->log_fd[1];
        }
        int r;

        sb->t_claim = nc_monotonic_ns();
        r = sbx_ctl_send_json(sb->ctl, msg, fds, nfds);

        for (int i = 0; i < 3; i++) {
                close(sb->stdio[i]);
                sb->stdio[i] = -1;
        }
        for (size_t i = 0; i < sb->nvolumes; i++) {
                close(sb->volumes[i].tree_fd);
                sb->volumes[i].tree_fd = -1;
        }
        for (size_t i = 0; i < sb->nsecrets; i++) {
                close(sb->secrets[i].fd);
                sb->secrets[i].fd = -1;
        }
        if (sb->context_fd >= 0) {
                close(sb->context_fd);
                sb->context_fd = -1;
        }
        for (size_t i = 0; i < sb->rootfs.nentries; i++)
                if (sb->rootfs.entries[i].tree >= 0) {
                        close(sb->rootfs.entries[i].tree);
                        sb->rootfs.entries[i].tree = -1;
                }
        return r;
}

