/* SPDX-License-Identifier: Apache-2.0 */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int nc_err_set(struct nc_err *err, const char *fmt, ...)
{
        va_list ap;

        if (err) {
                va_start(ap, fmt);
                vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
                va_end(ap);
        }
        return -EINVAL;
}

int nc_err_set_errno(struct nc_err *err, int negerrno, const char *fmt, ...)
{
        va_list ap;

        if (err) {
                size_t n;

                va_start(ap, fmt);
                vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
                va_end(ap);
                n = strlen(err->msg);
                snprintf(err->msg + n, sizeof(err->msg) - n, ": %s", strerror(abs(negerrno)));
        }
        return negerrno < 0 ? negerrno : -negerrno;
}
