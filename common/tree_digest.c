/* SPDX-License-Identifier: Apache-2.0 */
#include "tree_digest.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void to_hex(const uint8_t *in, size_t n, char *out)
{
        static const char digits[] = "0123456789abcdef";

        for (size_t i = 0; i < n; i++) {
                out[2 * i] = digits[in[i] >> 4];
                out[2 * i + 1] = digits[in[i] & 15];
        }
        out[2 * n] = 0;
}

int nc_sha256_fd(int fd, uint8_t ret[32])
{
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        static __thread uint8_t buf[1 << 16];
        int r = 0;

        if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
                EVP_MD_CTX_free(ctx);
                return -ENOMEM;
        }
        for (;;) {
                ssize_t n = read(fd, buf, sizeof(buf));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        r = -errno;
                        break;
                }
                if (n == 0)
                        break;
                EVP_DigestUpdate(ctx, buf, (size_t)n);
        }
        if (r == 0 && !EVP_DigestFinal_ex(ctx, ret, NULL))
                r = -EIO;
        EVP_MD_CTX_free(ctx);
        return r;
}

static int by_path(const void *a, const void *b)
{
        return strcmp(((const struct nc_tree_entry *)a)->path, ((const struct nc_tree_entry *)b)->path);
}

int nc_tree_digest(struct nc_tree_entry *entries, size_t n, char hex[65])
{
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        uint8_t md[32];
        char fhex[65];

        if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
                EVP_MD_CTX_free(ctx);
                return -ENOMEM;
        }
        qsort(entries, n, sizeof(*entries), by_path);
        for (size_t i = 0; i < n; i++) {
                EVP_DigestUpdate(ctx, entries[i].dir ? "D " : "F ", 2);
                EVP_DigestUpdate(ctx, entries[i].path, strlen(entries[i].path) + 1);
                if (!entries[i].dir) {
                        to_hex(entries[i].sha256, 32, fhex);
                        EVP_DigestUpdate(ctx, fhex, 65);
                }
        }
        int ok = EVP_DigestFinal_ex(ctx, md, NULL);
        EVP_MD_CTX_free(ctx);
        if (!ok)
                return -EIO;
        to_hex(md, 32, hex);
        return 0;
}
