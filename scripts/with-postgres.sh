#!/usr/bin/env bash
# Runs CMD... against a throwaway PostgreSQL 15 cluster with PostGIS:
#   scripts/with-postgres.sh dotnet test tests/Broker.StoreTests
# Installs postgresql-15 and postgresql-15-postgis-3 when missing (Debian/Ubuntu, as root), then runs CMD inside
# `pg_virtualenv -v 15`, which creates a cluster, exports PGHOST, PGPORT, PGUSER, PGPASSWORD and PGDATABASE,
# and removes the cluster afterwards. CI=true is exported so the store tests fail instead of skipping without a database.
set -euo pipefail

if [ $# -eq 0 ]; then
  echo "usage: $0 CMD [ARGS...]" >&2
  exit 2
fi

if ! command -v pg_virtualenv >/dev/null 2>&1 \
  || [ ! -x /usr/lib/postgresql/15/bin/postgres ] \
  || [ ! -f /usr/share/postgresql/15/extension/postgis.control ]; then
  echo "== installing PostgreSQL 15 and PostGIS" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y postgresql-15 postgresql-15-postgis-3 postgresql-common
fi

export CI="${CI:-true}"
# pg_virtualenv runs the command as the calling user; -t keeps the cluster in a temporary folder even as root, so
# several runs at once (and a run that was killed) never meet in /etc/postgresql/15/regress.
exec pg_virtualenv -t -v 15 "$@"
