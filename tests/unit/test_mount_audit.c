/* SPDX-License-Identifier: Apache-2.0 */
/* Production's mount audit rules over mountinfo text, and the rootfs attestation over
 * a tree built here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mount_audit.h"
#include "rootfs.h"

#define GOOD                                                                                           \
        "1 0 0:1 / / rw,nosuid,nodev,noexec - tmpfs nucleus-root rw\n"                                \
        "2 1 0:2 / /usr ro,nosuid,nodev,relatime - ext4 /dev/sda1 rw\n"                               \
        "3 1 0:3 / /proc ro,nosuid,nodev,noexec - proc proc rw\n"                                     \
        "4 3 0:4 /null /proc/kcore ro,nosuid,nodev,noexec - devtmpfs udev rw\n"                       \
        "5 1 0:5 / /dev ro,nosuid,noexec - tmpfs tmpfs rw\n"                                          \
        "6 5 0:4 /null /dev/null rw,nosuid,noexec - devtmpfs udev rw\n"                               \
        "7 1 0:6 / /etc ro,nosuid,nodev,noexec - tmpfs tmpfs rw\n"                                    \
        "8 1 0:7 / /data rw,nosuid,nodev,noexec - ext4 /dev/sda1 rw\n"                                \
        "9 1 0:8 / /run/secrets ro,nosuid,nodev,noexec - tmpfs tmpfs rw\n"

static int audit(const char *text, const char *const *vols, size_t nvols, struct sbx_failure *f, size_t *checked)
{
        FILE *in = fmemopen((void *)text, strlen(text), "r");
        int r;

        assert_non_null(in);
        r = sbx_mount_audit_stream(in, vols, nvols, checked, f);
        fclose(in);
        return r;
}

static void test_good(void **state)
{
        const char *vols[] = { "/data" };
        struct sbx_failure f = { 0 };
        size_t checked = 0;

        assert_int_equal(audit(GOOD, vols, 1, &f, &checked), 0);
        assert_int_equal(checked, 9);
}

static void test_each_rule_fails(void **state)
{
        static const struct {
                const char *line, *expect;
        } bad[] = {
                { "10 1 0:9 / /usr/lib rw,nosuid,nodev - ext4 x rw\n", "'/usr/lib' must be ro,nosuid,nodev" },
                { "10 1 0:9 / /nix ro,nodev - ext4 x rw\n", "'/nix' must be ro,nosuid,nodev but is ro,nodev" },
                { "10 3 0:9 / /proc/sys ro,nosuid,nodev - proc x rw\n", "'/proc/sys' must be ro,nosuid,nodev,noexec" },
                { "10 1 0:9 / /data/sub rw,nosuid,nodev - ext4 x rw\n", "'/data/sub' must be nosuid,nodev,noexec" },
                { "10 1 0:9 / /opt rw,nosuid - ext4 x rw\n", "'/opt' must be nosuid,nodev" },
                { "10 5 0:9 / /dev/shm rw,nodev,noexec - tmpfs x rw\n", "'/dev/shm' must be nosuid" },
                { "10 1 0:9 / /run/secrets/x rw,nosuid,nodev - tmpfs x rw\n", "'/run/secrets/x' must be nosuid,nodev,noexec" },
                { "10 1 0:9 / /with\\040space rw - ext4 x rw\n", "'/with space' must be nosuid,nodev but is rw with no" },
        };
        const char *vols[] = { "/data" };

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                char text[4096];
                struct sbx_failure f = { 0 };
                size_t checked;

                snprintf(text, sizeof(text), "%s%s", GOOD, bad[i].line);
                assert_int_equal(audit(text, vols, 1, &f, &checked), -EPERM);
                assert_string_equal(f.stage, "mount_audit");
                if (!strstr(f.msg, bad[i].expect))
                        fail_msg("rule %zu: '%s' does not contain '%s'", i, f.msg, bad[i].expect);
        }
}

static void test_empty(void **state)
{
        struct sbx_failure f = { 0 };
        size_t checked;

        assert_int_equal(audit("", NULL, 0, &f, &checked), -ENOENT);
}

/* ---- attestation over a temporary tree ---- */

