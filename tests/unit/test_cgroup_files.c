/* SPDX-License-Identifier: Apache-2.0 */
/* The cgroup file readers the backends share (sandbox/cgroup.c), against files shaped
 * like the kernel's: I/O statistics in both formats, "key value" lists, "max". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup.h"

static char dir[] = "/tmp/nucleus-test-cgfiles.XXXXXX";

static void put(const char *file, const char *text)
{
        char path[256];
        FILE *f;

        snprintf(path, sizeof(path), "%s/%s", dir, file);
        f = fopen(path, "we");
        assert_non_null(f);
        fputs(text, f);
        fclose(f);
}

static void test_io_v2(void **state)
{
        uint64_t rd = 1, wr = 1;

        put("io.stat", "8:0 rbytes=1000 wbytes=20 rios=3 wios=1 dbytes=7 dios=1\n"
                       "254:0 rbytes=24 wbytes=5 rios=1 wios=1 dbytes=0 dios=0\n");
        assert_int_equal(sbx_cg_read_io(dir, NULL, "io.stat", &rd, &wr), 0);
        assert_int_equal(rd, 1024);
        assert_int_equal(wr, 25);
        put("io.stat", "");      /* a leaf that has done no I/O yet */
        assert_int_equal(sbx_cg_read_io(dir, NULL, "io.stat", &rd, &wr), 0);
        assert_int_equal(rd, 0);
        assert_int_equal(wr, 0);
}

static void test_io_v1(void **state)
{
        uint64_t rd = 0, wr = 0;

        /* Sync/Async/Total count the same bytes again: only Read and Write are summed. */
        put("blkio.throttle.io_service_bytes", "8:0 Read 4096\n8:0 Write 512\n8:0 Sync 4608\n8:0 Async 0\n"
                                               "8:0 Discard 0\n8:0 Total 4608\n"
                                               "254:0 Read 100\n254:0 Write 1\n254:0 Total 101\nTotal 4709\n");
        assert_int_equal(sbx_cg_read_io(dir, NULL, "blkio.throttle.io_service_bytes", &rd, &wr), 0);
        assert_int_equal(rd, 4196);
        assert_int_equal(wr, 513);
        assert_int_equal(sbx_cg_read_io(dir, NULL, "no-such-file", &rd, &wr), -ENOENT);
}

static void test_keys_and_max(void **state)
{
        uint64_t v = 0;

        put("memory.events", "low 0\nhigh 12\nmax 40\noom 2\noom_kill 1\noom_group_kill 1\n");
        assert_int_equal(sbx_cg_read_key(dir, NULL, "memory.events", "oom_kill", &v), 0);
        assert_int_equal(v, 1);         /* not oom (a prefix) or oom_group_kill */
        assert_int_equal(sbx_cg_read_key(dir, NULL, "memory.events", "oom", &v), 0);
        assert_int_equal(v, 2);
        assert_int_equal(sbx_cg_read_key(dir, NULL, "memory.events", "nope", &v), -ENOENT);
        put("pids.max", "max\n");
        v = 7;
        assert_int_equal(sbx_cg_read_u64(dir, NULL, "pids.max", &v), 0);
        assert_int_equal(v, 0);         /* no limit */
        put("pids.max", "512\n");
        assert_int_equal(sbx_cg_read_u64(dir, NULL, "pids.max", &v), 0);
        assert_int_equal(v, 512);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_io_v2),
                cmocka_unit_test(test_io_v1),
                cmocka_unit_test(test_keys_and_max),
        };
        int r;

        if (!mkdtemp(dir))
                return 1;
        r = cmocka_run_group_tests(tests, NULL, NULL);
        for (const char *f[] = { "io.stat", "blkio.throttle.io_service_bytes", "memory.events", "pids.max", NULL }, **p = f; *p;
             p++) {
                char path[256];
                snprintf(path, sizeof(path), "%s/%s", dir, *p);
                unlink(path);
        }
        rmdir(dir);
        return r;
}
