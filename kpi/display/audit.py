"""The audit log as shown and exported: actions and headers in the UI language."""
from __future__ import annotations

import pandas as pd

from kpi.access.audit import COLUMNS
from kpi.i18n import t


def labelled_entries(df: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """`entries` as shown and exported: actions translated, time as text, headers in `lang`."""
    out = df.copy()
    out["action"] = [t(f"audit.action.{a}", lang) for a in df["action"]]
    out["logged_at"] = [pd.Timestamp(v).strftime("%Y-%m-%d %H:%M:%S") for v in df["logged_at"]]
    return out.rename(columns={c: t(f"audit.column.{c}", lang) for c in COLUMNS})
