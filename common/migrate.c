/* migrate: the migrations runner. */
#include "migrate.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#define MIGRATE_LOCK_KEY "7311440032" /* any constant shared by every replica */
#define MIGRATE_FILE_MAX (4 * 1024 * 1024)
#define MIGRATE_DIGITS 4

int migrate_name_valid(const char *name)
{
    size_t len = strlen(name);

    if (len < MIGRATE_DIGITS + 6 || len >= MIGRATE_NAME_MAX)
        return 0;
    for (int i = 0; i < MIGRATE_DIGITS; i++)
        if (!isdigit((unsigned char)name[i]))
            return 0;
    if (name[MIGRATE_DIGITS] != '_' || strcmp(name + len - 4, ".sql") != 0)
        return 0;
    for (size_t i = MIGRATE_DIGITS + 1; i < len - 4; i++)
        if (!(islower((unsigned char)name[i]) || isdigit((unsigned char)name[i]) || name[i] == '_'))
            return 0;
    return 1;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b); /* fixed-width numbers sort as text */
}

void migrate_list_free(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

int migrate_list(const char *dir, char ***names, size_t *n)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char **v = NULL;
    size_t cnt = 0, cap = 0;

    if (!d) {
        fprintf(stderr, "migrate: cannot open %s: %s\n", dir, strerror(errno));
        return -1;
    }
    while ((e = readdir(d)) != NULL) {
        if (!migrate_name_valid(e->d_name))
            continue;
        if (cnt == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            char **nv = realloc(v, ncap * sizeof *nv);
            if (!nv)
                goto oom;
            v = nv;
            cap = ncap;
        }
        if (!(v[cnt] = strdup(e->d_name)))
            goto oom;
        cnt++;
    }
    closedir(d);
    if (cnt) /* qsort's base must not be NULL, even for zero elements */
        qsort(v, cnt, sizeof *v, cmp_names);
    for (size_t i = 1; i < cnt; i++) {
        if (strncmp(v[i - 1], v[i], MIGRATE_DIGITS) == 0) {
            fprintf(stderr, "migrate: %s and %s share a number\n", v[i - 1], v[i]);
            migrate_list_free(v, cnt);
            return -1;
        }
    }
    *names = v;
    *n = cnt;
    return 0;
oom:
    closedir(d);
    migrate_list_free(v, cnt);
    fprintf(stderr, "migrate: out of memory\n");
    return -1;
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long size;

    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 && size <= MIGRATE_FILE_MAX &&
        fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)size + 1)) != NULL) {
        if (fread(buf, 1, (size_t)size, f) != (size_t)size) {
            free(buf);
            buf = NULL;
        } else {
            buf[size] = '\0';
        }
    }
    fclose(f);
    return buf;
}

static int exec_ok(PGconn *c, PGresult *r, const char *what)
{
    ExecStatusType s = PQresultStatus(r);
    int ok = s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK;

    if (!ok)
        fprintf(stderr, "migrate: %s: %s", what, r ? PQresultErrorMessage(r) : PQerrorMessage(c));
    PQclear(r);
    return ok;
}

/* Runs one file in a transaction; when record is set, also records it. 0 or -1. */
static int apply_file(PGconn *c, const char *dir, const char *name, int record)
{
    char path[4096];
    char *sql;
    int ok;

    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (!(sql = read_file(path))) {
        fprintf(stderr, "migrate: cannot read %s\n", path);
        return -1;
    }
    ok = exec_ok(c, PQexec(c, "BEGIN"), "BEGIN");
    /* The file is ours, not a client's: simple-query protocol runs its many statements. */
    ok = ok && exec_ok(c, PQexec(c, sql), name);
    if (ok && record) {
        const char *p[] = {name};
        ok = exec_ok(
            c, PQexecParams(c, "INSERT INTO schema_migrations (version) VALUES ($1)", 1, NULL, p, NULL, NULL, 0), name);
    }
    ok = ok && exec_ok(c, PQexec(c, "COMMIT"), "COMMIT");
    free(sql);
    if (!ok) {
        PQclear(PQexec(c, "ROLLBACK"));
        fprintf(stderr, "migrate: %s failed; the database is as it was before it\n", path);
        return -1;
    }
    printf("migrate: applied %s\n", path);
    return 0;
}

static int applied(PGconn *c, const char *name)
{
    const char *p[] = {name};
    PGresult *r = PQexecParams(c, "SELECT 1 FROM schema_migrations WHERE version = $1", 1, NULL, p, NULL, NULL, 0);
    int yes = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0;

    PQclear(r);
    return yes;
}

static int run_dir(PGconn *c, const char *dir, int record)
{
    char **names = NULL;
    size_t n = 0;
    int rc = 0;

    if (migrate_list(dir, &names, &n) < 0)
        return -1;
    for (size_t i = 0; i < n && rc == 0; i++)
        if (!record || !applied(c, names[i]))
            rc = apply_file(c, dir, names[i], record);
    migrate_list_free(names, n);
    return rc;
}

int migrate_run(const char *conninfo, const char *dir, const char *seed_dir)
{
    PGconn *c = PQconnectdb(conninfo);
    int rc = 1;

    if (PQstatus(c) != CONNECTION_OK) {
        fprintf(stderr, "migrate: cannot connect: %s", PQerrorMessage(c));
        goto out;
    }
    PQclear(PQexec(c, "SET client_min_messages = warning"));
    if (!exec_ok(c, PQexec(c, "SELECT pg_advisory_lock(" MIGRATE_LOCK_KEY ")"), "advisory lock"))
        goto out;
    if (!exec_ok(c,
                 PQexec(c, "CREATE TABLE IF NOT EXISTS schema_migrations ("
                           "version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"),
                 "schema_migrations"))
        goto unlock;
    if (run_dir(c, dir, 1) < 0)
        goto unlock;
    if (seed_dir && run_dir(c, seed_dir, 0) < 0)
        goto unlock;
    rc = 0;
unlock:
    PQclear(PQexec(c, "SELECT pg_advisory_unlock(" MIGRATE_LOCK_KEY ")"));
out:
    PQfinish(c);
    return rc;
}
