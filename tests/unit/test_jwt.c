/*
 * test_jwt.c - unit tests for common/jwt.c (EdDSA sign and verify, key sets).
 *
 * Hand-made tokens are signed with a helper that signs arbitrary header and
 * payload text with the test's Ed25519 key, so each test reaches the check it
 * is about instead of stopping at the signature.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "jwt.h"

#define TEST_KID "k1"
#define TEST_OTHER_KID "k2"
#define TEST_SEED_BYTE 0x11
#define TEST_OTHER_SEED_BYTE 0x22
#define TEST_ISSUER "ecomovex-user-service"
#define TEST_NOW 1700000000LL
#define TEST_TTL 900LL
#define TEST_LEEWAY 30LL
#define TEST_SUB 42LL
#define TEST_VER 3
#define TEST_TOKEN_CAP (JWT_MAX_LEN + 1)
#define TEST_SMALL_CAP 16
#define TEST_SIG_LEN crypto_sign_BYTES
#define TEST_B64 sodium_base64_VARIANT_URLSAFE_NO_PADDING

#define ED_HEADER "{\"alg\":\"EdDSA\",\"typ\":\"JWT\",\"kid\":\"" TEST_KID "\"}"
/* A well-formed payload for TEST_ISSUER, valid at TEST_NOW; sub and role vary per test. */
#define GOOD_PAYLOAD(sub, role)                                                                                        \
    "{\"sub\":\"" sub "\",\"role\":\"" role "\",\"iat\":1700000000,"                                                   \
    "\"exp\":1700000900,\"iss\":\"" TEST_ISSUER "\",\"ver\":1}"

static struct jwt_signer signer, other_signer;
static struct jwt_keyset keyset; /* TEST_KID: signer's public key */

static int setup_keys(void **state)
{
    unsigned char seed[JWT_SEED_LEN];
    const char *why;

    (void)state;
    memset(seed, TEST_SEED_BYTE, sizeof seed);
    if (jwt_signer_from_seed(&signer, TEST_KID, seed) != 0)
        return -1;
    memset(seed, TEST_OTHER_SEED_BYTE, sizeof seed);
    if (jwt_signer_from_seed(&other_signer, TEST_OTHER_KID, seed) != 0)
        return -1;
    memset(&keyset, 0, sizeof keyset);
    return jwt_keyset_add(&keyset, signer.kid, signer.pk, &why);
}

static const struct jwt_signer *key(void)
{
    return &signer;
}

static struct jwt_claims good_claims(void)
{
    struct jwt_claims c = {
        .sub = TEST_SUB,
        .role = JWT_ROLE_ADMIN,
        .iat = TEST_NOW,
        .exp = TEST_NOW + TEST_TTL,
        .ver = TEST_VER,
    };
    return c;
}

static void append_b64(char *out, size_t cap, const void *bin, size_t len)
{
    size_t used = strlen(out);

    assert_true(cap - used >= sodium_base64_ENCODED_LEN(len, TEST_B64));
    sodium_bin2base64(out + used, cap - used, bin, len, TEST_B64);
}

/* Builds base64url(header).base64url(payload).base64url(Ed25519 signature) with signer. */
static void sign_raw(const char *header, const char *payload, char *out, size_t cap)
{
    unsigned char sig[TEST_SIG_LEN];

    out[0] = '\0';
    append_b64(out, cap, header, strlen(header));
    strcat(out, ".");
    append_b64(out, cap, payload, strlen(payload));
    assert_int_equal(crypto_sign_detached(sig, NULL, (const unsigned char *)out, strlen(out), signer.sk), 0);
    strcat(out, ".");
    append_b64(out, cap, sig, sizeof sig);
}

static enum jwt_status verify(const char *token, struct jwt_claims *out)
{
    return jwt_verify(token, strlen(token), TEST_ISSUER, &keyset, TEST_NOW, TEST_LEEWAY, out);
}

static enum jwt_status verify_raw(const char *header, const char *payload)
{
    char token[TEST_TOKEN_CAP];
    struct jwt_claims c;

    sign_raw(header, payload, token, sizeof token);
    return verify(token, &c);
}

static void sign_good(char *token, size_t cap)
{
    struct jwt_claims c = good_claims();

    assert_int_equal(jwt_sign(&c, TEST_ISSUER, key(), token, cap), 0);
}

/* ---- happy paths ---- */

static void test_sign_verify_round_trip(void **state)
{
    char token[TEST_TOKEN_CAP];
    struct jwt_claims in = good_claims(), out;

    (void)state;
    sign_good(token, sizeof token);
    assert_int_equal(verify(token, &out), JWT_OK);
    assert_int_equal(out.sub, in.sub);
    assert_int_equal(out.role, in.role);
    assert_int_equal(out.iat, in.iat);
    assert_int_equal(out.exp, in.exp);
    assert_int_equal(out.ver, in.ver);
}