static char tree[] = "/tmp/nucleus-attest-XXXXXX";

static void put(const char *rel, const char *data)
{
        char p[512];
        FILE *f;

        snprintf(p, sizeof(p), "%s/%s", tree, rel);
        f = fopen(p, "w");
        assert_non_null(f);
        fputs(data, f);
        fclose(f);
}

static int attest(json_t **report, struct nc_err *err)
{
        int fd = open(tree, O_RDONLY | O_DIRECTORY | O_CLOEXEC), r;

        assert_true(fd >= 0);
        r = sbx_rootfs_attest(fd, report, err);
        close(fd);
        return r;
}

/* sha256("a\n") and sha256("b\n") */
#define SHA_A "87428fc522803d31065e7bce3cf03fe475096631e5e07bbd7a0fde60c4cf25c7"
#define SHA_B "0263829989b6fd954f72baaf2fc64bc2e2f01d692d4de72986ea808f6e99813f"

static void test_attest(void **state)
{
        struct nc_err err = { { 0 } };
        json_t *report = NULL;
        char p[512];

        assert_non_null(mkdtemp(tree));
        snprintf(p, sizeof(p), "%s/usr", tree);
        assert_int_equal(mkdir(p, 0755), 0);
        put("usr/a", "a\n");
        put("usr/b", "b\n");
        snprintf(p, sizeof(p), "%s/bin", tree);
        assert_int_equal(symlink("/usr", p), 0);        /* absolute: resolved inside the tree */
        snprintf(p, sizeof(p), "%s/dangling", tree);
        assert_int_equal(symlink("/nowhere", p), 0);
        put(SBX_ROOTFS_MANIFEST, SHA_A "\tbin/a\n" SHA_B "\tbin/b\n" SHA_A "\tusr/a\n" SHA_B "\tusr/b\n");
        assert_int_equal(attest(&report, &err), 0);
        assert_int_equal(json_integer_value(json_object_get(report, "files")), 4);
        json_decref(report);

        put("usr/b", "changed\n");
        put("usr/new", "x\n");
        put(SBX_ROOTFS_MANIFEST, SHA_A "\tbin/a\n" SHA_B "\tbin/b\n" SHA_A "\tusr/a\n" SHA_B "\tusr/b\n" SHA_A "\tusr/gone\n");
        assert_int_equal(attest(&report, &err), -EBADMSG);
        assert_int_equal(json_integer_value(json_object_get(report, "changed_count")), 2);
        assert_int_equal(json_integer_value(json_object_get(report, "missing_count")), 1);
        assert_int_equal(json_integer_value(json_object_get(report, "extra_count")), 2);
        assert_string_equal(json_string_value(json_array_get(json_object_get(report, "missing"), 0)), "usr/gone");
        assert_non_null(strstr(err.msg, "2 changed, 1 missing, 2 extra"));
        json_decref(report);

        put(SBX_ROOTFS_MANIFEST, SHA_A "\t../etc/passwd\n");
        assert_int_equal(attest(&report, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "not a relative path"));
        put(SBX_ROOTFS_MANIFEST, "zz\tusr/a\n");
        assert_int_equal(attest(&report, &err), -EINVAL);
        put(SBX_ROOTFS_MANIFEST, SHA_A "\tusr/a\n" SHA_A "\tusr/a\n");
        assert_int_equal(attest(&report, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "twice"));

        char cmd[600];
        snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", tree);
        assert_int_equal(system(cmd), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_good),
                cmocka_unit_test(test_each_rule_fails),
                cmocka_unit_test(test_empty),
                cmocka_unit_test(test_attest),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
