#!/usr/bin/env bash
# Create (or update) the PostgreSQL role and database of fftnas studies: setup.sql beside this
# file, with the password from the environment, never from the command line.
#
#   FFTNAS_DB_PASSWORD=$(openssl rand -hex 24) PGHOST=127.0.0.1 PGUSER=postgres \
#     bash deploy/postgres/setup.sh
#   (or, on the database host: sudo -u postgres env FFTNAS_DB_PASSWORD=... bash setup.sh)
#
# Admin connection: psql's own PGHOST, PGPORT, PGUSER, PGDATABASE (default postgres), PGPASSWORD
# or ~/.pgpass. Names: FFTNAS_DB_USER and FFTNAS_DB_NAME (default fftnas both).
# The study's storage URL is then
#   postgresql://fftnas:PASSWORD@DBHOST:5432/fftnas
# (percent-encode the password if it has characters other than letters, digits and -._~).
#
# Workers on other machines must reach the server; on the database host:
#   postgresql.conf  listen_addresses = '*'        (or its LAN address; needs a restart)
#   pg_hba.conf      host  fftnas  fftnas  10.1.0.0/16  scram-sha-256
#                    (the workers' network, password auth; then `SELECT pg_reload_conf();`)
# and let TCP port 5432 through the firewall from the workers only.
set -euo pipefail

: "${FFTNAS_DB_PASSWORD:?set FFTNAS_DB_PASSWORD to the password of the new role}"
user=${FFTNAS_DB_USER:-fftnas}
db=${FFTNAS_DB_NAME:-fftnas}
export PGDATABASE=${PGDATABASE:-postgres}

psql_quote() { # a psql \set argument: in single quotes, with \ and ' doubled
  local q="'" bs='\'
  local value=${1//"$bs"/"$bs$bs"}
  printf "'%s'" "${value//"$q"/"$q$q"}"
}

# The variables go in on standard input (psql -v would put the password in `ps`).
{
  printf '\\set fftnas_user %s\n' "$(psql_quote "$user")"
  printf '\\set fftnas_db %s\n' "$(psql_quote "$db")"
  printf '\\set fftnas_password %s\n' "$(psql_quote "$FFTNAS_DB_PASSWORD")"
  cat "$(dirname "$0")/setup.sql"
} | psql --no-psqlrc --quiet --set ON_ERROR_STOP=1

host=${PGHOST:-$(hostname -f 2>/dev/null || hostname)}
case $host in /*) host=$(hostname -f 2>/dev/null || hostname) ;; esac # a socket directory
echo "fftnas: role $user and database $db are ready; the storage URL is"
echo "  postgresql://$user:***@$host:${PGPORT:-5432}/$db   (*** = FFTNAS_DB_PASSWORD)"