static void test_user_role_round_trips(void **state)
{
    char token[TEST_TOKEN_CAP];
    struct jwt_claims in = good_claims(), out;

    (void)state;
    in.role = JWT_ROLE_USER;
    assert_int_equal(jwt_sign(&in, TEST_ISSUER, key(), token, sizeof token), 0);
    assert_int_equal(verify(token, &out), JWT_OK);
    assert_int_equal(out.role, JWT_ROLE_USER);
}

static void test_header_without_typ_is_accepted(void **state)
{
    (void)state;
    assert_int_equal(verify_raw("{\"alg\":\"EdDSA\",\"kid\":\"k1\"}", GOOD_PAYLOAD("7", "user")), JWT_OK);
}

static void test_missing_ver_defaults_to_zero(void **state)
{
    char token[TEST_TOKEN_CAP];
    struct jwt_claims c;

    (void)state;
    sign_raw(ED_HEADER,
             "{\"sub\":\"7\",\"role\":\"user\",\"iat\":1700000000,\"exp\":1700000900,"
             "\"iss\":\"" TEST_ISSUER "\"}",
             token, sizeof token);
    c.ver = -1;
    assert_int_equal(verify(token, &c), JWT_OK);
    assert_int_equal(c.ver, 0);
}

static void test_token_not_nul_terminated_is_accepted(void **state)
{
    char token[TEST_TOKEN_CAP];
    char *copy;
    size_t n;
    struct jwt_claims c;

    (void)state;
    sign_good(token, sizeof token);
    n = strlen(token);
    /* Exactly n bytes on the heap: ASan flags any read past len. */
    copy = malloc(n);
    assert_non_null(copy);
    memcpy(copy, token, n);
    assert_int_equal(jwt_verify(copy, n, TEST_ISSUER, &keyset, TEST_NOW, TEST_LEEWAY, &c), JWT_OK);
    free(copy);
}

static void test_len_shorter_than_buffer_ignores_the_rest(void **state)
{
    char token[TEST_TOKEN_CAP + TEST_SMALL_CAP];
    size_t n;
    struct jwt_claims c;

    (void)state;
    sign_good(token, TEST_TOKEN_CAP);
    n = strlen(token);
    memcpy(token + n, ".junk!", sizeof ".junk!");
    assert_int_equal(jwt_verify(token, n, TEST_ISSUER, &keyset, TEST_NOW, TEST_LEEWAY, &c), JWT_OK);
}

/* ---- expiry ---- */

static void test_expired_token_is_rejected(void **state)
{
    char token[TEST_TOKEN_CAP];
    struct jwt_claims c = good_claims();

    (void)state;
    c.exp = TEST_NOW - TEST_LEEWAY;
    assert_int_equal(jwt_sign(&c, TEST_ISSUER, key(), token, sizeof token), 0);
    assert_int_equal(verify(token, &c), JWT_EXPIRED);
}

static void test_exp_within_leeway_is_accepted(void **state)
{
    char token[TEST_TOKEN_CAP];
    struct jwt_claims c = good_claims();

    (void)state;
    c.exp = TEST_NOW - TEST_LEEWAY + 1;
    assert_int_equal(jwt_sign(&c, TEST_ISSUER, key(), token, sizeof token), 0);
    assert_int_equal(verify(token, &c), JWT_OK);
}

static void test_failed_verify_leaves_output_untouched(void **state)
{
    char token[TEST_TOKEN_CAP];
    struct jwt_claims c = good_claims(), out;

    (void)state;
    c.exp = TEST_NOW - TEST_TTL;
    assert_int_equal(jwt_sign(&c, TEST_ISSUER, key(), token, sizeof token), 0);
    memset(&out, 0x5a, sizeof out);
    assert_int_equal(verify(token, &out), JWT_EXPIRED);
    assert_int_equal(out.sub, 0x5a5a5a5a5a5a5a5aLL);
}

/* ---- signature and issuer ---- */

static void test_other_key_under_known_kid_is_bad_signature(void **state)
{
    char token[TEST_TOKEN_CAP];
    struct jwt_claims c = good_claims();
    struct jwt_signer forged = other_signer;

    (void)state;
    /* A key we do not hold, claiming our kid: the kid picks the key, the key refuses it. */
    memcpy(forged.kid, TEST_KID, sizeof TEST_KID);
    assert_int_equal(jwt_sign(&c, TEST_ISSUER, &forged, token, sizeof token), 0);
    assert_int_equal(verify(token, &c), JWT_BAD_SIGNATURE);
}

