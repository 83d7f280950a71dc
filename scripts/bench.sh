#!/usr/bin/env bash
# `make bench`: a private PostgreSQL cluster of its own (.pg-bench/, port 54339), the synthetic
# dataset for BENCH_SCALE/BENCH_SEED (generated once per scale and seed, in its own database),
# then bench/run.py (gunicorn with production settings, driven over loopback). Writes
# bench/results/<date>-<scale>.{json,md}; exits non-zero when a correctness check fails.
# docs/performance.md explains the figures and the knobs (BENCH_* variables).
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

SCALE=${BENCH_SCALE:-small}
SEED=${BENCH_SEED:-1}
case "$SCALE" in tiny|small|national) ;; *) echo "BENCH_SCALE must be tiny, small or national" >&2; exit 2 ;; esac
[[ "$SEED" =~ ^[0-9]+$ ]] || { echo "BENCH_SEED must be a number" >&2; exit 2; }

INSERVICE_FOR_TESTS=1 scripts/bootstrap.sh || exit 1
if ! command -v pgbench >/dev/null; then
  # Debian ships pgbench in postgresql-contrib (older) or postgresql-client (newer).
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql-client postgresql-contrib >/dev/null || true
  command -v pgbench >/dev/null || { echo "pgbench is not available" >&2; exit 1; }
fi

# The bench cluster: production-like durability (fsync, synchronous commit), the server
# settings docs/deployment.md gives for production (SSD storage: random_page_cost 1.1) and
# more shared buffers than the test cluster; BENCH_PG_OPTS adds or overrides server options.
export INSERVICE_PGDATA=${BENCH_PGDATA:-$ROOT/.pg-bench}
export INSERVICE_PGPORT=${BENCH_PGPORT:-54339}
export INSERVICE_PGOPTS="-c fsync=on -c synchronous_commit=on -c full_page_writes=on \
-c shared_buffers=${BENCH_SHARED_BUFFERS:-1GB} -c effective_cache_size=4GB -c work_mem=16MB \
-c random_page_cost=1.1 \
-c maintenance_work_mem=512MB -c max_wal_size=4GB -c checkpoint_timeout=15min ${BENCH_PG_OPTS:-}"
DB="bench_${SCALE}_${SEED}"
export INSERVICE_PGDB=$DB

VAR=${BENCH_VAR_DIR:-$ROOT/.bench-var}
mkdir -p "$VAR"

scripts/pgcluster.sh start || exit 1
# Production runs with Redis (docs/deployment.md): the job queue, the cache and the sessions'
# read-through cache. A private redis-server, with the append-only file a production one has;
# BENCH_REDIS=0 measures the SQLite queue and per-process cache of a one-host install instead.
REDIS_PID=""
if [ "${BENCH_REDIS:-1}" = 1 ]; then
  REDIS_PORT=${BENCH_REDIS_PORT:-54340}
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$VAR" --save "" \
    --appendonly yes --appendfsync everysec --daemonize yes --pidfile "$VAR/redis.pid" \
    --logfile "$VAR/redis.log" || exit 1
  REDIS_PID=$(cat "$VAR/redis.pid" 2>/dev/null)
  export REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
  for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
fi
trap 'scripts/pgcluster.sh stop; [ -n "$REDIS_PID" ] && kill "$REDIS_PID" 2>/dev/null' EXIT
export DATABASE_URL=$(scripts/pgcluster.sh url)
ADMIN_URL=$(INSERVICE_PGDB=postgres scripts/pgcluster.sh url)

# Secrets for this cluster's data (ID numbers are encrypted and hashed with them): made once.
if [ ! -f "$VAR/secrets.env" ]; then
  {
    echo "DJANGO_SECRET_KEY=$(.venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(50))')"
    echo "INSERVICE_ID_KEYS=bench1:$(.venv/bin/python -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())')"
    echo "INSERVICE_ID_HMAC_KEY=$(.venv/bin/python -c 'import secrets; print(secrets.token_hex(32))')"
  } > "$VAR/secrets.env"
  chmod 600 "$VAR/secrets.env"
fi
set -a; . "$VAR/secrets.env"; set +a
# Production settings: no DEBUG, no test mode, nothing from a developer's .env.
unset DJANGO_DEBUG INSERVICE_TESTING
export INSERVICE_ENV_FILE=/dev/null
export INSERVICE_VAR_DIR=$VAR
export DJANGO_ALLOWED_HOSTS=127.0.0.1
export DJANGO_SETTINGS_MODULE=inservice.settings
export PYTHONPATH=$ROOT/src${PYTHONPATH:+:$PYTHONPATH}
PY=.venv/bin/python
psql_admin() { psql -X -q -v ON_ERROR_STOP=1 "$ADMIN_URL" "$@"; }
psql_db() { psql -X -q -v ON_ERROR_STOP=1 "$DATABASE_URL" "$@"; }

# A database per scale and seed; the marker row is written only after a complete generation.
exists=$(psql_admin -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB'")
loaded=""
if [ "$exists" = 1 ]; then
  loaded=$(psql_db -tAc "SELECT 1 FROM pg_class WHERE relname = 'bench_dataset'" 2>/dev/null)
  [ "$loaded" = 1 ] && loaded=$(psql_db -tAc "SELECT 1 FROM bench_dataset WHERE scale = '$SCALE' AND seed = $SEED")
fi
if [ "${BENCH_FRESH:-0}" = 1 ] || { [ "$exists" = 1 ] && [ "$loaded" != 1 ]; }; then
  echo "== dropping database $DB (fresh or incomplete) =="
  psql_admin -c "DROP DATABASE IF EXISTS \"$DB\" WITH (FORCE)" || exit 1
  exists=""; loaded=""
fi
[ "$exists" = 1 ] || psql_admin -c "CREATE DATABASE \"$DB\"" || exit 1

echo "== migrate ($DB) =="
$PY manage.py migrate --noinput -v 0 || exit 1
$PY manage.py collectstatic --noinput -v 0 || exit 1

if [ "$loaded" = 1 ]; then
  echo "== dataset $SCALE/seed $SEED already loaded =="
elif [ "${BENCH_SKIP_GENERATE:-0}" = 1 ]; then
  echo "== BENCH_SKIP_GENERATE=1: no dataset (reference data only); figures mean little =="
else
  echo "== generate_dataset --scale $SCALE --seed $SEED =="
  started=$(date +%s)
  $PY manage.py generate_dataset --scale "$SCALE" --seed "$SEED" --out-dir "$VAR" || exit 1
  seconds=$(( $(date +%s) - started ))
  # The generator's anchors (the 40-year teacher, the course waiting to be closed …) are kept
  # with the data they describe.
  psql_db -v anchors="$(cat "$VAR/dataset-$SCALE-$SEED.json")" <<SQL || exit 1
CREATE TABLE IF NOT EXISTS bench_dataset (scale text, seed int, generate_seconds int,
  loaded_at timestamptz DEFAULT now(), anchors jsonb);
INSERT INTO bench_dataset (scale, seed, generate_seconds, anchors)
  VALUES ('$SCALE', $SEED, $seconds, :'anchors'::jsonb);
SQL
  psql_db -c "VACUUM ANALYZE" || exit 1
fi

if [ "${BENCH_ONLY:-}" = dataset ]; then
  echo "== BENCH_ONLY=dataset: dataset ready, no measurements =="
  exit 0
fi

echo "== bench/run.py =="
$PY -m bench.run --scale "$SCALE" --seed "$SEED" "$@"
