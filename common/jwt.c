/*
 * jwt.c - EdDSA (Ed25519) JSON Web Tokens: signing and strict verification.
 *
 * Verification order: structure and alphabet first (cheap, no allocation),
 * then the header's algorithm and key id, then the signature, and only then is
 * the payload JSON parsed, so unauthenticated input never reaches the claims parser.
 */
#include "jwt.h"
#include "exact_int.h"

#include <cjson/cJSON.h>
#include <sodium.h>

#include <limits.h>
#include <stdio.h>
#include <string.h>

#define JWT_ALG_NAME "EdDSA"
#define JWT_TYP_NAME "JWT"
#define JWT_KEY_ALG "alg"
#define JWT_KEY_TYP "typ"
#define JWT_KEY_KID "kid"
#define JWT_CLAIM_SUB "sub"
#define JWT_CLAIM_ROLE "role"
#define JWT_CLAIM_IAT "iat"
#define JWT_CLAIM_EXP "exp"
#define JWT_CLAIM_ISS "iss"
#define JWT_CLAIM_VER "ver"
#define JWT_ROLE_USER_STR "user"
#define JWT_ROLE_ADMIN_STR "admin"

/* The header we emit (kid filled in); verification accepts it with or without "typ". */
#define JWT_HEADER_FMT                                                                                                 \
    "{\"" JWT_KEY_ALG "\":\"" JWT_ALG_NAME "\",\"" JWT_KEY_TYP "\":\"" JWT_TYP_NAME "\",\"" JWT_KEY_KID "\":\"%s\"}"
#define JWT_HEADER_MAX 128

#define JWT_SIG_LEN crypto_sign_BYTES
#define JWT_KEYSET_SEP ','
#define JWT_KID_SEP ':'
#define JWT_B64_KEY_MAX 64 /* a 32-byte key is 43 characters of base64url */
#define JWT_B64_VARIANT sodium_base64_VARIANT_URLSAFE_NO_PADDING
#define JWT_SEGMENTS 3 /* header.payload.signature */
#define JWT_SEPARATOR '.'
#define JWT_DECIMAL_BASE 10

/* Largest integer a double (and so cJSON, and JavaScript) holds exactly: 2^53. */
#define JWT_MIN_TIME 0LL

/* A token is a string; one spare byte for the NUL that cJSON needs. */
#define JWT_BUF_LEN (JWT_MAX_LEN + 1)

struct jwt_segment {
    const char *p;
    size_t n;
};

static int jwt_is_b64url_char(char ch)
{
    /* Explicit ranges rather than isalnum(): independent of the locale. */
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_';
}

static int jwt_is_issuer_char(char ch)
{
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' ||
           ch == ':' || ch == '-';
}

/* Issuers are restricted so they can be pasted into JSON without escaping. */
static int jwt_issuer_ok(const char *issuer)
{
    if (*issuer == '\0')
        return 0;
    for (; *issuer != '\0'; issuer++)
        if (!jwt_is_issuer_char(*issuer))
            return 0;
    return 1;
}

static int jwt_time_ok(long long t)
{
    return t >= JWT_MIN_TIME && t <= EXACT_INT_MAX;
}

static const char *jwt_role_name(enum jwt_role role)
{
    switch (role) {
    case JWT_ROLE_USER: return JWT_ROLE_USER_STR;
    case JWT_ROLE_ADMIN: return JWT_ROLE_ADMIN_STR;
    }
    return NULL;
}

/* Appends base64url(bin) at buf[*pos], keeping buf NUL-terminated. */
static int jwt_b64_append(char *buf, size_t cap, size_t *pos, const void *bin, size_t len)
{
    size_t need = sodium_base64_ENCODED_LEN(len, JWT_B64_VARIANT); /* includes the NUL */

    /* sodium_bin2base64 aborts the process on a short buffer: check first. */
    if (cap - *pos < need)
        return -1;
    sodium_bin2base64(buf + *pos, cap - *pos, bin, len, JWT_B64_VARIANT);
    *pos += need - 1;
    return 0;
}

static int jwt_char_append(char *buf, size_t cap, size_t *pos, char ch)
{
    if (cap - *pos < 2) /* the character and the NUL */
        return -1;
    buf[(*pos)++] = ch;
    buf[*pos] = '\0';
    return 0;
}

