/* Unit tests: migration files are recognised and ordered by number. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "migrate.h"

static void touch(const char *dir, const char *name)
{
    char path[512];
    FILE *f;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("SELECT 1;", f);
    fclose(f);
}

static void test_names_are_validated(void **state)
{
    (void)state;
    assert_true(migrate_name_valid("0001_schema.sql"));
    assert_true(migrate_name_valid("0042_add_index_2.sql"));
    assert_false(migrate_name_valid("001_schema.sql"));
    assert_false(migrate_name_valid("0001-schema.sql"));
    assert_false(migrate_name_valid("0001_Schema.sql"));
    assert_false(migrate_name_valid("0001_.sql"));
    assert_false(migrate_name_valid("0001_schema.sql~"));
    assert_false(migrate_name_valid("README.md"));
}

static void test_list_sorts_by_number_and_skips_others(void **state)
{
    char dir[] = "/tmp/migrate-test-XXXXXX";
    char **names = NULL;
    size_t n = 0;
    (void)state;
    assert_non_null(mkdtemp(dir));
    touch(dir, "0010_later.sql");
    touch(dir, "0002_second.sql");
    touch(dir, "0001_first.sql");
    touch(dir, "notes.txt");
    assert_int_equal(migrate_list(dir, &names, &n), 0);
    assert_int_equal(n, 3);
    assert_string_equal(names[0], "0001_first.sql");
    assert_string_equal(names[1], "0002_second.sql");
    assert_string_equal(names[2], "0010_later.sql");
    migrate_list_free(names, n);
    {
        char cmd[600];
        snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
        assert_int_equal(system(cmd), 0);
    }
}

static void test_duplicate_numbers_are_an_error(void **state)
{
    char dir[] = "/tmp/migrate-test-XXXXXX";
    char **names = NULL;
    size_t n = 0;
    (void)state;
    assert_non_null(mkdtemp(dir));
    touch(dir, "0001_a.sql");
    touch(dir, "0001_b.sql");
    assert_int_equal(migrate_list(dir, &names, &n), -1);
    {
        char cmd[600];
        snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
        assert_int_equal(system(cmd), 0);
    }
}

static void test_missing_dir_is_an_error(void **state)
{
    char **names = NULL;
    size_t n = 0;
    (void)state;
    assert_int_equal(migrate_list("/nonexistent/migrations", &names, &n), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_are_validated),
        cmocka_unit_test(test_list_sorts_by_number_and_skips_others),
        cmocka_unit_test(test_duplicate_numbers_are_an_error),
        cmocka_unit_test(test_missing_dir_is_an_error),
    };
    return cmocka_run_group_tests_name("migrate", tests, NULL, NULL);
}
