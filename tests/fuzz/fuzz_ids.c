/* fuzz_ids: the "ids" list of GET /internal/v1/destinations?ids=1,2,3 (destination-service/ids.h).
 *
 * The input is the list text, given with its length and no terminator. ids_parse() is
 * compared with a slow reference parser written here from ids.h's contract; the ids it
 * returns must then survive ids_pg_array() (the array literal sent to PostgreSQL), into
 * a buffer of the right size and into ones too small. */
#include "fuzz.h"

#include "ids.h"

/* The contract of ids_parse, written the slow and obvious way. */
static enum ids_status reference(const char *t, size_t len, long long *out, size_t *n)
{
    size_t items = 0, i = 0;

    *n = 0;
    if (len == 0)
        return IDS_EMPTY;
    for (size_t k = 0; k < len; k++)
        if (!(t[k] == ',' || (t[k] >= '0' && t[k] <= '9')))
            return IDS_BAD_CHAR;
    for (size_t k = 0; k <= len; k++)
        if (k == len || t[k] == ',')
            items++;
    while (i <= len) {
        size_t j = i;
        long long v = 0;
        while (j < len && t[j] != ',')
            j++;
        if (j == i)
            return IDS_EMPTY;
        if (items > IDS_MAX)
            return IDS_TOO_MANY;
        if (t[i] == '0' || j - i > IDS_DIGITS_MAX)
            return IDS_RANGE;
        for (size_t k = i; k < j; k++) {
            int d = t[k] - '0';
            if (v > (9223372036854775807LL - d) / 10)
                return IDS_RANGE;
            v = v * 10 + d;
        }
        out[(*n)++] = v;
        i = j + 1;
    }
    *n = ids_sort_unique(out, *n);
    return IDS_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size ? size : 1);
    long long *ids = malloc(IDS_MAX * sizeof *ids);
    long long *ref = malloc((size / 2 + 2) * sizeof *ref);
    size_t n = 99, rn = 0;
    enum ids_status st, rst;

    if (!text || !ids || !ref)
        abort();
    if (size)
        memcpy(text, data, size);
    st = ids_parse(text, size, ids, &n);
    FUZZ_CHECK(ids_status_str(st) != NULL);
    rst = reference(text, size, ref, &rn);
    /* The order in which errors are found may differ; that an error is found may not. */
    FUZZ_CHECK((st == IDS_OK) == (rst == IDS_OK));
    if (st == IDS_OK) {
        char *lit = malloc(IDS_TEXT_MAX + 3);
        long w;
        FUZZ_CHECK(n >= 1 && n <= IDS_MAX && n == rn);
        for (size_t i = 0; i < n; i++) {
            FUZZ_CHECK(ids[i] >= 1 && ids[i] == ref[i]);
            FUZZ_CHECK(i == 0 || ids[i - 1] < ids[i]);
        }
        w = ids_pg_array(ids, n, lit, IDS_TEXT_MAX + 3);
        FUZZ_CHECK(w > 0 && (size_t)w == strlen(lit) && lit[0] == '{' && lit[w - 1] == '}');
        for (size_t cap = 1; cap <= (size_t)w + 1; cap += 1 + cap / 3) {
            char *small = malloc(cap);
            long r = ids_pg_array(ids, n, small, cap);
            FUZZ_CHECK(r == -1 || (r == w && cap > (size_t)w && memcmp(small, lit, (size_t)w + 1) == 0));
            free(small);
        }
        free(lit);
    } else {
        FUZZ_CHECK(n == 0);
    }
    free(text);
    free(ids);
    free(ref);
    return 0;
}
