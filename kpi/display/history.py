"""The upload history page's table: every batch with dataset, kind and status in the UI language."""
from __future__ import annotations

import pandas as pd

from kpi.i18n import t

DISPLAY_COLUMNS = ("batch_id", "dataset", "file_name", "rows_total", "rows_inserted", "rows_updated",
                   "rows_unchanged", "user_name", "created_at", "kind", "status")


def batch_table(batches: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """Every batch of `batches` (kpi.importing.commit.list_batches: newest first), labelled for `lang`:
    dataset and kind translated, status '有效' or '已撤销（time）'.
    The column `undoable` is kept (unlabelled) for the undo choice."""
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
