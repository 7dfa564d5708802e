"""Where things live: the DuckDB file, the rules file, the demo data."""
from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "data"
DEFAULT_DB_PATH = DATA_DIR / "dashboard.duckdb"
DEFAULT_RULES_PATH = DATA_DIR / "rules.toml"
DB_ENV_VAR = "DJ_DB"
RULES_ENV_VAR = "DJ_RULES"


def _db_from_argv(argv: list[str]) -> str | None:
    # `streamlit run app.py -- --db PATH` hands the script everything after `--`.
    for i, arg in enumerate(argv):
        if arg == "--db" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--db="):
            return arg.split("=", 1)[1]
    return None


def db_path(argv: list[str] | None = None) -> Path:
    """The DuckDB file to open: `--db PATH`, else $DJ_DB, else data/dashboard.duckdb."""
    chosen = _db_from_argv(sys.argv[1:] if argv is None else argv) or os.environ.get(DB_ENV_VAR)
    return Path(chosen) if chosen else DEFAULT_DB_PATH


def rules_path() -> Path:
    """The rules file: $DJ_RULES, else data/rules.toml."""
    chosen = os.environ.get(RULES_ENV_VAR)
    return Path(chosen) if chosen else DEFAULT_RULES_PATH
