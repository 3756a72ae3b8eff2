/* SPDX-License-Identifier: Apache-2.0 */
/* The egress DNS gate (dnsgate.c): on the bridge's address, port 53, for sandboxes whose
 * policy has --egress-domain names. */
#pragma once

#include "err.h"

struct sup;
/* Starts it on first use; 0 once it listens, the error it failed with otherwise. */
int sup_dnsgate_ensure(struct sup *s, struct nc_err *err);
/* After the loop has closed its handles. */
void sup_dnsgate_free(struct sup *s);
