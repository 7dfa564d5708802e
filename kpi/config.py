"""Where things live: the store (a DuckDB file, or a DuckLake), the rules file, the demo data."""
from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "data"
DEFAULT_DB_PATH = DATA_DIR / "dashboard.duckdb"
DEFAULT_RULES_PATH = DATA_DIR / "rules.toml"
DB_ENV_VAR = "DJ_DB"
STORE_ENV_VAR = "DJ_STORE"
# A store spec starting so names a DuckLake (kpi.store.lake), e.g. ducklake:postgres:dbname=dj host=… port=…
LAKE_PREFIX = "ducklake:"
RULES_ENV_VAR = "DJ_RULES"


def _db_from_argv(argv: list[str]) -> str | None:
    # `streamlit run app.py -- --db PATH` hands the script everything after `--`.
    for i, arg in enumerate(argv):
        if arg == "--db" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--db="):
            return arg.split("=", 1)[1]
    return None


def is_lake(spec: str | Path) -> bool:
    """True when a store spec names a DuckLake (`ducklake:…`) rather than a DuckDB file."""
    return str(spec).startswith(LAKE_PREFIX)


def store_location(spec: str | Path | None) -> str | Path:
    """A store spec as the code handles it: a lake's spec as text (never a Path, which would fold its
    slashes), a file as a Path; None → the default file data/dashboard.duckdb."""
    if not spec:
        return DEFAULT_DB_PATH
    return str(spec) if is_lake(spec) else Path(spec)


def db_path(argv: list[str] | None = None) -> str | Path:
    """The store to open: `--db SPEC`, else $DJ_STORE, else $DJ_DB, else data/dashboard.duckdb. SPEC is
    a DuckDB file's path or a DuckLake's `ducklake:postgres:<dsn>` (see `store_location`)."""
    chosen = (_db_from_argv(sys.argv[1:] if argv is None else argv) or os.environ.get(STORE_ENV_VAR)
              or os.environ.get(DB_ENV_VAR))
    return store_location(chosen)


def rules_path() -> Path:
    """The rules file: $DJ_RULES, else data/rules.toml."""
    chosen = os.environ.get(RULES_ENV_VAR)
    return Path(chosen) if chosen else DEFAULT_RULES_PATH
