#!/usr/bin/env bash
# Converts a store file written by DuckDB 2.0 — what this dashboard used before it pinned DuckDB 1.5.5
# for the DuckLake store (README "多台服务器") — into the storage format DuckDB 1.5.5 reads:
#
#   bash scripts/convert-store.sh data/dashboard.duckdb
#
# Stop the dashboard first. The file is copied whole (tables, keys, sequences at their current values)
# by DuckDB 2.0 itself, installed once from the package registry into a virtualenv of its own; the
# original is kept beside it as FILE.duckdb2-backup. Exit 0 converted, 2 refused (nothing changed).
set -euo pipefail
if [ $# -ne 1 ] || [ ! -f "$1" ]; then
    echo "用法 / usage: bash scripts/convert-store.sh 数据库文件 / STORE_FILE (an existing file)" >&2
    exit 2
fi
store=$(realpath "$1")
backup="$store.duckdb2-backup"
if [ -e "$backup" ]; then
    echo "已有备份 $backup：该文件似乎已转换过，未做任何改动。/ $backup exists: already converted? Nothing changed." >&2
    exit 2
fi
venv="${TMPDIR:-/tmp}/dj-duckdb2-venv"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import duckdb, sys; sys.exit(duckdb.__version__ != '2.0.0')"; then
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install -q --disable-pip-version-check duckdb==2.0.0
fi
converting="$store.converting"
rm -f "$converting"
"$venv/bin/python" - "$store" "$converting" <<'PY'
import sys

import duckdb

source, target = sys.argv[1], sys.argv[2]
con = duckdb.connect()
try:
    con.execute("ATTACH '" + source.replace("'", "''") + "' AS old (READ_ONLY)")
except duckdb.Error as exc:
    print(f"无法打开 {source}（{exc}）：若看板正在运行，请先停止它。未做任何改动。", file=sys.stderr)
    sys.exit(2)
con.execute("ATTACH '" + target.replace("'", "''") + "' AS new (STORAGE_VERSION 'v1.5.0')")
con.execute("COPY FROM DATABASE old TO new")
con.close()
PY
mv "$store" "$backup"
mv "$converting" "$store"
echo "已转换 $store（原文件保留为 $backup）。/ Converted $store (the original kept as $backup)."
