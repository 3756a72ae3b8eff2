/* SPDX-License-Identifier: Apache-2.0 */
/* events.subscribe: every state change of every sandbox the subscriber may see, as
 * "sandbox.event" notifications tagged with the request's id. Events are small and
 * never wait: to a congested connection they are counted as lost, and the next event
 * that goes out says how many were lost — a slow reader never stalls the loop, and
 * loss is never silent. */
#include <string.h>

#include "sup.h"

/* type NULL: a state change (from, state: to). Otherwise a change within the state
 * (type "health", "readiness" or "restart"): from and to are that type's statuses, the
 * new one under the type's name; "state" is the sandbox's state, unchanged. */
static void emit(struct sup_sandbox *sb, const char *type, const char *from, const char *to)
{
        struct sup *s = sb->sup;
        char ts[64];

        nc_format_rfc3339(nc_now_ns(), ts);
        for (struct sup_event_sub *sub = s->event_subs; sub; sub = sub->next) {
                json_t *params;

                if (!sup_sandbox_visible(sb, sub->conn->cred.uid) && !(sb->removed && (sub->conn->cred.uid == 0 ||
                                                                                   sub->conn->cred.uid == sb->owner_uid)))
                        continue;
                if (sup_conn_congested(sub->conn)) {
                        sub->lost++;
                        continue;
                }
                params = json_pack("{s:O, s:s, s:o, s:s, s:s, s:s, s:s}", "subscription", sub->id, "id", sb->id, "name",
                                   nc_json_bytes(sup_sandbox_name(sb)), "type", type ? type : "state", "from", from,
                                   "state", type ? sup_state_name(sb->state) : to, "time", ts);
                if (type)
                        json_object_set_new(params, type, json_string(to));
                if (sub->lost) {
                        json_object_set_new(params, "lost_before", json_integer((json_int_t)sub->lost));
                        sub->lost = 0;
                }
                if (!type && (strcmp(to, "exited") == 0 || strcmp(to, "failed") == 0))
                        json_object_set_new(params, "result", sup_sandbox_result(sb));
                sup_conn_send(sub->conn, json_pack("{s:s, s:s, s:o}", "jsonrpc", "2.0", "method", "sandbox.event", "params",
                                                   params));
        }
}

void sup_event_emit(struct sup_sandbox *sb, const char *from, const char *to)
{
        sup_audit_transition(sb, from, to);
        emit(sb, NULL, from, to);
}

void sup_event_emit_probe(struct sup_sandbox *sb, const char *type, const char *from, const char *to)
{
        emit(sb, type, from, to);
}

void sup_events_drop_conn(struct sup *s, struct sup_conn *c)
{
        struct sup_event_sub **pp = &s->event_subs;

        while (*pp) {
                struct sup_event_sub *sub = *pp;

                if (sub->conn == c) {
                        *pp = sub->next;
                        json_decref(sub->id);
                        free(sub);
                } else
                        pp = &sub->next;
        }
}