_Static_assert(JWT_SEED_LEN == crypto_sign_SEEDBYTES, "seed length");
_Static_assert(JWT_PUBLIC_KEY_LEN == crypto_sign_PUBLICKEYBYTES, "public key length");
_Static_assert(JWT_SECRET_KEY_LEN == crypto_sign_SECRETKEYBYTES, "secret key length");

int jwt_kid_ok(const char *kid)
{
    size_t n;

    if (kid == NULL)
        return 0;
    for (n = 0; kid[n] != '\0'; n++)
        if (n >= JWT_KID_MAX || !(jwt_is_b64url_char(kid[n]) || kid[n] == '.'))
            return 0;
    return n > 0;
}

int jwt_signer_from_seed(struct jwt_signer *s, const char *kid, const unsigned char seed[JWT_SEED_LEN])
{
    if (s == NULL || seed == NULL || !jwt_kid_ok(kid))
        return -1;
    memset(s, 0, sizeof *s);
    memcpy(s->kid, kid, strlen(kid) + 1);
    return crypto_sign_seed_keypair(s->pk, s->sk, seed) == 0 ? 0 : -1;
}

int jwt_parse_key(const char *text, unsigned char *out, size_t n, const char **why)
{
    size_t len = 0;

    if (text == NULL || sodium_base642bin(out, n, text, strlen(text), NULL, &len, NULL, JWT_B64_VARIANT) != 0) {
        *why = "not base64url without padding, or longer than a key";
        return -1;
    }
    if (len != n) {
        *why = "not a 32-byte key in base64url (43 characters)";
        return -1;
    }
    return 0;
}

int jwt_keyset_add(struct jwt_keyset *ks, const char *kid, const unsigned char pk[JWT_PUBLIC_KEY_LEN], const char **why)
{
    size_t i;

    if (!jwt_kid_ok(kid)) {
        *why = "a kid must be 1 to 32 characters of A-Z a-z 0-9 . _ -";
        return -1;
    }
    for (i = 0; i < ks->n; i++) {
        if (strcmp(ks->keys[i].kid, kid) != 0)
            continue;
        if (memcmp(ks->keys[i].pk, pk, JWT_PUBLIC_KEY_LEN) == 0)
            return 0;
        *why = "one kid names two different keys";
        return -1;
    }
    if (ks->n >= JWT_MAX_VERIFY_KEYS) {
        *why = "too many keys (at most 4)";
        return -1;
    }
    memcpy(ks->keys[ks->n].kid, kid, strlen(kid) + 1);
    memcpy(ks->keys[ks->n].pk, pk, JWT_PUBLIC_KEY_LEN);
    ks->n++;
    return 0;
}

static int jwt_is_space(char ch)
{
    return ch == ' ' || ch == '\t';
}

int jwt_parse_keyset(const char *text, struct jwt_keyset *ks, const char **why)
{
    const char *p = text;

    memset(ks, 0, sizeof *ks);
    if (text == NULL) {
        *why = "not set";
        return -1;
    }
    for (;;) {
        char kid[JWT_KID_MAX + 1], key[JWT_B64_KEY_MAX];
        unsigned char pk[JWT_PUBLIC_KEY_LEN];
        const char *end, *colon;
        size_t klen, vlen;

        while (jwt_is_space(*p))
            p++;
        end = strchr(p, JWT_KEYSET_SEP);
        if (end == NULL)
            end = p + strlen(p);
        colon = memchr(p, JWT_KID_SEP, (size_t)(end - p));
        if (colon == NULL) {
            *why = "expected kid:key entries separated by commas";
            return -1;
        }
        klen = (size_t)(colon - p);
        vlen = (size_t)(end - colon - 1);
        while (vlen > 0 && jwt_is_space(colon[vlen]))
            vlen--;
        if (klen == 0 || klen > JWT_KID_MAX) {
            *why = "a kid must be 1 to 32 characters of A-Z a-z 0-9 . _ -";
            return -1;
        }
        if (vlen >= sizeof key) {
            *why = "not a 32-byte key in base64url (43 characters)";
            return -1;
        }
        memcpy(kid, p, klen);
        kid[klen] = '\0';
        memcpy(key, colon + 1, vlen);
        key[vlen] = '\0';
        if (jwt_parse_key(key, pk, sizeof pk, why) != 0 || jwt_keyset_add(ks, kid, pk, why) != 0)
            return -1;
        if (*end == '\0')
            break;
        p = end + 1;
    }
    return 0;
}

