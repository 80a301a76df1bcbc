-- The two roles of one service database, run by a superuser (idempotent; run it again after
-- changing a password). psql variables:
--   db          the database (ecomovex_users, ecomovex_destinations)
--   owner       the role that owns the database, its public schema and every table, and runs
--               the migrations (`<service> migrate`, USER_DB_MIGRATE_URL / DEST_DB_MIGRATE_URL)
--   app         the role the daemon serves with (USER_DB_URL / DEST_DB_URL): SELECT, INSERT,
--               UPDATE and DELETE on the tables, the sequences; no DDL, no TRUNCATE, no superuser
--   owner_password, app_password   '' keeps the role without a password (trust or peer auth);
--               when not given, read from the environment: DB_OWNER_PASSWORD, DB_APP_PASSWORD
--   extensions  space-separated extensions a superuser must create, since they are not
--               "trusted" (destinations: cube earthdistance pg_trgm unaccent); '' for none
-- e.g.  psql -X -v ON_ERROR_STOP=1 -d ecomovex_users -v db=ecomovex_users -v owner=users_owner \
--         -v app=users_app -v owner_password=... -v app_password=... -v extensions= -f roles.sql
SET client_min_messages = warning;
\if :{?owner_password}
\else
\getenv owner_password DB_OWNER_PASSWORD
\endif
\if :{?app_password}
\else
\getenv app_password DB_APP_PASSWORD
\endif

SELECT format('CREATE ROLE %I', r) FROM unnest(ARRAY[:'owner', :'app']) AS r
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) \gexec
ALTER ROLE :"owner" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
ALTER ROLE :"app" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT;
SELECT format('ALTER ROLE %I PASSWORD %L', :'owner', :'owner_password') WHERE :'owner_password' <> '' \gexec
SELECT format('ALTER ROLE %I PASSWORD %L', :'app', :'app_password') WHERE :'app_password' <> '' \gexec

-- The extensions the owner may not create itself (CREATE EXTENSION IF NOT EXISTS in the
-- migrations then finds them).
SELECT format('CREATE EXTENSION IF NOT EXISTS %I WITH SCHEMA public CASCADE', e)
  FROM unnest(string_to_array(:'extensions', ' ')) AS e WHERE e <> '' \gexec

ALTER DATABASE :"db" OWNER TO :"owner";
ALTER SCHEMA public OWNER TO :"owner";
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
GRANT CONNECT ON DATABASE :"db" TO :"app";
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO :"app";

-- A database migrated before the split (by a superuser): the owner takes over the tables,
-- views and functions of the public schema that no extension brought (a table's serial
-- sequences follow it).
SELECT format('ALTER %s %s OWNER TO %I',
              CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE 'TABLE' END,
              c.oid::regclass, :'owner')
  FROM pg_class c
 WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm')
   AND c.relowner <> (SELECT oid FROM pg_roles WHERE rolname = :'owner')
   AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                   AND d.objid = c.oid AND d.deptype = 'e') \gexec
SELECT format('ALTER ROUTINE %s OWNER TO %I', p.oid::regprocedure, :'owner')
  FROM pg_proc p
 WHERE p.pronamespace = 'public'::regnamespace
   AND p.proowner <> (SELECT oid FROM pg_roles WHERE rolname = :'owner')
   AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass
                   AND d.objid = p.oid AND d.deptype = 'e') \gexec

-- DML on every table, now and in every later migration (which the owner runs).
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO :"app";
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO :"app";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :"app";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public
  GRANT USAGE, SELECT ON SEQUENCES TO :"app";
