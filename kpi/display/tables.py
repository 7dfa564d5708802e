"""Data tables as shown on screen: column names in the UI language."""
from __future__ import annotations

import pandas as pd

from kpi.i18n import has, t


def labelled(df: pd.DataFrame, area: str, lang: str) -> pd.DataFrame:
    """`df` with each column renamed to the message `<area>.col.<column>` when there is one
    (unit codes stay in the table, so any row leads to its unit)."""
    return df.rename(columns={c: t(f"{area}.col.{c}", lang) for c in df.columns if has(f"{area}.col.{c}")})
