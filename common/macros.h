/* SPDX-License-Identifier: Apache-2.0 */
/* Cleanup attributes and small helpers shared by every module (systemd/crun style). */
#pragma once

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _unused_ __attribute__((unused))
#define _noreturn_ __attribute__((noreturn))
#define _printf_(a, b) __attribute__((format(printf, a, b)))

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static inline void nc_freep(void *p) { free(*(void **)p); }
#define _cleanup_free_ _cleanup_(nc_freep)

/* Closing preserves errno so a cleanup on an error path cannot clobber it. */
static inline void nc_closep(int *fd)
{
        if (*fd >= 0) {
                int saved = errno;
                close(*fd);
                errno = saved;
        }
}
#define _cleanup_close_ _cleanup_(nc_closep)

/* Hand ownership to the caller: the variable is reset so the cleanup does nothing. */
#define TAKE_PTR(p)                                                                                \
        ({                                                                                         \
                __typeof__(p) _tp = (p);                                                           \
                (p) = NULL;                                                                        \
                _tp;                                                                               \
        })
#define TAKE_FD(fd)                                                                                \
        ({                                                                                         \
                int _tf = (fd);                                                                    \
                (fd) = -1;                                                                         \
                _tf;                                                                               \
        })

#include <stdio.h>
static inline void nc_fclosep(FILE **f)
{
        if (*f)
                fclose(*f);
}

static inline int nc_negerrno(void) { return errno > 0 ? -errno : -EIO; }
