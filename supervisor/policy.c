/* SPDX-License-Identifier: Apache-2.0 */
/* Policy files passed by the caller as descriptors (DESIGN.md: paths are opened by the
 * caller, so nucleusd never resolves a caller's path with its own privileges): read
 * with a size limit, pinned by SHA-256 over the raw bytes (OpenSSL libcrypto), parsed
 * as JSON with the position of a syntax error. */
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "caps.h"
#include "landlock.h"
#include "seccomp_profile.h"
#include "sup.h"

static int sha256_hex(const void *buf, size_t len, char out[65])
{
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int n = 0;

        if (!EVP_Digest(buf, len, md, &n, EVP_sha256(), NULL) || n != 32)
                return -EIO;
        for (unsigned i = 0; i < n; i++)
                snprintf(out + 2 * i, 3, "%02x", md[i]);
        return 0;
}

bool sup_sha256_hex_valid(const char *s)
{
        size_t n = s ? strspn(s, "0123456789abcdef") : 0;

        return n == 64 && s[64] == 0;
}

int sup_policy_load(int fd, const char *what, size_t max, const char *pin, json_t **ret, char ret_sha256[65],
                    struct nc_err *err)
{
        _cleanup_free_ char *buf = NULL;
        json_error_t jerr;
        struct stat st;
        size_t off = 0;

        if (fstat(fd, &st) < 0)
                return nc_err_set_errno(err, -errno, "%s: cannot stat the descriptor", what);
        if (!S_ISREG(st.st_mode))
                return nc_err_set(err, "%s: not a regular file", what);
        if ((size_t)st.st_size > max)
                return nc_err_set(err, "%s: %lld bytes; at most %zu are accepted", what, (long long)st.st_size, max);
        buf = malloc((size_t)st.st_size + 1);
        if (!buf)
                return -ENOMEM;
        while (off < (size_t)st.st_size) {
                ssize_t n = pread(fd, buf + off, (size_t)st.st_size - off, (off_t)off);
                if (n < 0)
                        return nc_err_set_errno(err, -errno, "%s: read failed", what);
                if (n == 0)
                        break;
                off += (size_t)n;
        }
        if (sha256_hex(buf, off, ret_sha256) < 0)
                return nc_err_set(err, "%s: SHA-256 failed", what);
        if (pin && strcmp(pin, ret_sha256) != 0)
                return nc_err_set(err, "%s: SHA-256 mismatch: the file has %s, the pin says %s; nothing was started", what,
                                  ret_sha256, pin);
        if (!ret)
                return 0;       /* hashed only: the client converted it (TOML) */
        *ret = json_loadb(buf, off, JSON_REJECT_DUPLICATES, &jerr);
        if (!*ret)
                return nc_err_set(err, "%s: line %d, column %d: %s", what, jerr.line, jerr.column, jerr.text);
        return 0;
}

const struct sup_policy_kind sup_policy_kinds[SUP_POLICY_MAX] = {
        [SUP_POLICY_SECCOMP] = { "seccomp_profile", "seccomp_profile", "seccomp profile", "seccomp-profile",
                                 SBX_SECCOMP_PROFILE_MAX, true },
        [SUP_POLICY_CAPS] = { "caps_policy", "caps_policy", "capability policy", "caps-policy", 64 * 1024, false },
        [SUP_POLICY_LANDLOCK] = { "landlock_policy", "landlock_policy", "Landlock policy", "landlock-policy", 256 * 1024,
                                  false },
};

int sup_policy_validate(int kind, const json_t *policy, struct nc_err *err)
{
        struct nc_err inner = { { 0 } };
        int r = 0;

        switch (kind) {
        case SUP_POLICY_SECCOMP:
                r = sbx_seccomp_profile_validate(policy, &inner);
                break;
        case SUP_POLICY_CAPS: {
                struct sbx_caps_policy c;
                r = sbx_caps_policy_from_json(policy, &c, &inner);
                break;
        }
        case SUP_POLICY_LANDLOCK: {
                struct sbx_landlock_policy l;
                r = sbx_landlock_policy_from_json(policy, &l, &inner);
                if (r == 0)
                        sbx_landlock_policy_done(&l);
                break;
        }
        }
        if (r < 0)
                return nc_err_set(err, "%s: %s", sup_policy_kinds[kind].what, inner.msg);
        return 0;
}
