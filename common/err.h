/* SPDX-License-Identifier: Apache-2.0 */
/* A fixed-size error message: usable in the zygote and in init, where nothing should
 * allocate, and in validation code that must say which value was wrong and why. */
#pragma once

#include "macros.h"

struct nc_err {
        char msg[512];
};

/* Formats into err (if not NULL) and returns -EINVAL for `return nc_err_set(...)`. */
int nc_err_set(struct nc_err *err, const char *fmt, ...) _printf_(2, 3);
int nc_err_set_errno(struct nc_err *err, int negerrno, const char *fmt, ...) _printf_(3, 4);
