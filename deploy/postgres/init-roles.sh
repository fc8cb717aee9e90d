#!/bin/sh
# deploy/postgres/init-roles.sh — one PostgreSQL role per Plaza service, each owning its own schema
# and reaching nothing else. Run it once as a superuser (or a managed database's admin role) on
# the database the services use; running it again is harmless (it also resets the passwords).
#
#   PLAZA_DB_SERVICES="identity messaging"   the services that keep tables (not the gateway)
#   PLAZA_DB_PASSWORD_<SERVICE>=...           each role's password, e.g. PLAZA_DB_PASSWORD_IDENTITY
#   PLAZA_DB_NAME=plaza                       the database (default: POSTGRES_DB, else plaza)
# psql connects as libpq's environment says (PGHOST, PGPORT, PGUSER, PGPASSWORD, ...). In the
# postgres image's /docker-entrypoint-initdb.d/ (compose, the dev overlay) it needs nothing more.
#
# Role plaza_<service> may log in, connect to the database and own schema <service>: it creates
# and migrates its tables there (pg::Migrate, under an advisory lock). It gets no privilege on any
# other schema, and PUBLIC loses its default rights on the database and on schema public, so one
# service's credentials cannot read another's data. CREATE on the database is granted only because
# PostgreSQL checks it even for the migrations' `CREATE SCHEMA IF NOT EXISTS` of a schema that
# already exists; it lets the role create new, empty schemas, never read others.
set -eu

db=${PLAZA_DB_NAME:-${POSTGRES_DB:-plaza}}
services=${PLAZA_DB_SERVICES:?set PLAZA_DB_SERVICES, e.g. "identity messaging"}
user_args=""
[ -z "${POSTGRES_USER:-}" ] || user_args="--username=$POSTGRES_USER"

sql=""
for service in $services; do
  case $service in
    '' | *[!a-z0-9_]* | [0-9]*) echo "init-roles.sh: bad service name '$service'" >&2; exit 2 ;;
  esac
  upper=$(printf '%s' "$service" | tr '[:lower:]' '[:upper:]')
  password=$(printenv "PLAZA_DB_PASSWORD_$upper" || true)
  if [ -z "$password" ]; then
    echo "init-roles.sh: PLAZA_DB_PASSWORD_$upper is not set" >&2
    exit 2
  fi
  # Single quotes in the password are doubled for the SQL literal.
  literal=$(printf '%s' "$password" | sed "s/'/''/g")
  role=plaza_$service
  sql="$sql
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$role') THEN
    CREATE ROLE $role LOGIN;
  END IF;
END \$\$;
ALTER ROLE $role WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT PASSWORD '$literal';
GRANT CONNECT, CREATE ON DATABASE \"$db\" TO $role;
CREATE SCHEMA IF NOT EXISTS $service AUTHORIZATION $role;
ALTER SCHEMA $service OWNER TO $role;
ALTER ROLE $role IN DATABASE \"$db\" SET search_path = $service;
"
done

# shellcheck disable=SC2086 # user_args is empty or one word
psql -v ON_ERROR_STOP=1 --no-psqlrc --quiet $user_args --dbname="$db" <<SQL
SET client_min_messages = warning;
BEGIN;
REVOKE ALL ON DATABASE "$db" FROM PUBLIC;
REVOKE ALL ON SCHEMA public FROM PUBLIC;
$sql
COMMIT;
SQL
echo "init-roles.sh: roles for $services are ready in database $db"
