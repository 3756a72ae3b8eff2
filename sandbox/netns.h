/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

int sbx_netns_loopback_up(void);
