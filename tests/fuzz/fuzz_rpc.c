/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzzes what the API socket reads from a client: the framer, the JSON-RPC request
 * validator and, for sandbox.create, the spec decoder and validator. With clang this
 * is a libFuzzer target; otherwise fuzz-main.c replays the corpus as a test. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "rpc.h"
#include "spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct nc_framer f;
        char *line;
        size_t len;
        int r;

        nc_framer_init(&f, 4096);
        /* Feed in two pieces so frame boundaries fall across reads too. */
        nc_framer_push(&f, (const char *)data, size / 2);
        for (int round = 0; round < 2; round++) {
                while ((r = nc_framer_next(&f, &line, &len)) != 0) {
                        struct nc_rpc_request req = { 0 };
                        struct nc_err err = { { 0 } };
                        json_t *id = NULL;

                        if (r < 0)
                                continue;
                        if (nc_rpc_request_parse(line, len, &req, &id, &err) == 0) {
                                struct nc_spec *spec = NULL;
                                json_t *j;

                                if (nc_spec_from_json(json_object_get(req.params, "spec"), &spec, &err) == 0) {
                                        /* Whatever decodes must encode and decode to the same thing. */
                                        struct nc_spec *again = NULL;
                                        j = nc_spec_to_json(spec);
                                        if (nc_spec_from_json(j, &again, &err) != 0)
                                                __builtin_trap();
                                        if (again->argc != spec->argc || strcmp(again->argv[0], spec->argv[0]) != 0)
                                                __builtin_trap();
                                        if (again->health.kind != spec->health.kind ||
                                            again->health.interval_ms != spec->health.interval_ms ||
                                            again->health.retries != spec->health.retries ||
                                            again->readiness.kind != spec->readiness.kind ||
                                            again->readiness.port != spec->readiness.port ||
                                            again->restart.policy != spec->restart.policy ||
                                            again->restart.max != spec->restart.max)
                                                __builtin_trap();
                                        nc_spec_free(again);
                                        json_decref(j);
                                }
                                nc_spec_free(spec);
                                nc_rpc_request_done(&req);
                        }
                        json_decref(id);
                }
                if (round == 0)
                        nc_framer_push(&f, (const char *)data + size / 2, size - size / 2);
        }
        nc_framer_done(&f);
        return 0;
}
