"""`open_store(spec)`: the store a spec names — a DuckLake for `ducklake:…` (kpi.store.lake), else the
DuckDB file at that path (kpi.store.connection). Its own module: the lake builds on the file store's
connection module, and this is the one place that knows both."""
from __future__ import annotations

from pathlib import Path

from kpi.config import is_lake
from kpi.store import lake
from kpi.store.connection import Store


def open_store(spec: str | Path) -> Store:
    """Open (creating and migrating if needed) the store `spec` names: a DuckLake for `ducklake:…`
    (`LakeStore`; its data folder from $DJ_LAKE_DATA when it is created), else the DuckDB file at
    that path (`Store`). Both have `cursor()`, `close()`, `path` and `kind`."""
    if is_lake(spec):
        return lake.open_lake(str(spec))
    return Store(spec)