int jwt_sign(const struct jwt_claims *c, const char *issuer, const struct jwt_signer *s, char *out, size_t cap)
{
    char header[JWT_HEADER_MAX];
    char payload[JWT_BUF_LEN];
    char token[JWT_BUF_LEN]; /* token + NUL: anything longer would not verify */
    unsigned char sig[JWT_SIG_LEN];
    const char *role;
    size_t pos = 0;
    int n, h;
    int rc = -1;

    if (c == NULL || issuer == NULL || s == NULL || out == NULL)
        goto out;
    if (!jwt_kid_ok(s->kid) || !jwt_issuer_ok(issuer))
        goto out;
    role = jwt_role_name(c->role);
    /* Refuse to mint tokens that jwt_verify would reject. */
    if (role == NULL || c->sub <= 0 || c->ver < 0 || !jwt_time_ok(c->iat) || !jwt_time_ok(c->exp))
        goto out;

    h = snprintf(header, sizeof header, JWT_HEADER_FMT, s->kid);
    if (h < 0 || (size_t)h >= sizeof header)
        goto out;
    n = snprintf(payload, sizeof payload,
                 "{\"" JWT_CLAIM_SUB "\":\"%lld\",\"" JWT_CLAIM_ROLE "\":\"%s\",\"" JWT_CLAIM_IAT
                 "\":%lld,\"" JWT_CLAIM_EXP "\":%lld,\"" JWT_CLAIM_ISS "\":\"%s\",\"" JWT_CLAIM_VER "\":%d}",
                 c->sub, role, c->iat, c->exp, issuer, c->ver);
    if (n < 0 || (size_t)n >= sizeof payload)
        goto out;

    token[0] = '\0';
    if (jwt_b64_append(token, sizeof token, &pos, header, (size_t)h) != 0 ||
        jwt_char_append(token, sizeof token, &pos, JWT_SEPARATOR) != 0 ||
        jwt_b64_append(token, sizeof token, &pos, payload, (size_t)n) != 0)
        goto out;
    if (crypto_sign_detached(sig, NULL, (const unsigned char *)token, pos, s->sk) != 0)
        goto out;
    if (jwt_char_append(token, sizeof token, &pos, JWT_SEPARATOR) != 0 ||
        jwt_b64_append(token, sizeof token, &pos, sig, sizeof sig) != 0)
        goto out;

    if (pos + 1 > cap)
        goto out;
    memcpy(out, token, pos + 1);
    rc = 0;
out:
    return rc;
}

/* Splits into exactly three segments of base64url characters. The signature
   may be empty here so that an "alg":"none" token is reported as JWT_BAD_ALG. */
static int jwt_split(const char *token, size_t len, struct jwt_segment seg[JWT_SEGMENTS])
{
    size_t i, start = 0, k = 0;

    for (i = 0; i < len; i++) {
        if (token[i] == JWT_SEPARATOR) {
            if (k == JWT_SEGMENTS - 1)
                return -1; /* a third dot */
            seg[k].p = token + start;
            seg[k].n = i - start;
            k++;
            start = i + 1;
        } else if (!jwt_is_b64url_char(token[i])) {
            return -1; /* also catches NUL, '=', '+', '/', spaces */
        }
    }
    if (k != JWT_SEGMENTS - 1)
        return -1;
    seg[k].p = token + start;
    seg[k].n = len - start;
    return (seg[0].n == 0 || seg[1].n == 0) ? -1 : 0;
}

static int jwt_b64_decode(const struct jwt_segment *s, unsigned char *bin, size_t cap, size_t *binlen)
{
    /* No ignore set and no end pointer: every character must be consumed.
       libsodium also rejects non-zero padding bits, so each decoded value
       has exactly one accepted encoding (no signature malleability). */
    return sodium_base642bin(bin, cap, s->p, s->n, NULL, binlen, NULL, JWT_B64_VARIANT);
}

/* cJSON keeps every duplicate and returns the first; another parser might take
   the last. Refusing duplicates removes that ambiguity. */
static int jwt_has_duplicate_keys(const cJSON *obj)
{
    const cJSON *a, *b;

    for (a = obj->child; a != NULL; a = a->next)
        for (b = a->next; b != NULL; b = b->next)
            if (strcmp(a->string, b->string) == 0)
                return 1;
    return 0;
}

/* Parses buf[0..len) (buf has room for one more byte) as a JSON object without
   duplicate keys. Caller owns *out (cJSON_Delete). */