static void test_unknown_kid_is_unknown_kid(void **state)
{
    char token[TEST_TOKEN_CAP];
    struct jwt_claims c = good_claims();

    (void)state;
    assert_int_equal(jwt_sign(&c, TEST_ISSUER, &other_signer, token, sizeof token), 0);
    assert_int_equal(verify(token, &c), JWT_UNKNOWN_KID);
    assert_int_equal(jwt_verify(token, strlen(token), TEST_ISSUER, NULL, TEST_NOW, TEST_LEEWAY, &c), JWT_UNKNOWN_KID);
}

static void test_second_key_verifies_and_rotates_out(void **state)
{
    char token[TEST_TOKEN_CAP];
    struct jwt_claims c = good_claims(), out;
    struct jwt_keyset both = keyset, old = keyset;
    const char *why;

    (void)state;
    /* Rotation: the verifier lists the new key before the signer switches to it... */
    assert_int_equal(jwt_keyset_add(&both, other_signer.kid, other_signer.pk, &why), 0);
    assert_int_equal(jwt_sign(&c, TEST_ISSUER, &other_signer, token, sizeof token), 0);
    assert_int_equal(jwt_verify(token, strlen(token), TEST_ISSUER, &both, TEST_NOW, TEST_LEEWAY, &out), JWT_OK);
    assert_int_equal(out.sub, TEST_SUB);
    sign_good(token, sizeof token); /* ...and still accepts the old key's tokens */
    assert_int_equal(jwt_verify(token, strlen(token), TEST_ISSUER, &both, TEST_NOW, TEST_LEEWAY, &out), JWT_OK);
    /* Without the new key listed, its tokens are refused. */
    assert_int_equal(jwt_sign(&c, TEST_ISSUER, &other_signer, token, sizeof token), 0);
    assert_int_equal(jwt_verify(token, strlen(token), TEST_ISSUER, &old, TEST_NOW, TEST_LEEWAY, &out), JWT_UNKNOWN_KID);
}

static void test_hs256_token_is_bad_alg(void **state)
{
    char token[TEST_TOKEN_CAP] = "";
    const char *header = "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"" TEST_KID "\"}";
    const char *payload = GOOD_PAYLOAD("7", "admin");
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_state st;
    struct jwt_claims c;

    (void)state;
    append_b64(token, sizeof token, header, strlen(header));
    strcat(token, ".");
    append_b64(token, sizeof token, payload, strlen(payload));
    /* Alg confusion: an HMAC keyed with the (public) verification key. */
    crypto_auth_hmacsha256_init(&st, keyset.keys[0].pk, JWT_PUBLIC_KEY_LEN);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)token, strlen(token));
    crypto_auth_hmacsha256_final(&st, mac);
    strcat(token, ".");
    append_b64(token, sizeof token, mac, sizeof mac);
    assert_int_equal(verify(token, &c), JWT_BAD_ALG);
}

static void test_flipped_signature_byte_is_bad_signature(void **state)
{
    char token[TEST_TOKEN_CAP];
    char *sig;
    struct jwt_claims c;

    (void)state;
    sign_good(token, sizeof token);
    sig = strrchr(token, '.') + 1;
    sig[10] = (sig[10] == 'A') ? 'B' : 'A';
    assert_int_equal(verify(token, &c), JWT_BAD_SIGNATURE);
}

static void test_missing_kid_is_malformed(void **state)
{
    (void)state;
    assert_int_equal(verify_raw("{\"alg\":\"EdDSA\",\"typ\":\"JWT\"}", GOOD_PAYLOAD("7", "user")), JWT_MALFORMED);
    assert_int_equal(verify_raw("{\"alg\":\"EdDSA\",\"kid\":1}", GOOD_PAYLOAD("7", "user")), JWT_MALFORMED);
}

/* ---- key configuration ---- */

static void test_keyset_parses_two_entries(void **state)
{
    char text[256], pk1[64], pk2[64];
    struct jwt_keyset ks;
    const char *why = NULL;

    (void)state;
    sodium_bin2base64(pk1, sizeof pk1, signer.pk, sizeof signer.pk, TEST_B64);
    sodium_bin2base64(pk2, sizeof pk2, other_signer.pk, sizeof other_signer.pk, TEST_B64);
    snprintf(text, sizeof text, "k1:%s, k2:%s ", pk1, pk2);
    assert_int_equal(jwt_parse_keyset(text, &ks, &why), 0);
    assert_int_equal(ks.n, 2);
    assert_string_equal(ks.keys[0].kid, "k1");
    assert_memory_equal(ks.keys[0].pk, signer.pk, JWT_PUBLIC_KEY_LEN);
    assert_string_equal(ks.keys[1].kid, "k2");
    assert_memory_equal(ks.keys[1].pk, other_signer.pk, JWT_PUBLIC_KEY_LEN);
}

