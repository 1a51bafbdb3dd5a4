#!/usr/bin/env bash
# Make sure a PostgreSQL server answers on 127.0.0.1:5432 and that the test role
# `balie` (password `balie`, may create databases) exists. Installs Debian's
# postgresql when it is missing. Used by `make test`; the embedded default needs none of it.
set -euo pipefail

as_postgres() {
    if [ "$(id -u)" = 0 ] && id postgres >/dev/null 2>&1; then
        runuser -u postgres -- "$@"
    else
        PGHOST=127.0.0.1 PGUSER=postgres "$@"
    fi
}

if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
    if ! command -v pg_ctlcluster >/dev/null; then
        echo "Installing PostgreSQL (Debian package)..."
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    fi
    version=$(ls /etc/postgresql | sort -V | tail -1)
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    for _ in $(seq 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi

as_postgres psql -q -d postgres -v ON_ERROR_STOP=1 <<'SQL'
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'balie') THEN
        CREATE ROLE balie LOGIN CREATEDB PASSWORD 'balie';
    END IF;
END $$;
SQL