static int jwt_parse_object(unsigned char *buf, size_t len, cJSON **out)
{
    cJSON *root = NULL;
    int rc = -1;

    /* cJSON stops at a NUL: an embedded one would hide trailing bytes. */
    if (memchr(buf, '\0', len) != NULL)
        goto out;
    buf[len] = '\0';
    /* require_null_terminated: trailing garbage after the value is an error.
       The length includes the NUL because cJSON checks for it inside the buffer.
       No return_parse_end and no cJSON_GetErrorPtr: keep to per-call state. */
    root = cJSON_ParseWithLengthOpts((const char *)buf, len + 1, NULL, 1);
    if (!cJSON_IsObject(root) || jwt_has_duplicate_keys(root))
        goto out;
    *out = root;
    root = NULL;
    rc = 0;
out:
    cJSON_Delete(root);
    return rc;
}

/* Checks the header and returns (in *key) the verification key its kid names. */
static enum jwt_status jwt_check_header(unsigned char *buf, size_t len, const struct jwt_keyset *ks,
                                        const struct jwt_verify_key **key)
{
    cJSON *root = NULL;
    const cJSON *item;
    enum jwt_status st = JWT_MALFORMED;
    size_t i;

    if (jwt_parse_object(buf, len, &root) != 0)
        goto out;
    item = cJSON_GetObjectItemCaseSensitive(root, JWT_KEY_ALG);
    if (!cJSON_IsString(item) || strcmp(item->valuestring, JWT_ALG_NAME) != 0) {
        st = JWT_BAD_ALG;
        goto out;
    }
    /* Nothing but alg, kid and typ: members such as "crit", "jwk" or "jku" would ask
       us to honour semantics we do not implement. */
    for (item = root->child; item != NULL; item = item->next) {
        if (strcmp(item->string, JWT_KEY_ALG) == 0)
            continue;
        if (strcmp(item->string, JWT_KEY_KID) == 0 && cJSON_IsString(item))
            continue;
        if (strcmp(item->string, JWT_KEY_TYP) == 0 && cJSON_IsString(item) &&
            strcmp(item->valuestring, JWT_TYP_NAME) == 0)
            continue;
        goto out;
    }
    item = cJSON_GetObjectItemCaseSensitive(root, JWT_KEY_KID);
    if (item == NULL)
        goto out; /* every token we sign names its key */
    st = JWT_UNKNOWN_KID;
    for (i = 0; ks != NULL && i < ks->n && i < JWT_MAX_VERIFY_KEYS; i++) {
        if (strcmp(ks->keys[i].kid, item->valuestring) == 0) {
            *key = &ks->keys[i];
            st = JWT_OK;
            break;
        }
    }
out:
    cJSON_Delete(root);
    return st;
}

/* An integral JSON number in [min, max]; doubles are exact up to 2^53. */
static int jwt_int_claim(const cJSON *item, long long min, long long max, long long *out)
{
    double d;

    if (!cJSON_IsNumber(item))
        return -1;
    d = item->valuedouble;
    /* Range first so the cast below is defined; also rejects NaN and infinities. */
    if (!(d >= (double)min && d <= (double)max))
        return -1;
    if ((double)(long long)d != d)
        return -1;
    *out = (long long)d;
    return 0;
}

/* "sub" is a canonical positive decimal: no sign, no leading zero, fits long long. */
static int jwt_sub_claim(const cJSON *item, long long *out)
{
    const char *s;
    long long v = 0;

    if (!cJSON_IsString(item))
        return -1;
    s = item->valuestring;
    if (*s < '1' || *s > '9')
        return -1;
    for (; *s != '\0'; s++) {
        int digit;

        if (*s < '0' || *s > '9')
            return -1;
        digit = *s - '0';
        if (v > (LLONG_MAX - digit) / JWT_DECIMAL_BASE)
            return -1;
        v = v * JWT_DECIMAL_BASE + digit;
    }
    *out = v;
    return 0;
}

static int jwt_role_claim(const cJSON *item, enum jwt_role *out)
{
    if (!cJSON_IsString(item))
        return -1;
    if (strcmp(item->valuestring, JWT_ROLE_USER_STR) == 0) {
        *out = JWT_ROLE_USER;
        return 0;
    }
    if (strcmp(item->valuestring, JWT_ROLE_ADMIN_STR) == 0) {
        *out = JWT_ROLE_ADMIN;
        return 0;
    }
    return -1;
}

static enum jwt_status jwt_parse_claims(unsigned char *buf, size_t len, const char *issuer, struct jwt_claims *c)
{
    cJSON *root = NULL;
    const cJSON *item;
    long long ver = 0;
    enum jwt_status st = JWT_MALFORMED;

