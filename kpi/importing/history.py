"""The upload history as the history page shows it."""
from __future__ import annotations

import duckdb
import pandas as pd

from kpi.i18n import t
from kpi.importing.commit import list_batches

DISPLAY_COLUMNS = ("batch_id", "dataset", "file_name", "rows_total", "rows_inserted", "rows_updated",
                   "rows_unchanged", "user_name", "created_at", "kind", "status")


def batch_table(con: duckdb.DuckDBPyConnection, lang: str = "zh") -> pd.DataFrame:
    """Every batch, newest first, labelled for `lang`: dataset and kind translated, status
    '有效' or '已撤销（time）'. The column `undoable` is kept (unlabelled) for the undo choice."""
    batches = list_batches(con)
    out = batches.copy()
    out["dataset"] = [t(f"common.dataset.{d}", lang) for d in batches["dataset"]]
    out["kind"] = [t(f"history.kind.{k or 'upload'}", lang) for k in batches["kind"]]
    out["status"] = [t("history.status.active", lang) if pd.isna(u)
                     else t("history.status.undone", lang, when=pd.Timestamp(u).strftime("%Y-%m-%d %H:%M"))
                     for u in batches["undone_at"]]
    out["created_at"] = [pd.Timestamp(c).strftime("%Y-%m-%d %H:%M") for c in batches["created_at"]]
    labelled = out[list(DISPLAY_COLUMNS)].rename(columns={c: t(f"history.column.{c}", lang) for c in DISPLAY_COLUMNS})
    labelled["undoable"] = batches["undoable"].astype(bool)
    return labelled


def active_batches(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Batches that are not undone and not demo data: the ones an undo can be asked for."""
    batches = list_batches(con)
    return batches[batches["undone_at"].isna() & (batches["kind"] != "demo")].reset_index(drop=True)
