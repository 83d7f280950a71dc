#!/usr/bin/env bash
# `make test`: installs PostgreSQL if absent, starts the private cluster, runs lint and the
# whole suite against it, stops the cluster, and exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
INSERVICE_FOR_TESTS=1 scripts/bootstrap.sh || exit 1

scripts/pgcluster.sh start || exit 1
trap 'scripts/pgcluster.sh stop' EXIT

export DATABASE_URL=$(scripts/pgcluster.sh url)
export INSERVICE_TESTING=1

status=0
echo "== ruff =="
.venv/bin/ruff check . || status=1
.venv/bin/ruff format --check . || status=1
echo "== pytest (PostgreSQL) =="
.venv/bin/python -m pytest -n "${PYTEST_WORKERS:-2}" --ignore=tests/browser "$@"
rc=$?
[ $rc -ne 0 ] && status=$rc
# Browser tests run in their own process: Playwright's event loop must not share a process
# with the rest of the suite (it leaves Django's connection handling in another context).
echo "== pytest: browser tests (headless Chromium) =="
.venv/bin/python -m pytest -n "${PYTEST_WORKERS:-2}" tests/browser "$@"
rc=$?
[ $rc -ne 0 ] && status=$rc
exit $status
