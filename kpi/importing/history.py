"""The upload history: the batches an undo can be asked for (worded for the page by kpi.display.history)."""
from __future__ import annotations

import duckdb
import pandas as pd

from kpi.importing.commit import list_batches


def active_batches(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Batches that are not undone and not demo data: the ones an undo can be asked for."""
    batches = list_batches(con)
    return batches[batches["undone_at"].isna() & (batches["kind"] != "demo")].reset_index(drop=True)