static void test_keyset_refuses_bad_entries(void **state)
{
    char text[512], pk[64];
    struct jwt_keyset ks;
    const char *why;

    (void)state;
    sodium_bin2base64(pk, sizeof pk, signer.pk, sizeof signer.pk, TEST_B64);
    assert_int_equal(jwt_parse_keyset("", &ks, &why), -1);
    assert_int_equal(jwt_parse_keyset("k1", &ks, &why), -1);
    assert_int_equal(jwt_parse_keyset("k1:", &ks, &why), -1);
    assert_int_equal(jwt_parse_keyset("k1:abc", &ks, &why), -1); /* too short */
    snprintf(text, sizeof text, ":%s", pk);
    assert_int_equal(jwt_parse_keyset(text, &ks, &why), -1); /* empty kid */
    snprintf(text, sizeof text, "k 1:%s", pk);
    assert_int_equal(jwt_parse_keyset(text, &ks, &why), -1); /* space in kid */
    snprintf(text, sizeof text, "k1:%s=", pk);
    assert_int_equal(jwt_parse_keyset(text, &ks, &why), -1); /* padding */
    snprintf(text, sizeof text, "k1:%sAAAA", pk);
    assert_int_equal(jwt_parse_keyset(text, &ks, &why), -1); /* too long */
    snprintf(text, sizeof text, "k1:%s,", pk);
    assert_int_equal(jwt_parse_keyset(text, &ks, &why), -1); /* trailing comma */
    snprintf(text, sizeof text, "k1:%s,k1:%.42sA", pk, pk);
    assert_int_equal(jwt_parse_keyset(text, &ks, &why), -1); /* one kid, two keys */
    snprintf(text, sizeof text, "a:%s,b:%s,c:%s,d:%s,e:%s", pk, pk, pk, pk, pk);
    assert_int_equal(jwt_parse_keyset(text, &ks, &why), -1); /* more than JWT_MAX_VERIFY_KEYS */
    snprintf(text, sizeof text, "k1:%s,k1:%s", pk, pk);
    assert_int_equal(jwt_parse_keyset(text, &ks, &why), 0); /* a repeated entry is harmless */
    assert_int_equal(ks.n, 1);
}

static void test_kid_rules(void **state)
{
    (void)state;
    assert_true(jwt_kid_ok("k1"));
    assert_true(jwt_kid_ok("2026-12.a_b"));
    assert_true(jwt_kid_ok("abcdefghijklmnopqrstuvwxyz012345"));   /* 32 */
    assert_false(jwt_kid_ok("abcdefghijklmnopqrstuvwxyz0123456")); /* 33 */
    assert_false(jwt_kid_ok(""));
    assert_false(jwt_kid_ok(NULL));
    assert_false(jwt_kid_ok("k\""));
    assert_false(jwt_kid_ok("k:1"));
}

static void test_signer_from_seed_is_deterministic(void **state)
{
    unsigned char seed[JWT_SEED_LEN];
    struct jwt_signer again;

    (void)state;
    memset(seed, TEST_SEED_BYTE, sizeof seed);
    assert_int_equal(jwt_signer_from_seed(&again, "k1", seed), 0);
    assert_memory_equal(again.pk, signer.pk, JWT_PUBLIC_KEY_LEN);
    assert_int_equal(jwt_signer_from_seed(&again, "bad kid", seed), -1);
}

static void test_flipped_payload_byte_is_bad_signature(void **state)
{
    char token[TEST_TOKEN_CAP];
    char *payload, *mid;
    struct jwt_claims c;

    (void)state;
    sign_good(token, sizeof token);
    payload = strchr(token, '.') + 1;
    mid = payload + (strchr(payload, '.') - payload) / 2;
    /* Another base64url letter in the middle: still decodes, different bytes. */
    *mid = (*mid == 'A') ? 'B' : 'A';
    assert_int_equal(verify(token, &c), JWT_BAD_SIGNATURE);
}

static void test_wrong_issuer_is_bad_issuer(void **state)
{
    char token[TEST_TOKEN_CAP];
    struct jwt_claims c = good_claims();

    (void)state;
    assert_int_equal(jwt_sign(&c, "someone-else", key(), token, sizeof token), 0);
    assert_int_equal(verify(token, &c), JWT_BAD_ISSUER);
}

