#!/usr/bin/env bash
# Serves the site on 127.0.0.1:8000 with the Huey worker beside it; Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/python manage.py run_huey --quiet &
worker=$!
trap 'kill $worker 2>/dev/null || true' EXIT INT TERM
echo "Worker started (pid $worker). Mail is written to var/mailbox/."
echo "Serving http://127.0.0.1:8000"
.venv/bin/python manage.py runserver --noreload 127.0.0.1:8000
