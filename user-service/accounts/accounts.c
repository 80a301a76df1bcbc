/* accounts: pure rules of user accounts. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accounts.h"
#include "common_passwords.h"
#include "hash_gate.h"
#include "utf8.h"

#define STR_(x) #x
#define STR(x) STR_(x)

struct accounts_config accounts_config;

/* RFC 5322 atext: what a dot-atom local part may hold besides dots. */
static int atext(int c)
{
    return isalnum(c) || (c != '\0' && strchr("!#$%&'*+/=?^_`{|}~-", c) != NULL);
}

static const char *check_local(const char *s, size_t len)
{
    if (len == 0)
        return "must have a name before the @";
    if (len > ACCOUNTS_EMAIL_LOCAL_MAX)
        return "must have at most " STR(ACCOUNTS_EMAIL_LOCAL_MAX) " characters before the @";
    if (s[0] == '.' || s[len - 1] == '.')
        return "must not start or end its name with a dot";
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '.' && s[i + 1] == '.')
            return "must not hold two dots in a row";
        if (s[i] != '.' && !atext((unsigned char)s[i]))
            return "holds a character that is not allowed";
    }
    return NULL;
}

static const char *check_domain(const char *s)
{
    size_t label = 0;
    int labels = 1;

    if (*s == '\0')
        return "must have a domain after the @";
    for (const char *p = s; *p; p++) {
        if (*p == '.') {
            if (label == 0 || p[-1] == '-')
                return "has a malformed domain";
            labels++;
            label = 0;
            continue;
        }
        if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '-'))
            return "holds a character that is not allowed in a domain";
        if (label == 0 && *p == '-')
            return "has a malformed domain";
        if (++label > ACCOUNTS_DOMAIN_LABEL_MAX)
            return "has a domain label longer than " STR(ACCOUNTS_DOMAIN_LABEL_MAX) " characters";
    }
    if (label == 0 || s[strlen(s) - 1] == '-')
        return "has a malformed domain";
    if (labels < 2)
        return "must have a domain with a dot";
    return NULL;
}

const char *accounts_email_normalize(const char *in, char *out, size_t cap)
{
    size_t start = 0, end = strlen(in), len;
    const char *at;

    while (start < end && isspace((unsigned char)in[start]))
        start++;
    while (end > start && isspace((unsigned char)in[end - 1]))
        end--;
    len = end - start;
    if (len == 0)
        return "must not be empty";
    if (len > ACCOUNTS_EMAIL_MAX || len >= cap)
        return "must have at most " STR(ACCOUNTS_EMAIL_MAX) " characters";
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)in[start + i];
        /* Printable ASCII only: no spaces, control characters or non-ASCII look-alikes. */
        if (c <= 0x20 || c >= 0x7f)
            return "must not contain spaces, control or non-ASCII characters";
        out[i] = (char)tolower(c);
    }
    out[len] = '\0';
    at = strchr(out, '@');
    if (!at || strchr(at + 1, '@'))
        return "must contain exactly one @";
    {
        const char *why = check_local(out, (size_t)(at - out));
        return why ? why : check_domain(at + 1);
    }
}

const char *accounts_username_check(const char *s)
{
    size_t n = 0;

    for (; s[n]; n++)
        if (!(isalnum((unsigned char)s[n]) || s[n] == '_' || s[n] == '.' || s[n] == '-'))
            return "may only contain letters A-Z, digits, '_', '.' and '-'";
    if (n < ACCOUNTS_USERNAME_MIN || n > ACCOUNTS_USERNAME_MAX)
        return "must be " STR(ACCOUNTS_USERNAME_MIN) " to " STR(ACCOUNTS_USERNAME_MAX) " characters long";
    return NULL;
}

const char *accounts_password_check(const char *pw)
{
    size_t n = utf8_chars(pw);

    if (n < ACCOUNTS_PASSWORD_MIN || n > ACCOUNTS_PASSWORD_MAX)
        return "must be " STR(ACCOUNTS_PASSWORD_MIN) " to " STR(ACCOUNTS_PASSWORD_MAX) " characters long";
    if (accounts_password_is_common(pw))
        return "is one of the most common passwords: choose another";
    return NULL;
}

static int cmp_str(const void *key, const void *elem)
{
    return strcmp(key, *(const char *const *)elem);
}

int accounts_password_is_common(const char *pw)
{
    char folded[COMMON_PASSWORD_MAX + 1];
    size_t n = strlen(pw);

    if (n > COMMON_PASSWORD_MAX)
        return 0;
    for (size_t i = 0; i <= n; i++)
        folded[i] = (char)tolower((unsigned char)pw[i]);
    return bsearch(folded, common_passwords, common_passwords_count, sizeof common_passwords[0], cmp_str) != NULL;
}

const char *accounts_hashing_weakness(unsigned long long t, size_t mem_kib)
{
    /* OWASP Password Storage Cheat Sheet, argon2id: equally strong minimum settings */
    static const size_t min_kib[] = {0, 47104, 19456, 12288, 9216, 7168};
    size_t need = t < 5 ? min_kib[t < 1 ? 1 : t] : min_kib[5];

    if (t >= 1 && mem_kib >= need)
        return NULL;
    return "below OWASP's argon2id minimum (t=1 with 47104 KiB, t=2 with 19456, t=3 with 12288, "
           "t=4 with 9216, t=5 or more with 7168); weaker settings need ECOMOVEX_DEV=1";
}

const char *accounts_get_str(cJSON *obj, const char *name, unsigned flags, accounts_rule rule, struct field_errors *fe)
{
    const char *s = NULL, *why;

    if (json_get_str(obj, name, flags, 0, JSON_BODY_MAX, &s, fe) != JSON_OK)
        return NULL;
    if ((why = rule(s))) {
        field_error(fe, name, "%s", why);
        return NULL;
    }
    return s;
}

static void password_work_do(void *arg)
{
    struct password_work *w = arg;
    size_t len = w->password ? strlen(w->password) : 0;

    w->hashed = -1;
    if (w->verify == PW_VERIFY_STORED)
        w->verified = password_verify(w->stored, w->password, len);
    else if (w->verify == PW_VERIFY_DUMMY)
        w->verified = password_verify_dummy(w->password, len); /* always 0 */
    if (w->new_password && (w->verify == PW_VERIFY_NONE || w->verified))
        w->hashed = password_hash(&accounts_config.password, w->new_password, strlen(w->new_password), w->hash);
}

int accounts_password_work(struct reply *rp, struct password_work *w)
{
    return hash_gate_run(rp, password_work_do, w);
}