static void test_missing_issuer_is_bad_issuer(void **state)
{
    (void)state;
    assert_int_equal(verify_raw(ED_HEADER, "{\"sub\":\"7\",\"role\":\"user\",\"iat\":1,\"exp\":1700000900}"),
                     JWT_BAD_ISSUER);
}

/* ---- algorithm ---- */

static void test_alg_none_is_bad_alg(void **state)
{
    char token[TEST_TOKEN_CAP] = "";
    const char *header = "{\"alg\":\"none\"}";
    const char *payload = GOOD_PAYLOAD("7", "admin");
    struct jwt_claims c;

    (void)state;
    append_b64(token, sizeof token, header, strlen(header));
    strcat(token, ".");
    append_b64(token, sizeof token, payload, strlen(payload));
    strcat(token, "."); /* empty signature, as alg none prescribes */
    assert_int_equal(verify(token, &c), JWT_BAD_ALG);
}

static void test_alg_hs512_is_bad_alg(void **state)
{
    (void)state;
    assert_int_equal(verify_raw("{\"alg\":\"HS512\",\"typ\":\"JWT\",\"kid\":\"k1\"}", GOOD_PAYLOAD("7", "user")),
                     JWT_BAD_ALG);
}

static void test_alg_rs256_is_bad_alg(void **state)
{
    (void)state;
    assert_int_equal(verify_raw("{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"k1\"}", GOOD_PAYLOAD("7", "user")),
                     JWT_BAD_ALG);
}

static void test_alg_lowercase_is_bad_alg(void **state)
{
    (void)state;
    assert_int_equal(verify_raw("{\"alg\":\"eddsa\",\"kid\":\"k1\"}", GOOD_PAYLOAD("7", "user")), JWT_BAD_ALG);
}

static void test_missing_alg_is_bad_alg(void **state)
{
    (void)state;
    assert_int_equal(verify_raw("{\"typ\":\"JWT\"}", GOOD_PAYLOAD("7", "user")), JWT_BAD_ALG);
}

/* ---- malformed ---- */

static void assert_malformed(const char *token)
{
    struct jwt_claims c;

    assert_int_equal(verify(token, &c), JWT_MALFORMED);
}

static void test_garbage_is_malformed(void **state)
{
    (void)state;
    assert_malformed("this is not a token");
}

static void test_empty_is_malformed(void **state)
{
    (void)state;
    assert_malformed("");
}

static void test_too_long_is_malformed(void **state)
{
    char token[TEST_TOKEN_CAP + 1];
    size_t n;

    (void)state;
    sign_good(token, TEST_TOKEN_CAP);
    /* Pad the (valid) signature segment past JWT_MAX_LEN. */
    for (n = strlen(token); n < JWT_MAX_LEN + 1; n++)
        token[n] = 'A';
    token[n] = '\0';
    assert_malformed(token);
}

static void test_only_two_dots_is_malformed(void **state)
{
    (void)state;
    assert_malformed("..");
}

static void test_one_dot_is_malformed(void **state)
{
    char token[TEST_TOKEN_CAP];

    (void)state;
    sign_good(token, sizeof token);
    *strrchr(token, '.') = '\0';
    assert_malformed(token);
}

static void test_four_segments_is_malformed(void **state)
{
    char token[TEST_TOKEN_CAP];

    (void)state;
    sign_good(token, sizeof token - sizeof ".AAAA");
    strcat(token, ".AAAA");
    assert_malformed(token);
}

static void test_four_dots_is_malformed(void **state)
{
    (void)state;
    assert_malformed("....");
}

static void test_empty_header_is_malformed(void **state)
{
    char token[TEST_TOKEN_CAP];

    (void)state;
    sign_good(token, sizeof token);
    assert_malformed(strchr(token, '.'));
}

static void test_empty_signature_is_malformed(void **state)
{
    char token[TEST_TOKEN_CAP];

    (void)state;
    sign_good(token, sizeof token);
    strrchr(token, '.')[1] = '\0';
    assert_malformed(token);
}

static void test_truncated_signature_is_malformed(void **state)
{
    char token[TEST_TOKEN_CAP];

    (void)state;
    sign_good(token, sizeof token);
    token[strlen(token) - 1] = '\0';
    assert_malformed(token);
}

static void test_non_canonical_signature_is_malformed(void **state)
{
    char token[TEST_TOKEN_CAP];
    char *last;

    (void)state;
    sign_good(token, sizeof token);
    /* 64 bytes = 85 full characters + 2 bits: the last character's 4 low bits
       must be zero. Setting one gives a second spelling of the same signature. */
    last = token + strlen(token) - 1;
    /* Its alphabet index is a multiple of 16, so the next character is in the
       same A-Z / a-z / 0-9 run and differs only in the lowest bit. */
    *last = (char)(*last + 1);
    assert_malformed(token);
}

