-- The PostgreSQL role and database of fftnas studies (safe to run again: an existing role gets
-- the new password, an existing database the owner). Run as a superuser or a CREATEROLE +
-- CREATEDB role. deploy/postgres/setup.sh runs it with the password from $FFTNAS_DB_PASSWORD;
-- by hand it asks for the password:
--
--   psql -h 127.0.0.1 -U postgres -d postgres -f deploy/postgres/setup.sql
--
-- psql variables (set with -v NAME=VALUE): fftnas_user, fftnas_db (both default to fftnas),
-- fftnas_password (prompted for when not set; never pass it with -v: `ps` shows arguments).
-- The password reaches the server in an ALTER ROLE statement: keep log_statement at none or
-- ddl-free while you run this, or the server log holds it.
\set ON_ERROR_STOP on
\if :{?fftnas_user}
\else
  \set fftnas_user fftnas
\endif
\if :{?fftnas_db}
\else
  \set fftnas_db fftnas
\endif
\if :{?fftnas_password}
\else
  \prompt 'password for the new role: ' fftnas_password
\endif

SELECT NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'fftnas_user') AS fftnas_new_role \gset
\if :fftnas_new_role
  CREATE ROLE :"fftnas_user" LOGIN;
\endif
-- password_encryption (scram-sha-256 since PostgreSQL 14) hashes it before storing it
ALTER ROLE :"fftnas_user" WITH LOGIN PASSWORD :'fftnas_password';

SELECT NOT EXISTS (SELECT FROM pg_database WHERE datname = :'fftnas_db') AS fftnas_new_db \gset
\if :fftnas_new_db
  CREATE DATABASE :"fftnas_db" OWNER :"fftnas_user";
\else
  ALTER DATABASE :"fftnas_db" OWNER TO :"fftnas_user";
\endif
-- only the owner (and superusers) may connect; Optuna creates its tables on the first run
REVOKE ALL ON DATABASE :"fftnas_db" FROM PUBLIC;
