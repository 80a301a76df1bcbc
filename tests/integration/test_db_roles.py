"""Least privilege in the database (issue 19, docs/security.md "Database roles"): the
daemons serve as a runtime role that has DML only, the migrations run as the owner.

The private clusters of the suites make the same split as compose and Kubernetes
(deploy/postgres/roles.sql), so every other test in this stage shows that the runtime role
suffices; these check that it is in force and that it refuses DDL."""
import re
import subprocess

from accounts import new_user

DBS = {"users": "ecomovex_users", "destinations": "ecomovex_destinations"}


def role_of(url):
    m = re.search(r"(?:^|\s)user=(\S+)", url) or re.search(r"postgres(?:ql)?://([^@:/]+)[@:]", url)
    assert m, url
    return m.group(1)


def runtime_url(h, db):
    return h.user_db_url if db == "users" else h.dest_db_url


def as_runtime(h, db, sql):
    """Runs sql as the daemons' role; returns (exit status, stderr)."""
    p = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", runtime_url(h, db), "-c", sql],
                       capture_output=True, text=True, timeout=30)
    return p.returncode, p.stderr


def test_the_daemons_connect_as_a_role_that_is_neither_superuser_nor_owner(h):
    # a request each, so that each daemon's workers hold a connection
    assert h.get(h.dest_url + "/api/v1/destinations/1").status == 200
    assert new_user(h)["token"]
    for db, name in DBS.items():
        role = role_of(runtime_url(h, db))
        users = h.psql(db, "SELECT string_agg(DISTINCT usename, ',') FROM pg_stat_activity "
                           "WHERE datname = '%s' AND application_name = 'ecomovex'" % name)
        assert users == role, (db, users, role)
        flags = h.psql(db, "SELECT rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls "
                           "FROM pg_roles WHERE rolname = '%s'" % role)
        assert flags == "f|f|f|f|f", (db, role, flags)
        owner = h.psql(db, "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = '%s'" % name)
        assert owner != role and owner == role_of(h.user_db_migrate_url if db == "users"
                                                  else h.dest_db_migrate_url), (db, owner, role)
        # every table of the schema belongs to the owner, none to the runtime role
        n = h.psql(db, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner <> '%s'" % owner)
        assert n == "0", (db, n)


def test_the_runtime_role_may_not_change_the_schema(h):
    table = {"users": "users", "destinations": "destinations"}
    for db in DBS:
        t = table[db]
        # DML is what it has
        rc, err = as_runtime(h, db, "SELECT count(*) FROM %s" % t)
        assert rc == 0, (db, err)
        for sql in ("CREATE TABLE least_privilege_probe (id int)",
                    "CREATE TEMP TABLE least_privilege_probe (id int)",
                    "DROP TABLE %s" % t,
                    "TRUNCATE %s" % t,
                    "ALTER TABLE %s ADD COLUMN least_privilege_probe int" % t,
                    "CREATE INDEX least_privilege_probe ON %s (id)" % t,
                    "DROP TABLE schema_migrations",
                    "CREATE FUNCTION least_privilege_probe() RETURNS int LANGUAGE sql AS 'SELECT 1'",
                    "CREATE SCHEMA least_privilege_probe",
                    "CREATE ROLE least_privilege_probe",
                    "CREATE EXTENSION IF NOT EXISTS hstore"):
            rc, err = as_runtime(h, db, sql)
            assert rc != 0 and ("permission denied" in err or "must be owner" in err), (db, sql, rc, err)
        assert h.psql(db, "SELECT to_regclass('least_privilege_probe') IS NULL") == "t"
        assert h.psql(db, "SELECT count(*) FROM information_schema.columns "
                          "WHERE column_name = 'least_privilege_probe'") == "0"


def test_migrate_runs_as_the_owner_not_as_the_runtime_role(h):
    """With the owner's URL gone, migrate would run as the runtime role and could not apply a
    migration; with it, the owner does, and what it creates is open to the runtime role."""
    import os
    import tempfile
    d = tempfile.mkdtemp(dir=h.run_dir)
    with open(os.path.join(d, "0001_probe.sql"), "w") as f:
        f.write("CREATE TABLE least_privilege_mig (id bigserial PRIMARY KEY, v int);")
    try:
        p = subprocess.run([h.dest.binary, "migrate"], env=dict(h.env, MIGRATIONS_DIR=d, DEST_DB_MIGRATE_URL=""),
                           capture_output=True, text=True, timeout=30)
        assert p.returncode != 0 and "permission denied" in p.stderr, (p.returncode, p.stderr)
        p = subprocess.run([h.dest.binary, "migrate"], env=dict(h.env, MIGRATIONS_DIR=d),
                           capture_output=True, text=True, timeout=30)
        assert p.returncode == 0, p.stderr
        owner = role_of(h.dest_db_migrate_url)
        assert h.psql("destinations", "SELECT tableowner FROM pg_tables WHERE tablename = 'least_privilege_mig'") == owner
        # the default privileges reach a table of a later migration, and its sequence
        rc, err = as_runtime(h, "destinations", "INSERT INTO least_privilege_mig (v) VALUES (1); "
                                                "UPDATE least_privilege_mig SET v = 2; DELETE FROM least_privilege_mig")
        assert rc == 0, err
        rc, err = as_runtime(h, "destinations", "TRUNCATE least_privilege_mig")
        assert rc != 0 and "permission denied" in err, err
    finally:
        h.psql("destinations", "DROP TABLE IF EXISTS least_privilege_mig; "
                               "DELETE FROM schema_migrations WHERE version = '0001_probe.sql'")
