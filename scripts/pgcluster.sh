#!/usr/bin/env bash
# A private PostgreSQL cluster for tests and benchmarks, under the work tree (.pg/).
# Usage: scripts/pgcluster.sh start|stop|status|url
# Another cluster beside it (make bench): INSERVICE_PGDATA (data directory), INSERVICE_PGPORT,
# INSERVICE_PGDB (database named by `url`) and INSERVICE_PGOPTS (extra server options, given
# after the defaults, so they win: e.g. "-c fsync=on -c shared_buffers=1GB").
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PORT=${INSERVICE_PGPORT:-54329}
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$PGBIN" ] || { echo "PostgreSQL server binaries not found; run 'make test' to install them." >&2; exit 1; }
DATA=${INSERVICE_PGDATA:-$ROOT/.pg}

RUN=()
if [ "$(id -u)" -eq 0 ]; then
  # The server refuses to run as root: run it as the 'postgres' system user.
  RUN=(runuser -u postgres --)
  if ! "${RUN[@]}" test -x "$(dirname "$DATA")"; then
    DATA=/tmp/inservice-pg-$(echo "$ROOT${INSERVICE_PGDATA:+:$INSERVICE_PGDATA}" | sha256sum | cut -c1-12)
  fi
fi

case "${1:-}" in
  start)
    if [ ! -f "$DATA/PG_VERSION" ]; then
      mkdir -p "$DATA"
      [ ${#RUN[@]} -gt 0 ] && chown postgres: "$DATA"
      chmod 700 "$DATA"
      "${RUN[@]}" "$PGBIN/initdb" -D "$DATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
    fi
    if "${RUN[@]}" "$PGBIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
      exit 0
    fi
    "${RUN[@]}" "$PGBIN/pg_ctl" -D "$DATA" -l "$DATA/server.log" -w -t 60 start -o \
      "-p $PORT -k $DATA -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 ${INSERVICE_PGOPTS:-}" >/dev/null
    ;;
  stop)
    if [ -f "$DATA/PG_VERSION" ] && "${RUN[@]}" "$PGBIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
      "${RUN[@]}" "$PGBIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null
    fi
    ;;
  status)
    "${RUN[@]}" "$PGBIN/pg_ctl" -D "$DATA" status
    ;;
  url)
    echo "postgres://postgres@127.0.0.1:$PORT/${INSERVICE_PGDB:-inservice}"
    ;;
  *)
    echo "usage: $0 start|stop|status|url" >&2; exit 2 ;;
esac