static void test_padding_character_is_malformed(void **state)
{
    char token[TEST_TOKEN_CAP];

    (void)state;
    sign_good(token, sizeof token - 1);
    strcat(token, "=");
    assert_malformed(token);
}

static void test_standard_base64_character_is_malformed(void **state)
{
    char token[TEST_TOKEN_CAP];

    (void)state;
    sign_good(token, sizeof token);
    token[1] = '+';
    assert_malformed(token);
}

static void test_embedded_nul_is_malformed(void **state)
{
    char token[TEST_TOKEN_CAP];
    struct jwt_claims c;
    size_t n;

    (void)state;
    sign_good(token, sizeof token);
    n = strlen(token);
    token[n / 2] = '\0';
    assert_int_equal(jwt_verify(token, n, TEST_ISSUER, &keyset, TEST_NOW, TEST_LEEWAY, &c), JWT_MALFORMED);
}

static void test_header_not_json_is_malformed(void **state)
{
    (void)state;
    assert_int_equal(verify_raw("alg=HS256", GOOD_PAYLOAD("7", "user")), JWT_MALFORMED);
}

static void test_header_not_object_is_malformed(void **state)
{
    (void)state;
    assert_int_equal(verify_raw("[\"HS256\"]", GOOD_PAYLOAD("7", "user")), JWT_MALFORMED);
}

static void test_header_trailing_garbage_is_malformed(void **state)
{
    (void)state;
    assert_int_equal(verify_raw("{\"alg\":\"EdDSA\",\"kid\":\"k1\"}x", GOOD_PAYLOAD("7", "user")), JWT_MALFORMED);
}

static void test_header_duplicate_alg_is_malformed(void **state)
{
    (void)state;
    assert_int_equal(verify_raw("{\"alg\":\"EdDSA\",\"kid\":\"k1\",\"alg\":\"none\"}", GOOD_PAYLOAD("7", "user")),
                     JWT_MALFORMED);
}

static void test_header_extra_member_is_malformed(void **state)
{
    (void)state;
    assert_int_equal(verify_raw("{\"alg\":\"EdDSA\",\"kid\":\"k1\",\"crit\":[\"exp\"]}", GOOD_PAYLOAD("7", "user")),
                     JWT_MALFORMED);
}

static void test_header_wrong_typ_is_malformed(void **state)
{
    (void)state;
    assert_int_equal(verify_raw("{\"alg\":\"EdDSA\",\"kid\":\"k1\",\"typ\":\"JWE\"}", GOOD_PAYLOAD("7", "user")),
                     JWT_MALFORMED);
}

static void test_payload_not_object_is_malformed(void **state)
{
    (void)state;
    assert_int_equal(verify_raw(ED_HEADER, "[1,2,3]"), JWT_MALFORMED);
}

static void test_payload_not_json_is_malformed(void **state)
{
    (void)state;
    assert_int_equal(verify_raw(ED_HEADER, "{\"sub\":"), JWT_MALFORMED);
}

static void test_payload_duplicate_claim_is_malformed(void **state)
{
    (void)state;
    assert_int_equal(verify_raw(ED_HEADER, "{\"sub\":\"7\",\"role\":\"user\",\"role\":\"admin\",\"iat\":1,"
                                           "\"exp\":1700000900,\"iss\":\"" TEST_ISSUER "\"}"),
                     JWT_MALFORMED);
}

/* ---- claims ---- */

static void test_non_numeric_sub_is_bad_claims(void **state)
{
    (void)state;
    assert_int_equal(verify_raw(ED_HEADER, GOOD_PAYLOAD("abc", "user")), JWT_BAD_CLAIMS);
}

static void test_zero_sub_is_bad_claims(void **state)
{
    (void)state;
    assert_int_equal(verify_raw(ED_HEADER, GOOD_PAYLOAD("0", "user")), JWT_BAD_CLAIMS);
}

static void test_negative_sub_is_bad_claims(void **state)
{
    (void)state;
    assert_int_equal(verify_raw(ED_HEADER, GOOD_PAYLOAD("-5", "user")), JWT_BAD_CLAIMS);
}

static void test_overflowing_sub_is_bad_claims(void **state)
{
    (void)state;
    assert_int_equal(verify_raw(ED_HEADER, GOOD_PAYLOAD("9223372036854775808", "user")), JWT_BAD_CLAIMS);
}

