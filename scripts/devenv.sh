#!/usr/bin/env bash
# Writes a development .env with freshly generated secrets, once. Never used in production.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p var
[ -f .env ] && exit 0
rand() { .venv/bin/python -c "import secrets,base64;print(base64.b64encode(secrets.token_bytes($1)).decode())"; }
cat > .env <<ENV
# Development settings written by 'make run'. Delete this file to regenerate.
DJANGO_DEBUG=1
DJANGO_SECRET_KEY=$(rand 48)
INSERVICE_ID_KEYS=dev1:$(rand 32)
INSERVICE_ID_HMAC_KEY=$(rand 32)
ENV
echo "Wrote .env with development secrets."
