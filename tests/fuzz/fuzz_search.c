/* fuzz_search: a search query (GET /api/v1/destinations?q=) and a destination's name and
 * address, through destination-service's index: fold_next, search_index_put (insert, then
 * replace), search_index_find at several pages, search_index_nearby and search_index_remove.
 *
 * Input: "NAME\nADDRESS\nQUERY". A page never holds more than its limit or an id twice, the
 * total is at least what the page shows (and exact: five destinations are below the cap),
 * the pages of one query agree with the first one, a destination found by its own name's
 * words is the fuzzed one or a fixed one, and after its removal it is never answered. */
#include "fuzz.h"

#include "fold.h"
#include "search_index.h"

static const struct search_doc fixed[] = {
    {1, "Hồ Hoàn Kiếm", "Hoàn Kiếm, Hà Nội", 0, 21.0288, 105.8525},
    {2, "Văn Miếu – Quốc Tử Giám", "58 Quốc Tử Giám, Đống Đa, Hà Nội", 0, 21.0283, 105.8356},
    {3, "Chợ Bến Thành", "Lê Lợi, Quận 1, Sài Gòn", 4, 10.7725, 106.6980},
    {4, "Phở Hòa Pasteur", "260C Pasteur, Quận 3", 1, 10.7890, 106.6890},
};

static void check_page(const struct search_index *ix, const char *q, int category)
{
    long long all[40], page[7], total = 0, t2 = 0, n, m;
    int exact = 0;

    n = search_index_find_counted(ix, q, category, 0, 40, all, &total, &exact);
    FUZZ_CHECK(n >= 0 && n <= 40 && total >= n);
    FUZZ_CHECK(exact || total >= SEARCH_TOTAL_EXACT); /* five destinations: always exact */
    for (long long i = 0; i < n; i++)
        for (long long j = i + 1; j < n; j++)
            FUZZ_CHECK(all[i] != all[j]);
    m = search_index_find(ix, q, category, 3, 7, page, &t2);
    FUZZ_CHECK(m >= 0 && t2 == total);
    for (long long i = 0; i < m && 3 + i < n; i++)
        FUZZ_CHECK(page[i] == all[3 + i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *d = data;
    size_t n = size;
    char *name = fuzz_line(&d, &n), *address = fuzz_line(&d, &n), *query = fuzz_strndup(d, n);
    struct search_index *ix = search_index_new();
    struct search_hit hits[8];
    char w[FOLD_WORD_MAX + 1];
    const char *s = query;
    size_t len;

    FUZZ_CHECK(ix != NULL);
    while ((len = fold_next(&s, w)) > 0)
        FUZZ_CHECK(len <= FOLD_WORD_MAX && strlen(w) == len);
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        FUZZ_CHECK(search_index_put(ix, &fixed[i]) == 0);
    FUZZ_CHECK(search_index_seal(ix) == 0);
    struct search_doc doc = {.id = 99,
                             .name = name ? name : "",
                             .address = address,
                             .category = size % 6 - 1,
                             .lat = (double)(size % 180) - 89.5,
                             .lon = (double)(size % 360) - 179.5};
    FUZZ_CHECK(search_index_put(ix, &doc) == 0);
    FUZZ_CHECK(search_index_put(ix, &doc) == 0); /* replacing itself */
    FUZZ_CHECK(search_index_count(ix) == 5);
    check_page(ix, query, -1);
    check_page(ix, query, (int)(size % 5));
    check_page(ix, doc.name, -1);
    long long k = search_index_nearby(ix, doc.lat, doc.lon, 1000.0, 8, hits);
    FUZZ_CHECK(k >= 1 && hits[0].id == 99 && hits[0].distance_m < 1.0);
    search_index_remove(ix, 99);
    long long ids[40], total = 0;
    k = search_index_find(ix, doc.name, -1, 0, 40, ids, &total);
    for (long long i = 0; i < k; i++)
        FUZZ_CHECK(ids[i] >= 1 && ids[i] <= 4);
    k = search_index_nearby(ix, doc.lat, doc.lon, 1000000.0, 8, hits);
    for (long long i = 0; i < k; i++)
        FUZZ_CHECK(hits[i].id != 99 && (i == 0 || hits[i - 1].distance_m <= hits[i].distance_m));
    search_index_free(ix);
    free(name);
    free(address);
    free(query);
    return 0;
}