static void test_numeric_sub_is_bad_claims(void **state)
{
    (void)state;
    assert_int_equal(verify_raw(ED_HEADER, "{\"sub\":7,\"role\":\"user\",\"iat\":1,\"exp\":1700000900,"
                                           "\"iss\":\"" TEST_ISSUER "\"}"),
                     JWT_BAD_CLAIMS);
}

static void test_root_role_is_bad_claims(void **state)
{
    (void)state;
    assert_int_equal(verify_raw(ED_HEADER, GOOD_PAYLOAD("7", "root")), JWT_BAD_CLAIMS);
}

static void test_missing_exp_is_bad_claims(void **state)
{
    (void)state;
    assert_int_equal(verify_raw(ED_HEADER, "{\"sub\":\"7\",\"role\":\"user\",\"iat\":1,\"iss\":\"" TEST_ISSUER "\"}"),
                     JWT_BAD_CLAIMS);
}

static void test_fractional_exp_is_bad_claims(void **state)
{
    (void)state;
    assert_int_equal(verify_raw(ED_HEADER, "{\"sub\":\"7\",\"role\":\"user\",\"iat\":1,\"exp\":1700000900.5,"
                                           "\"iss\":\"" TEST_ISSUER "\"}"),
                     JWT_BAD_CLAIMS);
}

static void test_string_exp_is_bad_claims(void **state)
{
    (void)state;
    assert_int_equal(verify_raw(ED_HEADER, "{\"sub\":\"7\",\"role\":\"user\",\"iat\":1,\"exp\":\"1700000900\","
                                           "\"iss\":\"" TEST_ISSUER "\"}"),
                     JWT_BAD_CLAIMS);
}

static void test_exp_beyond_2_pow_53_is_bad_claims(void **state)
{
    (void)state;
    assert_int_equal(verify_raw(ED_HEADER, "{\"sub\":\"7\",\"role\":\"user\",\"iat\":1,\"exp\":1e300,"
                                           "\"iss\":\"" TEST_ISSUER "\"}"),
                     JWT_BAD_CLAIMS);
}

static void test_fractional_iat_is_bad_claims(void **state)
{
    (void)state;
    assert_int_equal(verify_raw(ED_HEADER, "{\"sub\":\"7\",\"role\":\"user\",\"iat\":0.5,\"exp\":1700000900,"
                                           "\"iss\":\"" TEST_ISSUER "\"}"),
                     JWT_BAD_CLAIMS);
}

static void test_negative_ver_is_bad_claims(void **state)
{
    (void)state;
    assert_int_equal(verify_raw(ED_HEADER, "{\"sub\":\"7\",\"role\":\"user\",\"iat\":1,\"exp\":1700000900,"
                                           "\"iss\":\"" TEST_ISSUER "\",\"ver\":-1}"),
                     JWT_BAD_CLAIMS);
}

/* ---- signing ---- */

static void test_sign_fails_when_buffer_too_small(void **state)
{
    char token[TEST_SMALL_CAP];
    struct jwt_claims c = good_claims();

    (void)state;
    assert_int_equal(jwt_sign(&c, TEST_ISSUER, key(), token, sizeof token), -1);
}

static void test_sign_rejects_issuer_needing_escape(void **state)
{
    char token[TEST_TOKEN_CAP];
    struct jwt_claims c = good_claims();

    (void)state;
    assert_int_equal(jwt_sign(&c, "evil\",\"role\":\"admin", key(), token, sizeof token), -1);
}

static void test_sign_rejects_bad_kid(void **state)
{
    char token[TEST_TOKEN_CAP];
    struct jwt_claims c = good_claims();
    struct jwt_signer bad = signer;

    (void)state;
    memcpy(bad.kid, "a\"b", sizeof "a\"b");
    assert_int_equal(jwt_sign(&c, TEST_ISSUER, &bad, token, sizeof token), -1);
}

static void test_sign_rejects_non_positive_sub(void **state)
{
    char token[TEST_TOKEN_CAP];
    struct jwt_claims c = good_claims();

    (void)state;
    c.sub = 0;
    assert_int_equal(jwt_sign(&c, TEST_ISSUER, key(), token, sizeof token), -1);
}

