#!/usr/bin/env bash
# Installs what is missing: Debian packages (only when absent), the virtualenv and the pinned
# Python dependencies (only when requirements.txt changed), and compiles translations.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
python3 -c "import venv, ensurepip" 2>/dev/null || need_apt+=(python3-venv)
command -v msgfmt >/dev/null || need_apt+=(gettext)
# PDFs (WeasyPrint): Pango for layout and the CJK font they embed (INSERVICE_PDF_FONT).
ls /usr/lib/*/libpangoft2-1.0.so.0 >/dev/null 2>&1 || need_apt+=(libpango-1.0-0 libpangoft2-1.0-0)
[ -f /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ] || need_apt+=(fonts-noto-cjk)
if [ "${INSERVICE_FOR_TESTS:-0}" = 1 ]; then
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need_apt+=(postgresql)
  [ -x /usr/bin/chromium ] || need_apt+=(chromium)
  # The Redis configuration of docs/deployment.md is tested against a private redis-server.
  command -v redis-server >/dev/null || need_apt+=(redis-server)
fi
if [ ${#need_apt[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "Installing Debian packages: ${need_apt[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
stamp=.venv/.requirements.sha256
want=$(sha256sum requirements.txt | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  .venv/bin/pip install -q --disable-pip-version-check -r requirements.txt
  echo "$want" > "$stamp"
fi

# Compile translations when a .po file is newer than its .mo.
for po in locale/*/LC_MESSAGES/django.po; do
  [ -f "$po" ] || continue
  mo="${po%.po}.mo"
  if [ ! -f "$mo" ] || [ "$po" -nt "$mo" ]; then
    msgfmt --check-format -o "$mo" "$po"
  fi
done
