/* SPDX-License-Identifier: Apache-2.0 */
/* --readiness-sd-notify, init's side (supervisor/notify_socket.c reads it). */
#pragma once

#include "sandbox.h"

/* Binds a datagram socket at NC_NOTIFY_SOCKET_PATH, owned by the workload's uid and
 * gid, and sends it to nucleusd over ctl ({"op":"notify_socket"} with the descriptor).
 * Runs in init before Landlock. */
int sbx_notify_socket_send(int ctl, unsigned uid, unsigned gid, struct sbx_failure *fail);