static void test_status_str_names_every_status(void **state)
{
    int a, b;

    (void)state;
    /* Every status has its own name, so logs can tell them apart. */
    for (a = JWT_OK; a <= JWT_BAD_CLAIMS; a++)
        for (b = a + 1; b <= JWT_BAD_CLAIMS; b++)
            assert_string_not_equal(jwt_status_str((enum jwt_status)a), jwt_status_str((enum jwt_status)b));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sign_verify_round_trip),
        cmocka_unit_test(test_user_role_round_trips),
        cmocka_unit_test(test_header_without_typ_is_accepted),
        cmocka_unit_test(test_missing_ver_defaults_to_zero),
        cmocka_unit_test(test_token_not_nul_terminated_is_accepted),
        cmocka_unit_test(test_len_shorter_than_buffer_ignores_the_rest),
        cmocka_unit_test(test_expired_token_is_rejected),
        cmocka_unit_test(test_exp_within_leeway_is_accepted),
        cmocka_unit_test(test_failed_verify_leaves_output_untouched),
        cmocka_unit_test(test_other_key_under_known_kid_is_bad_signature),
        cmocka_unit_test(test_unknown_kid_is_unknown_kid),
        cmocka_unit_test(test_second_key_verifies_and_rotates_out),
        cmocka_unit_test(test_hs256_token_is_bad_alg),
        cmocka_unit_test(test_flipped_signature_byte_is_bad_signature),
        cmocka_unit_test(test_missing_kid_is_malformed),
        cmocka_unit_test(test_keyset_parses_two_entries),
        cmocka_unit_test(test_keyset_refuses_bad_entries),
        cmocka_unit_test(test_kid_rules),
        cmocka_unit_test(test_signer_from_seed_is_deterministic),
        cmocka_unit_test(test_flipped_payload_byte_is_bad_signature),
        cmocka_unit_test(test_wrong_issuer_is_bad_issuer),
        cmocka_unit_test(test_missing_issuer_is_bad_issuer),
        cmocka_unit_test(test_alg_none_is_bad_alg),
        cmocka_unit_test(test_alg_hs512_is_bad_alg),
        cmocka_unit_test(test_alg_rs256_is_bad_alg),
        cmocka_unit_test(test_alg_lowercase_is_bad_alg),
        cmocka_unit_test(test_missing_alg_is_bad_alg),
        cmocka_unit_test(test_garbage_is_malformed),
        cmocka_unit_test(test_empty_is_malformed),
        cmocka_unit_test(test_too_long_is_malformed),
        cmocka_unit_test(test_only_two_dots_is_malformed),
        cmocka_unit_test(test_one_dot_is_malformed),
        cmocka_unit_test(test_four_segments_is_malformed),
        cmocka_unit_test(test_four_dots_is_malformed),
        cmocka_unit_test(test_empty_header_is_malformed),
        cmocka_unit_test(test_empty_signature_is_malformed),
        cmocka_unit_test(test_truncated_signature_is_malformed),
        cmocka_unit_test(test_non_canonical_signature_is_malformed),
        cmocka_unit_test(test_padding_character_is_malformed),
        cmocka_unit_test(test_standard_base64_character_is_malformed),
        cmocka_unit_test(test_embedded_nul_is_malformed),
        cmocka_unit_test(test_header_not_json_is_malformed),
        cmocka_unit_test(test_header_not_object_is_malformed),
        cmocka_unit_test(test_header_trailing_garbage_is_malformed),
        cmocka_unit_test(test_header_duplicate_alg_is_malformed),
        cmocka_unit_test(test_header_extra_member_is_malformed),
        cmocka_unit_test(test_header_wrong_typ_is_malformed),
        cmocka_unit_test(test_payload_not_object_is_malformed),
        cmocka_unit_test(test_payload_not_json_is_malformed),
        cmocka_unit_test(test_payload_duplicate_claim_is_malformed),
        cmocka_unit_test(test_non_numeric_sub_is_bad_claims),
        cmocka_unit_test(test_zero_sub_is_bad_claims),
        cmocka_unit_test(test_negative_sub_is_bad_claims),
        cmocka_unit_test(test_overflowing_sub_is_bad_claims),
        cmocka_unit_test(test_numeric_sub_is_bad_claims),
        cmocka_unit_test(test_root_role_is_bad_claims),
        cmocka_unit_test(test_missing_exp_is_bad_claims),
        cmocka_unit_test(test_fractional_exp_is_bad_claims),
        cmocka_unit_test(test_string_exp_is_bad_claims),
        cmocka_unit_test(test_exp_beyond_2_pow_53_is_bad_claims),
        cmocka_unit_test(test_fractional_iat_is_bad_claims),
        cmocka_unit_test(test_negative_ver_is_bad_claims),
        cmocka_unit_test(test_sign_fails_when_buffer_too_small),
        cmocka_unit_test(test_sign_rejects_issuer_needing_escape),
        cmocka_unit_test(test_sign_rejects_bad_kid),
        cmocka_unit_test(test_sign_rejects_non_positive_sub),
        cmocka_unit_test(test_status_str_names_every_status),
    };

    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests(tests, setup_keys, NULL);
}
