/* migrate: applies migrations/<db>/NNNN_name.sql in order, once each.
 *
 * Each file runs in its own transaction and is recorded in schema_migrations; a session
 * advisory lock makes two replicas starting at once take turns instead of racing. A
 * failing file is rolled back whole and named, with PostgreSQL's message. Seed files
 * (demo data, written to be idempotent) run after the migrations, every time. */
#ifndef ECOMOVEX_MIGRATE_H
#define ECOMOVEX_MIGRATE_H

#include <stddef.h>

#define MIGRATE_NAME_MAX 128

/* 1 if name looks like a migration file: 4 digits, '_', [a-z0-9_]+, ".sql". */
int migrate_name_valid(const char *name);

/* Lists the migration files of dir sorted by number into *names (malloc'd array of
 * malloc'd strings; free with migrate_list_free). Files not named like migrations are
 * ignored; two files with the same number are an error. Returns 0, or -1 with a message
 * on stderr. */
int migrate_list(const char *dir, char ***names, size_t *n);
void migrate_list_free(char **names, size_t n);

/* Applies pending migrations of dir (and, when seed_dir is not NULL, every seed file of
 * seed_dir) to the database at conninfo. Prints one line per applied file. Returns 0 on
 * success, 1 on failure. */
int migrate_run(const char *conninfo, const char *dir, const char *seed_dir);

#endif
