/* SPDX-License-Identifier: Apache-2.0 */
#include "rpc.h"

#include <stdio.h>
#include <string.h>

#include "util.h"

void nc_framer_init(struct nc_framer *f, size_t max)
{
        *f = (struct nc_framer){ .max = max };
}

void nc_framer_done(struct nc_framer *f)
{
        free(f->buf);
        *f = (struct nc_framer){ 0 };
}

static void framer_compact(struct nc_framer *f)
{
        if (f->start == 0)
                return;
        memmove(f->buf, f->buf + f->start, f->len - f->start);
        f->len -= f->start;
        f->start = 0;
}

int nc_framer_reserve(struct nc_framer *f, size_t want, char **ret_buf, size_t *ret_avail)
{
        framer_compact(f);
        if (f->cap - f->len < want) {
                size_t ncap = f->cap ? f->cap : 4096;
                char *nb;

                while (ncap - f->len < want)
                        ncap *= 2;
                /* One frame plus the start of the next is all that is ever kept. */
                if (ncap > f->max + want + 1)
                        ncap = f->max + want + 1;
                nb = realloc(f->buf, ncap);
                if (!nb)
                        return -ENOMEM;
                f->buf = nb;
                f->cap = ncap;
        }
        *ret_buf = f->buf + f->len;
        *ret_avail = f->cap - f->len;
        return 0;
}

void nc_framer_commit(struct nc_framer *f, size_t n) { f->len += n; }

int nc_framer_push(struct nc_framer *f, const char *data, size_t n)
{
        while (n > 0) {
                char *dst;
                size_t avail;
                int r = nc_framer_reserve(f, n < 4096 ? n : 4096, &dst, &avail);

                if (r < 0)
                        return r;
                if (avail > n)
                        avail = n;
                memcpy(dst, data, avail);
                nc_framer_commit(f, avail);
                data += avail;
                n -= avail;
                /* Keep memory bounded while a caller pushes one huge line. */
                if (f->len - f->start > f->max + 1) {
                        char *nl = memchr(f->buf + f->start, '\n', f->len - f->start);
                        if (!nl) {
                                if (!f->discarding)
                                        f->report = true;
                                f->discarding = true;
                                f->len = f->start;
                        }
                }
        }
        return 0;
}

int nc_framer_next(struct nc_framer *f, char **ret_line, size_t *ret_len)
{
        if (f->report) {
                f->report = false;
                return -EMSGSIZE;
        }
        if (!f->buf)
                return 0;
        for (;;) {
                char *begin = f->buf + f->start;
                size_t avail = f->len - f->start;
                char *nl = avail ? memchr(begin, '\n', avail) : NULL;

                if (!nl) {
                        if (avail > f->max) {
                                /* Oversized and still no newline: drop what we have. */
                                f->len = f->start;
                                if (!f->discarding) {
                                        f->discarding = true;
                                        return -EMSGSIZE;
                                }
                        }
                        return 0;
                }
                size_t n = (size_t)(nl - begin);
                f->start += n + 1;
                if (f->discarding) {
                        f->discarding = false;
                        /* The tail of an oversized frame; it was reported when it began,
                         * unless the whole thing arrived in one piece. */
                        continue;
                }
                if (n > f->max)
                        return -EMSGSIZE;
                if (n > 0 && begin[n - 1] == '\r')
                        n--;
                begin[n] = 0;
                if (n == 0)
                        continue;   /* blank lines are keep-alives */
                *ret_line = begin;
                *ret_len = n;
                return 1;
        }
}

