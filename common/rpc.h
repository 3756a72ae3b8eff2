/* SPDX-License-Identifier: Apache-2.0 */
/* JSON-RPC 2.0 over newline-delimited frames: the framer, request validation and the
 * error codes. Shared by the server (supervisor/) and the client (cli/). */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "err.h"

#define NC_API_VERSION "1.0"
#define NC_RPC_MAX_FRAME (1024 * 1024)

/* JSON-RPC's own codes ... */
#define NC_RPC_PARSE_ERROR -32700
#define NC_RPC_INVALID_REQUEST -32600
#define NC_RPC_METHOD_NOT_FOUND -32601
#define NC_RPC_INVALID_PARAMS -32602
#define NC_RPC_INTERNAL_ERROR -32603
/* ... and Nucleus's, in the server-defined range. */
#define NC_RPC_NOT_FOUND -32000        /* no sandbox with that id, prefix or name */
#define NC_RPC_CONFLICT -32001         /* name in use, ambiguous prefix */
#define NC_RPC_BAD_STATE -32002        /* operation invalid in the sandbox's state */
#define NC_RPC_SPAWN_FAILED -32003     /* setup failed; data has stage and errno */
#define NC_RPC_PERMISSION -32004       /* the caller may not act on that sandbox */
#define NC_RPC_FRAME_TOO_LARGE -32005  /* a frame longer than NC_RPC_MAX_FRAME */
#define NC_RPC_BUSY -32006             /* a resource limit of the supervisor */
#define NC_RPC_HOST_REFUSED -32007     /* the host does not meet what the spec requires */

/* Splits a byte stream into lines. A line longer than max is reported once as
 * -EMSGSIZE and then skipped up to its newline, so one bad frame does not cost the
 * connection its framing. */
struct nc_framer {
        char *buf;
        size_t len, cap, max, start;
        bool discarding;        /* inside an oversized frame, up to its newline */
        bool report;            /* an oversized frame was dropped by push, not yet reported */
};

void nc_framer_init(struct nc_framer *f, size_t max);
void nc_framer_done(struct nc_framer *f);
/* Space to read into; at least `want` bytes, never past max+1 for one frame. */
int nc_framer_reserve(struct nc_framer *f, size_t want, char **ret_buf, size_t *ret_avail);
void nc_framer_commit(struct nc_framer *f, size_t n);
int nc_framer_push(struct nc_framer *f, const char *data, size_t n);
/* 1 and a NUL-terminated line (without '\n') valid until the next call; 0 when more
 * data is needed; -EMSGSIZE for an oversized frame that is now being skipped. */
int nc_framer_next(struct nc_framer *f, char **ret_line, size_t *ret_len);

struct nc_rpc_request {
        json_t *root;          /* owns everything below */
        const char *method;
        json_t *params;        /* an object; an empty one when absent */
        json_t *id;            /* NULL for a notification */
};

/* Returns 0, or a JSON-RPC error code with err set. On error *ret_id is the request's
 * id when it could be read (so the error can be matched), else NULL. */
int nc_rpc_request_parse(const char *line, size_t len, struct nc_rpc_request *ret,
                         json_t **ret_id, struct nc_err *err);
void nc_rpc_request_done(struct nc_rpc_request *r);

json_t *nc_rpc_make_request(const char *method, json_t *params, long long id);
json_t *nc_rpc_make_result(json_t *id, json_t *result);
json_t *nc_rpc_make_error(json_t *id, int code, const char *message, json_t *data);
/* Compact JSON plus '\n'; the caller frees. */
char *nc_rpc_dump_line(const json_t *msg, size_t *ret_len);

/* Parameter accessors that name the parameter and the expected type on failure. */
int nc_param_bool(const json_t *params, const char *key, bool def, bool *ret, struct nc_err *err);
int nc_param_int(const json_t *params, const char *key, long long def, long long min,
                 long long max, long long *ret, struct nc_err *err);
int nc_param_string(const json_t *params, const char *key, bool required, const char **ret,
                    struct nc_err *err);
/* Refuses keys outside the NULL-terminated list. */
int nc_params_only(const json_t *params, const char *const *known, struct nc_err *err);
