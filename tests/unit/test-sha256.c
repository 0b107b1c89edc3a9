/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sha256.c against the FIPS 180-4 example vectors (NIST CSRC "Examples
 * with intermediate values"), the million-'a' vector, every padding
 * boundary (lengths 0..130 hashed whole and byte by byte must agree) and
 * two digests known from coreutils' sha256sum. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sha256.h"
#include "unit.h"

static void hex_of(const void *data, size_t len, char out[65])
{
    uint8_t d[SHA256_DIGEST_LEN];

    sha256(data, len, d);
    sha256_hex(d, out);
}

static void check_vector(const char *msg, const char *want)
{
    char got[65];

    hex_of(msg, strlen(msg), got);
    if (!UNIT_CHECK(strcmp(got, want) == 0, "sha256(\"%.20s\") (%zu bytes)", msg, strlen(msg)))
        printf("#   got  %s\n#   want %s\n", got, want);
}

static void test_vectors(void)
{
    check_vector("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    check_vector("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    check_vector("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
                 "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    check_vector(
        "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklm"
        "nopqrlmnopqrsmnopqrstnopqrstu",
        "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
    /* printf 'The quick brown fox jumps over the lazy dog' | sha256sum */
    check_vector("The quick brown fox jumps over the lazy dog",
                 "d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592");
}

static void test_million_a(void)
{
    struct sha256_ctx c;
    uint8_t d[SHA256_DIGEST_LEN];
    char chunk[1000], got[65];

    memset(chunk, 'a', sizeof(chunk));
    sha256_init(&c);
    for (int i = 0; i < 1000; i++)
        sha256_update(&c, chunk, sizeof(chunk));
    sha256_final(&c, d);
    sha256_hex(d, got);
    UNIT_CHECK(strcmp(got, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0") == 0,
               "sha256 of one million 'a' in 1000-byte pieces");
}

/* Every length around the 55/56/64-byte padding edges: one-shot and
 * byte-at-a-time updates must give the same digest. */
static void test_split_updates(void)
{
    uint8_t buf[130];
    bool all_same = true;

    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = (uint8_t)(i * 7 + 1);
    for (size_t len = 0; len <= sizeof(buf); len++) {
        uint8_t a[SHA256_DIGEST_LEN], b[SHA256_DIGEST_LEN];
        struct sha256_ctx c;

        sha256(buf, len, a);
        sha256_init(&c);
        for (size_t i = 0; i < len; i++)
            sha256_update(&c, buf + i, 1);
        sha256_final(&c, b);
        if (memcmp(a, b, sizeof(a)) != 0) {
            printf("#   length %zu differs\n", len);
            all_same = false;
        }
    }
    UNIT_CHECK(all_same, "lengths 0..130: one update == byte-by-byte updates");
}

int main(void)
{
    test_vectors();
    test_million_a();
    test_split_updates();
    return unit_finish();
}