int nc_rpc_request_parse(const char *line, size_t len, struct nc_rpc_request *ret,
                         json_t **ret_id, struct nc_err *err)
{
        json_error_t jerr;
        json_t *root, *v, *id;
        const char *key;

        *ret_id = NULL;
        /* JSON_DECODE_ANY: a frame that is valid JSON but not an object (1, "x", null)
         * is an invalid request (-32600, JSON-RPC 2.0), not a parse error. */
        root = json_loadb(line, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
        if (!root) {
                nc_err_set(err, "parse error at byte %d: %s", jerr.position, jerr.text);
                return NC_RPC_PARSE_ERROR;
        }
        if (!json_is_object(root)) {
                json_decref(root);
                nc_err_set(err, "a request must be a JSON object (batches are not supported)");
                return NC_RPC_INVALID_REQUEST;
        }
        id = json_object_get(root, "id");
        if (id && !(json_is_string(id) || json_is_integer(id) || json_is_null(id))) {
                json_decref(root);
                nc_err_set(err, "'id' must be a string, an integer or null");
                return NC_RPC_INVALID_REQUEST;
        }
        if (id)
                *ret_id = json_incref(id);
        json_object_foreach(root, key, v) {
                if (strcmp(key, "jsonrpc") && strcmp(key, "method") && strcmp(key, "params") &&
                    strcmp(key, "id")) {
                        nc_err_set(err, "unknown member '%.64s' in request", key);
                        json_decref(root);
                        return NC_RPC_INVALID_REQUEST;
                }
        }
        v = json_object_get(root, "jsonrpc");
        if (!json_is_string(v) || strcmp(json_string_value(v), "2.0") != 0) {
                json_decref(root);
                nc_err_set(err, "'jsonrpc' must be \"2.0\"");
                return NC_RPC_INVALID_REQUEST;
        }
        v = json_object_get(root, "method");
        if (!json_is_string(v) || json_string_length(v) == 0) {
                json_decref(root);
                nc_err_set(err, "'method' must be a non-empty string");
                return NC_RPC_INVALID_REQUEST;
        }
        ret->method = json_string_value(v);
        v = json_object_get(root, "params");
        if (v && !json_is_object(v)) {
                json_decref(root);
                nc_err_set(err, "'params' must be an object (by-name parameters)");
                return NC_RPC_INVALID_PARAMS;
        }
        if (!v) {
                v = json_object();
                json_object_set_new(root, "params", v);
        }
        ret->params = v;
        ret->id = id;
        ret->root = root;
        return 0;
}

void nc_rpc_request_done(struct nc_rpc_request *r)
{
        json_decref(r->root);
        *r = (struct nc_rpc_request){ 0 };
}

json_t *nc_rpc_make_request(const char *method, json_t *params, long long id)
{
        return json_pack("{s:s, s:s, s:o, s:I}", "jsonrpc", "2.0", "method", method, "params",
                         params ? params : json_object(), "id", (json_int_t)id);
}

json_t *nc_rpc_make_result(json_t *id, json_t *result)
{
        return json_pack("{s:s, s:O, s:o}", "jsonrpc", "2.0", "id", id ? id : json_null(), "result",
                         result ? result : json_object());
}

/* Error messages quote what the client sent, cut to a fixed size, and so may hold
 * invalid UTF-8: a byte string, or a multibyte character split by the cut. jansson
 * refuses such a string, and the error reply would be lost, leaving the client waiting
 * forever. Each byte that is not part of a valid sequence becomes '?'. */
static char *utf8_repair(const char *message)
{
        const unsigned char *s = (const unsigned char *)message;
        char *out = strdup(message);

        if (!out)
                return NULL;
        for (size_t i = 0; s[i];) {
                size_t n = nc_utf8_seq_len(s + i);

                if (n == 0) {
                        out[i++] = '?';
                        continue;
                }
                i += n;
        }
        return out;
}

json_t *nc_rpc_make_error(json_t *id, int code, const char *message, json_t *data)
{
        _cleanup_free_ char *valid = utf8_repair(message);
        json_t *e = json_pack("{s:i, s:s}", "code", code, "message", valid ? valid : "out of memory");

        if (e && data)
                json_object_set_new(e, "data", data);
        else if (data)
                json_decref(data);
        return json_pack("{s:s, s:O, s:o}", "jsonrpc", "2.0", "id", id ? id : json_null(), "error", e);
}

char *nc_rpc_dump_line(const json_t *msg, size_t *ret_len)
{
        char *s = json_dumps(msg, JSON_COMPACT);
        size_t n;
        char *line;

        if (!s)
                return NULL;
        n = strlen(s);
        line = realloc(s, n + 2);
        if (!line) {
                free(s);
                return NULL;
        }
        line[n] = '\n';
        line[n + 1] = 0;
        *ret_len = n + 1;
        return line;
}

int nc_param_bool(const json_t *params, const char *key, bool def, bool *ret, struct nc_err *err)
{
        const json_t *v = json_object_get(params, key);

        if (!v || json_is_null(v)) {
                *ret = def;
                return 0;
        }
        if (!json_is_boolean(v))
                return nc_err_set(err, "parameter '%s' must be true or false", key);
        *ret = json_is_true(v);
        return 0;
}

int nc_param_int(const json_t *params, const char *key, long long def, long long min,
                 long long max, long long *ret, struct nc_err *err)
{
        const json_t *v = json_object_get(params, key);

        if (!v || json_is_null(v)) {
                *ret = def;
                return 0;
        }
        if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
                return nc_err_set(err, "parameter '%s' must be an integer from %lld to %lld", key, min, max);
        *ret = json_integer_value(v);
        return 0;
}

int nc_param_string(const json_t *params, const char *key, bool required, const char **ret,
                    struct nc_err *err)
{
        const json_t *v = json_object_get(params, key);

        if (!v || json_is_null(v)) {
                if (required)
                        return nc_err_set(err, "parameter '%s' is required", key);
                *ret = NULL;
                return 0;
        }
        if (!json_is_string(v))
                return nc_err_set(err, "parameter '%s' must be a string", key);
        *ret = json_string_value(v);
        return 0;
}

int nc_params_only(const json_t *params, const char *const *known, struct nc_err *err)
{
        const char *key;
        json_t *v;

        json_object_foreach((json_t *)params, key, v) {
                bool ok = false;

                for (const char *const *k = known; *k && !ok; k++)
                        ok = strcmp(*k, key) == 0;
                if (!ok && !known[0])
                        return nc_err_set(err, "unknown parameter '%.64s': this method takes none", key);
                if (!ok) {
                        char list[256] = "";
                        for (const char *const *k = known; *k; k++) {
                                strncat(list, *k, sizeof(list) - strlen(list) - 3);
                                if (k[1])
                                        strncat(list, ", ", sizeof(list) - strlen(list) - 1);
                        }
                        return nc_err_set(err, "unknown parameter '%.64s' (accepted: %s)", key, list);
                }
        }
        return 0;
}