    if (jwt_parse_object(buf, len, &root) != 0)
        goto out;

    st = JWT_BAD_ISSUER;
    item = cJSON_GetObjectItemCaseSensitive(root, JWT_CLAIM_ISS);
    if (!cJSON_IsString(item) || strcmp(item->valuestring, issuer) != 0)
        goto out;

    st = JWT_BAD_CLAIMS;
    if (jwt_sub_claim(cJSON_GetObjectItemCaseSensitive(root, JWT_CLAIM_SUB), &c->sub) != 0 ||
        jwt_role_claim(cJSON_GetObjectItemCaseSensitive(root, JWT_CLAIM_ROLE), &c->role) != 0 ||
        jwt_int_claim(cJSON_GetObjectItemCaseSensitive(root, JWT_CLAIM_IAT), JWT_MIN_TIME, EXACT_INT_MAX, &c->iat) !=
            0 ||
        jwt_int_claim(cJSON_GetObjectItemCaseSensitive(root, JWT_CLAIM_EXP), JWT_MIN_TIME, EXACT_INT_MAX, &c->exp) != 0)
        goto out;
    item = cJSON_GetObjectItemCaseSensitive(root, JWT_CLAIM_VER);
    if (item != NULL && jwt_int_claim(item, 0, INT_MAX, &ver) != 0)
        goto out;
    c->ver = (int)ver;
    st = JWT_OK;
out:
    cJSON_Delete(root);
    return st;
}

enum jwt_status jwt_verify(const char *token, size_t len, const char *issuer, const struct jwt_keyset *ks,
                           long long now, long long leeway, struct jwt_claims *out)
{
    struct jwt_segment seg[JWT_SEGMENTS];
    unsigned char header[JWT_BUF_LEN];
    unsigned char payload[JWT_BUF_LEN];
    unsigned char sig[JWT_SIG_LEN];
    const struct jwt_verify_key *key = NULL;
    struct jwt_claims claims;
    size_t hlen, plen, siglen;
    enum jwt_status st = JWT_MALFORMED;

    if (token == NULL || issuer == NULL || out == NULL || len == 0 || len > JWT_MAX_LEN)
        goto out;
    if (jwt_split(token, len, seg) != 0)
        goto out;
    /* Decoded data is shorter than its encoding, so JWT_MAX_LEN always fits;
       the spare byte of each buffer is for the NUL added before parsing. */
    if (jwt_b64_decode(&seg[0], header, JWT_MAX_LEN, &hlen) != 0 ||
        jwt_b64_decode(&seg[1], payload, JWT_MAX_LEN, &plen) != 0)
        goto out;

    st = jwt_check_header(header, hlen, ks, &key);
    if (st != JWT_OK)
        goto out;

    st = JWT_MALFORMED;
    if (seg[2].n == 0 || jwt_b64_decode(&seg[2], sig, sizeof sig, &siglen) != 0 || siglen != sizeof sig)
        goto out;

    st = JWT_BAD_SIGNATURE;
    /* The signed input is the raw "header.payload" text, up to the second dot.
       libsodium refuses non-canonical signatures and small-order keys. */
    if (crypto_sign_verify_detached(sig, (const unsigned char *)token, (size_t)(seg[1].p - token) + seg[1].n,
                                    key->pk) != 0)
        goto out;

    memset(&claims, 0, sizeof claims);
    st = jwt_parse_claims(payload, plen, issuer, &claims);
    if (st != JWT_OK)
        goto out;

    if (leeway < 0)
        leeway = 0;
    /* exp must be > now - leeway; the guard keeps the subtraction from overflowing. */
    if (now >= LLONG_MIN + leeway && claims.exp <= now - leeway) {
        st = JWT_EXPIRED;
        goto out;
    }
    *out = claims;
out:
    return st;
}

const char *jwt_status_str(enum jwt_status s)
{
    switch (s) {
    case JWT_OK: return "ok";
    case JWT_MALFORMED: return "malformed token";
    case JWT_BAD_ALG: return "unsupported algorithm";
    case JWT_UNKNOWN_KID: return "unknown key id";
    case JWT_BAD_SIGNATURE: return "bad signature";
    case JWT_EXPIRED: return "token expired";
    case JWT_BAD_ISSUER: return "wrong issuer";
    case JWT_BAD_CLAIMS: return "invalid claims";
    }
    return "unknown status";
}
