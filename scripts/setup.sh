#!/usr/bin/env bash
# Installs everything the dashboard and its tests need on a fresh Debian machine with Python 3.11:
# Debian's chromium (charts to PNG, browser tests) and a CJK font (Chinese in every output),
# then a virtualenv in .venv with the pinned Python packages. Safe to run again: it skips
# whatever is already there. Never downloads a browser of its own (offline machines).
#
#   bash scripts/setup.sh              # the dashboard
#   bash scripts/setup.sh --postgres   # and PostgreSQL's server programs: the test suite runs DuckLake
#                                      # stores on a private cluster of its own (scripts/pgcluster.py)
# A dashboard server never needs PostgreSQL installed, even on a DuckLake: DuckDB's postgres extension
# talks to the catalog itself. (Debian's package may create and start its own "main" cluster where
# systemd runs; the tests never use it.)
set -euo pipefail
cd "$(dirname "$0")/.."
with_postgres=false
for arg in "$@"; do
    case "$arg" in
        --postgres) with_postgres=true ;;
        *) echo "setup: unknown option $arg (known: --postgres)" >&2; exit 2 ;;
    esac
done

apt_packages=()
command -v chromium >/dev/null 2>&1 || apt_packages+=(chromium)
fc-list :lang=zh 2>/dev/null | grep -q . || apt_packages+=(fonts-noto-cjk)
python3 -c "import venv, ensurepip" 2>/dev/null || apt_packages+=(python3-venv)
# pdffonts: the briefing test checks that the PDF embeds every font it uses
command -v pdffonts >/dev/null 2>&1 || apt_packages+=(poppler-utils)
if $with_postgres; then
    ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || apt_packages+=(postgresql)
fi
if [ ${#apt_packages[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    echo "setup: installing Debian packages: ${apt_packages[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${apt_packages[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
stamp=.venv/.requirements.sha256
want=$(sha256sum requirements.txt | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    .venv/bin/python -m pip install -q --disable-pip-version-check -r requirements.txt
    echo "$want" > "$stamp"
fi
echo "setup: ready (.venv, chromium $(command -v chromium), CJK font $(fc-match -f '%{family[0]}' 'sans-serif:lang=zh-cn'))"
