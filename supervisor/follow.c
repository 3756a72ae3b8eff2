/* SPDX-License-Identifier: Apache-2.0 */
/* Readers of a sandbox's logs (sandbox.logs): records go out as notifications tagged
 * with the request's id; the request's reply comes last, with the next sequence number
 * to resume from. A reader whose connection is congested is simply not fed: it stays
 * at its sequence number and is pumped again when the connection drains, so a slow
 * reader never stalls the loop or the sandbox. What the ring dropped meanwhile comes as
 * a gap notification with the number of records lost. */
#include <string.h>

#include "sup.h"

#define CONGESTED_BYTES (1024u * 1024)

bool sup_conn_congested(const struct sup_conn *c)
{
        return c->closing || c->out_len - c->out_off > CONGESTED_BYTES;
}

static void notify(struct sup_log_sub *sub, const char *method, json_t *params)
{
        json_object_set(params, "subscription", sub->id);
        sup_conn_send(sub->conn, json_pack("{s:s, s:s, s:o}", "jsonrpc", "2.0", "method", method, "params", params));
}

/* Returns true when the reader is done (not following, or the sandbox has ended and
 * every record went out). */
static bool pump_one(struct sup_sandbox *sb, struct sup_log_sub *sub)
{
        const struct sup_log_record *r;
        uint64_t gap;

        if (!sb->logs)
                return true;
        r = sup_logs_from(sb->logs, sub->next_seq, &gap);
        if (gap > 0) {
                notify(sub, "sandbox.log_gap", json_pack("{s:I, s:I}", "from_seq", (json_int_t)sub->next_seq, "missed",
                                                         (json_int_t)gap));
                sub->next_seq += gap;
        }
        for (; r; r = r->next) {
                if (sup_conn_congested(sub->conn))
                        return false;
                notify(sub, "sandbox.log", sup_log_record_to_json(r));
                sub->next_seq = r->seq + 1;
        }
        /* Caught up. Done unless following a sandbox whose output may still come. */
        return !sub->follow || (sb->finished_ns && sb->log_fd[0] < 0 && sb->log_fd[1] < 0);
}

void sup_logs_pump(struct sup_sandbox *sb)
{
        struct sup_log_sub **pp = &sb->subs;

        while (*pp) {
                struct sup_log_sub *sub = *pp;

                if (!pump_one(sb, sub)) {
                        pp = &sub->next;
                        continue;
                }
                *pp = sub->next;
                sup_conn_reply(sub->conn, sub->id, json_pack("{s:s, s:I}", "id", sb->id, "next_seq",
                                                             (json_int_t)sub->next_seq));
                sup_conn_pending_done(sub->conn);
                json_decref(sub->id);
                free(sub);
        }
}

void sup_conn_drained(struct sup *s, struct sup_conn *c)
{
        sup_exec_streams_drained(s, c);
        for (struct sup_sandbox *sb = sup_conn_refs_first(s); sb; sb = sb->cref_next)
                for (struct sup_log_sub *sub = sb->subs; sub; sub = sub->next)
                        if (sub->conn == c) {
                                sup_logs_pump(sb);
                                break;
                        }
}
