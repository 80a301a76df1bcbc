/* fuzz_jwt_keys: JWT_VERIFY_KEYS text through jwt_parse_keyset().
 *
 * The input is the variable's value. A set the parser accepts must hold 1..JWT_MAX_VERIFY_KEYS
 * keys under valid, distinct kids; written back as "kid:base64url(key)" entries it must parse
 * to the very same set. A refused value must come with a reason. */
#include <sodium.h>

#include "fuzz.h"

#include "jwt.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (sodium_init() < 0)
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_strndup(data, size);
    char again[JWT_MAX_VERIFY_KEYS *
               (JWT_KID_MAX + 2 +
                sodium_base64_ENCODED_LEN(JWT_PUBLIC_KEY_LEN, sodium_base64_VARIANT_URLSAFE_NO_PADDING))];
    struct jwt_keyset ks, back;
    const char *why = NULL;
    size_t at = 0;

    memset(&ks, 0, sizeof ks);
    if (jwt_parse_keyset(text, &ks, &why) != 0) {
        FUZZ_CHECK(why != NULL);
        free(text);
        return 0;
    }
    FUZZ_CHECK(ks.n >= 1 && ks.n <= JWT_MAX_VERIFY_KEYS);
    for (size_t i = 0; i < ks.n; i++) {
        FUZZ_CHECK(jwt_kid_ok(ks.keys[i].kid));
        for (size_t j = 0; j < i; j++)
            FUZZ_CHECK(strcmp(ks.keys[i].kid, ks.keys[j].kid) != 0);
        at += (size_t)snprintf(again + at, sizeof again - at, "%s%s:", i ? "," : "", ks.keys[i].kid);
        sodium_bin2base64(again + at, sizeof again - at, ks.keys[i].pk, JWT_PUBLIC_KEY_LEN,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING);
        at += strlen(again + at);
    }
    memset(&back, 0, sizeof back);
    FUZZ_CHECK(jwt_parse_keyset(again, &back, &why) == 0);
    FUZZ_CHECK(back.n == ks.n);
    for (size_t i = 0; i < ks.n; i++)
        FUZZ_CHECK(strcmp(back.keys[i].kid, ks.keys[i].kid) == 0 &&
                   memcmp(back.keys[i].pk, ks.keys[i].pk, JWT_PUBLIC_KEY_LEN) == 0);
    free(text);
    return 0;
}
