/* Unit tests: curl_start initializes libcurl without faulting in libcrypto (the GnuTLS
 * flavour, and libssh2 told to skip its OpenSSL set-up): user-service's idle RSS. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "curl_start.h"

/* KiB of this process's resident pages mapped from a file whose name contains lib. */
static long rss_kib_of(const char *lib)
{
    char line[512];
    long total = 0, kib;
    int in = 0;
    FILE *f = fopen("/proc/self/smaps", "r");

    assert_non_null(f);
    while (fgets(line, sizeof line, f)) {
        if (sscanf(line, "Rss: %ld kB", &kib) == 1) {
            if (in)
                total += kib;
        } else if (strchr(line, '-') && line[0] != ' ' && strchr(line, ':') == strrchr(line, ':')) {
            in = strstr(line, lib) != NULL; /* a mapping's header line */
        }
    }
    fclose(f);
    return total;
}

static void test_start_leaves_libcrypto_alone(void **state)
{
    long before, after;

    (void)state;
    before = rss_kib_of("libcrypto.so");
    assert_int_equal(curl_start(), 0);
    after = rss_kib_of("libcrypto.so");
    /* The OpenSSL flavour, or libssh2's crypto set-up, add 1.5 to 1.7 MiB here. */
    print_message("libcrypto resident: %ld KiB before curl_start, %ld KiB after\n", before, after);
    assert_true(after - before < 256);
    curl_global_cleanup();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_start_leaves_libcrypto_alone),
    };
    return cmocka_run_group_tests_name("curl_start", tests, NULL, NULL);
}
